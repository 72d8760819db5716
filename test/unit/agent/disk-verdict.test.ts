import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planDisks, type DiskPlan, type DiskPlanSet } from '../../../agent/disk/plan.ts';
import { diskSettingsFrom, type MediaClass } from '../../../agent/disk/settings.ts';
import { diskStep } from '../../../agent/steps/03-disk.ts';
import { resolveTunables } from '../../../agent/tunables.ts';
import { judgeDisk, judgeStep, measurementsOf, outcomeTable, type DiskOutcome } from '../../../agent/disk/verdict.ts';
import { parseFioJson, type FioReport } from '../../../agent/tools/fio.parse.ts';
import { blockDevice, probeFacts } from '../../helpers/disk-facts.ts';

const fixture = (path: string) => readFileSync(join(import.meta.dir, '../../fixtures', path), 'utf8');
const fio = (name: string) => parseFioJson(fixture(`fio/${name}.json`), fixture(`fio/${name}.stderr`));
const settings = diskSettingsFrom({ tunables: resolveTunables(diskStep, 'quick', []) });

function planFor(name: string, mediaClass: MediaClass, readWrite = true): DiskPlan {
  const device = blockDevice(name, {
    sizeBytes: 2 ** 38,
    rotational: mediaClass === 'hdd',
    transport: mediaClass === 'nvme' ? 'nvme' : mediaClass === 'unknown' ? null : 'sata',
    physicalSectorBytes: 512,
  });
  const probe = readWrite ? probeFacts() : probeFacts({ signatures: [{ type: 'gpt', offsetBytes: 512, uuid: null, label: null }] });
  const [plan] = planDisks([device], { [device.path]: probe }, { ...settings, devices: [device.path] }).disks;
  return { ...plan!, mediaClass };
}

/** The captured read-write report with its numbers scaled. */
function scaled(report: FioReport, factor: number): FioReport {
  return {
    ...report,
    jobs: report.jobs.map((job) => ({
      ...job,
      read: { ...job.read, bandwidthMBps: job.read.bandwidthMBps * factor, iops: job.read.iops * factor },
      write: { ...job.write, bandwidthMBps: job.write.bandwidthMBps * factor, iops: job.write.iops * factor },
    })),
  };
}

describe('disk verdicts', () => {
  test('a loop device (class unknown) passes on any speed when fio reports no error', () => {
    const outcome = judgeDisk(planFor('loop0', 'unknown'), { report: scaled(fio('read-write-blank-loop'), 0.0001), problem: null }, settings);
    expect(outcome.verdict).toBe('pass');
    expect(outcome.reasons).toEqual([]);
  });

  test('measurements come from the job that measures each direction', () => {
    expect(measurementsOf(fio('read-write-blank-loop'))).toEqual({
      seqReadMBps: 6919.24,
      seqWriteMBps: 4544.18,
      randReadIops: 164498.3,
      randWriteIops: 69818.1,
      randReadP99Us: 333.82,
      randWriteP99Us: 1187.84,
    });
    expect(measurementsOf(fio('read-only-gpt-loop'))).toMatchObject({ seqWriteMBps: null, randWriteIops: null });
  });

  test('an NVMe disk above every minimum passes', () => {
    expect(judgeDisk(planFor('nvme0n1', 'nvme'), { report: fio('read-write-blank-loop'), problem: null }, settings).verdict).toBe('pass');
  });

  test('a result below the class minimum but above the fail ratio is degraded, naming the figure', () => {
    const report = fio('read-write-blank-loop');
    report.jobs[0]!.write.bandwidthMBps = 300;
    const outcome = judgeDisk(planFor('nvme0n1', 'nvme'), { report, problem: null }, settings);
    expect(outcome.verdict).toBe('degraded');
    expect(outcome.reasons).toEqual(['nvme0n1: sequential write 300 MB/s is below the nvme minimum of 400 MB/s']);
  });

  test('a result below the fail ratio of the minimum fails', () => {
    const outcome = judgeDisk(planFor('sda', 'hdd'), { report: scaled(fio('read-write-blank-loop'), 0.005), problem: null }, settings);
    expect(outcome.verdict).toBe('fail');
    expect(outcome.reasons[0]).toBe('sda: sequential read 34.6 MB/s is below 0.5 × the hdd minimum of 80 MB/s');
  });

  test('read-only disks are not held to write minimums', () => {
    expect(judgeDisk(planFor('sda', 'ssd', false), { report: fio('read-only-gpt-loop'), problem: null }, settings).verdict).toBe('pass');
  });

  test('a fio job error fails the disk with the errno and what fio said', () => {
    const outcome = judgeDisk(planFor('loop5', 'unknown', false), { report: fio('eio-read-only'), problem: 'fio exited 2: fio: io_u error …' }, settings);
    expect(outcome.verdict).toBe('fail');
    expect(outcome.reasons[0]).toMatch(
      /^loop5: fio seq-read stopped on Input\/output error \(errno 5\) — Input\/output error \(errno 5\); Input\/output error on read at offset 0 \(1048576 bytes\) of \/dev\/loop\d+$/,
    );
    expect(outcome.reasons).toHaveLength(2);
  });

  test('fio not running or printing no report fails the disk with the tool problem', () => {
    expect(judgeDisk(planFor('sda', 'ssd'), { report: null, problem: 'fio is not installed' }, settings)).toMatchObject({
      verdict: 'fail',
      reasons: ['sda: fio is not installed'],
    });
    expect(judgeDisk(planFor('sda', 'ssd'), null, settings)).toMatchObject({ verdict: 'fail', reasons: ['sda: fio did not run'] });
  });

  test('a planned job missing from the report fails the disk', () => {
    const report = fio('read-only-gpt-loop');
    const outcome = judgeDisk(planFor('sda', 'unknown'), { report, problem: null }, settings);
    expect(outcome.verdict).toBe('fail');
    expect(outcome.reasons).toContain('sda: fio reported no result for seq-write');
  });
});

