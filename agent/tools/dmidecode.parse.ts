/**
 * dmidecode's text output as records, and the bits 01-init reads from them
 * (system identity, DRAM modules, persistent memory modules apart). Pure. Firmware fills unused strings with
 * placeholders (`Not Specified`, `To Be Filled By O.E.M.`, `NO DIMM`…): those
 * become null here.
 */
import type { PersistentMemoryModule } from '../inventory-types.ts';
import { parseBinarySize } from '../../shared/units.ts';

export interface DmiRecord {
  handle: string;
  type: number;
  /** `System Information`, `Memory Device`… */
  name: string;
  /** `Key: value` lines (first occurrence wins). */
  fields: Record<string, string>;
  /** Indented lists under a `Key:` line (`Characteristics:`, `Features:`). */
  lists: Record<string, string[]>;
}

/** Parses `dmidecode` (any `-t` selection) into one record per handle. */
export function parseDmidecode(text: string): DmiRecord[] {
  const records: DmiRecord[] = [];
  let current: DmiRecord | null = null;
  let listKey: string | null = null;
  let expectName = false;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\r$/, '');
    const handle = /^Handle (0x[0-9A-Fa-f]+), DMI type (\d+),/.exec(line);
    if (handle) {
      current = { handle: handle[1]!, type: Number(handle[2]), name: '', fields: {}, lists: {} };
      records.push(current);
      listKey = null;
      expectName = true;
      continue;
    }
    if (!current) continue;
    if (line.trim() === '') {
      listKey = null;
      continue;
    }
    if (expectName && !line.startsWith('\t')) {
      current.name = line.trim();
      expectName = false;
      continue;
    }
    expectName = false;
    if (line.startsWith('\t\t')) {
      if (listKey) (current.lists[listKey] ??= []).push(line.trim());
      continue;
    }
    const field = /^\t([^:]+):(?: (.*))?$/.exec(line);
    if (!field) continue;
    const key = field[1]!.trim();
    const value = field[2];
    if (value === undefined || value === '') {
      listKey = key;
      current.lists[key] ??= [];
    } else {
      listKey = null;
      if (!(key in current.fields)) current.fields[key] = value.trimEnd();
    }
  }
  return records;
}

/** Placeholder strings firmware vendors ship in unused DMI fields. */
const DMI_PLACEHOLDERS = new Set(
  [
    '',
    '-',
    'not specified',
    'not provided',
    'not available',
    'not applicable',
    'n/a',
    'na',
    'none',
    'unknown',
    'default string',
    'to be filled by o.e.m.',
    'to be filled by oem',
    'system manufacturer',
    'system product name',
    'system serial number',
    'system version',
    'chassis serial number',
    'base board serial number',
    'o.e.m.',
    'oem',
    'no dimm',
    'empty',
    '0123456789',
    '1234567890',
    '00000000',
    '0000000000000000',
    'serial number',
    'invalid',
    'xxxxxxxxxx',
  ].map((s) => s.toLowerCase()),
);

/** The value, or null when it is absent or a firmware placeholder. */
export function dmiValue(value: string | null | undefined): string | null {
  const text = (value ?? '').trim();
  const lower = text.toLowerCase();
  if (DMI_PLACEHOLDERS.has(lower) || /^0+$/.test(text) || /^(.)\1+$/.test(text) || /^not (specified|available|present)/.test(lower)) return null;
  return text;
}

/** `16 GB`, `16384 MB`, `512 kB`, `2 TB` → bytes; `No Module Installed`, `Unknown` → 0 / null. */
export function parseDmiSize(text: string | undefined): number | null {
  if (text === undefined) return null;
  if (/no module installed|not installed/i.test(text)) return 0;
  return parseBinarySize(text);
}

export interface DmiSystem {
  manufacturer: string | null;
  product: string | null;
  version: string | null;
  serial: string | null;
  uuid: string | null;
  sku: string | null;
  family: string | null;
}

export function dmiSystemOf(records: readonly DmiRecord[]): DmiSystem | null {
  const record = records.find((r) => r.type === 1);
  if (!record) return null;
  const f = record.fields;
  const uuid = dmiValue(f.UUID);
  return {
    manufacturer: dmiValue(f.Manufacturer),
    product: dmiValue(f['Product Name']),
    version: dmiValue(f.Version),
    serial: dmiValue(f['Serial Number']),
    uuid: uuid && !/^0{8}-0{4}-0{4}-0{4}-0{12}$|^f{8}-f{4}-f{4}-f{4}-f{12}$/i.test(uuid) && !/^Not (Settable|Present)/.test(uuid) ? uuid.toLowerCase() : null,
    sku: dmiValue(f['SKU Number']),
    family: dmiValue(f.Family),
  };
}

export interface DmiBoard {
  manufacturer: string | null;
  product: string | null;
  serial: string | null;
}

export function dmiBaseboardOf(records: readonly DmiRecord[]): DmiBoard | null {
  const record = records.find((r) => r.type === 2);
  if (!record) return null;
  return {
    manufacturer: dmiValue(record.fields.Manufacturer),
    product: dmiValue(record.fields['Product Name']),
    serial: dmiValue(record.fields['Serial Number']),
  };
}

export function dmiChassisOf(records: readonly DmiRecord[]): { manufacturer: string | null; type: string | null; serial: string | null } | null {
  const record = records.find((r) => r.type === 3);
  if (!record) return null;
  return { manufacturer: dmiValue(record.fields.Manufacturer), type: dmiValue(record.fields.Type), serial: dmiValue(record.fields['Serial Number']) };
}

export function dmiBiosOf(records: readonly DmiRecord[]): { vendor: string | null; version: string | null; releaseDate: string | null } | null {
  const record = records.find((r) => r.type === 0);
  if (!record) return null;
  return { vendor: dmiValue(record.fields.Vendor), version: dmiValue(record.fields.Version), releaseDate: dmiValue(record.fields['Release Date']) };
}

