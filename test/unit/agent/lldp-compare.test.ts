import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  awaitedNics,
  cablingTable,
  compareCabling,
  formatVlans,
  netboxPortsOf,
  pairNics,
  TABLE_COLUMNS,
  type NetboxPort,
  type NicObservation,
} from '../../../agent/lldp/compare.ts';
import { canonicalPortName, samePort, sameSwitch } from '../../../agent/lldp/names.ts';
import { neighboursByInterface, parseLldpcliJson0, type LldpNeighbour } from '../../../agent/tools/lldpcli.parse.ts';
import type { Interface } from '../../../shared/netbox/index.ts';

const several = parseLldpcliJson0(readFileSync(join(import.meta.dir, '../../fixtures/lldpcli/json0-several-neighbours.json'), 'utf8'));
const heard = neighboursByInterface(several); // eno1 → leaf-1 swp7, eno2 → leaf-1 swp8

let nextId = 1;
function netboxInterface(name: string, mac: string | null, far?: { device: string; port: string }, extra: Partial<Interface> = {}): Interface {
  const id = nextId++;
  return {
    id,
    url: `http://netbox/api/dcim/interfaces/${id}/`,
    display: name,
    device: { id: 1, url: '', display: 'srv-1', name: 'srv-1' },
    name,
    type: { value: '10gbase-x-sfpp', label: 'SFP+' },
    enabled: true,
    mgmt_only: false,
    mac_address: mac,
    cable: far ? { id: 100 + id, url: '', display: '#1' } : null,
    link_peers: [],
    link_peers_type: null,
    connected_endpoints: far ? [{ id: 500 + id, name: far.port, device: { id: 9, name: far.device, display: far.device } }] : null,
    connected_endpoints_type: far ? 'dcim.interface' : null,
    connected_endpoints_reachable: Boolean(far),
    ...extra,
  };
}

const nic = (name: string, mac: string, carrier = true): NicObservation => ({ name, mac, carrier });
const NICS = [nic('eno1', '02:00:5e:10:00:01'), nic('eno2', '02:00:5e:10:00:02'), nic('eno3', '02:00:5e:10:00:03')];

function ports(...interfaces: Interface[]): NetboxPort[] {
  return netboxPortsOf(interfaces);
}

describe('names', () => {
  test.each([
    ['Eth1/7', 'Ethernet1/7'],
    ['ethernet1/7', 'Ethernet1/7'],
    ['Te1/0/1', 'TenGigabitEthernet1/0/1'],
    ['Gi0/1', 'GigabitEthernet0/1'],
    ['swp7', 'SWP7'],
    ['et-0/0/12', 'Ethernet-0/0/12'],
  ])('port %s is the same as %s', (a, b) => {
    expect(samePort(a, b)).toBe(true);
  });

  test.each([
    ['swp7', 'swp8'],
    ['swp7', '7'],
    ['Eth1/7', 'Eth1/70'],
    ['3c:fd:fe:00:00:01', 'swp7'],
  ])('port %s is not %s', (a, b) => {
    expect(samePort(a, b)).toBe(false);
  });

  test('a bare word is not expanded', () => {
    expect(canonicalPortName('eth')).toBe('eth');
  });

  test('switch names compare case-insensitively and a short name matches its FQDN', () => {
    expect(sameSwitch('LEAF-1', 'leaf-1')).toBe(true);
    expect(sameSwitch('leaf-1.dc1.example.net', 'leaf-1')).toBe(true);
    expect(sameSwitch('leaf-1', 'leaf-1.dc1.example.net.')).toBe(true);
    expect(sameSwitch('leaf-1.dc1.example.net', 'leaf-1.dc2.example.net')).toBe(false);
    expect(sameSwitch('leaf-10', 'leaf-1')).toBe(false);
    expect(sameSwitch(null, 'leaf-1')).toBe(false);
  });
});

