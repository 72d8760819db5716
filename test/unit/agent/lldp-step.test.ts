import { afterEach, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLldpStep, physicalNicsFromSysfs } from '../../../agent/steps/04-lldp.ts';
import { DaemonStartError, type DaemonProcess, type DaemonStarter } from '../../../agent/tools/lldpd.ts';
import type { ToolInvocation, ToolResult, ToolRunner } from '../../../agent/tools/run-tool.ts';
import type { Inventory, NicInfo } from '../../../agent/inventory-types.ts';
import { createTestContext, type TestStepContext } from '../../helpers/agent-context.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dir, '../../fixtures/lldpcli', name), 'utf8');
const ZERO = fixture('json0-zero-neighbours.json');
const SEVERAL = fixture('json0-several-neighbours.json'); // eno1 → leaf-1 swp7, eno2 → leaf-1 swp8

interface FakeLink {
  name: string;
  mac: string;
  up: boolean;
  /** Carrier once up. */
  cable: boolean;
}

/** A fake machine: `ip` and `lldpcli` answer from state; every call is recorded. */
function fakeTools(links: FakeLink[], lldpcli: (call: number) => { exitCode: number; stdout: string; stderr?: string }, extra: (inv: ToolInvocation) => ToolResult | null = () => null) {
  const calls: ToolInvocation[] = [];
  let lldpcliCalls = 0;
  const result = (inv: ToolInvocation, exitCode: number, stdout = '', stderr = ''): ToolResult => ({
    tool: inv.tool, command: [inv.tool, ...inv.args], exitCode, signal: null, stdout, stderr, durationMs: 1, timedOut: false, aborted: false, missing: false,
  });
  const run: ToolRunner = async (inv) => {
    calls.push(inv);
    const custom = extra(inv);
    if (custom) return custom;
    if (inv.tool === 'ip' && inv.args.join(' ') === '-j link show') {
      return result(inv, 0, JSON.stringify(links.map((l) => ({ ifname: l.name, address: l.mac, operstate: l.up && l.cable ? 'UP' : 'DOWN', flags: ['BROADCAST', ...(l.up ? ['UP'] : []), ...(l.up && l.cable ? ['LOWER_UP'] : [])] }))));
    }
    if (inv.tool === 'ip' && inv.args[0] === 'link' && inv.args[1] === 'set') {
      const link = links.find((l) => l.name === inv.args[3]);
      if (!link) return result(inv, 1, '', `Cannot find device "${inv.args[3]}"`);
      link.up = true;
      return result(inv, 0);
    }
    if (inv.tool === 'lldpcli') {
      const answer = lldpcli(lldpcliCalls++);
      return result(inv, answer.exitCode, answer.stdout, answer.stderr ?? '');
    }
    return result(inv, 127, '', `${inv.tool}: not faked`);
  };
  return { run, calls };
}

function fakeDaemon(behaviour: { exitAfterStart?: boolean } = {}) {
  const started: string[][] = [];
  let stopped = 0;
  const starter: DaemonStarter = (argv) => {
    started.push(argv);
    let ended = Boolean(behaviour.exitAfterStart);
    const daemon: DaemonProcess = {
      pid: 4242,
      command: argv,
      exited: Promise.resolve(behaviour.exitAfterStart ? 1 : 0),
      hasExited: () => ended,
      output: () => (behaviour.exitAfterStart ? 'lldpd: unable to create control socket' : ''),
      stop: async () => {
        stopped++;
        ended = true;
      },
    };
    return daemon;
  };
  return { starter, started, stopped: () => stopped };
}

const links = (): FakeLink[] => [
  { name: 'eno1', mac: '02:00:5e:10:00:01', up: false, cable: true },
  { name: 'eno2', mac: '02:00:5e:10:00:02', up: false, cable: true },
];

