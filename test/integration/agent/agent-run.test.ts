/**
 * `bm-agent run --profile quick` on this machine, as the compiled binary, against
 * NetBox (the simulator and the real one) and a callback receiver: the real inventory, memtester,
 * fio on a blank loop device, lldpd on this machine's NICs. Pass → staged, one
 * journal entry per step, the callback received with a valid signature; a
 * failing variant → failed with the reason in the journal.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { cpSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDevice, listDeviceJournal, type Device } from '../../../shared/netbox/index.ts';
import { agentBinary, quickRunArgs, runAgent } from '../../helpers/agent-binary.ts';
import { startCallbackReceiver, type CallbackReceiver } from '../../helpers/callback-receiver.ts';
import { createLoopLab, type LoopLab } from '../../helpers/loop-devices.ts';
import { createFixtures, type Fixtures } from '../../helpers/netbox-fixtures.ts';
import { startNetboxTarget, targetAvailable, type NetboxTarget, type TargetName } from '../../helpers/netbox-target.ts';
import { startSimulator, type Simulator } from '../../netbox-sim/index.ts';
import { requirementsMet } from '../../helpers/requirements.ts';
import { thisMachinesNic } from '../../helpers/this-machine.ts';
import { waitUntil } from '../../helpers/wait.ts';

const SECRET = 'e2e-callback-secret';
const FAILING_MEMTESTER = 'test/fixtures/memtester/fail-compare-injected.stdout';
const ready = requirementsMet('bm-agent run on this machine', { root: true, tools: ['memtester', 'fio', 'lldpd', 'lldpcli', 'losetup', 'dmidecode'] });

function physicalNic(): { name: string; mac: string } {
  const nic = thisMachinesNic();
  if (!nic) throw new Error('this machine has no physical NIC');
  return nic;
}

/** The simulator and the real NetBox. */
const RUN_TARGETS: readonly TargetName[] = ['4.6', 'real'];

