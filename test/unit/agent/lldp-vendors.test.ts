/**
 * The 04-lldp verdict over the way real switches identify themselves: Junos,
 * SONiC, Cisco IOS-XE (LLDP and CDP), NX-OS, Arista EOS, and a switch sending a
 * MAC port id and no system name. Neighbours come from real lldpd captures of a
 * lab switch configured the vendor's way (test/fixtures/lldpcli/README.md) or,
 * where lldpd cannot send what the vendor sends (an interface-name port id with a
 * `/`, a CDP device id with the serial), from `lldpdFrame()`, which writes the
 * json0 element lldpd writes (checked against the real captures below).
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareCabling, type LldpVerdict, type NetboxPort, type Severity } from '../../../agent/lldp/compare.ts';
import { type FarDevice, type FarInterface, farDeviceOf, identifyNeighbour } from '../../../agent/lldp/identify.ts';
import { canonicalPortName, portNameForms, samePort } from '../../../agent/lldp/names.ts';
import { type LldpNeighbour, parseLldpcliJson0 } from '../../../agent/tools/lldpcli.parse.ts';
import type { Device, Interface } from '../../../shared/netbox/index.ts';

const capture = (file: string) => readFileSync(join(import.meta.dir, '../../fixtures/lldpcli', file), 'utf8');
const captured = (file: string, nic: string): LldpNeighbour => {
  const found = parseLldpcliJson0(capture(file)).find((n) => n.localInterface === nic);
  if (!found) throw new Error(`${file} has no neighbour on ${nic}`);
  return found;
};

interface FrameSpec {
  via?: string;
  chassisId: { type: string; value: string };
  sysName?: string;
  mgmtIps?: string[];
  portId: { type: string; value: string };
  portDescr?: string;
}

/** One neighbour as lldpd 1.0.16 writes it in `-f json0 show neighbors details` (the identifying elements). */
function lldpdFrame(spec: FrameSpec, nic = 'eno1'): Record<string, unknown> {
  return {
    name: nic,
    via: spec.via ?? 'LLDP',
    rid: '1',
    age: '0 day, 00:00:01',
    chassis: [
      {
        id: [spec.chassisId],
        ...(spec.sysName !== undefined ? { name: [{ value: spec.sysName }] } : {}),
        ...(spec.mgmtIps?.length ? { 'mgmt-ip': spec.mgmtIps.map((value) => ({ value })) } : {}),
      },
    ],
    port: [{ id: [spec.portId], ...(spec.portDescr !== undefined ? { descr: [{ value: spec.portDescr }] } : {}) }],
  };
}

const handBuilt = (spec: FrameSpec): LldpNeighbour => parseLldpcliJson0(JSON.stringify({ lldp: [{ interface: [lldpdFrame(spec)] }] }))[0]!;

describe('the hand-built frames are what lldpd writes', () => {
  test.each([
    ['json0-junos-local-ifindex.json', 'eno1'],
    ['json0-sonic-local-alias.json', 'eno1'],
    ['json0-cdp-ios.json', 'eno1'],
    ['json0-mac-portid-no-sysname.json', 'eno1'],
  ])('%s %s: same identifying elements and the same parse', (file, nic) => {
    const real = (JSON.parse(capture(file)) as { lldp: [{ interface: Record<string, unknown>[] }] }).lldp[0].interface.find((i) => i.name === nic)!;
    const n = captured(file, nic);
    const spec: FrameSpec = {
      via: n.via!,
      chassisId: { type: n.chassisIdType!, value: n.chassisId! },
      ...(n.chassisName !== null ? { sysName: n.chassisName } : {}),
      mgmtIps: n.mgmtIps,
      portId: { type: n.portIdType!, value: n.portId! },
      ...(n.portDescr !== null ? { portDescr: n.portDescr } : {}),
    };
    const built = lldpdFrame(spec, nic) as { chassis: Record<string, unknown>[]; port: Record<string, unknown>[] };
    const realChassis = (real.chassis as Record<string, unknown>[])[0]!;
    const realPort = (real.port as Record<string, unknown>[])[0]!;
    for (const key of ['id', 'name', 'mgmt-ip']) expect(built.chassis[0]![key]).toEqual(realChassis[key]);
    for (const key of ['id', 'descr']) expect(built.port[0]![key]).toEqual(realPort[key]);
    expect({ ...handBuilt(spec), localInterface: nic, age: n.age }).toEqual(n);
  });
});