const contexts: TestStepContext[] = [];
const dirs: string[] = [];
function context(tunables: Record<string, string | number | boolean>, run: ToolRunner, extra: Partial<TestStepContext> = {}): TestStepContext {
  const ctx = createTestContext({ tunables: { deadline_s: 5, poll_ms: 100, require_neighbour: true, ...tunables }, run, ...extra });
  contexts.push(ctx);
  return ctx;
}
afterEach(() => {
  for (const ctx of contexts.splice(0)) ctx.cleanup();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('04-lldp step (fake tools)', () => {
  test('brings the NICs up, starts lldpd on them and returns as soon as every linked NIC has a neighbour', async () => {
    const tools = fakeTools(links(), (call) => (call < 3 ? { exitCode: 0, stdout: ZERO } : { exitCode: 0, stdout: SEVERAL }));
    const daemon = fakeDaemon();
    const ctx = context({ interfaces: 'eno1,eno2' }, tools.run);
    const result = await createLldpStep({ startDaemon: daemon.starter }).run(ctx, () => {});
    expect(result.status).toBe('pass');
    expect(result.metrics.earlyExit).toBe(true);
    expect(result.metrics.waitedMs as number).toBeLessThan(5000);
    expect(tools.calls.filter((c) => c.args[1] === 'set').map((c) => c.args[3])).toEqual(['eno1', 'eno2']);
    expect(daemon.started[0]).toEqual(expect.arrayContaining(['-d', '-r', '-I', 'eno1,eno2']));
    expect(daemon.stopped()).toBe(1);
    expect(result.evidence.map((e) => e.file)).toEqual(['04-lldp/neighbors.json', '04-lldp/lldpd.log']);
    expect(result.table?.rows.map((r) => [r[0], r[3], r[6]])).toEqual([['eno1', 'leaf-1 swp7', 'seen'], ['eno2', 'leaf-1 swp8', 'seen']]);
  });

  test('the final lldpcli call saves its json0 output as evidence', async () => {
    const tools = fakeTools(links(), () => ({ exitCode: 0, stdout: SEVERAL }));
    const ctx = context({ interfaces: 'eno1,eno2' }, tools.run);
    await createLldpStep({ startDaemon: fakeDaemon().starter }).run(ctx, () => {});
    const withEvidence = tools.calls.filter((c) => c.evidenceAs);
    expect(withEvidence).toHaveLength(1);
    expect(withEvidence[0]).toMatchObject({ tool: 'lldpcli', evidenceAs: '04-lldp/neighbors.json' });
    expect(withEvidence[0]!.args).toEqual(expect.arrayContaining(['-f', 'json0', 'show', 'neighbors', 'details']));
  });

  test('when the final lldpcli call fails, the last good answer is judged and saved as evidence', async () => {
    const tools = fakeTools(links(), (call) => (call === 0 ? { exitCode: 0, stdout: SEVERAL } : { exitCode: 1, stdout: '', stderr: 'lldpcli: timeout' }));
    const ctx = context({ interfaces: 'eno1,eno2' }, tools.run);
    const result = await createLldpStep({ startDaemon: fakeDaemon().starter }).run(ctx, () => {});
    expect(result.status).toBe('pass');
    expect(readFileSync(ctx.evidence.pathOf('04-lldp/neighbors.json'), 'utf8')).toBe(SEVERAL);
  });

  test('a linked NIC that never hears a neighbour keeps the step waiting until the deadline, then fails naming it', async () => {
    const tools = fakeTools([...links(), { name: 'eno3', mac: '02:00:5e:10:00:03', up: false, cable: true }], () => ({ exitCode: 0, stdout: SEVERAL }));
    const ctx = context({ interfaces: 'eno1,eno2,eno3', deadline_s: 0.6 }, tools.run);
    const result = await createLldpStep({ startDaemon: fakeDaemon().starter }).run(ctx, () => {});
    expect(result.status).toBe('fail');
    expect(result.metrics.earlyExit).toBe(false);
    expect(result.metrics.waitedMs as number).toBeGreaterThanOrEqual(600);
    expect(result.summary).toBe('no LLDP neighbour on eno3 (missing)');
    expect(result.reasons).toEqual(['eno3 has link but no LLDP neighbour was heard']);
  });

  test('progress reports how many NICs have a neighbour', async () => {
    const tools = fakeTools(links(), (call) => (call < 2 ? { exitCode: 0, stdout: ZERO } : { exitCode: 0, stdout: SEVERAL }));
    const messages: string[] = [];
    await createLldpStep({ startDaemon: fakeDaemon().starter }).run(context({ interfaces: 'eno1,eno2' }, tools.run), (p) => messages.push(p.message ?? ''));
    expect(messages).toContain('0 of 2 NICs have an LLDP neighbour');
  });

  test('lldpcli failing while lldpd starts up is waited out', async () => {
    const tools = fakeTools(links(), (call) => (call < 2 ? { exitCode: 1, stdout: '', stderr: 'unable to connect to socket' } : { exitCode: 0, stdout: SEVERAL }));
    const result = await createLldpStep({ startDaemon: fakeDaemon().starter }).run(context({ interfaces: 'eno1,eno2' }, tools.run), () => {});
    expect(result.status).toBe('pass');
  });

  test('lldpd that never answers is an error naming lldpcli’s complaint', async () => {
    const tools = fakeTools(links(), () => ({ exitCode: 1, stdout: '', stderr: 'lldpcli: unable to connect to socket' }));
    const result = await createLldpStep({ startDaemon: fakeDaemon().starter }).run(context({ interfaces: 'eno1,eno2', deadline_s: 0.3 }, tools.run), () => {});
    expect(result.status).toBe('error');
    expect(result.summary).toBe('lldpd never answered');
    expect(result.reasons[0]).toContain('unable to connect to socket');
  });

  test('lldpd not installed is an error saying so', async () => {
    const tools = fakeTools(links(), () => ({ exitCode: 0, stdout: ZERO }));
    const starter: DaemonStarter = (argv) => {
      throw new DaemonStartError(argv, true);
    };
    const result = await createLldpStep({ startDaemon: starter }).run(context({ interfaces: 'eno1' }, tools.run), () => {});
    expect(result).toMatchObject({ status: 'error', summary: 'lldpd is not installed' });
  });

  test('lldpd exiting on its own is an error with its last words', async () => {
    const tools = fakeTools(links(), () => ({ exitCode: 0, stdout: ZERO }));
    const result = await createLldpStep({ startDaemon: fakeDaemon({ exitAfterStart: true }).starter }).run(context({ interfaces: 'eno1' }, tools.run), () => {});
    expect(result.status).toBe('error');
    expect(result.reasons[0]).toContain('unable to create control socket');
    expect(result.evidence.map((e) => e.file)).toContain('04-lldp/lldpd.log');
  });

  test('aborting the step stops lldpd and returns at once, without polling on to the deadline', async () => {
    const controller = new AbortController();
    // Abort while the step waits for neighbours: on its first lldpcli poll.
    const tools = fakeTools(links(), () => {
      controller.abort();
      return { exitCode: 0, stdout: ZERO };
    });
    const daemon = fakeDaemon();
    const ctx = context({ interfaces: 'eno1', deadline_s: 30, poll_ms: 1000 }, tools.run, { signal: controller.signal });
    const result = await createLldpStep({ startDaemon: daemon.starter }).run(ctx, () => {});
    expect(result).toMatchObject({ status: 'error', summary: 'LLDP check cancelled' });
    expect(tools.calls.filter((c) => c.tool === 'lldpcli').length).toBeLessThanOrEqual(2);
    expect(daemon.stopped()).toBe(1);
  });

  test('a NIC that does not exist is an error and lldpd is not started', async () => {
    const tools = fakeTools(links(), () => ({ exitCode: 0, stdout: ZERO }));
    const daemon = fakeDaemon();
    const result = await createLldpStep({ startDaemon: daemon.starter }).run(context({ interfaces: 'eno1,eno9' }, tools.run), () => {});
    expect(result).toMatchObject({ status: 'error', summary: 'no such NIC: eno9' });
    expect(daemon.started).toEqual([]);
  });

  test('no physical NIC in the inventory skips the step', async () => {
    const inventory = { nics: [{ name: 'lo', mac: '00:00:00:00:00:00', physical: false, driver: null, speedMbps: null, linkUp: true }] } as unknown as Inventory;
    const result = await createLldpStep({ startDaemon: fakeDaemon().starter }).run(context({}, fakeTools([], () => ({ exitCode: 0, stdout: ZERO })).run, { inventory }), () => {});
    expect(result.status).toBe('skip');
  });

  test('the inventory’s physical NICs are checked by default', async () => {
    const nics: NicInfo[] = [
      { name: 'eno1', mac: '02:00:5e:10:00:01', physical: true, driver: 'ixgbe', speedMbps: 10000, linkUp: false },
      { name: 'eno2', mac: '02:00:5e:10:00:02', physical: true, driver: 'ixgbe', speedMbps: 10000, linkUp: false },
      { name: 'br0', mac: '02:00:5e:10:00:09', physical: false, driver: null, speedMbps: null, linkUp: true },
    ];
    const daemon = fakeDaemon();
    const tools = fakeTools(links(), () => ({ exitCode: 0, stdout: SEVERAL }));
    const result = await createLldpStep({ startDaemon: daemon.starter }).run(context({}, tools.run, { inventory: { nics } as unknown as Inventory }), () => {});
    expect(result.status).toBe('pass');
    expect(daemon.started[0]).toEqual(expect.arrayContaining(['-I', 'eno1,eno2']));
  });
});

describe('sysfs', () => {
  function fakeSys(): string {
    const sys = mkdtempSync(join(tmpdir(), 'bmt-sys-'));
    dirs.push(sys);
    const pci = (addr: string, driver: string) => {
      const dev = join(sys, 'devices/pci0000:00', addr);
      mkdirSync(dev, { recursive: true });
      mkdirSync(join(sys, 'bus/pci/drivers', driver), { recursive: true });
      symlinkSync(join(sys, 'bus/pci/drivers', driver), join(dev, 'driver'));
      return dev;
    };
    mkdirSync(join(sys, 'class/net/eno1'), { recursive: true });
    mkdirSync(join(sys, 'class/net/eno2'), { recursive: true });
    mkdirSync(join(sys, 'class/net/lo'), { recursive: true });
    symlinkSync(pci('0000:3b:00.0', 'i40e'), join(sys, 'class/net/eno1/device'));
    symlinkSync(pci('0000:3b:00.1', 'i40e'), join(sys, 'class/net/eno2/device'));
    mkdirSync(join(sys, 'kernel/debug/i40e/0000:3b:00.0'), { recursive: true });
    writeFileSync(join(sys, 'kernel/debug/i40e/0000:3b:00.0/command'), '');
    return sys;
  }

  test('physical NICs are those with a device behind them', () => {
    expect(physicalNicsFromSysfs(fakeSys())).toEqual(['eno1', 'eno2']);
  });

  test('the i40e firmware LLDP agent is stopped through debugfs, or ethtool where debugfs has no command file', async () => {
    const sys = fakeSys();
    const tools = fakeTools(links(), () => ({ exitCode: 0, stdout: SEVERAL }), (inv) =>
      inv.tool === 'ethtool' ? { tool: 'ethtool', command: ['ethtool', ...inv.args], exitCode: 0, signal: null, stdout: '', stderr: '', durationMs: 1, timedOut: false, aborted: false, missing: false } : null,
    );
    const result = await createLldpStep({ startDaemon: fakeDaemon().starter, sysRoot: sys }).run(context({}, tools.run), () => {});
    expect(readFileSync(join(sys, 'kernel/debug/i40e/0000:3b:00.0/command'), 'utf8')).toBe('lldp stop');
    expect(tools.calls.filter((c) => c.tool === 'ethtool').map((c) => c.args)).toEqual([['--set-priv-flags', 'eno2', 'disable-fw-lldp', 'on']]);
    expect((result.details as { firmwareLldp: { nic: string; method: string }[] }).firmwareLldp.map((f) => [f.nic, f.method])).toEqual([['eno1', 'debugfs'], ['eno2', 'ethtool']]);
  });

  test('an i40e NIC whose firmware agent cannot be stopped is logged and the step goes on', async () => {
    const sys = fakeSys();
    rmSync(join(sys, 'kernel/debug'), { recursive: true });
    const tools = fakeTools(links(), () => ({ exitCode: 0, stdout: SEVERAL }));
    const ctx = context({}, tools.run);
    const result = await createLldpStep({ startDaemon: fakeDaemon().starter, sysRoot: sys }).run(ctx, () => {});
    expect(result.status).toBe('pass');
    expect(ctx.logLines.some((l) => l.includes('i40e firmware LLDP agent left running'))).toBe(true);
  });
});
