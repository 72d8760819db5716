/**
 * Real DHCP servers run bm-hook: ISC dhcpd with the `bm-hook dhcpd-snippet`
 * output, and Kea with libdhcp_run_script.so, each in a network namespace with
 * busybox udhcpc clients on veths. Two BMC MACs with leading-zero octets and one
 * non-BMC MAC: the BMCs end discovered with the right IP and prefix; the non-BMC
 * lease starts no hook process. The hook in the namespace only spools (NetBox,
 * here the in-process simulator, is not reachable from there); the drain then
 * runs from the test's namespace over the same spool — the durable hand-off
 * that protects dhcpd from NetBox.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pendingNames } from '../../../hook/spool.ts';
import { getDevice } from '../../../shared/netbox/index.ts';
import { hookBinary, runHook, startHookHarness, type HookHarness } from '../../helpers/hook-harness.ts';
import { captureOutput, createLab, udhcpcArgv, type Lab } from '../../helpers/netns.ts';
import { requirementsMet } from '../../helpers/requirements.ts';
import { waitUntil } from '../../helpers/wait.ts';

const KEA_RUN_SCRIPT = '/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_run_script.so';
const BMCS = [
  { mac: '94:40:c9:01:0a:05', name: 'ilo-zero-octets' },
  { mac: '0c:c4:7a:00:0b:0c', name: 'smc-zero-octets' },
];
const NON_BMC = { mac: '02:00:5e:00:00:01', name: 'not-a-bmc' };

interface Setup {
  h: HookHarness;
  lab: Lab;
  dir: string;
  calls: string;
  wrapper: string;
  devices: number[];
}

async function setUp(subnet: string): Promise<Setup> {
  const h = await startHookHarness({ flavour: '4.6' });
  await h.fx.createPrefix(`${subnet}.0/24`);
  const devices: number[] = [];
  for (const bmc of BMCS) {
    const device = await h.fx.createDevice();
    await h.fx.createInterface(device.id, { name: 'bmc', mac: bmc.mac, mgmtOnly: true });
    devices.push(device.id);
  }
  const dir = mkdtempSync(join(tmpdir(), 'bm-dhcp-'));
  // The config the hook sees inside the namespace: spool only (no NetBox there).
  const nsConfig = join(dir, 'hook-ns.json');
  writeFileSync(nsConfig, JSON.stringify({ spool: { dir: h.spoolDir }, drain: { budgetMs: 1000 }, logLevel: 'debug' }));
  // A wrapper records every process start, then runs the real binary as dhcpd/Kea would.
  const calls = join(dir, 'calls.log');
  const wrapper = join(dir, 'bm-hook-wrapper');
  writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> ${calls}\nBM_CONFIG=${nsConfig} BM_HOOK_NO_SYSLOG=1 exec ${hookBinary()} "$@"\n`);
  chmodSync(wrapper, 0o755);
  const lab = createLab(
    subnet,
    [...BMCS, NON_BMC].map((c) => c.mac),
  );
  return { h, lab, dir, calls, wrapper, devices };
}

async function leaseAll(s: Setup): Promise<void> {
  const names = [...BMCS, NON_BMC].map((c) => c.name);
  const results = await Promise.all(s.lab.clients.map((client, i) => s.lab.exec(client.ns, udhcpcArgv(names[i]!))));
  for (const [i, result] of results.entries())
    expect({ client: names[i], exitCode: result.exitCode, err: result.exitCode ? result.stderr : '' }).toEqual({ client: names[i], exitCode: 0, err: '' });
}

async function drainFromHost(s: Setup): Promise<void> {
  // A namespace drainer may hold the spool lock for a moment (it cannot reach NetBox and gives up
  // after its 1 s budget); the host drain returns at once while it does, so repeat until applied.
  let last = '';
  await waitUntil(
    async () => {
      const drained = await runHook(['drain', '--config', s.h.configPath]);
      last = drained.stderr;
      return drained.exitCode === 0 && pendingNames(s.h.spoolDir).length === 0;
    },
    { timeoutMs: 20_000, what: 'the host drain to apply every spooled lease' },
  ).catch((error) => {
    throw new Error(`${(error as Error).message}; last drain said:\n${last}`);
  });
}

async function assertBmcsDiscovered(s: Setup, subnet: string): Promise<void> {
  for (const id of s.devices) {
    const device = await getDevice(s.h.client, id);
    expect(device.status.value).toBe('discovered');
    expect(device.oob_ip?.address).toMatch(new RegExp(`^${subnet.replaceAll('.', '\\.')}\\.1[0-5]\\d/24$`));
  }
}

const ready = requirementsMet('bm-hook with real DHCP servers', { root: true, tools: ['ip', 'dhcpd', 'kea-dhcp4', 'busybox'] });

describe.skipIf(!ready)('ISC dhcpd runs bm-hook through the generated snippet', () => {
  const subnet = '10.213.7';
  let s: Setup;
  beforeAll(async () => {
    s = await setUp(subnet);
    const snippet = await runHook(['dhcpd-snippet', '--hook-path', s.wrapper, '--config', s.h.configPath]);
    expect(snippet.exitCode).toBe(0);
    const conf = join(s.dir, 'dhcpd.conf');
    writeFileSync(join(s.dir, 'bm-hook.conf'), snippet.stdout);
    writeFileSync(
      conf,
      `authoritative;\ndefault-lease-time 600;\nmax-lease-time 600;\nsubnet ${subnet}.0 netmask 255.255.255.0 {\n  range ${subnet}.100 ${subnet}.150;\n}\ninclude "${join(s.dir, 'bm-hook.conf')}";\n`,
    );
    writeFileSync(join(s.dir, 'dhcpd.leases'), '');
    const dhcpd = s.lab.spawn(s.lab.server, [
      'dhcpd',
      '-4',
      '-f',
      '-d',
      '-cf',
      conf,
      '-lf',
      join(s.dir, 'dhcpd.leases'),
      '-pf',
      join(s.dir, 'dhcpd.pid'),
      s.lab.bridge,
    ]);
    const log = captureOutput(dhcpd.stderr);
    await waitUntil(() => log.text().includes('Sending on') || dhcpd.exitCode !== null, { what: 'dhcpd to start' });
    expect({ exited: dhcpd.exitCode, log: dhcpd.exitCode !== null ? log.text() : '' }).toEqual({ exited: null, log: '' });
  });
  afterAll(async () => {
    await s?.lab.close();
    await s?.h.close();
  });

  test('BMC leases (leading-zero octets) end discovered with IP/24; the non-BMC lease starts no hook', async () => {
    await leaseAll(s);
    const calls = readFileSync(s.calls, 'utf8').trim().split('\n').sort();
    expect(calls.length).toBe(2);
    // The snippet's call: `commit -- IP MAC HOSTNAME` (everything after `commit` is lease data).
    expect(calls.map((c) => c.split(' ')[3]).sort()).toEqual(['0c:c4:7a:00:0b:0c', '94:40:c9:01:0a:05']);
    expect(calls.every((c) => c.startsWith('commit -- 10.213.7.'))).toBe(true);
    expect(calls.join('\n')).not.toContain(NON_BMC.mac);
    expect(calls.map((c) => c.split(' ')[4]).sort()).toEqual(['ilo-zero-octets', 'smc-zero-octets']);
    await drainFromHost(s);
    await assertBmcsDiscovered(s, subnet);
  });

  test('a client hostname of --no-drain or --config=/etc/passwd is lease data: spooled here (hostname dropped), drainers started', async () => {
    const drainLog = join(s.h.spoolDir, 'drain.log');
    const drainLogSize = () => (existsSync(drainLog) ? readFileSync(drainLog).length : 0);
    const before = drainLogSize();
    const hostile = ['--no-drain', '--config=/etc/passwd'];
    const results = await Promise.all(hostile.map((name, i) => s.lab.exec(s.lab.clients[i]!.ns, udhcpcArgv(name))));
    expect(results.map((r) => r.exitCode)).toEqual([0, 0]);
    const calls = readFileSync(s.calls, 'utf8').trim().split('\n');
    for (const [i, name] of hostile.entries())
      expect(calls).toContainEqual(expect.stringMatching(new RegExp(`^commit -- 10\\.213\\.7\\.\\d+ ${BMCS[i]!.mac} ${name}$`)));
    // Both leases in the configured spool (not the defaults' one), without the hostname …
    await waitUntil(() => pendingNames(s.h.spoolDir).length === 2, { what: 'both renewals spooled in the configured spool' });
    const events = pendingNames(s.h.spoolDir).map((name) => JSON.parse(readFileSync(join(s.h.spoolDir, 'new', name), 'utf8')).event);
    expect(events.map((e) => [e.mac.toLowerCase(), e.hostname]).sort()).toEqual(BMCS.map((b) => [b.mac, null]).sort());
    // … and the namespace's drainers did start (they log to the spool's drain.log; NetBox is out of their reach).
    await waitUntil(() => drainLogSize() > before, { what: 'a drainer started by the hostile-hostname commits to log' });
    await drainFromHost(s);
    await assertBmcsDiscovered(s, subnet);
  });
});

describe.skipIf(!ready || !existsSync(KEA_RUN_SCRIPT))('Kea runs bm-hook through libdhcp_run_script.so', () => {
  const subnet = '10.213.8';
  let s: Setup;
  beforeAll(async () => {
    s = await setUp(subnet);
    const conf = join(s.dir, 'kea-dhcp4.conf');
    writeFileSync(
      conf,
      JSON.stringify({
        Dhcp4: {
          'interfaces-config': { interfaces: [s.lab.bridge] },
          'lease-database': { type: 'memfile', persist: false },
          'valid-lifetime': 600,
          subnet4: [{ id: 1, subnet: `${subnet}.0/24`, pools: [{ pool: `${subnet}.100 - ${subnet}.150` }] }],
          'hooks-libraries': [{ library: KEA_RUN_SCRIPT, parameters: { name: s.wrapper, sync: false } }],
          loggers: [{ name: 'kea-dhcp4', output_options: [{ output: 'stderr' }], severity: 'INFO' }],
        },
      }),
    );
    const env = { KEA_PIDFILE_DIR: s.dir, KEA_LOCKFILE_DIR: s.dir };
    const kea = s.lab.spawn(s.lab.server, ['kea-dhcp4', '-c', conf], env);
    const log = captureOutput(kea.stderr);
    await waitUntil(() => /DHCP4_STARTED/.test(log.text()) || kea.exitCode !== null, { what: 'kea to start' });
    expect({ exited: kea.exitCode, log: kea.exitCode !== null ? log.text() : '' }).toEqual({ exited: null, log: '' });
  });
  afterAll(async () => {
    await s?.lab.close();
    await s?.h.close();
  });

  test('Kea BMC leases end discovered; Kea passes no PATH and every lease, the hook filters by OUI', async () => {
    await leaseAll(s);
    // run_script is asynchronous: wait until both BMC leases are spooled (or applied by a drainer).
    await waitUntil(() => readFileSync(s.calls, 'utf8').trim().split('\n').length >= 3, { what: 'Kea to run the hook for every lease' });
    await waitUntil(() => pendingNames(s.h.spoolDir).length === 2, { what: 'two BMC leases spooled' });
    const calls = readFileSync(s.calls, 'utf8').trim().split('\n');
    expect(calls.every((c) => c.startsWith('leases4_committed'))).toBe(true);
    await drainFromHost(s);
    await assertBmcsDiscovered(s, subnet);
  });
});
