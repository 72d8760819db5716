/**
 * 03-disk with real lsblk, wipefs, dd, blkid and fio on loop devices (root).
 * Each test runs the step directly with a real ToolRunner; `runtime_s=1` keeps
 * a disk's jobs to a few seconds. The guard's cases compare the device's
 * sha256 before and after: "not written" means not one byte changed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { gatherDiskPlan } from '../../../agent/disk/gather.ts';
import type { DiskPlanSet } from '../../../agent/disk/plan.ts';
import type { DiskOutcome } from '../../../agent/disk/verdict.ts';
import type { Profile, StepProgress, StepResult } from '../../../agent/step.ts';
import type { Device } from '../../../shared/netbox/index.ts';
import { diskStep } from '../../../agent/steps/03-disk.ts';
import { createToolRunner, type ToolInvocation, type ToolRunner } from '../../../agent/tools/run-tool.ts';
import { resolveTunables } from '../../../agent/tunables.ts';
import { createTestContext, type TestStepContext } from '../../helpers/agent-context.ts';
import { createLoopLab, sha256Of, type LoopLab } from '../../helpers/loop-devices.ts';
import { requirementsMet } from '../../helpers/requirements.ts';
import { waitUntil } from '../../helpers/wait.ts';

const needs = { root: true, tools: ['fio', 'losetup', 'sfdisk', 'wipefs', 'blkid', 'mkfs.ext4', 'lsblk', 'dd', 'mount', 'unshare'] };

/** A NetBox device whose custom field allows writing its disks. */
const NETBOX_ALLOWS = { id: 1, name: 'srv-1', custom_fields: { bm_disk_allow_write: true }, local_context_data: null } as unknown as Device;

/** A disk's 4 jobs of 1 s plus fio start-up, probes and loop set-up. */
const TEST_TIMEOUT_MS = 60_000;

interface Details {
  plan: DiskPlanSet;
  outcomes: DiskOutcome[];
}

