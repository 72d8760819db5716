/**
 * How many NetBox requests the drainer spends per lease (issue 10 "economy"): a new BMC,
 * an unchanged renewal, a data NIC, and a storm of 200 new BMCs, counted by the
 * simulator's request log. NetBox's version is known beforehand, as the spool's cache
 * (hook/version-cache.ts) makes it for every drainer after the first; the counts are
 * printed for the record. Three NetBoxes: 4.6 reads a lease in one GraphQL request
 * (`POST /graphql/` counts as a read); 4.2 (before the GraphQL filters) and 4.6 with
 * GRAPHQL_ENABLED=False read it by REST.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { clearGraphqlState } from '../../../hook/observe.ts';
import { spoolVersionStore } from '../../../hook/version-cache.ts';
import { clearVersionCache, createNetboxClient, getDevice } from '../../../shared/netbox/index.ts';
import { startHookHarness, type HookHarness } from '../../helpers/hook-harness.ts';
import { randomMac, randomNet } from '../../helpers/netbox-fixtures.ts';

const WRITES = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);
/** A GraphQL query is a POST that reads. */
const isWrite = (r: { method: string; path: string }) => WRITES.has(r.method) && r.path !== '/graphql/';

/** Per NetBox: the most requests a new BMC, a renewal and a data NIC may cost (after the warm-up lease below). */
const SETUPS = [
  { name: '4.6, GraphQL', flavour: '4.6', graphqlEnabled: true, newBmc: 4, renewalReads: 1, dataNicReads: 1 },
  { name: '4.2, REST (no GraphQL filters)', flavour: '4.2', graphqlEnabled: true, newBmc: 7, renewalReads: 2, dataNicReads: 3 },
  { name: '4.6, GRAPHQL_ENABLED=False: REST', flavour: '4.6', graphqlEnabled: false, newBmc: 7, renewalReads: 2, dataNicReads: 3 },
] as const;

describe.each(SETUPS)('requests per lease (simulator $name, least-privilege token)', (setup) => {
  let h: HookHarness;
  beforeAll(async () => {
    // A new NetBox, maybe on a port an earlier one had: nothing remembered from it.
    clearVersionCache();
    clearGraphqlState();
    h = await startHookHarness({ flavour: setup.flavour, graphqlEnabled: setup.graphqlEnabled, leastPrivilege: true });
    await h.client.version();
    // A drainer's first lease of the hour: with GraphQL, the token's view permissions are checked by REST (4 reads,
    // remembered in the spool like the version); with GraphQL disabled, a drainer process learns it from one 404.
    const warmUp = await counted(() => h.spool(randomNet().host(1), randomMac('d0:94:66')));
    const graphql = setup.flavour === '4.6';
    expect(warmUp.reads.filter((r) => r !== '/graphql/').length).toBe(graphql ? 4 + (setup.graphqlEnabled ? 0 : 2) : 2);
    expect(warmUp.reads.filter((r) => r === '/graphql/').length).toBe(graphql ? 1 : 0);
  });
  afterAll(() => h.close());

  /** Drains and returns the requests NetBox saw, as `METHOD path`. */
  async function counted(spool: () => void): Promise<{ all: string[]; reads: string[]; writes: string[] }> {
    spool();
    h.target.sim!.clearRequests();
    const summary = await h.drain({ budgetMs: 60_000 });
    expect(summary).toMatchObject({ failed: 0, remaining: 0 });
    const log = h.target.sim!.requests();
    const all = log.map((r) => `${r.method} ${r.path}`);
    return { all, reads: log.filter((r) => !isWrite(r)).map((r) => r.path), writes: log.filter(isWrite).map((r) => r.path) };
  }

  async function server(status = 'offline') {
    const device = await h.fx.createDevice({ status });
    const mac = randomMac('d0:94:66');
    const bmc = await h.fx.createInterface(device.id, { name: 'idrac', mac, mgmtOnly: true });
    return { device, mac, bmc };
  }

  test(`a new BMC: at most ${setup.newBmc} requests (3 writes), no version probe; an unchanged renewal: ${setup.renewalReads} read(s), 0 writes`, async () => {
    const net = randomNet();
    await h.fx.createPrefix(net.prefix);
    const { device, mac } = await server();
    const first = await counted(() => h.spool(net.host(9), mac));
    console.log(`new BMC: ${first.all.length} requests\n  ${first.all.join('\n  ')}`);
    expect((await getDevice(h.client, device.id)).status.value).toBe('discovered');
    expect(first.all.length).toBeLessThanOrEqual(setup.newBmc);
    expect(first.writes.length).toBe(3);
    expect(first.all.filter((r) => r === 'POST /graphql/').length).toBe(setup.newBmc === 4 ? 1 : 0);
    expect(first.all.some((r) => r.includes('/api/status/'))).toBe(false);

    const renewal = await counted(() => h.spool(net.host(9), mac));
    console.log(`unchanged renewal: ${renewal.all.length} requests\n  ${renewal.all.join('\n  ')}`);
    expect(renewal.writes).toEqual([]);
    expect(renewal.reads.length).toBeLessThanOrEqual(setup.renewalReads);
  });

  test(`a data NIC with a BMC OUI: ${setup.dataNicReads} read(s), 0 writes`, async () => {
    const device = await h.fx.createDevice({ status: 'discovered' });
    const mac = randomMac('d0:94:66');
    await h.fx.createInterface(device.id, { name: 'eth0', mac });
    const lease = await counted(() => h.spool(randomNet().host(20), mac));
    console.log(`data NIC: ${lease.all.length} requests`);
    expect(lease.writes).toEqual([]);
    expect(lease.reads.length).toBeLessThanOrEqual(setup.dataNicReads);
  });

  test("NetBox's version is probed once and remembered in the spool for the next drainer (another process)", async () => {
    const probes = () => h.target.sim!.requests().filter((r) => r.path === '/api/status/').length;
    const drainerClient = () => createNetboxClient({ url: h.target.url, token: h.target.token, versionStore: spoolVersionStore(h.spoolDir) });
    clearVersionCache();
    h.target.sim!.clearRequests();
    expect((await drainerClient().version()).text).toBe(h.target.sim!.version);
    expect(probes()).toBe(1);
    clearVersionCache(); // as a new process starts
    expect((await drainerClient().capabilities()).fieldsParameter).toBe(true);
    expect(probes()).toBe(1);
  });

  test('a storm of 200 new BMCs in one prefix', async () => {
    const net = randomNet();
    await h.fx.createPrefix(net.prefix);
    const servers: Awaited<ReturnType<typeof server>>[] = [];
    for (let i = 0; i < 200; i++) servers.push(await server());
    const storm = await counted(() => {
      for (const [i, s] of servers.entries()) h.spool(net.host(20 + i), s.mac);
    });
    const status = storm.all.filter((r) => r.includes('/api/status/')).length;
    console.log(`storm of 200: ${storm.all.length} requests (${storm.reads.length} reads, ${storm.writes.length} writes, ${status} GET /api/status/)`);
    expect(storm.all.length).toBeLessThanOrEqual(200 * setup.newBmc);
    expect(status).toBe(0);
    const sample = await getDevice(h.client, servers[199]!.device.id);
    expect(sample.oob_ip?.address).toBe(`${net.host(219)}/24`);
  }, 120_000);
});
