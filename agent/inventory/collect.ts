/**
 * Gathers what the inventory is made of: systeminformation, sysfs facts (the
 * physical NICs among them: inventory/nics.ts), dmidecode and ipmitool (through
 * the ToolRunner), then maps it with the pure mapInventory(). Every source is
 * injectable for tests.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import si from 'systeminformation';
import type { Inventory } from '../inventory-types.ts';
import type { ToolResult, ToolRunner } from '../tools/run-tool.ts';
import { runDmidecode } from '../tools/dmidecode.ts';
import { readBmcLan } from '../tools/ipmitool.ts';
import type { DmiRecord } from '../tools/dmidecode.parse.ts';
import type { BmcLan } from '../tools/ipmitool.parse.ts';
import { type SiSnapshot, type SysfsFacts, mapInventory } from './map.ts';
import { readPhysicalNics } from './nics.ts';

export type SiSource = () => Promise<SiSnapshot>;

/** Asks systeminformation for everything 01-init maps, in parallel. */
export const readSystemInformation: SiSource = async () => {
  const [system, bios, baseboard, chassis, cpu, memLayout, mem, diskLayout, blockDevices, networkInterfaces] = await Promise.all([
    si.system(),
    si.bios(),
    si.baseboard(),
    si.chassis(),
    si.cpu(),
    si.memLayout(),
    si.mem(),
    si.diskLayout(),
    si.blockDevices(),
    si.networkInterfaces(),
  ]);
  return {
    system,
    bios,
    baseboard,
    chassis,
    cpu,
    memLayout,
    mem,
    diskLayout,
    blockDevices,
    networkInterfaces: Array.isArray(networkInterfaces) ? networkInterfaces : [networkInterfaces],
  };
};

function readFlag(path: string): boolean | null {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return text === '1' ? true : text === '0' ? false : null;
  } catch {
    return null;
  }
}

/** Physical NICs with driver, carrier and operstate (the sysfs NIC reader, inventory/nics.ts), and block device flags. */
export function readSysfsFacts(root = '/sys'): SysfsFacts {
  const facts: SysfsFacts = { nics: readPhysicalNics(root), blockDevices: {} };
  const block = join(root, 'block');
  for (const name of safeList(block)) {
    facts.blockDevices[name] = {
      rotational: readFlag(join(block, name, 'queue/rotational')),
      removable: readFlag(join(block, name, 'removable')),
      readOnly: readFlag(join(block, name, 'ro')),
    };
  }
  return facts;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

export interface CollectOptions {
  run: ToolRunner;
  signal?: AbortSignal;
  /** Evidence paths are `<prefix>/dmidecode.txt`, `<prefix>/ipmitool-lan.txt`. */
  evidencePrefix?: string;
  readSi?: SiSource;
  readSysfs?: () => SysfsFacts;
  ipmiDevices?: readonly string[];
}

export interface Collected {
  inventory: Inventory;
  si: SiSnapshot;
  sysfs: SysfsFacts;
  dmi: DmiRecord[] | null;
  bmc: BmcLan | null;
  /** Tool runs (for evidence refs). */
  tools: ToolResult[];
  /** Things that were not available (no SMBIOS table, no BMC…), for the report. */
  notes: string[];
}

export async function collectInventory(options: CollectOptions): Promise<Collected> {
  const prefix = options.evidencePrefix ?? '01-init';
  const [siSnapshot, dmidecode, bmc] = await Promise.all([
    (options.readSi ?? readSystemInformation)(),
    runDmidecode(options.run, { signal: options.signal, evidenceAs: `${prefix}/dmidecode.txt` }),
    readBmcLan(options.run, { signal: options.signal, evidenceAs: `${prefix}/ipmitool-lan.txt`, devices: options.ipmiDevices }),
  ]);
  const sysfs = (options.readSysfs ?? readSysfsFacts)();
  const notes: string[] = [];
  if (dmidecode.noTable) notes.push('no SMBIOS/DMI table on this machine: system serial, model and DIMMs are unknown');
  else if (dmidecode.result.missing) notes.push('dmidecode is not installed: DMI data comes from systeminformation only');
  else if (!dmidecode.records) notes.push(`dmidecode failed (exit ${dmidecode.result.exitCode}); DMI data comes from systeminformation only`);
  if (bmc.note) notes.push(bmc.note);
  const tools = [dmidecode.result, ...(bmc.result ? [bmc.result] : [])];
  const inventory = mapInventory({ si: siSnapshot, sysfs, dmi: dmidecode.records, bmc: bmc.lan, dmiTableAbsent: dmidecode.noTable });
  return { inventory, si: siSnapshot, sysfs, dmi: dmidecode.records, bmc: bmc.lan, tools, notes };
}