// Hand-built: what these switches send and lldpd cannot (an interface-name port id with `/`, a CDP device id with a serial).
const IOS_XE_LLDP = (port: string) =>
  handBuilt({
    chassisId: { type: 'mac', value: '70:0f:6a:11:22:33' },
    sysName: 'c9300-1.example.net',
    mgmtIps: ['192.0.2.30'],
    portId: { type: 'ifname', value: port },
    portDescr: 'srv-1 eno1',
  });
const NXOS_LLDP = handBuilt({
  chassisId: { type: 'mac', value: '00:3a:9c:44:55:66' },
  sysName: 'n9k-1',
  mgmtIps: ['192.0.2.70'],
  portId: { type: 'ifname', value: 'Eth1/12' },
  portDescr: 'srv-1 eno1',
});
const NXOS_CDP = handBuilt({
  via: 'CDPv2',
  chassisId: { type: 'local', value: 'n9k-1(FDO21120U8N)' },
  sysName: 'n9k-1(FDO21120U8N)',
  mgmtIps: ['192.0.2.70'],
  portId: { type: 'ifname', value: 'Ethernet1/12' },
  portDescr: 'Ethernet1/12',
});
const ARISTA = (port: string) =>
  handBuilt({
    chassisId: { type: 'mac', value: '44:4c:a8:77:88:99' },
    sysName: 'leaf-3.dc1.example.net',
    mgmtIps: ['192.0.2.80'],
    portId: { type: 'ifname', value: port },
    portDescr: 'srv-1 eno1',
  });
const OLD_JUNOS = handBuilt({
  chassisId: { type: 'mac', value: '54:4b:8c:aa:bb:cc' },
  sysName: 'ex4300-1',
  portId: { type: 'local', value: '523' },
  portDescr: 'ge-0/0/5.0',
});

let nextId = 100;
type PortSpec = string | (Partial<FarInterface> & { name: string });
/** A switch as NetBox has it: name, serial, IPs and its interfaces (with labels, descriptions, MACs where given). */
function netboxSwitch(name: string, ports: PortSpec[], extra: Partial<Omit<FarDevice, 'interfaces'>> = {}): FarDevice {
  return {
    id: nextId++,
    name,
    serial: null,
    ips: [],
    ...extra,
    interfaces: ports.map((p) => {
      const spec = typeof p === 'string' ? { name: p } : p;
      return { id: nextId++, label: null, description: null, macs: [], ...spec };
    }),
  };
}

/** The verdict on one NIC hearing `neighbour`, cabled in NetBox to `sw`'s `port`. */
function verdictOn(neighbour: LldpNeighbour, sw: FarDevice, port: string) {
  const iface = sw.interfaces.find((i) => i.name === port)!;
  const farEnd = { deviceId: sw.id, deviceName: sw.name!, interfaceId: iface.id, interfaceName: iface.name };
  const netboxPort: NetboxPort = { interfaceId: 1, name: 'eno1', macs: [], farEnd, path: { kind: 'interface', farEnd, reachable: true } };
  const nic = { name: neighbour.localInterface, mac: null, carrier: true };
  const comparison = compareCabling({
    nics: [nic],
    neighbours: new Map([[nic.name, [neighbour]]]),
    netboxPorts: [{ ...netboxPort, name: nic.name }],
    farDevices: new Map([[sw.id, sw]]),
  });
  return comparison.rows[0]!;
}

const junos = (nic: string) => captured('json0-junos-local-ifindex.json', nic);
const sonic = (nic: string) => captured('json0-sonic-local-alias.json', nic);
const cdp = (nic: string) => captured('json0-cdp-ios.json', nic);
const macNoName = () => captured('json0-mac-portid-no-sysname.json', 'eno1');

