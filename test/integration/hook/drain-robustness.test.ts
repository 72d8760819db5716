/**
 * The drainer against a spool and a NetBox that misbehave: an entry in new/ that is no
 * event, a failed/ it cannot write (a full disk), a proxy in front of NetBox answering
 * shapes NetBox never sends (200 without `results`, a 10,000-object page, a `next` that
 * never ends), and an event's stored back-off when an operator drains by hand. Every lease
 * is kept unless NetBox itself refused it, the budget bounds the run, and the log and
 * status.json say what really happened.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { drainSpool, type DrainDeps } from '../../../hook/drain.ts';
import { lastRunText } from '../../../hook/commands/status.ts';
import { failedNames, pendingNames, readEvent, readStatus, rewriteEvent } from '../../../hook/spool.ts';
import { createNetboxClient, getDevice } from '../../../shared/netbox/index.ts';
import { startHookHarness, type HookHarness } from '../../helpers/hook-harness.ts';
import { randomMac, randomNet } from '../../helpers/netbox-fixtures.ts';

/** `chattr +i` makes a directory refuse new entries even to root: how a full disk looks to the drainer. */
function immutable(path: string, on: boolean): boolean {
  return Bun.spawnSync(['chattr', on ? '+i' : '-i', path], { stdout: 'ignore', stderr: 'ignore' }).exitCode === 0;
}

describe('the spool holds something that is not an event', () => {
  let h: HookHarness;
  beforeEach(async () => {
    h = await startHookHarness({ flavour: '4.6' });
  });
  afterEach(async () => {
    immutable(join(h.spoolDir, 'failed'), false);
    await h.close();
  });

  async function bmcLease() {
    const device = await h.fx.createDevice();
    const mac = randomMac('94:40:c9');
    await h.fx.createInterface(device.id, { name: 'bmc', mac, mgmtOnly: true });
    h.spool(randomNet().host(5), mac);
    return device;
  }

  test('a directory named x.json is moved aside with its reason, the log says where, the other leases are applied', async () => {
    mkdirSync(join(h.spoolDir, 'new', '0000000000000-x.json'));
    const device = await bmcLease();
    const summary = await h.drain();
    expect(summary).toMatchObject({ applied: 1, failed: 1, stuck: 0, remaining: 0 });
    expect((await getDevice(h.client, device.id)).status.value).toBe('discovered');
    expect(lstatSync(join(h.spoolDir, 'failed', '0000000000000-x.json.entry')).isDirectory()).toBe(true);
    expect(readFileSync(join(h.spoolDir, 'failed', '0000000000000-x.json'), 'utf8')).toContain('is not a regular file (a directory)');
    expect(h.log.lines.some((l) => l.includes('moved to failed/0000000000000-x.json.entry, reason in failed/0000000000000-x.json'))).toBe(true);
    const status = readStatus(h.spoolDir);
    expect(status).toMatchObject({ lastRunResult: 'failed', lastRun: { applied: 1, failed: 1 } });
    expect(status.lastSuccessAt).toBeUndefined();
    expect(lastRunText(status)).toContain('FAILED');
  });

  test('when failed/ cannot be written (a full disk) the entry stays, the log says so, the run ends and is counted as stuck', async () => {
    const failed = join(h.spoolDir, 'failed');
    if (!immutable(failed, true)) return; // no chattr on this file system: nothing to simulate a full disk with
    writeFileSync(join(h.spoolDir, 'new', '0000000000000-junk.json'), 'not json');
    const device = await bmcLease();
    const summary = await h.drain();
    expect(summary).toMatchObject({ applied: 1, failed: 0, stuck: 1 });
    expect((await getDevice(h.client, device.id)).status.value).toBe('discovered');
    expect(pendingNames(h.spoolDir)).toEqual(['0000000000000-junk.json']);
    expect(readdirSync(failed)).toEqual([]);
    expect(h.log.lines.some((l) => l.includes('moved to failed/'))).toBe(false);
    expect(h.log.lines.some((l) => l.includes('could not move the entry to failed/; it stays in new/'))).toBe(true);
    expect(readStatus(h.spoolDir)).toMatchObject({ lastRunResult: 'failed', lastRun: { stuck: 1 } });
  });

  test('a lease NetBox refuses for good while failed/ cannot be written is kept in new/, not reported as moved', async () => {
    const failed = join(h.spoolDir, 'failed');
    const device = await h.fx.createDevice();
    const mac = randomMac('94:40:c9');
    await h.fx.createInterface(device.id, { name: 'bmc', mac, mgmtOnly: true });
    h.spool(randomNet().host(6), mac);
    // A permanent failure: NetBox answers 404 for every device look-up (a token for the wrong NetBox path, say).
    const summaryOf = async () =>
      drainSpool({
        ...depsFor(h),
        client: createNetboxClient({ url: `${h.target.url}/nonexistent`, token: h.target.token, timeoutMs: 500, retries: 0 }),
      });
    if (!immutable(failed, true)) return;
    const summary = await summaryOf();
    expect(summary).toMatchObject({ applied: 0, failed: 0, stuck: 1 });
    expect(pendingNames(h.spoolDir).length).toBe(1);
    expect(h.log.lines.some((l) => l.includes('moved to failed/'))).toBe(false);
    immutable(failed, false);
    expect(await summaryOf()).toMatchObject({ failed: 1, stuck: 0, remaining: 0 });
    expect(failedNames(h.spoolDir).length).toBe(1);
  });
});

/** DrainDeps as the harness's drain() builds them, for calls with another client. */
function depsFor(h: HookHarness): DrainDeps {
  return { dir: h.spoolDir, client: null, ipStatus: 'dhcp', defaultPrefixLength: 32, budgetMs: 1000, log: h.log, random: () => 0 };
}

