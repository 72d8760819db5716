/**
 * The one definition of a machine's RAM: the volatile memory it has installed, as 01-init
 * reports it, `bm_expect.memoryGB` is compared with and the inventory table shows. Pure.
 *
 * Persistent memory (Optane PMem, NVDIMM) is not RAM, except the capacity a module gives
 * as volatile memory:
 * - App Direct (PMem `Volatile Size: None`, or no such field): the PMem is storage, the DRAM
 *   is the RAM;
 * - Memory Mode (any PMem module with a `Volatile Size`): that PMem capacity is the RAM the
 *   kernel sees and the DRAM is its cache, not counted (mixed mode: the volatile part of the
 *   PMem is the RAM, the rest stays persistent).
 * DRAM counts with its `Volatile Size` when dmidecode prints one (the size otherwise). When
 * DMI lists no module (VMs, no SMBIOS table), MemTotal stands in.
 *
 * MemTotal itself (what the kernel manages, used to size memtester: agent/memory/facts.ts)
 * is a different quantity on purpose: it is below the installed size (firmware and kernel
 * reservations), and a PMem region onlined as system RAM (daxctl `system-ram`) joins it.
 */
import type { Inventory } from '../inventory-types.ts';

export type InstalledMemorySource = 'DIMMs' | 'PMem in Memory Mode' | 'MemTotal';

export interface InstalledMemory {
  /** Bytes of RAM. */
  bytes: number;
  /** Where the figure comes from (shown next to it). */
  source: InstalledMemorySource;
  /** Persistent memory modules and their persistent (App Direct) capacity, bytes; 0 and 0 without any. */
  persistentModules: number;
  persistentBytes: number;
}

/** The RAM of the machine by the rules above. */
export function installedMemory(memory: Inventory['memory']): InstalledMemory {
  const persistent = memory.persistent ?? [];
  const persistentBytes = persistent.reduce((sum, m) => sum + m.nonVolatileBytes, 0);
  const base = { persistentModules: persistent.length, persistentBytes };
  const memoryMode = persistent.reduce((sum, m) => sum + m.volatileBytes, 0);
  if (memoryMode > 0) return { ...base, bytes: memoryMode, source: 'PMem in Memory Mode' };
  const dram = memory.dimms.reduce((sum, d) => sum + d.sizeBytes, 0);
  if (dram > 0) return { ...base, bytes: dram, source: 'DIMMs' };
  return { ...base, bytes: memory.totalBytes, source: 'MemTotal' };
}
