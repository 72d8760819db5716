/**
 * The kernel facts memtester's sizing needs (/proc/meminfo, vm.min_free_kbytes,
 * the online CPUs), read as text, and the plan made from them. `bm-agent plan`
 * and 02-memory both size through planFromFacts(). MemTotal here is what the kernel
 * manages (what memtester can be given), not the machine's installed RAM: that has one
 * definition, installed.ts (DRAM, or PMem in Memory Mode; never App Direct PMem).
 */
import { readFileSync } from 'node:fs';
import { countCpuList, parseMeminfo } from './meminfo.ts';
import { type MemtestPlan, planMemtest } from './sizing.ts';

/** The kernel facts sizing needs, as text (injectable for tests). */
export interface MemoryFacts {
  meminfo: string;
  minFreeKbytes: string;
  cpuOnline: string | null;
}

/** Reads the facts from /proc and /sys; a file that cannot be read counts as empty. */
export function readMemoryFacts(): MemoryFacts {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  };
  return {
    meminfo: read('/proc/meminfo') ?? '',
    minFreeKbytes: read('/proc/sys/vm/min_free_kbytes') ?? '0',
    cpuOnline: read('/sys/devices/system/cpu/online'),
  };
}

/** The memory step's sizing settings (its resolved tunables carry them). */
export interface MemorySizingTunables {
  size_mb: number;
  processes: number;
  reserve_mb: number;
}

export type MemoryPlan = MemtestPlan & { memTotalBytes: number; memAvailableBytes: number; onlineCpus: number };

/** Facts + tunables → plan. Pure. */
export function planFromFacts(facts: MemoryFacts, tunables: MemorySizingTunables, reservedForOtherStepsBytes: number, fallbackCpus = 1): MemoryPlan {
  const meminfo = parseMeminfo(facts.meminfo);
  const memTotalBytes = meminfo.MemTotal ?? 0;
  const memAvailableBytes = meminfo.MemAvailable ?? meminfo.MemFree ?? 0;
  let onlineCpus = fallbackCpus;
  try {
    if (facts.cpuOnline) onlineCpus = countCpuList(facts.cpuOnline) || fallbackCpus;
  } catch {
    onlineCpus = fallbackCpus;
  }
  const plan = planMemtest({
    memTotalBytes,
    memAvailableBytes,
    minFreeKbytes: Number.parseInt(facts.minFreeKbytes.trim(), 10) || 0,
    onlineCpus,
    reservedForOtherStepsBytes,
    sizeCapMiB: tunables.size_mb,
    processes: tunables.processes,
    extraReserveMiB: tunables.reserve_mb,
  });
  return { ...plan, memTotalBytes, memAvailableBytes, onlineCpus };
}
