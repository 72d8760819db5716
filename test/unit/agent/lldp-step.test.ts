import { afterEach, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { plannedLldpNics } from '../../../agent/commands/plan.ts';
import { createLldpStep } from '../../../agent/steps/04-lldp.ts';
import { DaemonStartError, type DaemonProcess, type DaemonStarter } from '../../../agent/tools/lldpd.ts';
import type { ToolInvocation, ToolRunner } from '../../../agent/tools/run-tool.ts';
import { createTestContext, type TestStepContext } from '../../helpers/agent-context.ts';
import { fakeToolRunner, type FakeAnswer } from '../../helpers/fake-tools.ts';
import { createFakeSysfs, type FakeNic, type FakeSysfs } from '../../helpers/fake-sysfs.ts';

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
function fakeTools(
  links: FakeLink[],
  lldpcli: (call: number) => { exitCode: number; stdout: string; stderr?: string },
  extra: (inv: ToolInvocation) => FakeAnswer | null = () => null,
) {
  let lldpcliCalls = 0;
  const run = fakeToolRunner((inv): FakeAnswer => {
    const custom = extra(inv);
    if (custom) return custom;
    if (inv.tool === 'ip' && inv.args.join(' ') === '-j link show') {
      return {
        stdout: JSON.stringify(
          links.map((l) => ({
            ifname: l.name,
            address: l.mac,
            operstate: l.up && l.cable ? 'UP' : 'DOWN',
            flags: ['BROADCAST', ...(l.up ? ['UP'] : []), ...(l.up && l.cable ? ['LOWER_UP'] : [])],
          })),
        ),
      };
    }
    if (inv.tool === 'ip' && inv.args[0] === 'link' && inv.args[1] === 'set') {
      const link = links.find((l) => l.name === inv.args[3]);
      if (!link) return { exitCode: 1, stderr: `Cannot find device "${inv.args[3]}"` };
      link.up = true;
      return {};
    }
    if (inv.tool === 'lldpcli') return lldpcli(lldpcliCalls++);
    return { exitCode: 127, stderr: `${inv.tool}: not faked` };
  });
  return { run, calls: run.calls };
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
const sysfs: FakeSysfs[] = [];
/** A fake sysfs, removed after the test. */
function fakeSys(nics: readonly FakeNic[]): FakeSysfs {
  const sys = createFakeSysfs(nics);
  sysfs.push(sys);
  return sys;
}
function context(tunables: Record<string, string | number | boolean>, run: ToolRunner, extra: Partial<TestStepContext> = {}): TestStepContext {
  const ctx = createTestContext({ tunables: { deadline_s: 5, interfaces: '', poll_ms: 100, require_neighbour: true, ...tunables }, run, ...extra });
  contexts.push(ctx);
  return ctx;
}
afterEach(() => {
  for (const ctx of contexts.splice(0)) ctx.cleanup();
  for (const sys of sysfs.splice(0)) sys.remove();
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
    expect(result.table?.rows.map((r) => [r[0], r[3], r[6]])).toEqual([
      ['eno1', 'leaf-1 swp7', 'seen'],
      ['eno2', 'leaf-1 swp8', 'seen'],
    ]);
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
    const tools = fakeTools(links(), (call) =>
      call < 2 ? { exitCode: 1, stdout: '', stderr: 'unable to connect to socket' } : { exitCode: 0, stdout: SEVERAL },
    );
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
    const result = await createLldpStep({ startDaemon: fakeDaemon({ exitAfterStart: true }).starter }).run(
      context({ interfaces: 'eno1' }, tools.run),
      () => {},
    );
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

  test('no physical NIC skips the step', async () => {
    const sys = fakeSys([{ name: 'lo', mac: '00:00:00:00:00:00', carrier: '1', operstate: 'unknown' }]);
    const result = await createLldpStep({ startDaemon: fakeDaemon().starter, sysRoot: sys.root }).run(
      context({}, fakeTools([], () => ({ exitCode: 0, stdout: ZERO })).run),
      () => {},
    );
    expect(result.status).toBe('skip');
  });

  test('every physical NIC is checked by default, down or without carrier too; virtual ones are not', async () => {
    const sys = fakeSys(PLAN_AND_RUN_NICS);
    const daemon = fakeDaemon();
    const tools = fakeTools(links(), () => ({ exitCode: 0, stdout: SEVERAL }));
    const result = await createLldpStep({ startDaemon: daemon.starter, sysRoot: sys.root }).run(context({}, tools.run), () => {});
    expect(result.status).toBe('pass');
    expect(daemon.started[0]).toEqual(expect.arrayContaining(['-I', 'eno1,eno2']));
  });
});

/** eno1 linked, eno2 down (no carrier file answer), br0 a bridge. */
const PLAN_AND_RUN_NICS: FakeNic[] = [
  { name: 'br0', mac: '02:00:5e:10:00:09', carrier: '1', operstate: 'up' },
  { name: 'eno1', mac: '02:00:5e:10:00:01', carrier: '1', operstate: 'up', speed: '10000', device: { driver: 'ixgbe', address: '0000:5e:00.0' } },
  { name: 'eno2', mac: '02:00:5e:10:00:02', operstate: 'down', device: { driver: 'ixgbe', address: '0000:5e:00.1' } },
];

describe('bm-agent plan and run choose the same NICs', () => {
  async function runListensOn(sysRoot: string, interfaces: string): Promise<string[]> {
    const daemon = fakeDaemon();
    await createLldpStep({ startDaemon: daemon.starter, sysRoot }).run(
      context({ interfaces }, fakeTools(links(), () => ({ exitCode: 0, stdout: SEVERAL })).run),
      () => {},
    );
    const argv = daemon.started[0] ?? [];
    return argv[argv.indexOf('-I') + 1]?.split(',') ?? [];
  }

  test.each([[''], ['eno2'], ['eno2, eno1']])('with bm.lldp.interfaces=%p', async (interfaces) => {
    const sys = fakeSys(PLAN_AND_RUN_NICS);
    const planned = plannedLldpNics(interfaces, sys.root);
    expect(planned.length).toBeGreaterThan(0);
    expect(await runListensOn(sys.root, interfaces)).toEqual(planned);
  });
});

describe('i40e firmware LLDP agent', () => {
  /** Two i40e ports; the first also has the old debugfs command file (which must stay untouched: lockdown refuses it). */
  function i40eSys(): { root: string; command: string } {
    const sys = fakeSys([
      { name: 'eno1', mac: '02:00:5e:10:00:01', device: { driver: 'i40e', address: '0000:3b:00.0' } },
      { name: 'eno2', mac: '02:00:5e:10:00:02', device: { driver: 'i40e', address: '0000:3b:00.1' } },
      { name: 'lo', mac: '00:00:00:00:00:00' },
    ]);
    return { root: sys.root, command: sys.addI40eDebugfs('0000:3b:00.0') };
  }

  /** ethtool keeping each port's disable-fw-lldp (off: the firmware agent runs). */
  function ethtoolState() {
    const disabled = new Map([
      ['eno1', false],
      ['eno2', false],
    ]);
    const answer = (inv: ToolInvocation): FakeAnswer | null => {
      if (inv.tool !== 'ethtool') return null;
      const [option, nic, , value] = inv.args;
      if (option === '--show-priv-flags')
        return { stdout: `Private flags for ${nic}:\nMFP            : off\ndisable-fw-lldp: ${disabled.get(nic!) ? 'on' : 'off'}\n` };
      disabled.set(nic!, value === 'on');
      return {};
    };
    return { disabled, answer };
  }

  test('is stopped through ethtool only (never debugfs), and put back after listening', async () => {
    const sys = i40eSys();
    const ethtool = ethtoolState();
    const daemon = fakeDaemon();
    const tools = fakeTools(links(), () => ({ exitCode: 0, stdout: SEVERAL }), ethtool.answer);
    const result = await createLldpStep({ startDaemon: daemon.starter, sysRoot: sys.root }).run(context({}, tools.run), () => {});
    expect(readFileSync(sys.command, 'utf8')).toBe('');
    const sets = tools.calls.filter((c) => c.tool === 'ethtool' && c.args[0] === '--set-priv-flags').map((c) => c.args.join(' '));
    expect(sets).toEqual([
      '--set-priv-flags eno1 disable-fw-lldp on',
      '--set-priv-flags eno2 disable-fw-lldp on',
      '--set-priv-flags eno1 disable-fw-lldp off',
      '--set-priv-flags eno2 disable-fw-lldp off',
    ]);
    // Stopped before lldpd started, restored after it stopped.
    const lldpcliCalls = tools.calls.map((c, i) => (c.tool === 'lldpcli' ? i : -1)).filter((i) => i >= 0);
    const setIndexes = tools.calls.map((c, i) => (c.args[0] === '--set-priv-flags' ? i : -1)).filter((i) => i >= 0);
    expect(setIndexes[1]!).toBeLessThan(lldpcliCalls[0]!);
    expect(setIndexes[2]!).toBeGreaterThan(lldpcliCalls.at(-1)!);
    expect([...ethtool.disabled.values()]).toEqual([false, false]);
    expect(daemon.stopped()).toBe(1);
    const actions = (result.details as { firmwareLldp: { nic: string; method: string; changed: boolean; restored: boolean | null }[] }).firmwareLldp;
    expect(actions.map((f) => [f.nic, f.method, f.changed, f.restored])).toEqual([
      ['eno1', 'ethtool', true, true],
      ['eno2', 'ethtool', true, true],
    ]);
  });

  test('an i40e NIC whose firmware agent cannot be stopped is logged and the step goes on', async () => {
    const sys = i40eSys();
    const tools = fakeTools(links(), () => ({ exitCode: 0, stdout: SEVERAL }));
    const ctx = context({}, tools.run);
    const result = await createLldpStep({ startDaemon: fakeDaemon().starter, sysRoot: sys.root }).run(ctx, () => {});
    expect(result.status).toBe('pass');
    expect(ctx.logLines.some((l) => l.includes('i40e firmware LLDP agent left running'))).toBe(true);
    expect(readFileSync(sys.command, 'utf8')).toBe('');
    expect(tools.calls.filter((c) => c.args[0] === '--set-priv-flags')).toEqual([]);
  });
});