describe.skipIf(!ready)('bm-agent run --profile quick on this machine', () => {
  let loops: LoopLab;
  let blank: string;

  beforeAll(async () => {
    agentBinary();
    loops = createLoopLab('bmt-agent-run-');
  });
  afterAll(async () => {
    await loops?.cleanup();
  });

  for (const flavour of RUN_TARGETS) {
    describe.skipIf(!targetAvailable(flavour))(`NetBox ${flavour}`, () => {
      let target: NetboxTarget;
      let fx: Fixtures;
      let receiver: CallbackReceiver;
      let device: Device;
      let evidenceRoot: string;

      beforeEach(async () => {
        // A fresh blank disk per run: fio's data left by an earlier run makes a disk hold data (read tests only).
        blank = await loops.createBlank(`blank-${flavour}-${Date.now()}`, 256);
        target = await startNetboxTarget({ flavour });
        fx = await createFixtures(target.url, target.token);
        receiver = startCallbackReceiver(SECRET);
        const nic = physicalNic();
        device = await fx.createDevice({ name: `this-machine-${Date.now()}`, status: 'discovered' });
        await fx.createInterface(device.id, { name: nic.name, mac: nic.mac });
        evidenceRoot = mkdtempSync(join(tmpdir(), 'bm-agent-e2e-'));
      });
      afterEach(async () => {
        await receiver.close();
        // This machine's MAC must lead to one device only: the next test makes its own.
        await fx.cleanup();
        await target.close();
      }, 30_000);

      const run = (extra: string[] = []) =>
        runAgent([...quickRunArgs(evidenceRoot, blank), ...extra], {
          NETBOX_URL: target.url,
          NETBOX_TOKEN: target.token,
          BM_CALLBACK_URL: receiver.url,
          BM_CALLBACK_SECRET: SECRET,
        });

      test('a healthy machine is staged, every step journaled, the signed callback received', async () => {
        const result = await run();
        expect({ exitCode: result.exitCode, stderr: result.exitCode ? result.stderr.slice(-3000) : '' }).toEqual({ exitCode: 0, stderr: '' });
        expect((await getDevice(fx.client, device.id)).status.value).toBe('staged');
        const journal = await listDeviceJournal(fx.client, device.id);
        const firstLines = journal.map((j) => j.comments.split('\n')[0]!);
        for (const id of ['01-init', '02-memory', '03-disk', '04-lldp']) expect(firstLines.filter((l) => l.startsWith(`**bm-agent ${id} `)).length).toBe(1);
        expect(firstLines.at(-1)).toContain('Validation PASSED');
        expect(journal.find((j) => j.comments.startsWith('**bm-agent 03-disk'))!.comments).toContain('read-write');
        expect(receiver.received.length).toBe(1);
        expect(receiver.received[0]).toMatchObject({ signatureValid: true, json: { verdict: 'pass', status: 'staged', device: { id: device.id } } });
        expect(result.stdout).toContain('████'); // the banner
        expect(result.stderr).not.toContain(target.token);
        const tarball = readdirSync(evidenceRoot).find((f) => f.endsWith('.tar.gz'));
        expect(tarball).toBeDefined();

        // The bundle re-judges to the same verdicts …
        const same = await runAgent(['evaluate', '--evidence', join(evidenceRoot, tarball!), '--json']);
        expect(same.exitCode).toBe(0);
        expect(JSON.parse(same.stdout)).toMatchObject({
          agree: true,
          schemaProblems: [],
          steps: expect.arrayContaining([expect.objectContaining({ id: '03-disk', recorded: 'pass', reevaluated: 'pass' })]),
        });
        // … and a memtester output showing a failure does not.
        const dir = join(evidenceRoot, tarball!.replace(/\.tar\.gz$/, ''));
        cpSync(FAILING_MEMTESTER, join(dir, '02-memory', 'memtester-0.txt'));
        writeFileSync(
          join(dir, '02-memory', 'memtester-0.txt.meta.json'),
          JSON.stringify({
            tool: 'memtester',
            command: ['memtester'],
            exitCode: 4,
            signal: null,
            durationMs: 1,
            timedOut: false,
            aborted: false,
            missing: false,
          }),
        );
        const differs = await runAgent(['evaluate', '--evidence', dir]);
        expect(differs.exitCode).toBe(1);
        expect(differs.stdout).toContain('DIFFERS for 02-memory');
      });

      test('a machine that does not match NetBox fails: status failed, the reason journaled and in the callback, exit 1', async () => {
        await fx.client.patch(`/api/dcim/devices/${device.id}/`, { local_context_data: { bm_expect: { memoryGB: 4096 } } });
        const result = await run();
        expect(result.exitCode).toBe(1);
        expect((await getDevice(fx.client, device.id)).status.value).toBe('failed');
        const final = (await listDeviceJournal(fx.client, device.id)).at(-1)!;
        expect(final.comments).toContain('Validation FAILED');
        expect(final.comments).toMatch(/01-init: .*memory/i);
        expect(receiver.received[0]!.json).toMatchObject({ verdict: 'fail', status: 'failed' });
      });

      test('SIGTERM mid-run cancels the running tools, journals the steps as aborted and exits 4', async () => {
        const child = Bun.spawn(
          [
            agentBinary(),
            'run',
            '--profile',
            'quick',
            '--evidence-dir',
            evidenceRoot,
            '--cmdline-file',
            '/dev/null',
            '--set',
            'memory.size_mb=16',
            '--set',
            'lldp.deadline_s=120',
            '--set',
            `disk.devices=${blank}`,
            '--set',
            'disk.runtime_s=60',
          ],
          { env: { PATH: process.env.PATH ?? '', NETBOX_URL: target.url, NETBOX_TOKEN: target.token }, stdout: 'ignore', stderr: 'pipe' },
        );
        // Once 01-init is journaled, the long disk and LLDP steps are running.
        await waitUntil(async () => (await listDeviceJournal(fx.client, device.id)).some((j) => j.comments.startsWith('**bm-agent 01-init')), {
          timeoutMs: 60_000,
          what: '01-init to be journaled',
        });
        child.kill('SIGTERM');
        expect(await child.exited).toBe(4);
        const journal = await listDeviceJournal(fx.client, device.id);
        const lldp = journal.find((j) => j.comments.startsWith('**bm-agent 04-lldp'))!;
        expect(lldp.comments).toContain('aborted');
        expect(journal.at(-1)!.comments).toContain('Validation did not complete');
        // An aborted run leaves the status alone: nobody said the machine is bad.
        expect((await getDevice(fx.client, device.id)).status.value).toBe('discovered');
      });

      test('a dry run reads NetBox but writes nothing and posts nothing', async () => {
        target.sim?.clearRequests();
        const result = await run(['--dry-run', '--json']);
        expect(result.exitCode).toBe(0);
        expect(JSON.parse(result.stdout)).toMatchObject({ dryRun: true, verdict: 'pass', device: { id: device.id } });
        if (target.sim) expect(target.sim.requests().filter((r) => r.method !== 'GET')).toEqual([]);
        expect(await listDeviceJournal(fx.client, device.id)).toEqual([]);
        expect((await getDevice(fx.client, device.id)).status.value).toBe('discovered');
        expect(receiver.received).toEqual([]);
      });
    });
  }
});

