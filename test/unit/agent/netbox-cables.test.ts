/**
 * Cable paths as the real NetBox 4.7.3 returns them (captured by
 * test/fixtures/netbox/capture-patch-panels.ts), through shared/netbox/cables.ts
 * and into the LLDP comparison.
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cablingTable, compareCabling, netboxPortsOf, type NicObservation } from '../../../agent/lldp/compare.ts';
import type { LldpNeighbour } from '../../../agent/tools/lldpcli.parse.ts';
import { cablePathEndOf, describePathStop, farEndOf, pathStopsShort, stopOfTrace, type CableTrace, type Interface } from '../../../shared/netbox/index.ts';

const capture = JSON.parse(readFileSync(join(import.meta.dir, '../../fixtures/netbox/netbox-4.7.3-patch-panels.json'), 'utf8')) as {
  netbox: string;
  interfaces: { results: Interface[] };
  traces: Record<string, CableTrace>;
};
const byName = Object.fromEntries(capture.interfaces.results.map((i) => [i.name, i]));
const iface = (name: string) => byName[name]!;
const trace = (name: string) => capture.traces[name]!;

describe('what NetBox 4.7.3 returns for patch panels', () => {
  test('the capture is from the real NetBox 4.7.3', () => {
    expect(capture.netbox).toBe('4.7.3');
  });

  test('through two panels, link_peers is the first front port and connected_endpoints the switch port', () => {
    const eno1 = iface('eno1');
    expect(eno1.link_peers_type).toBe('dcim.frontport');
    expect((eno1.link_peers[0] as { device: { name: string }; name: string }).name).toBe('F1');
    expect(eno1.connected_endpoints_reachable).toBe(true);
    expect(farEndOf(eno1)).toMatchObject({ deviceName: 'leaf-pp', interfaceName: 'swp7' });
  });

  test('a path that stops at a panel has a cable and a front-port peer but no endpoints', () => {
    for (const name of ['eno2', 'eno3']) {
      const i = iface(name);
      expect({
        name,
        cable: i.cable !== null,
        peers: i.link_peers_type,
        endpoints: i.connected_endpoints,
        type: i.connected_endpoints_type,
        reachable: i.connected_endpoints_reachable,
      }).toEqual({
        name,
        cable: true,
        peers: 'dcim.frontport',
        endpoints: null,
        type: null,
        reachable: false,
      });
      expect(pathStopsShort(i)).toBe(true);
    }
  });

  test('an uncabled interface has no cable, null endpoints and an empty trace', () => {
    expect(iface('eno5').cable).toBeNull();
    expect(iface('eno5').connected_endpoints).toBeNull();
    expect(pathStopsShort(iface('eno5'))).toBe(false);
    expect(trace('eno5')).toEqual([]);
  });

  test('a planned cable still gives the far end, but not reachable', () => {
    expect(cablePathEndOf(iface('eno6'))).toMatchObject({ kind: 'interface', reachable: false, farEnd: { deviceName: 'leaf-pp', interfaceName: 'swp9' } });
  });
});

describe('where a cable path ends', () => {
  test('complete paths end on the switch port, direct or through panels', () => {
    expect(cablePathEndOf(iface('eno1'))).toMatchObject({ kind: 'interface', reachable: true, farEnd: { interfaceName: 'swp7' } });
    expect(cablePathEndOf(iface('eno4'))).toMatchObject({ kind: 'interface', reachable: true, farEnd: { interfaceName: 'swp8' } });
    expect(cablePathEndOf(iface('eno5'))).toEqual({ kind: 'none' });
  });

  test('the trace names the port a path stops at: the uncabled front port of the second panel', () => {
    expect(stopOfTrace(trace('eno2'))).toEqual({ deviceName: 'ppb', portName: 'F2', portType: 'dcim.frontport' });
    expect(cablePathEndOf(iface('eno2'), trace('eno2'))).toEqual({ kind: 'stops', at: { deviceName: 'ppb', portName: 'F2', portType: 'dcim.frontport' } });
  });

  test('the trace names the uncabled rear port of a single panel', () => {
    expect(stopOfTrace(trace('eno3'))).toEqual({ deviceName: 'ppc', portName: 'R1', portType: 'dcim.rearport' });
    expect(describePathStop(stopOfTrace(trace('eno3')))).toBe('patch panel ppc port R1');
  });

  test('without a trace the first hop stands in', () => {
    expect(cablePathEndOf(iface('eno3'))).toEqual({ kind: 'stops', at: { deviceName: 'ppc', portName: 'F1', portType: 'dcim.frontport' } });
  });

  test('a path ending on something else than an interface says what it is', () => {
    expect(cablePathEndOf({ ...iface('eno4'), connected_endpoints_type: 'circuits.circuittermination' })).toEqual({
      kind: 'other',
      endpointType: 'circuits.circuittermination',
    });
  });
});

describe('the LLDP comparison on the captured cabling', () => {
  const neighbour = (local: string, port: string): LldpNeighbour => ({
    localInterface: local,
    via: 'LLDP',
    chassisName: 'leaf-pp',
    chassisId: '02:00:00:00:00:99',
    chassisIdType: 'mac',
    portId: port,
    portIdType: 'ifname',
    portDescr: null,
    mgmtIps: [],
    vlans: [],
    age: null,
  });
  const nics: NicObservation[] = ['eno1', 'eno2', 'eno3', 'eno5'].map((name) => ({ name, mac: null, carrier: true }));
  const ports = netboxPortsOf(
    capture.interfaces.results,
    new Map(
      [
        ['eno2', trace('eno2')],
        ['eno3', trace('eno3')],
      ].map(([n, t]) => [iface(n as string).id, t as CableTrace]),
    ),
  );
  const comparison = compareCabling({
    nics,
    neighbours: new Map([
      ['eno1', [neighbour('eno1', 'swp7')]],
      ['eno2', [neighbour('eno2', 'swp10')]],
    ]),
    netboxPorts: ports,
  });

  test('a NIC behind two panels matches the far switch port', () => {
    expect(comparison.rows[0]).toMatchObject({ nic: 'eno1', verdict: 'match', expected: { device: 'leaf-pp', port: 'swp7' } });
  });

  test('a path stopping at a panel says where, not "no cable", and warns instead of failing', () => {
    expect(comparison.rows.slice(1, 3).map((r) => [r.nic, r.verdict, r.severity, r.note])).toEqual([
      [
        'eno2',
        'incomplete-path',
        'warning',
        'eno2: path stops at patch panel ppb port F2: not cabled further; LLDP sees leaf-pp swp10: complete the cabling in NetBox',
      ],
      [
        'eno3',
        'incomplete-path',
        'warning',
        'eno3: path stops at patch panel ppc port R1: not cabled further; no LLDP neighbour was heard: complete the cabling in NetBox',
      ],
    ]);
    expect(comparison.failures).toEqual([]);
  });

  test('the table shows where the path stops in the NetBox column', () => {
    expect(cablingTable(comparison).rows.map((r) => [r[0], r[2], r[6]])).toEqual([
      ['eno1', 'leaf-pp swp7', 'match'],
      ['eno2', 'stops at ppb F2', 'incomplete-path'],
      ['eno3', 'stops at ppc R1', 'incomplete-path'],
      ['eno5', 'not cabled', 'no-neighbour'],
      ['(eno4)', 'leaf-pp swp8', 'absent'],
      ['(eno6)', 'leaf-pp swp9', 'absent'],
    ]);
  });
});