type Hostile = 'no-results' | 'huge-page' | 'endless-next' | 'bare-array';

describe('a proxy in front of NetBox answering what NetBox never sends', () => {
  let h: HookHarness;
  let mode: Hostile = 'no-results';
  let proxy: ReturnType<typeof Bun.serve>;
  let pagesServed = 0;
  beforeAll(async () => {
    // REST's list reading (GraphQL answering junk: graphql-fallback.test.ts).
    h = await startHookHarness({ flavour: '4.6', graphqlEnabled: false });
    proxy = Bun.serve({
      port: 0,
      async fetch(request) {
        const url = new URL(request.url);
        if (request.method === 'GET' && url.pathname === '/api/dcim/devices/') {
          pagesServed++;
          const json = (body: unknown) => Response.json(body);
          if (mode === 'no-results') return json({ detail: 'cached by the proxy' });
          if (mode === 'bare-array') return json([]);
          const item = { id: 1, url: '', display: 'x', name: 'x', status: { value: 'offline', label: 'Offline' } };
          if (mode === 'huge-page') return json({ count: 10_000, next: null, previous: null, results: Array.from({ length: 10_000 }, () => item) });
          // endless-next: one object a page, a count within the cap, `next` always set; each page a little slow.
          await new Promise((resolve) => setTimeout(resolve, 5));
          return json({ count: 9_000, next: `${url.origin}${url.pathname}?offset=1`, previous: null, results: [item] });
        }
        const target = new URL(url.pathname + url.search, h.target.url);
        return fetch(target, { method: request.method, headers: request.headers, body: request.body ? await request.arrayBuffer() : undefined });
      },
    });
  });
  afterAll(async () => {
    proxy.stop(true);
    await h.close();
  });

  const budgetMs = 1000;
  async function drainThroughProxy() {
    const device = await h.fx.createDevice();
    const mac = randomMac('94:40:c9');
    await h.fx.createInterface(device.id, { name: 'bmc', mac, mgmtOnly: true });
    const name = h.spool(randomNet().host(7), mac);
    pagesServed = 0;
    const started = performance.now();
    const summary = await drainSpool({
      ...depsFor(h),
      budgetMs,
      client: createNetboxClient({ url: `http://127.0.0.1:${proxy.port}`, token: h.target.token, timeoutMs: 500, deadlineMs: 20_000, retries: 0 }),
    });
    const elapsed = performance.now() - started;
    const kept = readEvent(h.spoolDir, name);
    // Leave the spool empty for the next case.
    for (const pending of pendingNames(h.spoolDir)) Bun.spawnSync(['rm', '-f', join(h.spoolDir, 'new', pending)]);
    return { summary, elapsed, kept, device };
  }

  for (const [hostile, says] of [
    ['no-results', 'a list without a "results" array'],
    ['bare-array', 'not a NetBox list (a bare array)'],
    ['huge-page', 'a page of 10000 objects when at most 250 were asked for'],
  ] as const) {
    test(`${hostile}: "NetBox answered something unexpected", the lease is kept (not failed/)`, async () => {
      mode = hostile;
      const { summary, kept, device } = await drainThroughProxy();
      expect(summary).toMatchObject({ applied: 0, failed: 0, remaining: 1 });
      expect(summary.lastError).toContain('NetBox answered something unexpected');
      expect(summary.lastError).toContain(says);
      expect(kept.ok && kept.spooled.progress?.attempts).toBeGreaterThanOrEqual(1);
      expect((await getDevice(h.client, device.id)).status.value).toBe('offline');
    });
  }

  test('a `next` that never ends: the drain returns within its budget (plus one request timeout), the lease kept', async () => {
    mode = 'endless-next';
    const { summary, elapsed, kept } = await drainThroughProxy();
    expect(summary).toMatchObject({ applied: 0, failed: 0, remaining: 1 });
    expect(elapsed).toBeLessThan(budgetMs + 500 + 250);
    expect(pagesServed).toBeGreaterThan(1);
    expect(kept.ok && kept.spooled.progress?.lastError).toContain('deadline');
  });
});

describe('back-off stored in an event', () => {
  let h: HookHarness;
  beforeAll(async () => {
    h = await startHookHarness({ flavour: '4.6' });
  });
  afterAll(() => h.close());

  test('the timer (respecting back-off) leaves it; by hand (ignoring it) it is tried now', async () => {
    const device = await h.fx.createDevice();
    const mac = randomMac('94:40:c9');
    await h.fx.createInterface(device.id, { name: 'bmc', mac, mgmtOnly: true });
    const name = h.spool(randomNet().host(8), mac);
    const read = readEvent(h.spoolDir, name);
    if (!read.ok) throw new Error(read.reason);
    rewriteEvent(h.spoolDir, { ...read.spooled, progress: { attempts: 5, lastError: 'NetBox was down', notBefore: Date.now() + 3_600_000 } });
    const client = createNetboxClient({ url: h.target.url, token: h.target.token, timeoutMs: 500, retries: 0 });
    h.target.sim!.clearRequests();
    expect(await drainSpool({ ...depsFor(h), client })).toMatchObject({ applied: 0, remaining: 1 });
    expect(h.target.sim!.requests()).toEqual([]);
    expect(await drainSpool({ ...depsFor(h), client, ignoreStoredBackoff: true })).toMatchObject({ applied: 1, remaining: 0 });
    expect((await getDevice(h.client, device.id)).status.value).toBe('discovered');
    expect(existsSync(join(h.spoolDir, 'new', name))).toBe(false);
  });
});
