/**
 * The fio jobs of one tested disk and fio's argv for them. Pure.
 *
 * A read-write disk gets sequential 1 MiB and random 4 KiB jobs, writes first;
 * a read-only one the two read jobs. One fio process per disk runs its jobs one
 * after another (`--stonewall`), O_DIRECT, time-based, confined to the first
 * `regionBytes`. Read-only plans add fio's own `--readonly`, and fio refuses
 * writes on mounted devices (`--allow_mounted_write=0`): guards behind the guard.
 *
 * A dry run never writes a disk: building a write job or write argv in a dry
 * run throws (a bug upstream, never a disk written), and `assertReadOnlyFioArgs`
 * re-checks the argv just before fio starts.
 */
import { BmError } from '../../shared/errors.ts';
import type { Cause } from '../../shared/failure.ts';
import { MiB } from '../../shared/units.ts';
import type { DiskPlan, GuardDecision } from './plan.ts';
import type { DiskSettings } from './settings.ts';

export type FioJobName = 'seq-write' | 'seq-read' | 'rand-write' | 'rand-read';

export interface FioJobPlan {
  name: FioJobName;
  /** fio `rw`. */
  rw: 'read' | 'write' | 'randread' | 'randwrite';
  blockBytes: number;
  iodepth: number;
}

/** A write to a disk was about to be planned or started where none may happen (a dry run, a read-only plan): a bug. */
export class DiskWriteRefused extends BmError {
  override readonly name = 'DiskWriteRefused';
  override get failureCause(): Cause {
    return 'internal';
  }
}

const WRITING_RW = /^--rw=(write|randwrite|rw|readwrite|randrw|trim|randtrim|trimwrite)$/;

/** The jobs for a guard decision: none when skipped, reads only when read-only; throws DiskWriteRefused for writes in a dry run. */
export function fioJobsFor(decision: GuardDecision, settings: Pick<DiskSettings, 'seqIodepth' | 'randIodepth' | 'dryRun'>): FioJobPlan[] {
  if (decision === 'skip') return [];
  if (decision === 'read-write' && settings.dryRun) throw new DiskWriteRefused('refusing to plan fio write jobs in a dry run (a dry run never writes a disk)');
  const seq = (name: FioJobName, rw: FioJobPlan['rw']): FioJobPlan => ({ name, rw, blockBytes: MiB, iodepth: settings.seqIodepth });
  const rand = (name: FioJobName, rw: FioJobPlan['rw']): FioJobPlan => ({ name, rw, blockBytes: 4096, iodepth: settings.randIodepth });
  // Writes first, so the reads that follow read written blocks, not unmapped
  // ones that thin-provisioned and flash devices answer without touching media.
  return decision === 'read-write'
    ? [seq('seq-write', 'write'), seq('seq-read', 'read'), rand('rand-write', 'randwrite'), rand('rand-read', 'randread')]
    : [seq('seq-read', 'read'), rand('rand-read', 'randread')];
}

/**
 * Throws DiskWriteRefused unless fio's argv can only read: `--readonly` present (fio then refuses any write or trim)
 * and no writing job. 03-disk calls it before starting fio on a read-only plan and on every disk in a dry run.
 */
export function assertReadOnlyFioArgs(args: readonly string[], where: string): void {
  const writing = args.filter((arg) => WRITING_RW.test(arg));
  if (!args.includes('--readonly') || writing.length) {
    throw new DiskWriteRefused(
      `refusing to start fio on ${where}: it must only read, but its argv ${writing.length ? `has ${writing.join(' ')}` : 'lacks --readonly'}`,
    );
  }
}

/** fio argv (after `fio`) for one disk: one process, its jobs one after another. A dry run only ever gets read-only argv. */
export function fioArgs(
  plan: Pick<DiskPlan, 'path' | 'decision' | 'regionBytes' | 'jobs'>,
  settings: Pick<DiskSettings, 'runtimeS' | 'ioengine' | 'dryRun'>,
): string[] {
  if (plan.decision === 'skip' || plan.jobs.length === 0) return [];
  const args = [
    '--output-format=json',
    `--filename=${plan.path}`,
    '--direct=1',
    `--ioengine=${settings.ioengine}`,
    `--size=${plan.regionBytes}`,
    '--time_based',
    `--runtime=${settings.runtimeS}`,
    '--allow_mounted_write=0',
    '--exitall_on_error=1',
  ];
  if (plan.decision === 'read-only' || settings.dryRun) args.push('--readonly');
  for (const job of plan.jobs) {
    args.push(`--name=${job.name}`, `--rw=${job.rw}`, `--bs=${job.blockBytes}`, `--iodepth=${job.iodepth}`, '--stonewall');
  }
  if (plan.decision === 'read-only' || settings.dryRun) assertReadOnlyFioArgs(args, plan.path);
  return args;
}
