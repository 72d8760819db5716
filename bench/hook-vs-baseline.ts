/**
 * bm-hook against the seed's way (bench/baseline/bm-hook-baseline.sh: bash + curl + jq,
 * synchronous lookups and writes while dhcpd waits), in one run against the NetBox
 * simulator (test/netbox-sim, its own process so serving does not disturb the timing):
 *
 * - blocked time per BMC lease (wall time until the hook exits: what dhcpd waits for),
 *   p50/p99, with NetBox healthy, 2 s latency per request, hung (accepts, never answers)
 *   and refused (nothing listening);
 * - NetBox requests per new BMC and per unchanged renewal, counted at the simulator;
 * - a storm of distinct BMC leases run one after another as dhcpd runs its hook: total
 *   blocked time, time until NetBox shows every device discovered, events lost.
 *
 * bm-hook runs with drain.trigger "spawn" (no systemd here): each commit starts a
 * detached drainer. Ratios are the results; bench/README.md explains each number.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tryLockDrain } from '../hook/lock.ts';
import { percentile, ratio } from './stats.ts';

const HOOK = process.argv[2] ?? 'dist/bm-hook';
const BASELINE = 'bench/baseline/bm-hook-baseline.sh';
const STORM = Number(process.env.BENCH_STORM ?? 1000);
/** The baseline takes ~0.5 s a lease even when NetBox is healthy: its storm is smaller and scaled up (said in the output). */
const BASELINE_STORM = Number(process.env.BENCH_BASELINE_STORM ?? Math.min(STORM, 100));
const REFLECT_TIMEOUT_MS = Number(process.env.BENCH_REFLECT_TIMEOUT_MS ?? 300_000);
/** Progress on stderr, so a long run shows where it is. */
const progress = (line: string) => process.stderr.write(`  … ${line}\n`);

type Tool = 'bm-hook' | 'baseline';
type Scenario = 'healthy' | 'latency 2 s' | 'hung' | 'refused';
/** Samples per scenario: the baseline's slow cases are small on purpose (a hung NetBox costs it 20 s per lease). */
const SAMPLES: Record<Tool, Record<Scenario, number>> = {
  'bm-hook': { healthy: 40, 'latency 2 s': 20, hung: 20, refused: 20 },
  baseline: { healthy: 20, 'latency 2 s': 2, hung: 2, refused: 10 },
};
/** BENCH_PARTS=storm (comma list of blocked, requests, storm) runs only those parts; default all. */
const PARTS = new Set((process.env.BENCH_PARTS ?? 'blocked,requests,storm').split(','));
const SCENARIOS = PARTS.has('blocked') ? (Object.keys(SAMPLES['bm-hook']) as Scenario[]) : [];

// ---- the simulator's data: one site per group of leases, one offline device with a mgmt-only BMC interface per lease

interface Group {
  site: string;
  leases: { ip: string; mac: string; host: string }[];
}
const groups = new Map<string, Group>();
const seed = {
  sites: [] as Record<string, unknown>[],
  manufacturers: [{ name: 'Bench', slug: 'bench' }],
  'device-types': [{ manufacturer: 1, model: 'B1', slug: 'b1' }],
  'device-roles': [{ name: 'server', slug: 'server', color: '2196f3' }],
  devices: [] as Record<string, unknown>[],
  interfaces: [] as Record<string, unknown>[],
  'mac-addresses': [] as Record<string, unknown>[],
  prefixes: [{ prefix: '10.128.0.0/9', status: 'active' }],
};
let serial = 0;
function group(name: string, count: number): Group {
  seed.sites.push({ name, slug: name });
  const siteId = seed.sites.length;
  const g: Group = { site: name, leases: [] };
  for (let i = 0; i < count; i++) {
    const n = ++serial;
    const hex = (v: number) => v.toString(16).padStart(2, '0');
    const lease = {
      ip: `10.${128 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`,
      mac: `94:40:c9:${hex(n >> 16)}:${hex((n >> 8) & 255)}:${hex(n & 255)}`,
      host: `ilo-${n}`,
    };
    seed.devices.push({ name: `srv-${n}`, device_type: 1, role: 1, site: siteId, status: 'offline' });
    seed.interfaces.push({ device: seed.devices.length, name: 'bmc', type: '1000base-t', mgmt_only: true });
    seed['mac-addresses'].push({ mac_address: lease.mac, assigned_object_type: 'dcim.interface', assigned_object_id: seed.interfaces.length });
    g.leases.push(lease);
  }
  groups.set(name, g);
  return g;
}
for (const tool of ['bm-hook', 'baseline'] as Tool[]) {
  for (const scenario of SCENARIOS) group(`${tool}-${scenario.replace(/\W+/g, '-')}`, SAMPLES[tool][scenario]);
  group(`${tool}-requests`, 2);
}
group('bm-hook-storm', STORM);
group('baseline-storm', BASELINE_STORM);

