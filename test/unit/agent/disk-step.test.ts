import { afterEach, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gatherDiskPlan } from '../../../agent/disk/gather.ts';
import { createDiskStep } from '../../../agent/steps/03-disk.ts';
import type { ToolInvocation } from '../../../agent/tools/run-tool.ts';
import { resolveTunables } from '../../../agent/tunables.ts';
import { createTestContext, type TestStepContext } from '../../helpers/agent-context.ts';
import { idleUsage } from '../../helpers/disk-facts.ts';
import { fakeToolRunner, type FakeAnswer } from '../../helpers/fake-tools.ts';

/** The step with nothing in use on this (fake) machine. */
const diskStep = createDiskStep({ usage: idleUsage });

const fixture = (path: string) => readFileSync(join(import.meta.dir, '../../fixtures', path), 'utf8');

const WIPEFS_BY_DEVICE: Record<string, string> = { '/dev/loop0': 'blank', '/dev/loop2': 'dos', '/dev/loop5': 'eio-unreadable' };
const FIO_BY_DEVICE: Record<string, { name: string; exitCode: number }> = {
  '/dev/loop0': { name: 'read-write-blank-loop', exitCode: 0 },
  '/dev/loop2': { name: 'read-only-gpt-loop', exitCode: 0 },
  '/dev/loop5': { name: 'eio-read-only', exitCode: 2 },
};

function captured(inv: ToolInvocation): FakeAnswer {
  const device = (inv.args.find((a) => a.startsWith('--filename=')) ?? inv.args.at(-1) ?? '').replace(/^--filename=/, '');
  switch (inv.tool) {
    case 'lsblk':
      return { stdout: fixture('lsblk/loops-gpt-mounted-partition.json') };
    case 'wipefs':
      return { stdout: fixture(`wipefs/${WIPEFS_BY_DEVICE[device] ?? 'blank'}.json`) };
    case 'dd': {
      const failing = inv.args.includes('if=/dev/loop5');
      if (failing) return { stdout: '', stderr: "dd: error reading '/dev/loop5': Input/output error\n", exitCode: 1 };
      // Blank: as many zero bytes as asked for.
      const arg = (name: string) => Number(inv.args.find((a) => a.startsWith(`${name}=`))!.slice(name.length + 1));
      return { stdout: '\0'.repeat(arg('bs') * arg('count')) };
    }
    case 'blkid':
      return { stdout: '', exitCode: 2 };
    case 'fio': {
      const which = FIO_BY_DEVICE[device];
      if (!which) throw new Error(`no fio capture for ${device}`);
      return { stdout: fixture(`fio/${which.name}.json`), stderr: fixture(`fio/${which.name}.stderr`), exitCode: which.exitCode };
    }
    default:
      throw new Error(`unexpected tool ${inv.tool}`);
  }
}

let ctx: TestStepContext;
afterEach(() => ctx?.cleanup());

function contextWith(values: Record<string, unknown>, answer: (inv: ToolInvocation) => FakeAnswer = captured) {
  const run = fakeToolRunner(answer, { evidence: () => ctx.evidence });
  ctx = createTestContext({ tunables: resolveTunables(diskStep, 'quick', [{ source: 'test', values: { disk: values } }]), run });
  return run;
}

