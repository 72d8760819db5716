/**
 * The fio jobs of one tested disk and fio's argv for them. Pure.
 *
 * A read-write disk gets sequential 1 MiB and random 4 KiB jobs, writes first;
 * a read-only one the two read jobs. One fio process per disk runs its jobs one
 * after another (`--stonewall`), O_DIRECT, time-based, confined to the first
 * `regionBytes`. Read-only plans add fio's own `--readonly`, and fio refuses
 * writes on mounted devices (`--allow_mounted_write=0`): guards behind the guard.
 */
import { MiB } from '../units.ts';
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

/** The jobs for a guard decision: none when skipped, reads only when read-only. */
export function fioJobsFor(decision: GuardDecision, settings: Pick<DiskSettings, 'seqIodepth' | 'randIodepth'>): FioJobPlan[] {
  if (decision === 'skip') return [];
  const seq = (name: FioJobName, rw: FioJobPlan['rw']): FioJobPlan => ({ name, rw, blockBytes: MiB, iodepth: settings.seqIodepth });
  const rand = (name: FioJobName, rw: FioJobPlan['rw']): FioJobPlan => ({ name, rw, blockBytes: 4096, iodepth: settings.randIodepth });
  // Writes first, so the reads that follow read written blocks, not unmapped
  // ones that thin-provisioned and flash devices answer without touching media.
  return decision === 'read-write'
    ? [seq('seq-write', 'write'), seq('seq-read', 'read'), rand('rand-write', 'randwrite'), rand('rand-read', 'randread')]
    : [seq('seq-read', 'read'), rand('rand-read', 'randread')];
}

/** fio argv (after `fio`) for one disk: one process, its jobs one after another. */
export function fioArgs(plan: Pick<DiskPlan, 'path' | 'decision' | 'regionBytes' | 'jobs'>, settings: Pick<DiskSettings, 'runtimeS' | 'ioengine'>): string[] {
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
  if (plan.decision === 'read-only') args.push('--readonly');
  for (const job of plan.jobs) {
    args.push(`--name=${job.name}`, `--rw=${job.rw}`, `--bs=${job.blockBytes}`, `--iodepth=${job.iodepth}`, '--stonewall');
  }
  return args;
}