// ---- the simulator, in its own process

const work = mkdtempSync('/var/tmp/bench-hook-');
writeFileSync(join(work, 'seed.json'), JSON.stringify(seed));
const sim = Bun.spawn([process.execPath, 'test/netbox-sim/main.ts', '--flavour', '4.6', '--data', join(work, 'seed.json')], {
  stdout: 'pipe',
  stderr: 'inherit',
});
const banner = await readFirstLine(sim.stdout);
const match = banner.match(/listening on (\S+?)\/? token: (\S+)(?: v2-token: (\S+))?/);
if (!match) throw new Error(`netbox-sim did not start: ${banner}`);
const url = match[1]!;
const token = match[3] ?? match[2]!;
const closedPort = await freePort();

async function readFirstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += new TextDecoder().decode(chunk);
    if (text.includes('\n')) return text.split('\n')[0]!;
  }
  return text;
}

async function freePort(): Promise<number> {
  const server = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

async function simControl(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}`);
  return response.status === 204 ? null : response.json();
}
const setFaults = (faults: unknown[]) => simControl('PUT', '/__sim/faults/', faults);
const requestCount = async () => ((await simControl('GET', '/__sim/requests/')) as unknown[]).length;
const clearRequests = () => simControl('DELETE', '/__sim/requests/');
/** Devices of a site that NetBox shows as discovered (one request, subtracted from no count: polls run outside counted windows). */
const discovered = async (site: string) => ((await simControl('GET', `/api/dcim/devices/?site=${site}&status=discovered&limit=1`)) as { count: number }).count;

// ---- the two hooks' settings

const tokenFile = join(work, 'token');
writeFileSync(tokenFile, token, { mode: 0o600 });
const spool = join(work, 'spool');
/** A hook.json for this NetBox URL; trigger "systemd" spawns no drainer (the request count runs the drain itself). */
function hookConfig(netboxUrl: string, trigger: 'spawn' | 'systemd' = 'spawn'): string {
  const path = join(work, `hook-${netboxUrl.split(':').at(-1)}-${trigger}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      netbox: { url: netboxUrl, tokenFile, timeoutMs: 5000, deadlineMs: 20000, retries: 1 },
      spool: { dir: spool },
      drain: { budgetMs: 15000, trigger },
      logLevel: 'warning',
    }),
  );
  return path;
}
const configs = { live: hookConfig(url), refused: hookConfig(`http://127.0.0.1:${closedPort}`), quiet: hookConfig(url, 'systemd') };

