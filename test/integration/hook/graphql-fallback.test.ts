/**
 * Two ways of reading, one decision: on the same NetBox data (simulator, least-privilege token),
 * observe() by GraphQL (one request) and observeRest() reach the same Observation for every kind
 * of lease; NetBox without the GraphQL filters (4.2), with GRAPHQL_ENABLED=False, or answering
 * GraphQL with `errors` (an IP on a VM the token may not view) or junk is read by REST, logged
 * once per process; NetBox failing (503) is an error that keeps the event, never "no device".
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import {
  clearGraphqlState,
  GRAPHQL_VIEW_CHECKS,
  observe,
  observeRest,
  VrfNotFoundError,
  type Observation,
  type ObserveOptions,
} from '../../../hook/observe.ts';
import type { LeaseEvent } from '../../../hook/lease.ts';
import { classifyFailure } from '../../../shared/failure.ts';
import { createMemoryLogger } from '../../../shared/log.ts';
import { parseMac } from '../../../shared/mac.ts';
import { clearVersionCache, createNetboxClient, type NetboxClient } from '../../../shared/netbox/index.ts';
import { createFixtures, randomMac, randomNet, type Fixtures } from '../../helpers/netbox-fixtures.ts';
import { startSimulator, type Simulator } from '../../netbox-sim/index.ts';

/** What the FSM and the actions read of an Observation (REST objects carry more fields). */
function summary(o: Observation): unknown {
  switch (o.kind) {
    case 'no-device':
      return { ...o };
    case 'unchanged':
      return { kind: o.kind, from: o.from, when: o.when, device: o.device.id, ip: o.ip.id };
    case 'not-bmc':
      return { kind: o.kind, from: o.from, when: o.when, device: o.device.id, interfaces: o.interfaces.map((i) => i.id) };
    case 'device':
      return {
        kind: o.kind,
        from: o.from,
        when: o.when,
        device: [o.device.id, o.device.status.value, o.device.oob_ip?.id ?? null],
        bmcInterface: [o.bmcInterface.id, o.bmcInterface.name],
        interfaceIps: o.interfaceIps.map((ip) => [ip.id, ip.address, ip.status.value, ip.vrf?.id ?? null]),
        scope: { ...o.scope, vrf: o.scope.vrf && { id: o.scope.vrf.id, name: o.scope.vrf.name }, alsoIn: o.scope.alsoIn.map((p) => p.id) },
        leaseIpObjects: o.leaseIpObjects.map((ip) => [ip.id, ip.assigned_object_type, ip.assigned_object_id]),
        owners: o.owners,
      };
  }
}

const lease = (ip: string, mac: string): LeaseEvent => ({
  v: 1,
  ip,
  mac: parseMac(mac)!,
  hostname: null,
  source: 'dhcpd',
  receivedAt: new Date().toISOString(),
});

interface Case {
  name: string;
  event: LeaseEvent;
  options?: Partial<ObserveOptions>;
  expected: Record<string, unknown>;
}