describe('NetBox or a proxy answering something that is not a NetBox list: exit 3, not a crash (exit 4)', () => {
  let sim: Simulator;
  beforeAll(async () => {
    agentBinary();
    sim = await startSimulator({ port: 0, flavour: '4.6' });
  });
  afterAll(() => sim.close());

  test.each([
    ['not-a-list', 'a list without a "results" array'],
    ['html', 'expected JSON, got text/html'],
    ['no-results', 'a list without a "results" array'],
  ] as const)('a 200 with %s', async (kind, says) => {
    sim.setFaults([{ kind, pathPrefix: '/api/dcim/' }]);
    const result = await runAgent(
      ['run', '--dry-run', '--json', '--only', '01-init', '--cmdline-file', '/dev/null', '--evidence-dir', mkdtempSync(join(tmpdir(), 'ev-'))],
      { NETBOX_URL: sim.url, NETBOX_TOKEN: sim.token },
    );
    expect({ exitCode: result.exitCode, crashed: result.stderr.includes('step crashed') }).toEqual({ exitCode: 3, crashed: false });
    const init = JSON.parse(result.stdout).steps.find((s: { id: string }) => s.id === '01-init');
    expect(init).toMatchObject({ status: 'error', cause: 'netbox-unreachable' });
    expect(init.summary).toContain('NetBox answered something unexpected');
    expect(init.summary).toContain(says);
  });
});

