/**
 * Verdicts of `03-disk`, per disk and for the step. Pure.
 *
 * A disk fails when fio could not run or report, when any job stopped on an
 * error (fio's errno, with the message fio printed), when a job completed no
 * I/O, or when a result is below `fail_ratio` × its class minimum; it is
 * degraded (a pass, reported) when a result is below the minimum. The step
 * fails when any disk fails or a listed device is missing, passes otherwise
 * (naming degraded disks in its summary), and is skipped when there is no disk
 * to test.
 */
import type { ResultTable, StepStatus } from '../step.ts';
import type { FioReport } from '../tools/fio.parse.ts';
import { formatBytes } from '../../shared/units.ts';
import type { FioJobName } from './fio-jobs.ts';
import type { DiskPlan, DiskPlanSet } from './plan.ts';
import type { DiskSettings, Thresholds } from './settings.ts';

export type DiskVerdict = 'pass' | 'degraded' | 'fail' | 'skip';

export interface DiskMeasurements {
  seqReadMBps: number | null;
  seqWriteMBps: number | null;
  randReadIops: number | null;
  randWriteIops: number | null;
  randReadP99Us: number | null;
  randWriteP99Us: number | null;
}

export interface DiskOutcome {
  name: string;
  path: string;
  mediaClass: DiskPlan['mediaClass'];
  decision: DiskPlan['decision'];
  verdict: DiskVerdict;
  /** Why it failed or is degraded; for a skipped disk, why it was skipped. */
  reasons: string[];
  measurements: DiskMeasurements;
}

/** What running fio on one disk gave: a parsed report, or why there is none. */
export interface FioRunFacts {
  report: FioReport | null;
  /** Tool-level problem (missing, timed out, killed, exit status, unparsable output); null when fio exited 0. */
  problem: string | null;
}

const NO_MEASUREMENTS: DiskMeasurements = {
  seqReadMBps: null,
  seqWriteMBps: null,
  randReadIops: null,
  randWriteIops: null,
  randReadP99Us: null,
  randWriteP99Us: null,
};

export function measurementsOf(report: FioReport | null): DiskMeasurements {
  if (!report) return { ...NO_MEASUREMENTS };
  const job = (name: FioJobName) => report.jobs.find((j) => j.name === name && j.error === 0);
  const seqRead = job('seq-read');
  const seqWrite = job('seq-write');
  const randRead = job('rand-read');
  const randWrite = job('rand-write');
  return {
    seqReadMBps: seqRead ? seqRead.read.bandwidthMBps : null,
    seqWriteMBps: seqWrite ? seqWrite.write.bandwidthMBps : null,
    randReadIops: randRead ? randRead.read.iops : null,
    randWriteIops: randWrite ? randWrite.write.iops : null,
    randReadP99Us: randRead ? randRead.read.clatP99Us : null,
    randWriteP99Us: randWrite ? randWrite.write.clatP99Us : null,
  };
}

const CHECKS: { key: keyof Thresholds; label: string; unit: string }[] = [
  { key: 'seqReadMBps', label: 'sequential read', unit: 'MB/s' },
  { key: 'seqWriteMBps', label: 'sequential write', unit: 'MB/s' },
  { key: 'randReadIops', label: '4k random read', unit: 'IOPS' },
  { key: 'randWriteIops', label: '4k random write', unit: 'IOPS' },
];

