/**
 * Harness for bm-hook integration tests: a NetBox target with fixtures, a spool
 * directory, a config file for the compiled binary, and helpers to run
 * `commit`/`drain` in-process or as the real binary.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drainSpool, type DrainSummary } from '../../hook/drain.ts';
import { parseLease } from '../../hook/lease.ts';
import { appendEvent, ensureSpool } from '../../hook/spool.ts';
import { createMemoryLogger } from '../../shared/log.ts';
import { createNetboxClient, type NetboxClient } from '../../shared/netbox/client.ts';
import { createFixtures, type Fixtures } from './netbox-fixtures.ts';
import { realNetbox, startNetboxTarget, type NetboxTarget, type TargetOptions } from './netbox-target.ts';
import { compiledBinary } from './compiled-binary.ts';

/** The bm-hook binary compiled from the current sources, once per test process. */
export function hookBinary(): string {
  return compiledBinary('hook/main.ts', 'bm-hook');
}

export interface HookHarness {
  target: NetboxTarget;
  /** Builds state with an all-powerful token (the admin's on the real NetBox, even when the hook's is least-privilege). */
  fx: Fixtures;
  /** The hook's own token (least-privilege when asked). */
  client: NetboxClient;
  spoolDir: string;
  configPath: string;
  log: ReturnType<typeof createMemoryLogger>;
  /** Spools a lease the way `commit` does (no OUI filter, no drainer). */
  spool(ip: string, mac: string, hostname?: string): string;
  /** `vrf` overrides the config's `ip.vrf` for this run. */
  drain(options?: { budgetMs?: number; vrf?: number | string }): Promise<DrainSummary>;
  close(): Promise<void>;
}

export interface HarnessOptions extends TargetOptions {
  /** Extra hook.json settings. */
  config?: Record<string, unknown>;
}

export async function startHookHarness(options: HarnessOptions = {}): Promise<HookHarness> {
  const target = await startNetboxTarget(options);
  const real = target.name === 'real';
  const adminToken = !options.leastPrivilege ? target.token : real ? realNetbox!.admin.tokens[options.tokenScheme ?? 'v2'] : target.sim!.token;
  const fx = await createFixtures(target.url, adminToken);
  const dir = mkdtempSync(join(tmpdir(), 'bm-hook-it-'));
  const spoolDir = join(dir, 'spool');
  ensureSpool(spoolDir);
  const configPath = join(dir, 'hook.json');
  // The real NetBox answers in tens to hundreds of ms (a device PATCH validates the whole object).
  const netbox = { url: target.url, token: target.token, timeoutMs: real ? 10_000 : 500, deadlineMs: real ? 30_000 : 3000, retries: 1 };
  const ip = (options.config?.ip ?? {}) as { vrf?: number | string; defaultPrefixLength?: number };
  writeFileSync(configPath, JSON.stringify({ netbox, spool: { dir: spoolDir }, drain: { budgetMs: 15000 }, logLevel: 'debug', ...options.config }));
  const client = createNetboxClient({ ...netbox, retries: 0 });
  const log = createMemoryLogger();
  return {
    target,
    fx,
    client,
    spoolDir,
    configPath,
    log,
    spool(ip, mac, hostname) {
      const parsed = parseLease(ip, mac, hostname, 'dhcpd', new Date());
      if (!parsed.ok) throw new Error(parsed.reason);
      return appendEvent(spoolDir, parsed.event);
    },
    drain: (o = {}) =>
      drainSpool({
        dir: spoolDir,
        client: createNetboxClient({ ...netbox, backoff: { baseMs: 1, maxMs: 5 } }),
        ipStatus: 'dhcp',
        defaultPrefixLength: ip.defaultPrefixLength ?? 32,
        ...((o.vrf ?? ip.vrf) !== undefined ? { vrf: o.vrf ?? ip.vrf } : {}),
        budgetMs: o.budgetMs ?? 5000,
        log,
        random: () => 0,
      }),
    close: () => target.close(),
  };
}

/**
 * Runs the compiled bm-hook with a clean environment (dhcpd passes only PATH).
 * Asynchronous on purpose: the simulator lives in this process and must keep answering.
 */
export async function runHook(args: string[], env: Record<string, string> = {}) {
  const started = performance.now();
  const child = Bun.spawn([hookBinary(), ...args], {
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', BM_HOOK_NO_SYSLOG: '1', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { exitCode, stdout, stderr, ms: performance.now() - started };
}
