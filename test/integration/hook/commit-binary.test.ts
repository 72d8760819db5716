/**
 * The compiled bm-hook as dhcpd runs it (only PATH in the environment): the
 * fast path spools and returns without touching NetBox; NetBox trouble keeps
 * events until it is back; concurrency and kill -9 lose and duplicate nothing.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { tryLockDrain } from '../../../hook/lock.ts';
import { pendingNames } from '../../../hook/spool.ts';
import { findInterfaceIpAddresses, getDevice, listDeviceJournal } from '../../../shared/netbox/index.ts';
import { startSimulator, type FaultSpec } from '../../netbox-sim/index.ts';
import { hookBinary, runHook, startHookHarness, type HookHarness } from '../../helpers/hook-harness.ts';
import { randomMac } from '../../helpers/netbox-fixtures.ts';
import { waitUntil } from '../../helpers/wait.ts';

let h: HookHarness;
let device: { id: number };
let mac: string;
let bmcId: number;

beforeAll(() => {
  hookBinary();
});
beforeEach(async () => {
  h = await startHookHarness({ flavour: '4.6' });
  device = await h.fx.createDevice();
  mac = randomMac('94:40:c9');
  bmcId = (await h.fx.createInterface(device.id, { name: 'bmc', mac, mgmtOnly: true })).id;
  h.target.sim!.clearRequests();
});
afterEach(async () => {
  await waitUntil(() => drainerIdle(), { what: 'drainers to finish' });
  await h.close();
});

function drainerIdle(): boolean {
  const lock = tryLockDrain(h.spoolDir);
  lock?.release();
  return lock !== null;
}
const sim = () => h.target.sim!;
const status = async () => (await getDevice(h.client, device.id)).status.value;
const writeConfig = (patch: Record<string, unknown>) => {
  const config = JSON.parse(readFileSync(h.configPath, 'utf8'));
  writeFileSync(h.configPath, JSON.stringify({ ...config, ...patch, netbox: { ...config.netbox, ...(patch.netbox as object) } }));
};

describe('commit', () => {
  test('spools a BMC lease, exits 0, and its detached drainer makes the device discovered', async () => {
    const result = await runHook(['commit', '10.7.0.5', mac, 'ilo-a', '--config', h.configPath]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('BMC lease spooled');
    await waitUntil(async () => (await status()) === 'discovered', { what: 'device discovered' });
    await waitUntil(() => pendingNames(h.spoolDir).length === 0, { what: 'spool drained' });
  });

  test('a non-BMC MAC is ignored: exit 0, nothing spooled, NetBox untouched', async () => {
    const result = await runHook(['commit', '10.7.0.6', 'a0:36:9f:01:02:03', '', '--config', h.configPath]);
    expect(result.exitCode).toBe(0);
    expect(pendingNames(h.spoolDir)).toEqual([]);
    expect(sim().requests()).toEqual([]);
  });

  test('malformed arguments are logged, exit 0, nothing spooled', async () => {
    for (const args of [['10.7.0.300', mac], ['10.7.0.6', '94:40:c9:zz:00:01'], []]) {
      const result = await runHook(['commit', ...args, '--config', h.configPath]);
      expect(result.exitCode).toBe(0);
      expect(result.stderr).toMatch(/malformed lease ignored/);
    }
    expect(pendingNames(h.spoolDir)).toEqual([]);
  });

  test('an invalid config is logged loudly and the lease is still spooled', async () => {
    writeFileSync(h.configPath, '{"netbox": {"url": 5}}');
    const result = await runHook(['commit', '10.7.0.7', mac, '--no-drain', '--config', h.configPath], { BM_SPOOL_DIR: h.spoolDir });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/<3>bm-hook\[\d+\]: ERROR invalid config.*netbox\.url/);
    expect(pendingNames(h.spoolDir).length).toBe(1);
  });

  test('an unwritable spool is the one case that exits non-zero', async () => {
    const result = await runHook(['commit', '10.7.0.8', mac, '--no-drain', '--config', h.configPath], { BM_SPOOL_DIR: '/dev/null/spool' });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/cannot spool BMC lease/);
  });

  test('commit never talks to NetBox itself', async () => {
    await runHook(['commit', '10.7.0.9', mac, '--no-drain', '--config', h.configPath]);
    expect(sim().requests()).toEqual([]);
    expect(pendingNames(h.spoolDir).length).toBe(1);
  });
});

describe('NetBox trouble keeps the event until NetBox is back', () => {
  const faults: [string, FaultSpec[]][] = [
    ['hanging', [{ kind: 'hang' }]],
    ['answering 503', [{ kind: 'status', status: 503 }]],
    ['answering 429', [{ kind: 'status', status: 429, retryAfterS: 1 }]],
    ['answering 500', [{ kind: 'status', status: 500 }]],
  ];
  for (const [what, spec] of faults) {
    test(`NetBox ${what}: event kept, then applied`, async () => {
      sim().setFaults(spec);
      expect((await runHook(['commit', '10.7.1.5', mac, '--no-drain', '--config', h.configPath])).exitCode).toBe(0);
      const failed = await runHook(['drain', '--budget-ms', '1000', '--config', h.configPath]);
      expect(failed.exitCode).toBe(3);
      expect(failed.stderr).toContain('lease kept for retry');
      expect(pendingNames(h.spoolDir).length).toBe(1);
      expect(JSON.parse((await runHook(['status', '--json', '--config', h.configPath])).stdout)).toMatchObject({ waiting: 1, failed: 0 });
      sim().clearFaults();
      // The event's backoff (≤ 1.25 s here) must pass before the next drain applies it.
      const healed = await runHook(['drain', '--budget-ms', '10000', '--config', h.configPath]);
      expect(healed.stderr).toContain('lease applied');
      expect(healed.exitCode).toBe(0);
      expect(await status()).toBe('discovered');
      expect(pendingNames(h.spoolDir)).toEqual([]);
    });
  }

  test('NetBox refusing the token (403): event kept until the token is fixed', async () => {
    writeConfig({ netbox: { token: 'nbt_wrongkey12345.wrongsecretwrongsecret' } });
    await runHook(['commit', '10.7.1.6', mac, '--no-drain', '--config', h.configPath]);
    const refused = await runHook(['drain', '--budget-ms', '1000', '--config', h.configPath]);
    expect(refused.stderr).toContain('lease kept for retry');
    expect(refused.stderr).not.toContain('wrongsecret');
    writeConfig({ netbox: { token: h.target.token } });
    await runHook(['drain', '--budget-ms', '10000', '--config', h.configPath]);
    expect(await status()).toBe('discovered');
  });

  test('NetBox down: event kept, applied when it comes back on the same address', async () => {
    const port = Number(new URL(h.target.url).port);
    const { v1Token } = sim();
    await sim().close();
    await runHook(['commit', '10.7.1.7', mac, '--no-drain', '--config', h.configPath]);
    const down = await runHook(['drain', '--budget-ms', '1000', '--config', h.configPath]);
    expect(down.stderr).toMatch(/cannot reach NetBox/);
    expect(pendingNames(h.spoolDir).length).toBe(1);
    // A fresh NetBox on the same port, holding the same device (ids restart at 1 in both).
    const back = await startSimulator({ port, flavour: '4.6', v1Token });
    try {
      writeConfig({ netbox: { token: v1Token } });
      const fx = await (await import('../../helpers/netbox-fixtures.ts')).createFixtures(back.url, v1Token);
      const again = await fx.createDevice();
      await fx.createInterface(again.id, { name: 'bmc', mac });
      await runHook(['drain', '--budget-ms', '10000', '--config', h.configPath]);
      expect((await getDevice(fx.client, again.id)).status.value).toBe('discovered');
    } finally {
      await back.close();
    }
  });

  test('a hanging NetBox does not hold up commit: it returns while its drainer is still waiting', async () => {
    sim().setFaults([{ kind: 'hang', times: 1 }]);
    const result = await runHook(['commit', '10.7.1.8', mac, '--config', h.configPath]);
    expect(result.exitCode).toBe(0);
    // commit has returned; its drainer is now stuck on the hanging request …
    await waitUntil(
      () =>
        sim()
          .requests()
          .some((r) => r.fault === 'hang'),
      { what: 'the drainer to reach the hanging NetBox' },
    );
    expect(drainerIdle()).toBe(false);
    // … times out (500 ms), retries, and applies the lease.
    await waitUntil(async () => (await status()) === 'discovered', { what: 'device discovered after the hang' });
  });
});

describe('no lost and no doubled events', () => {
  test('20 concurrent commits for one MAC give exactly one IP and one status change', async () => {
    const commits = Array.from({ length: 20 }, () =>
      Bun.spawn([hookBinary(), 'commit', '10.7.2.5', mac, 'ilo', '--config', h.configPath], {
        env: { PATH: '/usr/bin:/bin', BM_HOOK_NO_SYSLOG: '1' },
        stdout: 'ignore',
        stderr: 'ignore',
      }),
    );
    expect(await Promise.all(commits.map((c) => c.exited))).toEqual(Array(20).fill(0));
    await waitUntil(() => pendingNames(h.spoolDir).length === 0 && drainerIdle(), { timeoutMs: 30_000, what: 'all drainers to finish' });
    const log = sim().requests();
    expect(log.filter((r) => r.method === 'POST' && r.path === '/api/ipam/ip-addresses/').length).toBe(1);
    expect(log.filter((r) => r.method === 'PATCH' && (r.body as { status?: string })?.status === 'discovered').length).toBe(1);
    expect((await findInterfaceIpAddresses(h.client, bmcId)).length).toBe(1);
    expect((await listDeviceJournal(h.client, device.id)).length).toBe(1);
    expect(await status()).toBe('discovered');
  });

  test('kill -9 of the drainer mid-event: nothing lost, nothing applied twice', async () => {
    writeConfig({ netbox: { timeoutMs: 60_000, deadlineMs: 60_000 } });
    await runHook(['commit', '10.7.3.5', mac, '--no-drain', '--config', h.configPath]);
    // The IP is created, then the oob_ip PATCH hangs: the drainer is mid-way through recordBmcIp.
    sim().setFaults([{ kind: 'hang', method: 'PATCH', pathPrefix: `/api/dcim/devices/${device.id}/` }]);
    const drainer = Bun.spawn([hookBinary(), 'drain', '--config', h.configPath], {
      env: { PATH: '/usr/bin:/bin', BM_HOOK_NO_SYSLOG: '1' },
      stdout: 'ignore',
      stderr: 'ignore',
    });
    await waitUntil(
      () =>
        sim()
          .requests()
          .some((r) => r.fault === 'hang'),
      { what: 'the drainer to hang on oob_ip' },
    );
    drainer.kill('SIGKILL');
    await drainer.exited;
    expect(pendingNames(h.spoolDir).length).toBe(1);
    sim().clearFaults();
    const rerun = await runHook(['drain', '--config', h.configPath]);
    expect(rerun.stderr).toContain('lease applied');
    const log = sim().requests();
    expect(log.filter((r) => r.method === 'POST' && r.path === '/api/ipam/ip-addresses/').length).toBe(1);
    expect((await findInterfaceIpAddresses(h.client, bmcId)).map((i) => i.address)).toEqual(['10.7.3.5/32']);
    expect(await status()).toBe('discovered');
    expect((await getDevice(h.client, device.id)).oob_ip?.address).toBe('10.7.3.5/32');
    expect((await listDeviceJournal(h.client, device.id)).length).toBe(1);
    expect(pendingNames(h.spoolDir)).toEqual([]);
  });
});