describe('pairing NICs with NetBox interfaces', () => {
  test('MAC wins over name, and names pair what MACs leave', () => {
    const p = ports(netboxInterface('NIC1', '02:00:5E:10:00:02'), netboxInterface('eno1', null), netboxInterface('eno2', null));
    const pairs = pairNics(NICS, p);
    expect(pairs.get('eno2')?.name).toBe('NIC1');
    expect(pairs.get('eno1')?.name).toBe('eno1');
    expect(pairs.has('eno3')).toBe(false);
  });

  test('management-only interfaces (the BMC port) are left out', () => {
    const p = ports(netboxInterface('bmc', '02:00:5e:10:00:01', { device: 'mgmt-1', port: 'ge-0/0/1' }, { mgmt_only: true }));
    expect(p).toEqual([]);
  });

  test('4.2+ MAC objects are used too', () => {
    const p = ports(netboxInterface('NIC3', null, undefined, { mac_addresses: [{ id: 1, url: '', display: '', mac_address: '02:00:5E:10:00:03' }] }));
    expect(pairNics(NICS, p).get('eno3')?.name).toBe('NIC3');
  });
});

describe('verdicts', () => {
  const netbox = ports(
    netboxInterface('eno1', '02:00:5E:10:00:01', { device: 'leaf-1', port: 'swp7' }),
    netboxInterface('eno2', '02:00:5E:10:00:02', { device: 'leaf-1', port: 'swp9' }),
    netboxInterface('eno3', '02:00:5E:10:00:03', { device: 'leaf-1', port: 'swp10' }),
  );

  test('one correct, one wrong port and one missing neighbour fail naming eno2 and eno3', () => {
    const result = compareCabling({ nics: NICS, neighbours: heard, netboxPorts: netbox });
    expect(result.rows.map((r) => [r.nic, r.verdict, r.severity])).toEqual([
      ['eno1', 'match', 'ok'],
      ['eno2', 'mismatch', 'failure'],
      ['eno3', 'missing', 'failure'],
    ]);
    expect(result.failures).toEqual([
      'eno2: wrong port: NetBox says leaf-1 swp9, LLDP sees leaf-1 swp8',
      expect.stringContaining('eno3: NetBox says leaf-1 swp10, but no LLDP neighbour'),
    ]);
  });

  test('another switch is a wrong switch', () => {
    const result = compareCabling({
      nics: NICS.slice(0, 1),
      neighbours: heard,
      netboxPorts: ports(netboxInterface('eno1', '02:00:5E:10:00:01', { device: 'leaf-2', port: 'swp7' })),
    });
    expect(result.rows[0]).toMatchObject({ verdict: 'mismatch', note: 'eno1: wrong switch: NetBox says leaf-2 swp7, LLDP sees leaf-1 swp7' });
  });

  test('the port description matches when the port id does not', () => {
    const result = compareCabling({
      nics: NICS.slice(0, 1),
      neighbours: heard,
      netboxPorts: ports(netboxInterface('eno1', '02:00:5E:10:00:01', { device: 'leaf-1', port: 'eno1 (lab server)' })),
    });
    expect(result.rows[0]!.verdict).toBe('match');
  });

  test('a cabled NIC without link is no-link and fails', () => {
    const result = compareCabling({ nics: [nic('eno3', '02:00:5e:10:00:03', false)], neighbours: heard, netboxPorts: netbox });
    expect(result.rows[0]).toMatchObject({ verdict: 'no-link', severity: 'failure' });
  });

  test('with require_neighbour off a missing neighbour is only a warning', () => {
    const result = compareCabling({ nics: NICS.slice(2), neighbours: heard, netboxPorts: netbox.slice(2), requireNeighbour: false });
    expect(result.rows[0]).toMatchObject({ verdict: 'missing', severity: 'warning' });
    expect(result.failures).toEqual([]);
    expect(result.warnings).toHaveLength(1);
  });

  test('a neighbour on a NIC NetBox has no cable for is a warning, not a failure', () => {
    const result = compareCabling({ nics: NICS.slice(0, 1), neighbours: heard, netboxPorts: ports(netboxInterface('eno1', '02:00:5E:10:00:01')) });
    expect(result.rows[0]).toMatchObject({ verdict: 'uncabled-neighbour', severity: 'warning' });
    expect(result.rows[0]!.note).toContain('add the cable in NetBox');
    expect(result.failures).toEqual([]);
  });

  test('a linked NIC with no cable and no neighbour is information only', () => {
    const result = compareCabling({ nics: NICS.slice(2), neighbours: heard, netboxPorts: ports(netboxInterface('eno3', '02:00:5E:10:00:03')) });
    expect(result.rows[0]).toMatchObject({ verdict: 'no-neighbour', severity: 'info' });
  });

  test('a cabled NetBox interface no NIC pairs with is listed as absent (warning)', () => {
    const result = compareCabling({
      nics: NICS.slice(0, 1),
      neighbours: heard,
      netboxPorts: ports(
        netboxInterface('eno1', '02:00:5E:10:00:01', { device: 'leaf-1', port: 'swp7' }),
        netboxInterface('eno4', 'AA:00:00:00:00:04', { device: 'leaf-2', port: 'swp4' }),
      ),
    });
    expect(result.rows.map((r) => [r.nic, r.netboxInterface, r.verdict])).toEqual([
      ['eno1', 'eno1', 'match'],
      [null, 'eno4', 'absent'],
    ]);
    expect(result.failures).toEqual([]);
  });

  test('several neighbours on one NIC match when one of them is the cabled port', () => {
    const duo = new Map<string, LldpNeighbour[]>([['eno1', [...heard.get('eno2')!, ...heard.get('eno1')!]]]);
    const result = compareCabling({ nics: NICS.slice(0, 1), neighbours: duo, netboxPorts: netbox });
    expect(result.rows[0]!.verdict).toBe('match');
    expect(result.rows[0]!.note).toContain('1 more neighbour');
  });

  test('without NetBox, neighbours are reported and a linked NIC without one fails', () => {
    const result = compareCabling({ nics: NICS, neighbours: heard, netboxPorts: null });
    expect(result.rows.map((r) => r.verdict)).toEqual(['seen', 'seen', 'missing']);
    expect(result.failures).toEqual(['eno3 has link but no LLDP neighbour was heard']);
  });

  test('without NetBox, an unlinked NIC is not a failure', () => {
    const result = compareCabling({ nics: [nic('eno3', '02:00:5e:10:00:03', false)], neighbours: heard, netboxPorts: null });
    expect(result.rows[0]).toMatchObject({ verdict: 'no-link', severity: 'info' });
  });
});