describe('step verdict', () => {
  const set = (disks: DiskPlan[], missing: string[] = []): DiskPlanSet => ({ disks, missing });
  const outcome = (plan: DiskPlan, verdict: DiskOutcome['verdict'], reasons: string[] = []): DiskOutcome => ({
    name: plan.name,
    path: plan.path,
    mediaClass: plan.mediaClass,
    decision: verdict === 'skip' ? 'skip' : plan.decision,
    verdict,
    reasons,
    measurements: measurementsOf(null),
  });

  test('no testable disk is a skip listing why each device was left out', () => {
    const plans = planDisks([{ ...planDevice('loop0'), type: 'loop' }], {}, settings);
    const outcomes = plans.disks.map((d) => judgeDisk(d, null, settings));
    expect(judgeStep(plans, outcomes)).toEqual({
      status: 'skip',
      summary: 'no disk to test (1 device skipped)',
      reasons: ['loop0: loop device (list it in bm.disk.devices to test it)'],
    });
  });

  test('one failed disk fails the step, the summary naming it', () => {
    const a = planFor('sda', 'ssd');
    const b = planFor('sdb', 'ssd', false);
    const verdict = judgeStep(set([a, b]), [outcome(a, 'pass'), outcome(b, 'fail', ['sdb: fio seq-read stopped on Input/output error (errno 5)'])]);
    expect(verdict.status).toBe('fail');
    expect(verdict.summary).toBe('1 of 2 disks tested (1 read-only): failed — sdb: fio seq-read stopped on Input/output error (errno 5)');
    expect(verdict.reasons).toEqual(['sdb: fio seq-read stopped on Input/output error (errno 5)']);
  });

  test('a degraded disk is a pass with the reason in the summary', () => {
    const a = planFor('sda', 'ssd');
    const verdict = judgeStep(set([a]), [outcome(a, 'degraded', ['sda: 4k random write 4000 IOPS is below the ssd minimum of 5000 IOPS'])]);
    expect(verdict).toEqual({
      status: 'pass',
      summary: '1 disk tested: pass, 1 degraded — sda: 4k random write 4000 IOPS is below the ssd minimum of 5000 IOPS',
      reasons: [],
    });
  });

  test('a listed device that does not exist fails the step', () => {
    const a = planFor('sda', 'ssd');
    const verdict = judgeStep(set([a], ['/dev/sdz']), [outcome(a, 'pass')]);
    expect(verdict.status).toBe('fail');
    expect(verdict.reasons).toEqual(['/dev/sdz is listed in bm.disk.devices but is not a block device here']);
  });

  test('the table has one row per device with the guard decision and figures', () => {
    const a = planFor('loop0', 'unknown');
    const outcomes = [judgeDisk(a, { report: fio('read-write-blank-loop'), problem: null }, settings)];
    const table = outcomeTable(set([a], ['/dev/sdz']), outcomes);
    expect(table.columns).toEqual(['disk', 'class', 'size', 'guard', 'seq read MB/s', 'seq write MB/s', '4k read IOPS', '4k write IOPS', 'verdict']);
    expect(table.rows).toEqual([
      ['loop0', 'unknown', '256 GiB', 'read-write', 6919.24, 4544.18, 164498, 69818, 'pass'],
      ['/dev/sdz', null, null, 'not found', null, null, null, null, 'fail'],
    ]);
  });
});

function planDevice(name: string) {
  return blockDevice(name, { sizeBytes: 2 ** 28, rotational: true, transport: null, physicalSectorBytes: 512 });
}
