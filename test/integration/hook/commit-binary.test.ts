/**
 * The compiled bm-hook as dhcpd runs it (only PATH in the environment): the
 * fast path spools and returns without touching NetBox; NetBox trouble keeps
 * events until it is back; concurrency and kill -9 lose and duplicate nothing.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tryLockDrain } from '../../../hook/lock.ts';
import { failedNames, pendingNames } from '../../../hook/spool.ts';
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
    const result = await runHook(['--config', h.configPath, 'commit', '10.7.0.5', mac, 'ilo-a']);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('BMC lease spooled');
    await waitUntil(async () => (await status()) === 'discovered', { what: 'device discovered' });
    await waitUntil(() => pendingNames(h.spoolDir).length === 0, { what: 'spool drained' });
  });

  test('a non-BMC MAC is ignored: exit 0, nothing spooled, NetBox untouched', async () => {
    const result = await runHook(['--config', h.configPath, 'commit', '10.7.0.6', 'a0:36:9f:01:02:03', '']);
    expect(result.exitCode).toBe(0);
    expect(pendingNames(h.spoolDir)).toEqual([]);
    expect(sim().requests()).toEqual([]);
  });

  test('malformed arguments are logged, exit 0, nothing spooled', async () => {
    for (const args of [['10.7.0.300', mac], ['10.7.0.6', '94:40:c9:zz:00:01'], []]) {
      const result = await runHook(['--config', h.configPath, 'commit', ...args]);
      expect(result.exitCode).toBe(0);
      expect(result.stderr).toMatch(/malformed lease ignored/);
    }
    expect(pendingNames(h.spoolDir)).toEqual([]);
  });

  test('an invalid config is logged loudly and the lease is still spooled', async () => {
    writeFileSync(h.configPath, '{"netbox": {"url": 5}}');
    const result = await runHook(['--config', h.configPath, '--no-drain', 'commit', '10.7.0.7', mac], { BM_SPOOL_DIR: h.spoolDir });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/<3>bm-hook\[\d+\]: ERROR invalid config.*netbox\.url/);
    expect(pendingNames(h.spoolDir).length).toBe(1);
  });

  test('an unwritable spool is the one case that exits non-zero', async () => {
    const result = await runHook(['--config', h.configPath, '--no-drain', 'commit', '10.7.0.8', mac], { BM_SPOOL_DIR: '/dev/null/spool' });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/cannot spool BMC lease/);
  });

  test('commit never talks to NetBox itself', async () => {
    await runHook(['--config', h.configPath, '--no-drain', 'commit', '10.7.0.9', mac]);
    expect(sim().requests()).toEqual([]);
    expect(pendingNames(h.spoolDir).length).toBe(1);
  });
});

describe("a DHCP client's hostname is lease data, never an option (dhcpd passes it verbatim)", () => {
  const hostile = ['--help', '--version', '-v', '--no-drain', '--config=/etc/passwd', '$(reboot)', ';rm -rf /', 'x'.repeat(300), 'hôte-ünïcode'];
  for (const [i, hostname] of hostile.entries()) {
    test(`hostname ${JSON.stringify(hostname.slice(0, 24))}: the lease is spooled without it and the drainer applies it with the configured config`, async () => {
      // dhcpd's call as the generated snippet makes it (`commit -- …`), and without the `--`.
      const separator = i % 2 === 0 ? ['--'] : [];
      const result = await runHook(['--config', h.configPath, 'commit', ...separator, `10.7.4.${i + 5}`, mac, hostname]);
      expect({ exitCode: result.exitCode, stdout: result.stdout }).toEqual({ exitCode: 0, stdout: '' });
      expect(result.stderr).toContain('client hostname dropped (not a valid hostname)');
      expect(result.stderr).toMatch(/BMC lease spooled .*hostname=-/);
      // Applied by the drainer commit started, which read the configured config (NetBox URL, this spool).
      await waitUntil(async () => (await status()) === 'discovered', { what: 'device discovered by the drainer' });
      await waitUntil(() => pendingNames(h.spoolDir).length === 0, { what: 'spool drained' });
    });
  }

  test('a valid hostname is kept', async () => {
    const result = await runHook(['--config', h.configPath, '--no-drain', 'commit', '--', '10.7.4.30', mac, 'ilo-cz2034.example.net']);
    expect(result.stderr).toMatch(/BMC lease spooled .*hostname=ilo-cz2034\.example\.net/);
  });

  test('options after the subcommand are refused (old form): exit 2 naming the right form, nothing spooled', async () => {
    const result = await runHook(['commit', '10.7.4.31', mac, 'ilo', '--no-drain', '--config', h.configPath]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('bm-hook [--config FILE] [--no-drain] commit [--] IP MAC [HOSTNAME]');
    expect(pendingNames(h.spoolDir)).toEqual([]);
  });

  test('`commit --help` is a malformed lease (logged with a hint, exit 0); `--help commit` shows the help', async () => {
    const data = await runHook(['--config', h.configPath, 'commit', '--help']);
    expect({ exitCode: data.exitCode, stdout: data.stdout }).toEqual({ exitCode: 0, stdout: '' });
    expect(data.stderr).toContain('malformed lease ignored');
    expect(data.stderr).toContain('options go before it');
    const help = await runHook(['--help', 'commit']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toStartWith('bm-hook [--config FILE] [--no-drain] commit [--] IP MAC [HOSTNAME]\n');
    expect(help.stdout).toMatch(/Every argument after `commit` is\s+lease data/);
  });
});

describe('a planted spool event is validated like a lease before anything is applied', () => {
  test('a hostname that would break out of the journal markdown moves the event to failed/ with the reason; NetBox untouched', async () => {
    const planted = {
      v: 1,
      ip: '10.7.5.5',
      mac: mac.toUpperCase(),
      hostname: 'x` <img src=x onerror=alert(1)> `',
      source: 'dhcpd',
      receivedAt: new Date().toISOString(),
    };
    writeFileSync(join(h.spoolDir, 'new', '0000000000001-planted.json'), `${JSON.stringify({ event: planted })}\n`);
    const drained = await runHook(['--config', h.configPath, 'drain']);
    expect(drained.stderr).toContain('event hostname is not a valid hostname');
    expect(pendingNames(h.spoolDir)).toEqual([]);
    expect(failedNames(h.spoolDir)).toEqual(['0000000000001-planted.json']);
    const record = JSON.parse(readFileSync(join(h.spoolDir, 'failed', '0000000000001-planted.json'), 'utf8'));
    expect(record.reason).toStartWith('event hostname is not a valid hostname: ');
    expect(
      sim()
        .requests()
        .filter((r) => r.method !== 'GET'),
    ).toEqual([]);
    expect(await status()).toBe('offline');
    expect(await listDeviceJournal(h.client, device.id)).toEqual([]);
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
      expect((await runHook(['--config', h.configPath, '--no-drain', 'commit', '10.7.1.5', mac])).exitCode).toBe(0);
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
    await runHook(['--config', h.configPath, '--no-drain', 'commit', '10.7.1.6', mac]);
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
    await runHook(['--config', h.configPath, '--no-drain', 'commit', '10.7.1.7', mac]);
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
    const result = await runHook(['--config', h.configPath, 'commit', '10.7.1.8', mac]);
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
      Bun.spawn([hookBinary(), '--config', h.configPath, 'commit', '10.7.2.5', mac, 'ilo'], {
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
    await runHook(['--config', h.configPath, '--no-drain', 'commit', '10.7.3.5', mac]);
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