describe.skipIf(!requirementsMet('03-disk on loop devices', needs))('03-disk on loop devices', () => {
  let lab: LoopLab;
  const contexts: TestStepContext[] = [];

  beforeAll(() => {
    lab = createLoopLab();
  });
  afterAll(async () => {
    for (const ctx of contexts) ctx.cleanup();
    await lab.cleanup();
  });

  function context(
    values: Record<string, unknown>,
    options: { profile?: Profile; wrap?: (run: ToolRunner) => ToolRunner; signal?: AbortSignal; device?: Device; dryRun?: boolean } = {},
  ): TestStepContext {
    const profile = options.profile ?? 'quick';
    const ctx = createTestContext({
      profile,
      tunables: resolveTunables(diskStep, profile, [{ source: 'test', values: { disk: values } }]),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.device ? { device: options.device } : {}),
      dryRun: options.dryRun === true,
    });
    const real = createToolRunner({ evidence: ctx.evidence, log: ctx.log });
    ctx.run = options.wrap ? options.wrap(real) : real;
    contexts.push(ctx);
    return ctx;
  }

  const run = (ctx: TestStepContext, progress: (p: StepProgress) => void = () => {}): Promise<StepResult> => diskStep.run(ctx, progress);
  const details = (result: StepResult) => result.details as Details;

  test(
    'a blank loop device gets read and write jobs and passes',
    async () => {
      const device = await lab.createBlank('blank', 128);
      const ctx = context({ devices: device, runtime_s: 1 });
      const result = await run(ctx);
      expect(result.reasons).toEqual([]);
      expect(result.status).toBe('pass');
      const [plan] = details(result).plan.disks;
      expect(plan).toMatchObject({ path: device, decision: 'read-write', mediaClass: 'unknown', regionBytes: 128 * 1024 * 1024 });
      const report = JSON.parse(readFileSync(ctx.evidence.pathOf(`03-disk/fio-${plan!.name}.json`), 'utf8'));
      expect(report.jobs.map((j: { jobname: string; error: number }) => [j.jobname, j.error])).toEqual([
        ['seq-write', 0],
        ['seq-read', 0],
        ['rand-write', 0],
        ['rand-read', 0],
      ]);
      const [outcome] = details(result).outcomes;
      expect(outcome!.measurements.seqWriteMBps).toBeGreaterThan(0);
      expect(outcome!.measurements.randReadIops).toBeGreaterThan(0);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'a loop device with a GPT is only read and its contents are unchanged',
    async () => {
      const device = await lab.createPartitioned('gpt', 64, 'gpt');
      const before = await sha256Of(device);
      const ctx = context({ devices: device, runtime_s: 1 });
      const result = await run(ctx);
      expect(result.status).toBe('pass');
      const [plan] = details(result).plan.disks;
      expect(plan!.decision).toBe('read-only');
      expect(plan!.why).toStartWith('read tests only: holds gpt, PMBR');
      expect(plan!.fioArgs).toContain('--readonly');
      expect(await sha256Of(device)).toBe(before);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'a loop device with an MBR is only read and its contents are unchanged',
    async () => {
      const device = await lab.createPartitioned('mbr', 64, 'dos');
      const before = await sha256Of(device);
      const result = await run(context({ devices: device, runtime_s: 1 }));
      expect(details(result).plan.disks[0]!.decision).toBe('read-only');
      expect(await sha256Of(device)).toBe(before);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'a mounted loop device is never written, even with allow_write',
    async () => {
      const { device } = await lab.createMounted('mounted', 64);
      const ctx = context({ devices: device, runtime_s: 1, allow_write: true });
      const result = await run(ctx);
      expect(result.status).toBe('pass');
      const [plan] = details(result).plan.disks;
      expect(plan!.decision).toBe('read-only');
      expect(plan!.why).toStartWith('read tests only, never written: mounted at ');
      expect(plan!.fioArgs).toContain('--readonly');
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a device on which every I/O fails makes the step fail with fio's error",
    async () => {
      const device = await lab.createFailing('failing', 64);
      const result = await run(context({ devices: device, runtime_s: 1, allow_write: true }));
      expect(result.status).toBe('fail');
      expect(result.summary).toContain('Input/output error (errno 5)');
      expect(result.reasons[0]).toMatch(/fio seq-(read|write) stopped on Input\/output error \(errno 5\)/);
      expect(details(result).outcomes[0]!.verdict).toBe('fail');
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'without bm.disk.devices, loop devices and mounted disks are not tested',
    async () => {
      const device = await lab.createBlank('enumerated', 64);
      const fioCalls: ToolInvocation[] = [];
      // Never let this test write to a spare disk of the machine it runs on.
      const ctx = context(
        { runtime_s: 1 },
        {
          wrap: (real) => async (inv) => {
            if (inv.tool !== 'fio') return real(inv);
            fioCalls.push(inv);
            return {
              tool: 'fio',
              command: ['fio', ...inv.args],
              exitCode: 1,
              signal: null,
              stdout: '',
              stderr: 'blocked by the test',
              durationMs: 0,
              timedOut: false,
              aborted: false,
              missing: false,
            };
          },
        },
      );
      const result = await run(ctx);
      const plans = details(result).plan.disks;
      const mine = plans.find((d) => d.path === device);
      expect(mine).toMatchObject({ decision: 'skip', why: 'loop device (list it in bm.disk.devices to test it)' });
      const tested = plans.filter((d) => d.decision !== 'skip');
      expect(tested.filter((d) => d.type === 'loop' || d.mountpoints.length > 0)).toEqual([]);
      expect(fioCalls.map((c) => c.args.find((a) => a.startsWith('--filename=')))).toEqual(tested.map((d) => `--filename=${d.path}`));
    },
    TEST_TIMEOUT_MS,
  );

  /** Runs the step on `device` and returns its plan, asserting the device's bytes did not change. */
  async function runUnchanged(device: string, ctx: TestStepContext): Promise<DiskPlanSet['disks'][number]> {
    const before = await sha256Of(device);
    const result = await run(ctx);
    expect(result.reasons).toEqual([]);
    expect(await sha256Of(device)).toBe(before);
    const [plan] = details(result).plan.disks;
    return plan!;
  }

  test(
    'a lost partition table over an intact ext4 at 1 MiB: holds data, only read',
    async () => {
      const device = await lab.createBlank('lost-table', 64);
      // What `wipefs --all` on the disk or a zeroed first MiB leaves: no table, the filesystem of the first partition intact.
      await execa('mkfs.ext4', ['-q', '-F', '-E', 'offset=1048576', device, '32M']);
      const plan = await runUnchanged(device, context({ devices: device, runtime_s: 1 }));
      expect(plan.decision).toBe('read-only');
      expect(plan.why).toStartWith('read tests only: has non-zero bytes in 1 MiB at 1 MiB');
      expect(plan.why).toContain('holds ext4 at 1 MiB');
      expect(plan.signatures).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'one non-zero byte in the last MiB and no signature anywhere: holds data, only read',
    async () => {
      const device = await lab.createBlank('one-byte', 64);
      const fd = openSync(device, 'r+');
      try {
        writeSync(fd, Buffer.from([0x42]), 0, 1, 64 * 1024 * 1024 - 4096);
      } finally {
        closeSync(fd);
      }
      const plan = await runUnchanged(device, context({ devices: device, runtime_s: 1 }));
      expect(plan.decision).toBe('read-only');
      expect(plan.guardReasons).toEqual(['has non-zero bytes in the last MiB']);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'an explicit allow_write=0 vetoes NetBox allowing writes, and the plan says so before the run',
    async () => {
      const device = await lab.createPartitioned('vetoed', 64, 'gpt');
      const ctx = context({ devices: device, runtime_s: 1, allow_write: '0' }, { device: NETBOX_ALLOWS });
      // What `bm-agent plan` computes (the same planner, NetBox's device included), then the run.
      const planned = (await gatherDiskPlan(ctx)).planSet!.disks[0]!;
      const plan = await runUnchanged(device, ctx);
      expect(planned.decision).toBe('read-only');
      expect(plan.decision).toBe('read-only');
      expect(plan.why).toBe(planned.why);
      expect(plan.why).toContain('writing forbidden by bm.disk.allow_write=0 (from test)');
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'NetBox alone allows writing a disk that holds data (no explicit setting)',
    async () => {
      const device = await lab.createPartitioned('netbox-allows', 64, 'gpt');
      const planned = (await gatherDiskPlan(context({ devices: device }, { device: NETBOX_ALLOWS }))).planSet!.disks[0]!;
      expect(planned.decision).toBe('read-write');
      expect(planned.why).toEndWith('allowed by NetBox custom field bm_disk_allow_write');
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'a dry run with writes allowed everywhere writes nothing',
    async () => {
      const device = await lab.createBlank('dry-run', 64);
      const plan = await runUnchanged(device, context({ devices: device, runtime_s: 1, allow_write: true }, { device: NETBOX_ALLOWS, dryRun: true }));
      expect(plan.decision).toBe('read-only');
      expect(plan.why).toBe('blank, but a dry run writes no disk: read tests only');
      expect(plan.fioArgs).toContain('--readonly');
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'a disk mounted in another mount namespace is never written, even with allow_write',
    async () => {
      const device = await lab.createBlank('other-namespace', 64);
      // No lazy init: the kernel would otherwise write the inode tables after the mount.
      await execa('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=0', device]);
      const mountpoint = join(lab.dir, 'other-namespace.mnt');
      mkdirSync(mountpoint);
      // Read-only, so the filesystem itself changes no byte; a mount is a mount for the guard.
      const holder = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `mount -o ro ${device} ${mountpoint} && exec sleep 600`], {
        stdio: 'ignore',
      });
      const exited = new Promise((resolve) => holder.once('exit', resolve));
      try {
        await waitUntil(
          () => {
            try {
              return readFileSync(`/proc/${holder.pid}/mountinfo`, 'utf8').includes(mountpoint);
            } catch {
              return false;
            }
          },
          { what: 'the mount in the other namespace' },
        );
        expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(mountpoint);
        const plan = await runUnchanged(device, context({ devices: device, runtime_s: 1, allow_write: true }));
        expect(plan.decision).toBe('read-only');
        expect(plan.why).toStartWith(`read tests only, never written: mounted at ${mountpoint} in another mount namespace (pid ${holder.pid}, sleep)`);
        expect(plan.fioArgs).toContain('--readonly');
      } finally {
        process.kill(holder.pid!);
        await exited;
      }
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'aborting the signal stops fio and the step reports it was cancelled',
    async () => {
      const device = await lab.createBlank('cancelled', 64);
      const controller = new AbortController();
      const runtimeS = 60;
      const ctx = context({ devices: device, runtime_s: runtimeS }, { signal: controller.signal });
      const started = performance.now();
      const pending = run(ctx);
      await waitUntil(() => ctx.logLines.some((line) => line.includes('running') && line.includes('fio ')), { what: 'fio to start' });
      controller.abort();
      const result = await pending;
      expect(result.status).toBe('error');
      expect(result.summary).toBe('cancelled while fio ran');
      // Relative to the configured run: well before even the first of the four fio jobs would have ended.
      expect(performance.now() - started).toBeLessThan(runtimeS * 1000);
    },
    TEST_TIMEOUT_MS,
  );
});
