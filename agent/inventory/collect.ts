/**
 * Gathers what the inventory is made of: systeminformation, sysfs facts (the
 * physical NICs among them: inventory/nics.ts), Secure Boot and kernel lockdown
 * (agent/lockdown.ts), dmidecode and ipmitool (through the ToolRunner), then maps
 * it with the pure mapInventory(). Every source is injectable for tests.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import si from 'systeminformation';
import type { Inventory } from '../inventory-types.ts';
import { BOOT_SECURITY_FILES, type BootSecurity, bootSecurityOf, type SmbiosSource, smbiosAccess } from '../lockdown.ts';
import type { ToolResult, ToolRunner } from '../tools/run-tool.ts';
import { type DmidecodeOutcome, runDmidecode } from '../tools/dmidecode.ts';
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

function readBytes(path: string): Uint8Array | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Secure Boot and kernel lockdown from sysfs (efivarfs, securityfs): agent/lockdown.ts says what they mean. */
export function readBootSecurity(root = '/sys'): BootSecurity {
  return bootSecurityOf({
    efiDirectory: existsSync(join(root, BOOT_SECURITY_FILES.efi)),
    secureBootVar: readBytes(join(root, BOOT_SECURITY_FILES.secureBootVar)),
    secureBootLegacy: readBytes(join(root, BOOT_SECURITY_FILES.secureBootLegacy)),
    lockdown: readText(join(root, BOOT_SECURITY_FILES.lockdown)),
  });
}

/** True when the kernel exports the SMBIOS entry point and table (what dmidecode reads instead of /dev/mem). */
export function smbiosTablesInSysfs(root = '/sys'): boolean {
  return existsSync(join(root, BOOT_SECURITY_FILES.smbiosEntryPoint)) && existsSync(join(root, BOOT_SECURITY_FILES.smbiosTable));
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
  /** Root of sysfs for the Secure Boot, lockdown and SMBIOS table files; default `/sys`. */
  sysRoot?: string;
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
  /** Secure Boot and kernel lockdown (also `inventory.boot`). */
  boot: BootSecurity;
  /** Where dmidecode read the SMBIOS tables; null when it did not (not run, failed, no table). */
  smbiosSource: SmbiosSource | null;
}

/** The note about dmidecode for the report, or null when it read the tables. Pure. */
export function dmidecodeNote(dmidecode: DmidecodeOutcome): string | null {
  if (dmidecode.skipped) return dmidecode.skipped;
  if (dmidecode.lockedOut) return dmidecode.lockedOut;
  if (dmidecode.noTable) return 'no SMBIOS/DMI table on this machine: system serial, model and DIMMs are unknown';
  if (dmidecode.result?.missing) return 'dmidecode is not installed: DMI data comes from systeminformation only';
  if (!dmidecode.records) return `dmidecode failed (exit ${dmidecode.result?.exitCode}); DMI data comes from systeminformation only`;
  return null;
}

/**
 * Collects everything, in parallel where it can: dmidecode only where it can read the SMBIOS
 * tables without /dev/mem or the kernel is not locked down (agent/lockdown.ts smbiosAccess).
 */
export async function collectInventory(options: CollectOptions): Promise<Collected> {
  const prefix = options.evidencePrefix ?? '01-init';
  const sysRoot = options.sysRoot ?? '/sys';
  const boot = readBootSecurity(sysRoot);
  const smbios = smbiosAccess({ sysfsTables: smbiosTablesInSysfs(sysRoot), boot });
  const [siSnapshot, dmidecode, bmc] = await Promise.all([
    (options.readSi ?? readSystemInformation)(),
    runDmidecode(options.run, { signal: options.signal, evidenceAs: `${prefix}/dmidecode.txt`, ...(smbios.run ? {} : { skip: smbios.reason }) }),
    readBmcLan(options.run, { signal: options.signal, evidenceAs: `${prefix}/ipmitool-lan.txt`, devices: options.ipmiDevices }),
  ]);
  const sysfs = (options.readSysfs ?? readSysfsFacts)();
  const notes: string[] = [];
  const dmiNote = dmidecodeNote(dmidecode);
  if (dmiNote) notes.push(dmiNote);
  if (bmc.note) notes.push(bmc.note);
  const tools = [...(dmidecode.result ? [dmidecode.result] : []), ...(bmc.result ? [bmc.result] : [])];
  // Without the tables (lockdown, or none at all), systeminformation's identity is a guess too.
  const dmiTableAbsent = dmidecode.noTable || dmidecode.skipped !== null || dmidecode.lockedOut !== null;
  const inventory = { ...mapInventory({ si: siSnapshot, sysfs, dmi: dmidecode.records, bmc: bmc.lan, dmiTableAbsent }), boot };
  return { inventory, si: siSnapshot, sysfs, dmi: dmidecode.records, bmc: bmc.lan, tools, notes, boot, smbiosSource: dmidecode.source };
}