/** Runs one hook call as dhcpd would (environment: PATH, plus where the config is); resolves with the blocked ms. */
async function runOnce(tool: Tool, lease: Group['leases'][number], netbox: 'live' | 'refused' | 'quiet' = 'live'): Promise<{ ms: number; exitCode: number }> {
  const refused = netbox === 'refused';
  const argv = tool === 'bm-hook' ? [HOOK, 'commit', lease.ip, lease.mac, lease.host] : [BASELINE, 'commit', lease.ip, lease.mac, lease.host];
  const env: Record<string, string> = { PATH: '/usr/bin:/bin', BM_HOOK_NO_SYSLOG: '1' };
  if (tool === 'bm-hook') env.BM_CONFIG = configs[netbox];
  else Object.assign(env, { NETBOX_URL: refused ? `http://127.0.0.1:${closedPort}` : url, NETBOX_TOKEN_FILE: tokenFile });
  const started = performance.now();
  const child = Bun.spawn(argv, { env, stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' });
  const exitCode = await child.exited;
  return { ms: performance.now() - started, exitCode };
}

/** Runs `bm-hook drain` to the end (the hand-run drain), for counting and for catching up after an outage. */
async function drainNow(): Promise<void> {
  const child = Bun.spawn([HOOK, 'drain'], {
    env: { PATH: '/usr/bin:/bin', BM_HOOK_NO_SYSLOG: '1', BM_CONFIG: configs.live },
    stdout: 'ignore',
    stderr: 'ignore',
  });
  await child.exited;
}

const spooled = (sub: 'new' | 'failed' = 'new') => {
  try {
    return readdirSync(join(spool, sub)).length;
  } catch {
    return 0;
  }
};

/**
 * While waiting for NetBox: spawned drainers run on, and the timer (and the path unit) would start the next drain when
 * one ends; a drain by hand every second stands in for them (it exits at once while another holds the lock).
 */
async function nudge(): Promise<void> {
  await Bun.sleep(1000);
  if (spooled() > 0) await drainNow();
}

/** Polls until every device of the site is discovered (or the timeout); returns when and how many. */
async function waitReflected(site: string, total: number, since: number, nudge: () => Promise<void>): Promise<{ ms: number; reflected: number }> {
  let reflected = await discovered(site);
  while (reflected < total && performance.now() - since < REFLECT_TIMEOUT_MS) {
    await nudge();
    reflected = await discovered(site);
  }
  return { ms: performance.now() - since, reflected };
}

/**
 * NetBox and the spool counted while no drainer runs (the bench holds the drain lock), so no event moves from new/ to
 * NetBox between the two counts and is missed by both.
 */
async function settledCounts(site: string): Promise<{ reflected: number; pending: number; failed: number }> {
  let lock = tryLockDrain(spool);
  while (!lock) {
    await Bun.sleep(200);
    lock = tryLockDrain(spool);
  }
  try {
    return { reflected: await discovered(site), pending: spooled(), failed: spooled('failed') };
  } finally {
    lock.release();
  }
}

// ---- 1. blocked time per scenario

const FAULTS: Record<Scenario, unknown[]> = {
  healthy: [],
  'latency 2 s': [{ kind: 'latency', ms: 2000, pathPrefix: '/' }],
  hung: [{ kind: 'hang', pathPrefix: '/' }],
  refused: [],
};
const blocked = new Map<string, number[]>();
const lost = new Map<string, number>();
for (const scenario of SCENARIOS) {
  for (const tool of ['bm-hook', 'baseline'] as Tool[]) {
    const g = groups.get(`${tool}-${scenario.replace(/\W+/g, '-')}`)!;
    progress(`${tool}, NetBox ${scenario}: ${g.leases.length} leases`);
    await setFaults(FAULTS[scenario]);
    const times: number[] = [];
    for (const lease of g.leases) times.push((await runOnce(tool, lease, scenario === 'refused' ? 'refused' : 'live')).ms);
    await setFaults([]);
    blocked.set(`${tool}|${scenario}`, times);
    // NetBox is back: bm-hook's spooled events get applied (a drain by hand, as after an outage); the baseline has nothing left.
    const since = performance.now();
    // The baseline never retries: what NetBox shows now is all it will show.
    if (tool === 'bm-hook') await waitReflected(g.site, g.leases.length, since, nudge);
    const { reflected, pending, failed } = tool === 'bm-hook' ? await settledCounts(g.site) : { reflected: await discovered(g.site), pending: 0, failed: 0 };
    lost.set(`${tool}|${scenario}`, g.leases.length - reflected - pending - failed);
    if (tool === 'baseline' && reflected < g.leases.length && scenario === 'healthy')
      console.error(`baseline: ${g.leases.length - reflected} healthy leases not applied`);
  }
}

// ---- 2. requests per new BMC and per unchanged renewal (the second device of each group: warm caches, steady state)

const requests = new Map<string, { create: number; renew: number }>();
for (const tool of PARTS.has('requests') ? (['bm-hook', 'baseline'] as Tool[]) : []) {
  const [warm, lease] = groups.get(`${tool}-requests`)!.leases;
  // No spawned drainer races the counted one: commit with trigger "systemd", then the drain by hand.
  const apply = async (l: Group['leases'][number]) => {
    await runOnce(tool, l, 'quiet');
    if (tool === 'bm-hook') await drainNow();
  };
  await apply(warm!);
  await waitReflected(`${tool}-requests`, 1, performance.now(), tool === 'bm-hook' ? nudge : () => Bun.sleep(200));
  await clearRequests();
  await apply(lease!);
  const create = await requestCount();
  await clearRequests();
  await apply(lease!);
  const renew = await requestCount();
  requests.set(tool, { create, renew });
}

// ---- 3. the storm: leases one after another (dhcpd runs its hook synchronously)

/**
 * pending: still in new/ when the wait ended (BENCH_REFLECT_TIMEOUT_MS); failed: moved to failed/ with a reason (an operator
 * sees them in `bm-hook status`); lost: none of these and not in NetBox.
 */
const storms = new Map<Tool, { leases: number; blockedMs: number; reflectMs: number; pending: number; failed: number; lost: number; requests: number }>();
for (const tool of PARTS.has('storm') ? (['bm-hook', 'baseline'] as Tool[]) : []) {
  const g = groups.get(`${tool}-storm`)!;
  if (g.leases.length === 0) continue;
  progress(`${tool}: storm of ${g.leases.length} leases`);
  await clearRequests();
  const started = performance.now();
  let blockedMs = 0;
  for (const lease of g.leases) blockedMs += (await runOnce(tool, lease)).ms;
  const requestsDuring = await requestCount();
  const { ms } = tool === 'bm-hook' ? await waitReflected(g.site, g.leases.length, started, nudge) : { ms: performance.now() - started };
  const { reflected, pending, failed } = tool === 'bm-hook' ? await settledCounts(g.site) : { reflected: await discovered(g.site), pending: 0, failed: 0 };
  storms.set(tool, {
    leases: g.leases.length,
    blockedMs,
    reflectMs: ms,
    pending,
    failed,
    lost: g.leases.length - reflected - pending - failed,
    requests: requestsDuring,
  });
}

sim.kill();
await sim.exited;
if (process.env.BENCH_KEEP) console.error(`kept ${work}`);
else rmSync(work, { recursive: true, force: true });

// ---- results

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
console.log("hook-vs-baseline: bm-hook against the seed's synchronous bash + curl + jq hook, NetBox simulator 4.6 in its own process");
console.log('  blocked time per BMC lease (what dhcpd waits for), p50 / p99 [samples]; events lost after NetBox is back');
for (const scenario of SCENARIOS) {
  const hook = blocked.get(`bm-hook|${scenario}`)!;
  const base = blocked.get(`baseline|${scenario}`)!;
  const h50 = percentile(hook, 50);
  const b50 = percentile(base, 50);
  console.log(
    `    ${scenario.padEnd(12)} bm-hook ${fmt(h50)} / ${fmt(percentile(hook, 99))} [${hook.length}], lost ${lost.get(`bm-hook|${scenario}`)}` +
      `   baseline ${fmt(b50)} / ${fmt(percentile(base, 99))} [${base.length}], lost ${lost.get(`baseline|${scenario}`)}` +
      `   baseline/bm-hook p50 ×${ratio(b50, h50)}`,
  );
}
const healthy99 = percentile(blocked.get('bm-hook|healthy') ?? [], 99);
if (SCENARIOS.length)
  console.log(
    `  bm-hook p99 while NetBox is hung / refused vs healthy: ×${ratio(percentile(blocked.get('bm-hook|hung')!, 99), healthy99)} / ×${ratio(percentile(blocked.get('bm-hook|refused')!, 99), healthy99)}`,
  );
if (requests.size) console.log('  NetBox requests (counted at the simulator; bm-hook: commit + its drain)');
for (const [tool, r] of requests) console.log(`    ${tool.padEnd(8)} new BMC ${r.create}, unchanged renewal ${r.renew}`);
for (const [tool, s] of storms) {
  const scale = STORM / s.leases;
  const scaled =
    scale === 1 ? '' : ` (measured on ${s.leases} leases, ×${scale.toFixed(0)}: ~${fmt(s.blockedMs * scale)} and ~${fmt(s.reflectMs * scale)} for ${STORM})`;
  console.log(
    `  storm of ${STORM} distinct BMC leases, ${tool}: dhcpd blocked ${fmt(s.blockedMs)} in total (${fmt(s.blockedMs / s.leases)} per lease), ` +
      `${s.pending ? `NetBox showed ${s.leases - s.pending - s.lost} after ${fmt(s.reflectMs)} (${s.pending} still spooled)` : `NetBox shows all after ${fmt(s.reflectMs)}`}, ` +
      `${s.failed ? `failed ${s.failed}, ` : ''}lost ${s.lost}, requests while dhcpd was busy ${s.requests}${scaled}`,
  );
}
const hs = storms.get('bm-hook');
const bs = storms.get('baseline');
if (hs && bs) {
  const perLease = (s: typeof hs) => s.blockedMs / s.leases;
  console.log(
    `  storm: dhcpd blocked per lease, baseline/bm-hook ×${ratio(perLease(bs), perLease(hs))}; time to NetBox per lease ×${ratio(bs.reflectMs / bs.leases, hs.reflectMs / hs.leases)}`,
  );
}
