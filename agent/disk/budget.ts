/**
 * What the disk test costs: time limits for each fio process and the whole
 * 03-disk step, and the RAM fio needs while it runs (memtester leaves it free).
 * Pure.
 */
import { MiB } from '../../shared/units.ts';
import type { DiskPlan, DiskPlanSet } from './plan.ts';
import type { DiskSettings } from './settings.ts';

/** Per job: fio start-up, ramp and the kernel draining queued I/O after the runtime. */
const JOB_SLACK_S = 15;
const PROCESS_SLACK_S = 30;
/** fio's own memory besides I/O buffers (binary, shared-memory job state, stats). */
const FIO_PROCESS_OVERHEAD_BYTES = 64 * MiB;
/** Probes (lsblk, usage checks, wipefs, dd, blkid) before the jobs. */
const PROBE_BUDGET_S = 60;
/** Most jobs one fio process runs (a read-write plan). */
const MAX_JOBS_PER_DISK = 4;

/** Limit for one fio process running `jobCount` time-based jobs of `runtimeS` seconds one after another. */
export function fioTimeoutMs(jobCount: number, runtimeS: number): number {
  return (jobCount * (runtimeS + JOB_SLACK_S) + PROCESS_SLACK_S) * 1000;
}

/** The step's hard limit: probes plus the longest fio process (all disks run at once; 4 jobs at most). */
export function diskStepTimeoutMs(settings: Pick<DiskSettings, 'runtimeS'>): number {
  return PROBE_BUDGET_S * 1000 + fioTimeoutMs(MAX_JOBS_PER_DISK, settings.runtimeS);
}

/** RAM the planned fio processes need at once (I/O buffers of the largest job plus fio's own), for memtester's sizing. */
export function fioMemoryReserveBytes(plan: DiskPlanSet | readonly Pick<DiskPlan, 'decision' | 'jobs'>[]): number {
  const disks = 'disks' in plan ? plan.disks : plan;
  return disks
    .filter((d) => d.decision !== 'skip')
    .reduce((sum, d) => sum + FIO_PROCESS_OVERHEAD_BYTES + Math.max(0, ...d.jobs.map((j) => j.blockBytes * j.iodepth)), 0);
}
