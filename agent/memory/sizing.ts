/**
 * How much memory memtester may take, and how to split it. Pure: a function of
 * /proc/meminfo, vm.min_free_kbytes, the online CPU count, what other steps
 * reserved and the tunables.
 *
 * Reserve (MAAS's rule): max(0.77 % of RAM, min_free_kbytes + 10 MiB), so the
 * kernel keeps its watermark and the OOM killer stays away; plus what
 * concurrent steps need (fio buffers…) and an operator-chosen extra.
 * One memtester per online CPU: a single memtester is CPU-bound, N of them run
 * at memory speed (2 processes on 2 cores ≈ 1.96× one).
 */

import { MiB } from '../../shared/units.ts';

/** Smallest buffer worth testing per process. */
export const MIN_PER_PROCESS_MIB = 4;

export interface MemtestSizingInput {
  memTotalBytes: number;
  memAvailableBytes: number;
  minFreeKbytes: number;
  onlineCpus: number;
  /** Bytes other concurrently running steps need. */
  reservedForOtherStepsBytes: number;
  /** Cap on the total tested, MiB; 0 = everything available. */
  sizeCapMiB: number;
  /** memtester processes; 0 = one per online CPU. */
  processes: number;
  /** Extra reserve chosen by the operator, MiB. */
  extraReserveMiB: number;
}

export interface MemtestPlan {
  /** Kernel/OOM reserve (MAAS's rule), bytes. */
  reserveBytes: number;
  /** MemAvailable − reserve − other steps − extra, bytes (≥ 0). */
  usableBytes: number;
  processes: number;
  perProcessMiB: number;
  totalMiB: number;
  /** Why nothing can be tested (plan is empty), else null. */
  insufficient: string | null;
  /** What limited the size: the cap or the available memory. */
  limitedBy: 'cap' | 'available';
}

/** MAAS's reserve: max(0.77 % of RAM, min_free_kbytes + 10 MiB). */
export function maasReserveBytes(memTotalBytes: number, minFreeKbytes: number): number {
  return Math.ceil(Math.max(memTotalBytes * 0.0077, minFreeKbytes * 1024 + 10 * MiB));
}

export function planMemtest(input: MemtestSizingInput): MemtestPlan {
  const reserveBytes = maasReserveBytes(input.memTotalBytes, input.minFreeKbytes);
  const usableBytes = Math.max(
    0,
    input.memAvailableBytes - reserveBytes - Math.max(0, input.reservedForOtherStepsBytes) - Math.max(0, input.extraReserveMiB) * MiB,
  );
  const usableMiB = Math.floor(usableBytes / MiB);
  const cap = input.sizeCapMiB > 0 ? Math.floor(input.sizeCapMiB) : Number.POSITIVE_INFINITY;
  const totalWanted = Math.min(usableMiB, cap);
  const limitedBy = cap <= usableMiB ? 'cap' : 'available';
  const requested = input.processes > 0 ? Math.floor(input.processes) : Math.max(1, input.onlineCpus);
  const processes = Math.max(1, Math.min(requested, Math.floor(totalWanted / MIN_PER_PROCESS_MIB)));
  const perProcessMiB = Math.floor(totalWanted / processes);
  if (perProcessMiB < MIN_PER_PROCESS_MIB) {
    return {
      reserveBytes,
      usableBytes,
      processes: 0,
      perProcessMiB: 0,
      totalMiB: 0,
      limitedBy,
      insufficient: `only ${usableMiB} MiB usable (MemAvailable ${Math.floor(input.memAvailableBytes / MiB)} MiB − reserve ${Math.ceil(reserveBytes / MiB)} MiB − other steps ${Math.ceil(input.reservedForOtherStepsBytes / MiB)} MiB − extra ${input.extraReserveMiB} MiB); memtester needs at least ${MIN_PER_PROCESS_MIB} MiB`,
    };
  }
  return { reserveBytes, usableBytes, processes, perProcessMiB, totalMiB: perProcessMiB * processes, limitedBy, insufficient: null };
}

/**
 * Seconds one memtester process needs per MiB per loop, generously: measured
 * ≈0.53 s/MiB on a 2-core KVM guest (256 MiB, one loop, beyond the caches);
 * tripled for slower machines.
 */
export const MEMTESTER_SECONDS_PER_MIB = 1.6;

/**
 * Time limit for a memtester run: per-process size × loops at the generous
 * rate, slowed further when many processes share the memory bus, plus 2 min.
 */
export function estimateMemtestTimeoutMs(perProcessMiB: number, loops: number, processes: number): number {
  const contention = Math.max(1, processes / 4);
  return Math.ceil((120 + perProcessMiB * Math.max(1, loops) * MEMTESTER_SECONDS_PER_MIB * contention) * 1000);
}