/** Seeds one NetBox with every kind of lease; returns the cases. */
async function seed(fx: Fixtures, u: string): Promise<Case[]> {
  const net = randomNet();
  await fx.createPrefix(net.prefix);
  const vrf = await fx.client.post<{ id: number; name: string }>('/api/ipam/vrfs/', { name: `oob-${u}` });
  fx.track('/api/ipam/vrfs/', vrf.id);
  const server = async (status: string, name = 'idrac', mgmtOnly = true) => {
    const device = await fx.createDevice({ status });
    const mac = randomMac('d0:94:66');
    const iface = await fx.createInterface(device.id, { name, mac, mgmtOnly });
    return { device, mac, iface };
  };
  const offline = await server('offline');
  const renewed = await server('discovered');
  const oob = await fx.createIp(`${net.host(11)}/24`, renewed.iface.id);
  await fx.client.patch(`/api/dcim/devices/${renewed.device.id}/`, { oob_ip: oob.id });
  const dataNic = await server('discovered', 'eth0', false);
  const twice = await server('offline');
  await fx.createInterface((await fx.createDevice()).id, { name: 'idrac', mac: twice.mac, mgmtOnly: true });
  const active = await server('active');
  await fx.createIp(`${net.host(13)}/24`, active.iface.id);
  const taken = await server('offline');
  const other = await server('active');
  await fx.createIp(`${net.host(14)}/24`, other.iface.id);
  const vm = await fx.client.post<{ id: number; name: string }>('/api/virtualization/virtual-machines/', {
    name: `vm-${u}`,
    site: fx.site.id,
    status: 'active',
  });
  fx.track('/api/virtualization/virtual-machines/', vm.id);
  const vmif = await fx.client.post<{ id: number }>('/api/virtualization/interfaces/', { virtual_machine: vm.id, name: 'eth0' });
  fx.track('/api/virtualization/interfaces/', vmif.id);
  const vmIp = await fx.client.post<{ id: number }>('/api/ipam/ip-addresses/', {
    address: `${net.host(15)}/24`,
    assigned_object_type: 'virtualization.vminterface',
    assigned_object_id: vmif.id,
  });
  fx.track('/api/ipam/ip-addresses/', vmIp.id);
  const inVrf = await server('offline');
  await fx.client.post('/api/ipam/prefixes/', { prefix: net.prefix.replace(/\.0\/24$/, '.128/26'), vrf: vrf.id, status: 'active' });
  return [
    { name: 'a new BMC', event: lease(net.host(10), offline.mac), expected: { kind: 'device', from: 'offline', when: 'ip-none' } },
    { name: 'an unchanged renewal', event: lease(net.host(11), renewed.mac), expected: { kind: 'unchanged', from: 'discovered' } },
    { name: 'a data NIC', event: lease(net.host(12), dataNic.mac), expected: { kind: 'not-bmc', when: 'mac-not-on-bmc' } },
    { name: 'an unknown MAC', event: lease(net.host(20), randomMac('d0:94:66')), expected: { kind: 'no-device', when: 'mac-unknown' } },
    { name: 'a MAC on two devices', event: lease(net.host(21), twice.mac), expected: { kind: 'no-device', when: 'mac-ambiguous' } },
    { name: 'an active device whose BMC IP differs', event: lease(net.host(22), active.mac), expected: { kind: 'device', when: 'ip-differs' } },
    { name: 'an IP owned by another device', event: lease(net.host(14), taken.mac), expected: { kind: 'device', when: 'ip-owned-elsewhere' } },
    { name: 'an IP owned by a VM', event: lease(net.host(15), taken.mac), expected: { kind: 'device', when: 'ip-owned-elsewhere' } },
    { name: 'a VRF prefix (most specific)', event: lease(net.host(130), inVrf.mac), expected: { kind: 'device', scope: { vrf: { id: vrf.id } } } },
    {
      name: 'ip.vrf by name',
      event: lease(net.host(200), inVrf.mac),
      options: { vrf: vrf.name },
      expected: { kind: 'device', scope: { vrf: { id: vrf.id }, configured: true, length: 32 } },
    },
    {
      name: 'ip.vrf by id',
      event: lease(net.host(130), inVrf.mac),
      options: { vrf: vrf.id },
      expected: { kind: 'device', scope: { vrf: { id: vrf.id }, length: 26 } },
    },
  ];
}

