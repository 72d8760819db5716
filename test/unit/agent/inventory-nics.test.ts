/** The sysfs NIC reader (agent/inventory/nics.ts) on a fake sysfs tree, and readSysfsFacts built on it. */
import { afterEach, describe, expect, test } from 'bun:test';
import { readSysfsFacts } from '../../../agent/inventory/collect.ts';
import { nicFromSysfs, readPhysicalNics } from '../../../agent/inventory/nics.ts';
import { createFakeSysfs, type FakeSysfs } from '../../helpers/fake-sysfs.ts';

const trees: FakeSysfs[] = [];
afterEach(() => {
  for (const tree of trees.splice(0)) tree.remove();
});

/** eno1 linked at 10G (i40e), eno2 cabled but down, enp0s3 virtio without speed, plus a bridge and loopback. */
function machine(): FakeSysfs {
  const sys = createFakeSysfs([
    { name: 'lo', mac: '00:00:00:00:00:00', carrier: '1', operstate: 'unknown' },
    { name: 'br0', mac: '02:00:5e:10:00:09', carrier: '1', operstate: 'up' },
    { name: 'eno2', mac: '3C:FD:FE:00:00:02', operstate: 'down', device: { driver: 'i40e', address: '0000:3b:00.1' } },
    { name: 'eno1', mac: '3c:fd:fe:00:00:01', carrier: '1', operstate: 'up', speed: '10000', device: { driver: 'i40e', address: '0000:3b:00.0' } },
    {
      name: 'enp0s3',
      mac: '52:54:00:12:34:56',
      carrier: '0',
      operstate: 'down',
      speed: '-1',
      device: { driver: 'virtio_net', bus: 'virtio', address: 'virtio2' },
    },
  ]);
  trees.push(sys);
  return sys;
}

describe('readPhysicalNics', () => {
  test('lists every NIC with a device behind it, sorted, with what sysfs says about it', () => {
    expect(readPhysicalNics(machine().root)).toEqual([
      { name: 'eno1', mac: '3c:fd:fe:00:00:01', driver: 'i40e', bus: 'pci', busAddress: '0000:3b:00.0', carrier: true, operstate: 'up', speedMbps: 10000 },
      { name: 'eno2', mac: '3c:fd:fe:00:00:02', driver: 'i40e', bus: 'pci', busAddress: '0000:3b:00.1', carrier: null, operstate: 'down', speedMbps: null },
      {
        name: 'enp0s3',
        mac: '52:54:00:12:34:56',
        driver: 'virtio_net',
        bus: 'virtio',
        busAddress: 'virtio2',
        carrier: false,
        operstate: 'down',
        speedMbps: null,
      },
    ]);
  });

  test('no sysfs at all is no NICs', () => {
    expect(readPhysicalNics('/nonexistent/sys')).toEqual([]);
  });
});

describe('nicFromSysfs', () => {
  test('a NIC whose driver is unbound and whose files are unreadable is all unknowns', () => {
    expect(nicFromSysfs({ name: 'eth9' })).toEqual({
      name: 'eth9',
      mac: null,
      driver: null,
      bus: null,
      busAddress: null,
      carrier: null,
      operstate: null,
      speedMbps: null,
    });
  });

  test('speed -1 (no link, or the driver does not say) is unknown', () => {
    expect(nicFromSysfs({ name: 'eth0', speed: '-1\n', carrier: '0\n' })).toMatchObject({ speedMbps: null, carrier: false });
  });
});

describe('readSysfsFacts (the inventory’s sysfs facts)', () => {
  test('physical NICs and their drivers come from the NIC reader', () => {
    const facts = readSysfsFacts(machine().root);
    expect(facts.physicalNics).toEqual(['eno1', 'eno2', 'enp0s3']);
    expect(facts.nicDrivers).toEqual({ eno1: 'i40e', eno2: 'i40e', enp0s3: 'virtio_net' });
  });
});