export interface DmiDimm {
  slot: string;
  bank: string | null;
  sizeBytes: number;
  type: string | null;
  speedMTs: number | null;
  configuredSpeedMTs: number | null;
  manufacturer: string | null;
  serial: string | null;
  partNumber: string | null;
}

/** A persistent memory module (Optane PMem, NVDIMM): listed apart, never counted as a DIMM of RAM as such. */
export interface DmiPersistentModule extends DmiDimm {
  /** `Memory Technology` (`Intel Optane DC persistent memory`, `NVDIMM-N`…), or the Type/Type Detail that gave it away. */
  technology: string;
  /**
   * Its capacity the system uses as volatile memory (`Volatile Size`): PMem in Memory Mode.
   * 0 when `None`, and when the field is absent (older SMBIOS: taken as App Direct).
   */
  volatileBytes: number;
  /** `Non-Volatile Size` (App Direct / storage capacity); the module size when the field is absent. */
  nonVolatileBytes: number;
}

/** Installed memory modules, split: volatile DRAM and persistent memory. */
export interface DmiMemoryModules {
  /** DRAM modules; `sizeBytes` is their `Volatile Size` when dmidecode prints one. */
  dram: DmiDimm[];
  persistent: DmiPersistentModule[];
}

/**
 * Why a type 17 record is persistent memory, or null for DRAM. By rule, from what SMBIOS 3.2+
 * says first and older tables second: `Memory Technology` naming NVDIMM or persistent memory
 * (`NVDIMM-N/F/P`, `Intel Optane DC persistent memory`), Type `Logical non-volatile device`,
 * Type Detail `Non-Volatile`, or a `Non-Volatile Size` above zero.
 */
export function persistentMemoryTechnology(fields: Readonly<Record<string, string>>): string | null {
  const technology = dmiValue(fields['Memory Technology']);
  if (technology && /nvdimm|persistent|optane|non-?volatile/i.test(technology)) return technology;
  if (technology && /^dram$/i.test(technology)) return null;
  if (/non-?volatile/i.test(fields.Type ?? '')) return fields.Type!.trim();
  if (/\bnon-?volatile\b/i.test(fields['Type Detail'] ?? '')) return 'Non-Volatile (Type Detail)';
  if ((parseDmiSize(fields['Non-Volatile Size']) ?? 0) > 0) return 'Non-Volatile (Non-Volatile Size)';
  return null;
}

/** `Volatile Size` / `Non-Volatile Size`: bytes, 0 for `None`, null when absent or `Unknown`. */
function optionalSize(text: string | undefined): number | null {
  if (text === undefined) return null;
  if (/^none$/i.test(text.trim())) return 0;
  return parseBinarySize(text);
}

function speedOf(text: string | undefined): number | null {
  const match = /^(\d+)\s*(MT\/s|MHz)/.exec(text ?? '');
  return match ? Number(match[1]) : null;
}

/**
 * Installed memory modules (type 17 with a size; empty slots left out), DRAM apart from
 * persistent memory ({@link persistentMemoryTechnology} says which is which).
 */
export function dmiMemoryModulesOf(records: readonly DmiRecord[]): DmiMemoryModules {
  const out: DmiMemoryModules = { dram: [], persistent: [] };
  for (const record of records) {
    if (record.type !== 17) continue;
    const f = record.fields;
    const sizeBytes = parseDmiSize(f.Size);
    if (!sizeBytes) continue;
    const module: DmiDimm = {
      slot: dmiValue(f.Locator) ?? record.handle,
      bank: dmiValue(f['Bank Locator']),
      sizeBytes,
      type: dmiValue(f.Type),
      speedMTs: speedOf(f.Speed),
      configuredSpeedMTs: speedOf(f['Configured Memory Speed'] ?? f['Configured Clock Speed']),
      manufacturer: dmiValue(f.Manufacturer),
      serial: dmiValue(f['Serial Number']),
      partNumber: dmiValue(f['Part Number']),
    };
    const technology = persistentMemoryTechnology(f);
    if (technology) {
      out.persistent.push({
        ...module,
        technology,
        volatileBytes: optionalSize(f['Volatile Size']) ?? 0,
        nonVolatileBytes: optionalSize(f['Non-Volatile Size']) ?? sizeBytes,
      });
    } else {
      const volatileBytes = optionalSize(f['Volatile Size']);
      out.dram.push(volatileBytes ? { ...module, sizeBytes: volatileBytes } : module);
    }
  }
  return out;
}

/** The persistent memory modules as the inventory lists them (`memory.persistent`). */
export function dmiPersistentMemoryOf(records: readonly DmiRecord[]): PersistentMemoryModule[] {
  return dmiMemoryModulesOf(records).persistent.map((m) => ({
    slot: m.slot,
    sizeBytes: m.sizeBytes,
    technology: m.technology,
    volatileBytes: m.volatileBytes,
    nonVolatileBytes: m.nonVolatileBytes,
    manufacturer: m.manufacturer,
    serial: m.serial,
  }));
}

/** Installed DRAM modules (type 17 with a size); empty slots and persistent memory are left out. */
export function dmiDimmsOf(records: readonly DmiRecord[]): DmiDimm[] {
  return dmiMemoryModulesOf(records).dram;
}

/** True when dmidecode found no SMBIOS table (VMs without firmware tables, containers). */
export function dmiTableAbsent(stdout: string, stderr: string): boolean {
  return !/^Handle 0x/m.test(stdout) && /No SMBIOS nor DMI entry point found|\/dev\/mem: |Scanning \/dev\/mem for entry point/i.test(`${stdout}\n${stderr}`);
}