describe('bm-agent refuses bad input with a clear error and exit 2', () => {
  test.each([
    ['http://:99999', 'no host'],
    ['ftp://x', 'the scheme is ftp, not http or https'],
    ['not a url', 'not a URL'],
  ])('the URL %s, wherever it is given, is exit 2 naming the setting', async (url, problem) => {
    const evidenceDir = mkdtempSync(join(tmpdir(), 'ev-'));
    const cmdline = join(mkdtempSync(join(tmpdir(), 'cmdline-')), 'cmdline');
    writeFileSync(cmdline, `quiet "bm.config_url=${url}"`);
    for (const [args, key] of [
      [['--cmdline-file', '/dev/null', '--netbox-url', url], 'netbox.url'],
      [['--cmdline-file', '/dev/null', '--callback-url', url], 'callback.url'],
      [['--cmdline-file', cmdline], 'bm.config_url'],
    ] as const) {
      const result = await runAgent(['run', '--dry-run', '--evidence-dir', evidenceDir, ...args], { NETBOX_TOKEN: 'x'.repeat(40) });
      expect({ key, exitCode: result.exitCode }).toEqual({ key, exitCode: 2 });
      expect(result.stderr).toContain(`${key}: ${JSON.stringify(url)} is not a usable URL: ${problem}`);
    }
  });

  test('no NetBox configured outside a dry run', async () => {
    const result = await runAgent(['run', '--cmdline-file', '/dev/null'], { BM_AGENT_CONFIG: '/dev/null/none' });
    expect(result.exitCode).toBe(2);
  });
  test('a bad kernel command line setting names the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmdline-'));
    writeFileSync(join(dir, 'cmdline'), 'quiet bm.profile=fast bm.netbox_url=http://127.0.0.1:9');
    const result = await runAgent(['run', '--cmdline-file', join(dir, 'cmdline')]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('profile: must be one of "quick", "full"');
  });
  test.each([
    // Once silently dropped.
    ['bm.netbox_ur=http://127.0.0.1:9', 'bm.netbox_ur: unknown kernel parameter (check the spelling); did you mean bm.netbox_url?'],
    // Once an exit 4 with ajv internals.
    ['bm.__proto__.x=1', 'bm.__proto__.x: forbidden key'],
  ])('kernel parameter %s is refused by name', async (word, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'cmdline-'));
    writeFileSync(join(dir, 'cmdline'), `quiet ${word} bm.profile=quick`);
    const result = await runAgent(['run', '--dry-run', '--cmdline-file', join(dir, 'cmdline'), '--evidence-dir', mkdtempSync(join(tmpdir(), 'ev-'))]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(message);
  });
  test.each([
    // Each once silently dropped or replaced (the disk then written, all RAM tested, libaio used).
    [['--set', 'dsik.write_blank=0'], 'bm.dsik.write_blank: unknown area "dsik" (check the spelling); did you mean disk?'],
    [['--set', 'memory.size_mb=-1'], 'bm.memory.size_mb: -1 MiB is below the minimum 0 MiB'],
    [['--set', 'disk.ioengine=io-uring'], 'bm.disk.ioengine: "io-uring" is not one of "libaio", "io_uring"'],
    [['--set', 'lldp.deadline_s=9999999'], 'bm.lldp.deadline_s: 9999999 s is longer than a timer can hold'],
  ])('step setting %p is exit 2 naming the key', async (args, message) => {
    const result = await runAgent(['run', '--dry-run', '--cmdline-file', '/dev/null', ...args, '--evidence-dir', mkdtempSync(join(tmpdir(), 'ev-'))]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(message);
  });
  test('a misspelt area on the kernel command line is exit 2 naming the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmdline-'));
    writeFileSync(join(dir, 'cmdline'), 'quiet bm.dsik.write_blank=0');
    const result = await runAgent(['run', '--dry-run', '--cmdline-file', join(dir, 'cmdline'), '--evidence-dir', mkdtempSync(join(tmpdir(), 'ev-'))]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('bm.dsik.write_blank: unknown area "dsik"');
  });
  test('an unknown step setting names bm.area.knob', async () => {
    const result = await runAgent([
      'run',
      '--dry-run',
      '--cmdline-file',
      '/dev/null',
      '--set',
      'disk.alow_write=1',
      '--evidence-dir',
      mkdtempSync(join(tmpdir(), 'ev-')),
    ]);
    expect(result.stderr).toContain('bm.disk.alow_write: unknown setting');
  });
});

describe('a machine NetBox does not know, reached through a URL with a password in it', () => {
  const PASSWORD = 'pw-in-the-url-5d1e';
  let sim: Simulator;
  beforeAll(async () => {
    agentBinary();
    sim = await startSimulator({ port: 0, flavour: '4.6' });
  });
  afterAll(() => sim.close());

  test('the console says no device was found and prints no status change; the password is printed nowhere', async () => {
    const url = new URL(sim.url);
    const evidenceDir = mkdtempSync(join(tmpdir(), 'ev-'));
    const result = await runAgent(['run', '--only', '01-init', '--cmdline-file', '/dev/null', '--evidence-dir', evidenceDir], {
      NETBOX_URL: `${url.protocol}//ops:${PASSWORD}@${url.host}/`,
      NETBOX_TOKEN: sim.token,
    });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('no NetBox device found: no status changed');
    expect(result.stdout).not.toContain('status →');
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
    const reportFile = readdirSync(evidenceDir, { recursive: true, encoding: 'utf8' }).find((f) => f.endsWith('report.json'))!;
    expect(await Bun.file(join(evidenceDir, reportFile)).text()).not.toContain(PASSWORD);
  }, 60_000);
});
