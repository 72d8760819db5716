/** The machine in one table: the 01-init journal entry and `bm-agent inventory` print it. Pure. */
import type { ResultTable } from '../step.ts';
import type { Inventory } from '../inventory-types.ts';
import { describeBootSecurity } from '../lockdown.ts';
import { installedMemory } from '../memory/installed.ts';
import { formatBytes, toGiB } from '../../shared/units.ts';

/** The machine's RAM in GiB, one decimal (agent/memory/installed.ts: DRAM, PMem in Memory Mode, else MemTotal). */
export function installedMemoryGiB(inventory: Inventory): number {
  return toGiB(installedMemory(inventory.memory).bytes);
}

/** The memory row: the RAM and where the figure comes from. */
function memoryCell(inventory: Inventory): string {
  const memory = installedMemory(inventory.memory);
  const dimms = `${inventory.memory.dimms.length || 'unknown'} DIMMs`;
  if (memory.source === 'PMem in Memory Mode') return `${toGiB(memory.bytes)} GiB PMem in Memory Mode (${dimms} of DRAM are its cache)`;
  return `${toGiB(memory.bytes)} GiB in ${dimms}`;
}

/** The persistent memory row (only when there is any): modules, technology, persistent and volatile capacity. */
function persistentRows(inventory: Inventory): string[][] {
  const modules = inventory.memory.persistent ?? [];
  if (!modules.length) return [];
  const technologies = [...new Set(modules.map((m) => m.technology))].join(', ');
  const persistent = modules.reduce((sum, m) => sum + m.nonVolatileBytes, 0);
  const volatile = modules.reduce((sum, m) => sum + m.volatileBytes, 0);
  const parts = [`${modules.length} × ${technologies}`];
  if (persistent > 0) parts.push(`${formatBytes(persistent)} persistent`);
  parts.push(volatile > 0 ? `${formatBytes(volatile)} as RAM (Memory Mode)` : 'not counted as RAM');
  return [['persistent memory', parts.join(', ')]];
}

/** System, serial, BIOS, CPU, memory (persistent memory apart), disks, physical NICs, BMC and Secure Boot as item/value rows. */
export function inventoryTable(inventory: Inventory): ResultTable {
  const physical = inventory.nics.filter((n) => n.physical);
  return {
    columns: ['item', 'value'],
    rows: [
      ['system', [inventory.system.manufacturer, inventory.system.model].filter(Boolean).join(' ') || 'unknown'],
      ['serial', inventory.system.serial || 'unknown'],
      ['BIOS', [inventory.bios.vendor, inventory.bios.version].filter(Boolean).join(' ') || 'unknown'],
      ['CPU', `${inventory.cpus.sockets} × ${inventory.cpus.model} (${inventory.cpus.cores} cores, ${inventory.cpus.threads} threads)`],
      ['memory', memoryCell(inventory)],
      ...persistentRows(inventory),
      ['disks', inventory.disks.map((d) => `${d.name} ${Math.round(d.sizeBytes / 1e9)} GB ${d.mediaClass}`).join(', ') || 'none'],
      ['NICs', physical.map((n) => `${n.name} ${n.mac}`).join(', ') || 'none'],
      ['BMC', inventory.bmc ? `${inventory.bmc.ip ?? 'no IP'} ${inventory.bmc.mac ?? ''}`.trim() : 'not visible'],
      ...(inventory.boot ? [['Secure Boot', describeBootSecurity(inventory.boot)]] : []),
    ],
  };
}