describe('03-disk with captured tool outputs', () => {
  test('a blank disk is written and a disk with an MBR is only read, and both pass', async () => {
    const run = contextWith({ devices: '/dev/loop0,/dev/loop2' });
    const result = await diskStep.run(ctx, () => {});
    expect(result.status).toBe('pass');
    expect(result.summary).toBe('2 disks tested (1 read-only): pass');
    const fioCalls = run.calls.filter((c) => c.tool === 'fio');
    expect(fioCalls.map((c) => [c.args.find((a) => a.startsWith('--filename=')), c.args.includes('--readonly')])).toEqual([
      ['--filename=/dev/loop0', false],
      ['--filename=/dev/loop2', true],
    ]);
    expect(result.table!.rows.map((r) => [r[0], r[3], r[8]])).toEqual([
      ['loop0', 'read-write', 'pass'],
      ['loop2', 'read-only: holds dos', 'pass'],
    ]);
    expect(result.metrics).toMatchObject({
      disksTested: 2,
      disksReadWrite: 1,
      disksReadOnly: 1,
      disksFailed: 0,
      'loop0.seqWriteMBps': 4544.18,
      'loop2.seqWriteMBps': null,
    });
  });

  test('raw outputs and the plan are saved as evidence', async () => {
    contextWith({ devices: '/dev/loop0' });
    const result = await diskStep.run(ctx, () => {});
    expect(result.evidence.map((e) => e.file).sort()).toEqual([
      '03-disk/fio-loop0.json',
      '03-disk/lsblk.json',
      '03-disk/plan.json',
      '03-disk/wipefs-loop0.json',
    ]);
    expect(result.evidence.find((e) => e.file === '03-disk/fio-loop0.json')!.command![0]).toBe('fio');
    for (const ref of result.evidence) expect(existsSync(ctx.evidence.pathOf(ref.file))).toBe(true);
    const plan = JSON.parse(readFileSync(ctx.evidence.pathOf('03-disk/plan.json'), 'utf8'));
    expect(plan.disks[0]).toMatchObject({ name: 'loop0', decision: 'read-write' });
  });

  test('an I/O error reported by fio fails the step and names the error', async () => {
    contextWith({ devices: '/dev/loop5' });
    const result = await diskStep.run(ctx, () => {});
    expect(result.status).toBe('fail');
    expect(result.summary).toStartWith('1 of 1 disk tested (1 read-only): failed — loop5: fio seq-read stopped on Input/output error (errno 5)');
    expect(result.table!.rows[0]![3]).toBe("read-only: could not read the first and last MiB: dd exited 1: dd: error reading '/dev/loop5': Input/output error");
  });

  test('an unreadable disk is only read even though wipefs found no signature', async () => {
    contextWith({ devices: '/dev/loop5' });
    const planning = await gatherDiskPlan(ctx, idleUsage);
    expect(planning.planSet!.disks[0]!.decision).toBe('read-only');
    expect(planning.planSet!.disks[0]!.why).toContain("could not read the first and last MiB: dd exited 1: dd: error reading '/dev/loop5': Input/output error");
  });

  test('without a device list nothing on this machine is tested and fio never starts', async () => {
    const run = contextWith({});
    const result = await diskStep.run(ctx, () => {});
    expect(result.status).toBe('skip');
    expect(run.calls.map((c) => c.tool)).toEqual(['lsblk']);
    expect(result.reasons).toContain('vda: boot medium (mounted at /run/netns, /)');
  });

  test('lsblk failing is an error of the step', async () => {
    contextWith({}, () => ({ stdout: '', missing: true }));
    const result = await diskStep.run(ctx, () => {});
    expect(result.status).toBe('error');
    expect(result.reasons).toEqual(['lsblk: lsblk is not installed']);
  });

  test('fio missing fails every tested disk', async () => {
    contextWith({ devices: '/dev/loop0' }, (inv) => (inv.tool === 'fio' ? { stdout: '', missing: true } : captured(inv)));
    const result = await diskStep.run(ctx, () => {});
    expect(result.status).toBe('fail');
    expect(result.reasons).toEqual(['loop0: fio is not installed']);
  });

  test('progress ends at 1 with the verdict', async () => {
    contextWith({ devices: '/dev/loop0' });
    const seen: { fraction?: number; message?: string }[] = [];
    const result = await diskStep.run(ctx, (p) => seen.push(p));
    expect(seen[0]).toEqual({ fraction: 0, message: 'listing and probing disks' });
    expect(seen.at(-1)).toEqual({ fraction: 1, message: result.summary });
  });
});