export function judgeDisk(plan: DiskPlan, run: FioRunFacts | null, settings: Pick<DiskSettings, 'thresholds' | 'failRatio'>): DiskOutcome {
  const base = { name: plan.name, path: plan.path, mediaClass: plan.mediaClass, decision: plan.decision };
  if (plan.decision === 'skip') return { ...base, verdict: 'skip', reasons: [plan.why], measurements: { ...NO_MEASUREMENTS } };
  if (!run) return { ...base, verdict: 'fail', reasons: [`${plan.name}: fio did not run`], measurements: { ...NO_MEASUREMENTS } };

  const failures: string[] = [];
  const report = run.report;
  const detail = report?.messages.length ? ` — ${report.messages.slice(0, 2).join('; ')}` : '';
  for (const job of report?.jobs ?? []) {
    if (job.error) failures.push(`${plan.name}: fio ${job.name} stopped on ${job.errorText}${detail}`);
  }
  if (!failures.length && run.problem) failures.push(`${plan.name}: ${run.problem}${detail}`);
  if (!failures.length && report) {
    for (const planned of plan.jobs) {
      const job = report.jobs.find((j) => j.name === planned.name);
      const direction = planned.rw === 'read' || planned.rw === 'randread' ? 'read' : 'write';
      if (!job) failures.push(`${plan.name}: fio reported no result for ${planned.name}`);
      else if (job[direction].totalIos === 0) failures.push(`${plan.name}: fio ${planned.name} completed no I/O`);
    }
  }
  const measurements = measurementsOf(report);
  if (failures.length) return { ...base, verdict: 'fail', reasons: failures, measurements };

  const thresholds = settings.thresholds[plan.mediaClass];
  const degraded: string[] = [];
  for (const { key, label, unit } of CHECKS) {
    const minimum = thresholds[key];
    const value = measurements[key];
    if (!minimum || value === null) continue;
    const shown = value >= 100 ? Math.round(value) : Math.round(value * 10) / 10;
    if (value < minimum * settings.failRatio)
      failures.push(`${plan.name}: ${label} ${shown} ${unit} is below ${settings.failRatio} × the ${plan.mediaClass} minimum of ${minimum} ${unit}`);
    else if (value < minimum) degraded.push(`${plan.name}: ${label} ${shown} ${unit} is below the ${plan.mediaClass} minimum of ${minimum} ${unit}`);
  }
  if (failures.length) return { ...base, verdict: 'fail', reasons: [...failures, ...degraded], measurements };
  if (degraded.length) return { ...base, verdict: 'degraded', reasons: degraded, measurements };
  return { ...base, verdict: 'pass', reasons: [], measurements };
}

export interface StepVerdict {
  status: StepStatus;
  summary: string;
  reasons: string[];
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function judgeStep(planSet: DiskPlanSet, outcomes: readonly DiskOutcome[]): StepVerdict {
  const tested = outcomes.filter((o) => o.verdict !== 'skip');
  const failed = tested.filter((o) => o.verdict === 'fail');
  const degraded = tested.filter((o) => o.verdict === 'degraded');
  const missing = planSet.missing.map((m) => `${m} is listed in bm.disk.devices but is not a block device here`);
  if (!tested.length && !missing.length) {
    const skipped = outcomes.map((o) => `${o.name}: ${o.reasons[0] ?? 'skipped'}`);
    return {
      status: 'skip',
      summary: outcomes.length ? `no disk to test (${plural(outcomes.length, 'device')} skipped)` : 'no disk to test (no block device found)',
      reasons: skipped,
    };
  }
  const readOnly = tested.filter((o) => o.decision === 'read-only').length;
  const shape = `${plural(tested.length, 'disk')} tested${readOnly ? ` (${readOnly} read-only)` : ''}`;
  if (failed.length || missing.length) {
    const firstReasons = failed.map((o) => o.reasons[0] ?? `${o.name} failed`);
    const head = failed.length ? `${failed.length} of ${shape}: failed — ${firstReasons[0]}` : `${shape}, but ${missing[0]}`;
    return { status: 'fail', summary: head, reasons: [...missing, ...failed.flatMap((o) => o.reasons)] };
  }
  if (degraded.length) {
    return { status: 'pass', summary: `${shape}: pass, ${degraded.length} degraded — ${degraded.flatMap((o) => o.reasons).join('; ')}`, reasons: [] };
  }
  return { status: 'pass', summary: `${shape}: pass`, reasons: [] };
}

const cell = (value: number | null) => (value === null ? null : value);

/** The journal table: one row per device lsblk listed or bm.disk.devices named. */
export function outcomeTable(planSet: DiskPlanSet, outcomes: readonly DiskOutcome[]): ResultTable {
  const rows = outcomes.map((outcome) => {
    const plan = planSet.disks.find((d) => d.path === outcome.path);
    const guard = plan?.guardReasons.length ? `${outcome.decision}: ${plan.guardReasons.join('; ')}` : outcome.decision;
    return [
      outcome.name,
      outcome.mediaClass,
      plan ? formatBytes(plan.sizeBytes) : null,
      guard,
      cell(outcome.measurements.seqReadMBps),
      cell(outcome.measurements.seqWriteMBps),
      cell(outcome.measurements.randReadIops === null ? null : Math.round(outcome.measurements.randReadIops)),
      cell(outcome.measurements.randWriteIops === null ? null : Math.round(outcome.measurements.randWriteIops)),
      outcome.verdict,
    ];
  });
  for (const missing of planSet.missing) rows.push([missing, null, null, 'not found', null, null, null, null, 'fail']);
  return { columns: ['disk', 'class', 'size', 'guard', 'seq read MB/s', 'seq write MB/s', '4k read IOPS', '4k write IOPS', 'verdict'], rows };
}