describe('waiting', () => {
  test('NICs with carrier or a NetBox cable are awaited until they have a neighbour', () => {
    const netbox = ports(netboxInterface('eno3', '02:00:5E:10:00:03', { device: 'leaf-1', port: 'swp10' }));
    const nics = [nic('eno1', '02:00:5e:10:00:01'), nic('eno2', '02:00:5e:10:00:02', false), nic('eno3', '02:00:5e:10:00:03', false)];
    expect(awaitedNics({ nics, neighbours: heard, netboxPorts: netbox })).toEqual({ awaited: ['eno1', 'eno3'], waiting: ['eno3'] });
  });

  test('nothing is awaited before any link comes up', () => {
    expect(awaitedNics({ nics: [nic('eno1', '02:00:5e:10:00:01', false)], neighbours: new Map(), netboxPorts: null })).toEqual({ awaited: [], waiting: [] });
  });
});

describe('table', () => {
  test('has the columns NIC, MAC, NetBox says, LLDP sees, VLAN, mgmt IP, verdict', () => {
    expect([...TABLE_COLUMNS]).toEqual(['NIC', 'MAC', 'NetBox says', 'LLDP sees', 'VLAN', 'mgmt IP', 'verdict']);
  });

  test('one row per NIC with both sides, the management IP and the verdict', () => {
    const netbox = ports(
      netboxInterface('eno1', '02:00:5E:10:00:01', { device: 'leaf-1', port: 'swp7' }),
      netboxInterface('eno2', '02:00:5E:10:00:02', { device: 'leaf-1', port: 'swp9' }),
    );
    const table = cablingTable(compareCabling({ nics: NICS, neighbours: heard, netboxPorts: netbox }));
    expect(table.rows).toEqual([
      ['eno1', '02:00:5e:10:00:01', 'leaf-1 swp7', 'leaf-1 swp7', '—', '192.0.2.10', 'match'],
      ['eno2', '02:00:5e:10:00:02', 'leaf-1 swp9', 'leaf-1 swp8', '—', '192.0.2.10', 'mismatch'],
      ['eno3', '02:00:5e:10:00:03', 'not cabled', '—', '—', '—', 'no-neighbour'],
    ]);
  });

  test('VLANs list the native one first', () => {
    expect(
      formatVlans([
        { id: 200, pvid: false, name: null },
        { id: 100, pvid: true, name: null },
        { id: 150, pvid: false, name: null },
      ]),
    ).toBe('100 native, 150, 200');
  });
});
