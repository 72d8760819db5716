/** The machine in one table: the 01-init journal entry and `bm-agent inventory` print it. Pure. */
import type { ResultTable } from '../step.ts';
import type { Inventory } from '../inventory-types.ts';
import { toGiB } from '../units.ts';
import { installedMemoryBytes } from './expectations.ts';

/** Installed memory in GiB, one decimal (DIMMs, else MemTotal). */
export function installedMemoryGiB(inventory: Inventory): number {
  return toGiB(installedMemoryBytes(inventory).bytes);
}

/** System, serial, BIOS, CPU, memory, disks, physical NICs and BMC as item/value rows. */
export function inventoryTable(inventory: Inventory): ResultTable {
  const physical = inventory.nics.filter((n) => n.physical);
  return {
    columns: ['item', 'value'],
    rows: [
      ['system', [inventory.system.manufacturer, inventory.system.model].filter(Boolean).join(' ') || 'unknown'],
      ['serial', inventory.system.serial || 'unknown'],
      ['BIOS', [inventory.bios.vendor, inventory.bios.version].filter(Boolean).join(' ') || 'unknown'],
      ['CPU', `${inventory.cpus.sockets} × ${inventory.cpus.model} (${inventory.cpus.cores} cores, ${inventory.cpus.threads} threads)`],
      ['memory', `${installedMemoryGiB(inventory)} GiB in ${inventory.memory.dimms.length || 'unknown'} DIMMs`],
      ['disks', inventory.disks.map((d) => `${d.name} ${Math.round(d.sizeBytes / 1e9)} GB ${d.mediaClass}`).join(', ') || 'none'],
      ['NICs', physical.map((n) => `${n.name} ${n.mac}`).join(', ') || 'none'],
      ['BMC', inventory.bmc ? `${inventory.bmc.ip ?? 'no IP'} ${inventory.bmc.mac ?? ''}`.trim() : 'not visible'],
    ],
  };
}