for (const flavour of ['4.4', '4.7'] as const) {
  describe(`GraphQL and REST read the same (simulator ${flavour}, least-privilege token)`, () => {
    let sim: Simulator;
    let client: NetboxClient;
    let cases: Case[];
    const log = createMemoryLogger('debug');
    beforeAll(async () => {
      clearVersionCache();
      clearGraphqlState();
      sim = await startSimulator({ port: 0, flavour });
      const fx = await createFixtures(sim.url, sim.token);
      cases = await seed(fx, `${flavour}-${Date.now().toString(36)}`);
      client = createNetboxClient({ url: sim.url, token: sim.leastPrivilegeToken, retries: 0 });
      await client.version();
      // The first GraphQL read of a process checks the token's view permissions by REST (4 reads, once).
      sim.clearRequests();
      await observe(client, lease(randomNet().host(1), randomMac()), { defaultPrefixLength: 32 });
      expect(sim.requests().map((r) => r.path)).toEqual([...GRAPHQL_VIEW_CHECKS, '/graphql/']);
    });
    afterAll(() => sim.close());

    test('every kind of lease: one GraphQL request, the same Observation as REST', async () => {
      for (const c of cases) {
        const options: ObserveOptions = { defaultPrefixLength: 32, log, ...c.options };
        sim.clearRequests();
        const byGraphql = await observe(client, c.event, options);
        const graphqlRequests = sim.requests().map((r) => `${r.method} ${r.path}`);
        const byRest = await observeRest(client, c.event, options);
        expect({ case: c.name, observation: byGraphql }).toMatchObject({ case: c.name, observation: c.expected });
        expect({ case: c.name, summary: summary(byGraphql) }).toEqual({ case: c.name, summary: summary(byRest) });
        // An IP on a VM the token may not view: GraphQL answers with errors, REST reads that lease.
        if (c.name === 'an IP owned by a VM') {
          expect(graphqlRequests[0]).toBe('POST /graphql/');
          expect(graphqlRequests.length).toBeGreaterThan(1);
          expect(JSON.stringify(summary(byGraphql))).toMatch(/VM #\d+ vm-/);
        } else expect({ case: c.name, requests: graphqlRequests }).toEqual({ case: c.name, requests: ['POST /graphql/'] });
      }
      const fallbacks = log.lines.filter((l) => l.includes('GraphQL answer was not usable'));
      expect(fallbacks.length).toBe(1);
      expect(fallbacks[0]).toContain('non-nullable field VMInterfaceType.virtual_machine');
    });

    test('a configured VRF NetBox does not have: VrfNotFoundError both ways', async () => {
      const c = cases[0]!;
      for (const vrf of ['no-such-vrf', 99999]) {
        await expect(observe(client, c.event, { defaultPrefixLength: 32, vrf })).rejects.toBeInstanceOf(VrfNotFoundError);
        await expect(observeRest(client, c.event, { defaultPrefixLength: 32, vrf })).rejects.toBeInstanceOf(VrfNotFoundError);
      }
    });

    test('GraphQL answering junk: REST for that lease; NetBox failing: an error that keeps the event', async () => {
      const c = cases[0]!;
      const options: ObserveOptions = { defaultPrefixLength: 32 };
      const expected = summary(await observeRest(client, c.event, options));
      sim.setFaults([{ kind: 'malformed', method: 'POST', pathPrefix: '/graphql/', times: 1 }]);
      sim.clearRequests();
      expect(summary(await observe(client, c.event, options))).toEqual(expected);
      expect(sim.requests().filter((r) => r.path === '/graphql/').length).toBe(1);
      expect(sim.requests().some((r) => r.path.startsWith('/api/'))).toBe(true);
      sim.setFaults([{ kind: 'status', status: 503, method: 'POST', pathPrefix: '/graphql/' }]);
      const failed = await observe(client, c.event, options).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(Error);
      expect((failed as Error).message).toContain('503');
      expect(classifyFailure(failed)).not.toBe('permanent');
      sim.setFaults([]);
      // Later leases go on by GraphQL.
      sim.clearRequests();
      expect(summary(await observe(client, c.event, options))).toEqual(expected);
      expect(sim.requests().map((r) => r.path)).toEqual(['/graphql/']);
    });
  });
}

describe('NetBox without usable GraphQL: REST, the same Observation', () => {
  for (const setup of [
    { name: '4.2 (before the GraphQL filters)', flavour: '4.2', graphqlEnabled: true, graphqlRequests: [0, 0] },
    { name: '4.7 with GRAPHQL_ENABLED=False', flavour: '4.7', graphqlEnabled: false, graphqlRequests: [1, 0] },
  ] as const) {
    test(setup.name, async () => {
      clearVersionCache();
      clearGraphqlState();
      const sim = await startSimulator({ port: 0, flavour: setup.flavour, graphqlEnabled: setup.graphqlEnabled });
      try {
        const fx = await createFixtures(sim.url, sim.token);
        const net = randomNet();
        await fx.createPrefix(net.prefix);
        const device = await fx.createDevice({ status: 'offline' });
        const mac = randomMac('d0:94:66');
        await fx.createInterface(device.id, { name: 'idrac', mac, mgmtOnly: true });
        const client = createNetboxClient({ url: sim.url, token: sim.leastPrivilegeToken, retries: 0 });
        await client.version();
        const log = createMemoryLogger('debug');
        const options: ObserveOptions = { defaultPrefixLength: 32, log };
        for (const graphqlRequests of setup.graphqlRequests) {
          sim.clearRequests();
          const observation = await observe(client, lease(net.host(10), mac), options);
          expect(observation).toMatchObject({ kind: 'device', from: 'offline', when: 'ip-none', scope: { length: 24 } });
          expect(sim.requests().filter((r) => r.path === '/graphql/').length).toBe(graphqlRequests);
          expect(summary(observation)).toEqual(summary(await observeRest(client, lease(net.host(10), mac), options)));
        }
        const warnings = log.lines.filter((l) => l.includes('GraphQL'));
        expect(warnings.length).toBe(setup.graphqlEnabled ? 0 : 1);
        if (!setup.graphqlEnabled) expect(warnings[0]).toContain('GRAPHQL_ENABLED=False');
      } finally {
        await sim.close();
      }
    });
  }
});
