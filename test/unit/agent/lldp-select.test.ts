/** nicsToCheck: the one rule `run` (04-lldp) and `plan` use to choose the NICs LLDP listens on. */
import { describe, expect, test } from 'bun:test';
import { nicsWithFirmwareLldp } from '../../../agent/lldp/firmware.ts';
import { nicsToCheck, splitNicList } from '../../../agent/lldp/select.ts';

const physical = [{ name: 'eno1' }, { name: 'eno2' }, { name: 'ens1f0' }];

describe('nicsToCheck', () => {
  test('without bm.lldp.interfaces: every physical NIC', () => {
    expect(nicsToCheck({ configured: [], physical })).toEqual({ nics: ['eno1', 'eno2', 'ens1f0'], source: 'physical NICs' });
  });

  test('bm.lldp.interfaces wins, as given (it may name NICs sysfs does not call physical)', () => {
    expect(nicsToCheck({ configured: ['ens1f0', 'veth-lab'], physical })).toEqual({ nics: ['ens1f0', 'veth-lab'], source: 'bm.lldp.interfaces' });
  });

  test('no physical NIC and nothing configured: nothing to check', () => {
    expect(nicsToCheck({ configured: [], physical: [] }).nics).toEqual([]);
  });
});

test('splitNicList splits the setting on commas and drops blanks', () => {
  expect(splitNicList(' eno1, eno2,,')).toEqual(['eno1', 'eno2']);
  expect(splitNicList('')).toEqual([]);
});

test('nicsWithFirmwareLldp: the i40e and ice NICs among those checked, in the order checked', () => {
  const nic = (name: string, driver: string | null) => ({
    name,
    driver,
    mac: null,
    bus: 'pci',
    busAddress: null,
    carrier: null,
    operstate: null,
    speedMbps: null,
  });
  const here = [nic('eno1', 'i40e'), nic('eno2', 'i40e'), nic('eno3', 'ixgbe'), nic('eno4', null), nic('ens5', 'ice')];
  expect(nicsWithFirmwareLldp(['eno3', 'ens5', 'eno2', 'veth0', 'eno1', 'eno4'], here).map((n) => n.name)).toEqual(['ens5', 'eno2', 'eno1']);
});