const QFX = ['xe-0/0/17', 'xe-0/0/18', { name: 'xe-0/0/19', description: 'srv-1 eno2' }];
const C9300 = ['TwoGigabitEthernet1/0/7', 'TwoGigabitEthernet1/0/8', 'TwentyFiveGigE1/0/7', 'TwentyFiveGigE1/1/1', 'TwoGigabitEthernet1/1/1'];

const cases: [string, () => LldpNeighbour, FarDevice, string, LldpVerdict, Severity, string][] = [
  // Junos: port id `local` = the ifIndex, the name (or the configured description) in the port description.
  [
    'Junos: ifIndex 541, name in the port description',
    () => junos('eno1'),
    netboxSwitch('qfx5100-1', QFX),
    'xe-0/0/17',
    'match',
    'ok',
    'eno1 is on qfx5100-1 xe-0/0/17',
  ],
  [
    'Junos: the description names another port',
    () => junos('eno1'),
    netboxSwitch('qfx5100-1', QFX),
    'xe-0/0/18',
    'mismatch',
    'failure',
    'wrong port: NetBox says qfx5100-1 xe-0/0/18, LLDP sees qfx5100-1 541 (xe-0/0/17)',
  ],
  ['Junos: a configured description NetBox carries', () => junos('eno2'), netboxSwitch('qfx5100-1', QFX), 'xe-0/0/19', 'match', 'ok', 'as NetBox says'],
  [
    'Junos: a configured description NetBox does not know',
    () => junos('eno2'),
    netboxSwitch('qfx5100-1', ['xe-0/0/17', 'xe-0/0/18']),
    'xe-0/0/18',
    'unidentified',
    'warning',
    'cannot identify the far port: NetBox says qfx5100-1 xe-0/0/18, the switch sends LLDP: chassis id (mac)',
  ],
  [
    'Junos (older): logical unit 0 in the description',
    () => OLD_JUNOS,
    netboxSwitch('ex4300-1', ['ge-0/0/5', 'ge-0/0/6']),
    'ge-0/0/5',
    'match',
    'ok',
    'as NetBox says',
  ],
  [
    'Junos: another switch',
    () => junos('eno1'),
    netboxSwitch('qfx5100-2', QFX),
    'xe-0/0/17',
    'mismatch',
    'failure',
    'wrong switch: NetBox says qfx5100-2 xe-0/0/17',
  ],
  [
    'Junos: NetBox names the switch otherwise, its primary IP is the management address',
    () => junos('eno1'),
    netboxSwitch('dc1-qfx-a', QFX, { ips: ['192.0.2.40'] }),
    'xe-0/0/17',
    'match',
    'ok',
    'as NetBox says',
  ],
  // SONiC: port id `local` = the alias (etp8) of Ethernet28; the description is the operator's, or the name when none.
  [
    'SONiC: the alias is the NetBox label',
    () => sonic('eno1'),
    netboxSwitch('sonic-leaf-1', [
      { name: 'Ethernet28', label: 'etp8' },
      { name: 'Ethernet32', label: 'etp9' },
    ]),
    'Ethernet28',
    'match',
    'ok',
    'as NetBox says',
  ],
  [
    'SONiC: the alias is the NetBox description',
    () => sonic('eno1'),
    netboxSwitch('sonic-leaf-1', [{ name: 'Ethernet28', description: 'etp8' }, 'Ethernet32']),
    'Ethernet28',
    'match',
    'ok',
    'as NetBox says',
  ],
  [
    'SONiC: NetBox knows no alias',
    () => sonic('eno1'),
    netboxSwitch('sonic-leaf-1', ['Ethernet28', 'Ethernet32']),
    'Ethernet28',
    'unidentified',
    'warning',
    'cannot identify the far port: NetBox says sonic-leaf-1 Ethernet28, the switch sends LLDP: chassis id (mac)',
  ],
  [
    'SONiC: the alias is another port’s label',
    () => sonic('eno1'),
    netboxSwitch('sonic-leaf-1', [
      { name: 'Ethernet28', label: 'etp8' },
      { name: 'Ethernet32', label: 'etp9' },
    ]),
    'Ethernet32',
    'mismatch',
    'failure',
    'wrong port',
  ],
  [
    'SONiC: no description, so the name is the port description',
    () => sonic('eno2'),
    netboxSwitch('sonic-leaf-1', ['Ethernet28', 'Ethernet32']),
    'Ethernet32',
    'match',
    'ok',
    'as NetBox says',
  ],
  // Cisco IOS-XE over LLDP: the short name as an interface-name port id.
  [
    'IOS-XE: Tw is TwoGigabitEthernet',
    () => IOS_XE_LLDP('Tw1/0/7'),
    netboxSwitch('c9300-1', C9300),
    'TwoGigabitEthernet1/0/7',
    'match',
    'ok',
    'as NetBox says',
  ],
  [
    'IOS-XE: Tw is not TwentyFiveGigE',
    () => IOS_XE_LLDP('Tw1/0/7'),
    netboxSwitch('c9300-1', C9300),
    'TwentyFiveGigE1/0/7',
    'mismatch',
    'failure',
    'wrong port: NetBox says c9300-1 TwentyFiveGigE1/0/7, LLDP sees c9300-1.example.net Tw1/0/7',
  ],
  ['IOS-XE: Twe is TwentyFiveGigE', () => IOS_XE_LLDP('Twe1/1/1'), netboxSwitch('c9300-1', C9300), 'TwentyFiveGigE1/1/1', 'match', 'ok', 'as NetBox says'],
  [
    'IOS-XE: Twe is not TwoGigabitEthernet',
    () => IOS_XE_LLDP('Twe1/1/1'),
    netboxSwitch('c9300-1', C9300),
    'TwoGigabitEthernet1/1/1',
    'mismatch',
    'failure',
    'wrong port',
  ],
  // Cisco IOS over CDP (LLDP off): the full name as port id, the host name as device id.
  ['IOS-XE CDP: the full name', () => cdp('eno1'), netboxSwitch('c9300-1', C9300), 'TwoGigabitEthernet1/0/7', 'match', 'ok', 'as NetBox says'],
  ['IOS-XE CDP: NetBox has the short name', () => cdp('eno1'), netboxSwitch('c9300-1', ['Tw1/0/7', 'Twe1/1/1']), 'Tw1/0/7', 'match', 'ok', 'as NetBox says'],
  [
    'IOS-XE CDP: TwentyFiveGigE is not TwoGigabitEthernet',
    () => cdp('eno2'),
    netboxSwitch('c9300-1', C9300),
    'TwoGigabitEthernet1/1/1',
    'mismatch',
    'failure',
    'wrong port: NetBox says c9300-1 TwoGigabitEthernet1/1/1, LLDP sees c9300-1 TwentyFiveGigE1/1/1 via CDPv2',
  ],
  // NX-OS: `Eth1/12` over LLDP; CDP's device id carries the serial.
  ['NX-OS: Eth is Ethernet', () => NXOS_LLDP, netboxSwitch('n9k-1', ['Ethernet1/12', 'Ethernet1/13']), 'Ethernet1/12', 'match', 'ok', 'as NetBox says'],
  ['NX-OS: another port', () => NXOS_LLDP, netboxSwitch('n9k-1', ['Ethernet1/12', 'Ethernet1/13']), 'Ethernet1/13', 'mismatch', 'failure', 'wrong port'],
  ['NX-OS CDP: device id with the serial', () => NXOS_CDP, netboxSwitch('n9k-1', ['Ethernet1/12']), 'Ethernet1/12', 'match', 'ok', 'as NetBox says'],
  [
    'NX-OS CDP: NetBox names it otherwise, the serial in the device id is its serial',
    () => NXOS_CDP,
    netboxSwitch('dc1-n9k-a', ['Ethernet1/12'], { serial: 'FDO21120U8N' }),
    'Ethernet1/12',
    'match',
    'ok',
    'as NetBox says',
  ],
  // Arista EOS: full names, an FQDN system name; NetBox may abbreviate (`Et12`, `Ma1`).
  [
    'Arista: FQDN and full name',
    () => ARISTA('Ethernet12'),
    netboxSwitch('leaf-3', ['Ethernet12', 'Ethernet13']),
    'Ethernet12',
    'match',
    'ok',
    'as NetBox says',
  ],
  ['Arista: NetBox abbreviates Et', () => ARISTA('Ethernet12'), netboxSwitch('leaf-3', ['Et12', 'Et13']), 'Et12', 'match', 'ok', 'as NetBox says'],
  ['Arista: another port', () => ARISTA('Ethernet12'), netboxSwitch('leaf-3', ['Et12', 'Et13']), 'Et13', 'mismatch', 'failure', 'wrong port'],
  ['Arista: Ma is Management', () => ARISTA('Management1'), netboxSwitch('leaf-3', ['Ma1', 'Et12']), 'Ma1', 'match', 'ok', 'as NetBox says'],
  // A MAC port id carries no name; no system name says nothing about the switch.
  [
    'MAC port id, no system name, nothing in NetBox to compare',
    macNoName,
    netboxSwitch('leaf-9', ['swp7', 'swp8']),
    'swp7',
    'unidentified',
    'warning',
    'cannot identify the far switch and port: NetBox says leaf-9 swp7, the switch sends LLDP: chassis id (local) FOC2231X0AB, no system name, ' +
      'port id (mac) 02:00:5e:20:00:07, port description srv-1 eno1, management address 192.0.2.60',
  ],
  [
    'MAC port id, no system name: the chassis id is the serial, the port’s MAC is in NetBox',
    macNoName,
    netboxSwitch('leaf-9', [{ name: 'swp7', macs: ['02:00:5E:20:00:07'] }, 'swp8'], { serial: 'FOC2231X0AB' }),
    'swp7',
    'match',
    'ok',
    'as NetBox says',
  ],
  [
    'MAC port id: the MAC is another port’s in NetBox',
    macNoName,
    netboxSwitch('leaf-9', [{ name: 'swp7', macs: ['02:00:5E:20:00:07'] }, 'swp8'], { serial: 'FOC2231X0AB' }),
    'swp8',
    'mismatch',
    'failure',
    'wrong port: NetBox says leaf-9 swp8, LLDP sees FOC2231X0AB srv-1 eno1',
  ],
  [
    'MAC port id: the switch is known by its serial, the port by nothing',
    macNoName,
    netboxSwitch('leaf-9', ['swp7', 'swp8'], { serial: 'FOC2231X0AB' }),
    'swp7',
    'unidentified',
    'warning',
    'cannot identify the far port: NetBox says leaf-9 swp7',
  ],
];

describe('vendor styles against NetBox', () => {
  test.each(cases)('%s', (_title, neighbour, sw, port, verdict, severity, note) => {
    const row = verdictOn(neighbour(), sw, port);
    expect({ verdict: row.verdict, severity: row.severity }).toEqual({ verdict, severity });
    expect(row.note).toContain(note);
  });

  test('a match says which identifiers matched', () => {
    expect(verdictOn(junos('eno1'), netboxSwitch('qfx5100-1', QFX), 'xe-0/0/17').matchedBy).toEqual(['system name', 'port description']);
    expect(
      verdictOn(macNoName(), netboxSwitch('leaf-9', [{ name: 'swp7', macs: ['02:00:5E:20:00:07'] }], { serial: 'FOC2231X0AB' }), 'swp7').matchedBy,
    ).toEqual(['chassis id = serial', 'port id (mac)']);
  });

  test('without NetBox’s record of the switch, only names compare: an ifIndex alone is unidentified, not wrong', () => {
    const farEnd = { deviceId: 7, deviceName: 'qfx5100-1', interfaceId: 8, interfaceName: 'xe-0/0/18' };
    const bare = { ...junos('eno1'), portDescr: null };
    expect(identifyNeighbour(bare, farEnd)).toEqual({ switch: 'same', port: 'unknown', matchedBy: ['system name'] });
  });
});

describe('NetBox records → FarDevice', () => {
  test('name, serial, primary and OOB addresses without prefix length, interfaces with label, description and MACs', () => {
    const device = {
      id: 9,
      name: 'leaf-9',
      serial: 'FOC2231X0AB',
      primary_ip4: { id: 1, url: '', display: '', address: '192.0.2.60/24' },
      primary_ip6: { id: 2, url: '', display: '', address: '2001:DB8::60/64' },
      oob_ip: null,
    } as Pick<Device, 'id' | 'name' | 'serial' | 'primary_ip4' | 'primary_ip6' | 'oob_ip'>;
    const iface = { id: 70, name: 'swp7', label: 'p7', description: '', mac_address: '02:00:5E:20:00:07', mac_addresses: [] } as unknown as Interface;
    expect(farDeviceOf(device, [iface])).toEqual({
      id: 9,
      name: 'leaf-9',
      serial: 'FOC2231X0AB',
      ips: ['192.0.2.60', '2001:db8::60'],
      interfaces: [{ id: 70, name: 'swp7', label: 'p7', description: null, macs: ['02:00:5E:20:00:07'] }],
    });
  });
});

describe('interface name abbreviations (the vendors’ own lists)', () => {
  test.each([
    ['Tw1/0/7', 'TwoGigabitEthernet1/0/7'],
    ['Two1/0/7', 'TwoGigabitEthernet1/0/7'],
    ['Twe1/1/1', 'TwentyFiveGigE1/1/1'],
    ['Fi1/0/3', 'FiveGigabitEthernet1/0/3'],
    ['Fi0/0/0/3', 'FiftyGigE0/0/0/3'],
    ['Te1/0/1', 'TenGigabitEthernet1/0/1'],
    ['Te0/0/0/1', 'TenGigE0/0/0/1'],
    ['Fo1/0/1', 'FortyGigabitEthernet1/0/1'],
    ['Hu1/0/49', 'HundredGigE1/0/49'],
    ['Hu0/0/0/1', 'HundredGigabitEthernet0/0/0/1'],
    ['Tf0/0/0/1', 'TwentyFiveGigE0/0/0/1'],
    ['Fh0/0/0/1', 'FourHundredGigE0/0/0/1'],
    ['Ap1/0/1', 'AppGigabitEthernet1/0/1'],
    ['Gi1/0/1', 'GigabitEthernet 1/0/1'],
    ['Fa0/1', 'FastEthernet0/1'],
    ['Po10', 'Port-channel10'],
    ['Po10', 'Port-Channel10'],
    ['Eth1/1', 'Ethernet1/1'],
    ['Et1', 'Ethernet1'],
    ['Ma1', 'Management1'],
    ['mgmt0', 'Management0'],
    ['xe-0/0/17.0', 'xe-0/0/17'],
  ])('%s is %s', (a, b) => {
    expect(samePort(a, b)).toBe(true);
    expect(samePort(b, a)).toBe(true);
  });

  test.each([
    ['Tw1/0/7', 'TwentyFiveGigE1/0/7'],
    ['Twe1/0/7', 'TwoGigabitEthernet1/0/7'],
    ['Te1/0/1', 'TwentyFiveGigE1/0/1'],
    ['Fi1/0/3', 'FortyGigabitEthernet1/0/3'],
    ['Gi1/0/1.100', 'GigabitEthernet1/0/1'],
    ['xe-0/0/17.1', 'xe-0/0/17'],
    ['etp8', 'Ethernet28'],
    ['541', 'xe-0/0/17'],
  ])('%s is not %s', (a, b) => {
    expect(samePort(a, b)).toBe(false);
  });

  test('an abbreviation two vendors read differently keeps both readings', () => {
    expect(portNameForms('Fi1/0/3')).toEqual(['fivegigabitethernet1/0/3', 'fiftygige1/0/3']);
    expect(canonicalPortName('TwentyFiveGigabitEthernet1/1/1')).toBe('twentyfivegige1/1/1');
  });
});
