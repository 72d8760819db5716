/**
 * Planned vs actual: what NetBox says the machine should be, compared with
 * what 01-init found. Pure.
 *
 * Always checked: the device type's manufacturer against DMI's system manufacturer
 * (case-insensitive, vendor suffixes such as "Inc." and bracketed machine-type codes
 * ignored; skipped when DMI has none), its model against what DMI identifies (the product
 * name, else the SKU or the baseboard when the product name is generic like `Super Server`;
 * "model not identifiable" is a warning: model.ts; not compared when DMI names nothing at
 * all, e.g. a VM without SMBIOS), and every
 * MAC NetBox records on a non-management interface must be on one of this
 * machine's NICs (a management interface's MAC is compared with the BMC's when
 * ipmitool read it).
 *
 * Optional, from `bm_expect`:
 *   { manufacturer?, model?, cpu?: {sockets?, cores?, threads?, modelContains?},
 *     memoryGB?: number | {min?, max?}, disks?: {count?, minSizeGB?}, nics?: {count?} }
 * merged key by key from the general to the specific, later winning: config
 * contexts (by device type, role…, as NetBox renders them) < the device's JSON
 * custom field `bm_expect` < the device's local context data (docs/agent.md says why).
 * memoryGB as a number allows ±5 % (MemTotal is below the installed size when
 * DMI lists no DIMMs); GB here means GiB; the memory is the RAM as agent/memory/installed.ts
 * defines it (DRAM; persistent memory only for what it gives in Memory Mode). The shape is EXPECTATIONS_SCHEMA, checked
 * by ajv; every problem is an issue naming the key (`bm_expect.cpu.socket is not a
 * known expectation …`), and an invalid bm_expect is not applied.
 */
import { parseMac } from '../../shared/mac.ts';
import type { Device, Interface } from '../../shared/netbox/types.ts';
import type { Inventory } from '../inventory-types.ts';
import { isDeepStrictEqual } from 'node:util';
import type { ErrorObject } from 'ajv';
import { isJsonObject } from '../../shared/json.ts';
import { forbiddenKeyIssues, mergeLayers, schemaHolding, type AjvValidateFunction } from '../../shared/config.ts';
import { configAjv } from '../../shared/config-ajv.ts';
import { installedMemory } from '../memory/installed.ts';
import { GiB, toGiB } from '../../shared/units.ts';
import { checkModel, namesMatch } from './model.ts';

export const EXPECT_KEY = 'bm_expect';

export interface Expectations {
  manufacturer?: string;
  model?: string;
  cpu?: { sockets?: number; cores?: number; threads?: number; modelContains?: string };
  memoryGB?: number | { min?: number; max?: number };
  disks?: { count?: number; minSizeGB?: number };
  nics?: { count?: number };
}

export interface Mismatch {
  /** Dotted path of what differs: `memoryGB`, `cpu.sockets`, `interfaces.eth0.mac`… */
  field: string;
  expected: string;
  actual: string;
}

export type ExpectationOrigin = 'config_context' | 'custom_field' | 'local_context_data';

export interface ExpectationSource {
  expectations: Expectations;
  /** Where bm_expect came from, general first; empty when NetBox has none. */
  sources: ExpectationOrigin[];
  /** Problems with bm_expect itself (wrong types, unknown keys): reported, never silently ignored. */
  issues: string[];
}

/**
 * bm_expect of the device, merged as NetBox merges config data (objects key by key,
 * anything else replaced), general to specific: the rendered config context, then
 * the JSON custom field, then local context data. NetBox's rendered context already
 * holds local context data on top; applying it again last keeps it above the custom
 * field. The merged object's shape is validated.
 */
export function expectationsOf(device: Pick<Device, 'config_context' | 'local_context_data' | 'custom_fields'>): ExpectationSource {
  const fromContexts = isJsonObject(device.config_context) ? device.config_context[EXPECT_KEY] : undefined;
  const fromLocal = isJsonObject(device.local_context_data) ? device.local_context_data[EXPECT_KEY] : undefined;
  let fromField = isJsonObject(device.custom_fields) ? (device.custom_fields[EXPECT_KEY] ?? undefined) : undefined;
  const issues: string[] = [];
  if (typeof fromField === 'string') {
    try {
      fromField = JSON.parse(fromField);
    } catch {
      issues.push(`custom field ${EXPECT_KEY} is not valid JSON`);
      fromField = undefined;
    }
  }
  const layers: [ExpectationOrigin, unknown][] = [
    // The rendered context counts as a source only when config contexts add something to local context data.
    ...(fromContexts !== undefined && !isDeepStrictEqual(fromContexts, fromLocal) ? [['config_context', fromContexts] as [ExpectationOrigin, unknown]] : []),
    ...(fromField !== undefined ? [['custom_field', fromField] as [ExpectationOrigin, unknown]] : []),
    ...(fromLocal !== undefined ? [['local_context_data', fromLocal] as [ExpectationOrigin, unknown]] : []),
  ];
  const sources = layers.map(([origin]) => origin);
  const where: Record<ExpectationOrigin, string> = { config_context: 'config context', custom_field: 'custom field', local_context_data: 'local context data' };
  for (const [origin, value] of layers) {
    if (!isJsonObject(value)) issues.push(`${EXPECT_KEY} in the ${where[origin]} must be an object`);
    for (const issue of forbiddenKeyIssues(value, EXPECT_KEY)) issues.push(`${issue.key} in the ${where[origin]}: ${issue.message}`);
  }
  if (issues.length > 0) return { expectations: {}, sources, issues };
  if (sources.length === 0) return { expectations: {}, sources, issues: [] };
  return { ...validateExpectations(mergeLayers(...layers.map(([, value]) => value))), sources };
}

const COUNT = { type: 'integer', minimum: 0 } as const;
const AMOUNT = { type: 'number', minimum: 0 } as const;
const TEXT = { type: 'string', pattern: '\\S' } as const;
const MEMORY = { oneOf: [AMOUNT, { type: 'object', additionalProperties: false, properties: { min: AMOUNT, max: AMOUNT } }] } as const;

/** The shape of `bm_expect` (see the module comment); no defaults, nothing filled in. */
export const EXPECTATIONS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    manufacturer: TEXT,
    model: TEXT,
    cpu: { type: 'object', additionalProperties: false, properties: { sockets: COUNT, cores: COUNT, threads: COUNT, modelContains: TEXT } },
    memoryGB: MEMORY,
    disks: { type: 'object', additionalProperties: false, properties: { count: COUNT, minSizeGB: AMOUNT } },
    nics: { type: 'object', additionalProperties: false, properties: { count: COUNT } },
  },
} as const;

let compiled: AjvValidateFunction | undefined;

/** The value at an ajv instancePath (`/cpu/sockets`). */
function valueAt(root: unknown, instancePath: string): unknown {
  return instancePath
    .split('/')
    .slice(1)
    .reduce<unknown>((node, part) => (isJsonObject(node) ? node[part.replaceAll('~1', '/').replaceAll('~0', '~')] : undefined), root);
}

/**
 * One ajv error in bm_expect's own words, or undefined when another error says it better: of the
 * two memoryGB forms, only the one matching the value's type (a number, an object) is reported,
 * and "must be a number or {min, max}" when it is neither.
 */
function expectationIssueOf(error: ErrorObject, raw: unknown): string | undefined {
  const key = [EXPECT_KEY, ...error.instancePath.split('/').slice(1)].join('.');
  const holder = schemaHolding(EXPECTATIONS_SCHEMA, error.schemaPath);
  const branch = /\/oneOf\/(\d+)\//.exec(error.schemaPath)?.[1];
  if (branch !== undefined || error.keyword === 'oneOf') {
    const value = valueAt(raw, error.instancePath.replace(/\/(min|max)$/, ''));
    const form = typeof value === 'number' ? '0' : isJsonObject(value) ? '1' : undefined;
    if (error.keyword === 'oneOf') return form === undefined ? `${key} must be a number or {min, max}` : undefined;
    if (branch !== form) return undefined;
  }
  if (error.keyword === 'additionalProperties') {
    const known = Object.keys((holder?.properties as object | undefined) ?? {});
    return `${key}.${String(error.params.additionalProperty)} is not a known expectation (known: ${known.join(', ')})`;
  }
  if (holder === TEXT) return `${key} must be a non-empty string`;
  if (holder === AMOUNT) return `${key} must be a non-negative number`;
  if (holder === COUNT) return `${key} must be a non-negative integer`;
  if (error.keyword === 'type' && holder?.type === 'object') return `${key} must be an object`;
  return `${key} ${error.message ?? error.keyword}`;
}

/** Checks a merged bm_expect against EXPECTATIONS_SCHEMA; with any issue, no expectation is applied. Pure (ajv compiled once). */
export function validateExpectations(raw: unknown): { expectations: Expectations; issues: string[] } {
  compiled ??= configAjv().compile(EXPECTATIONS_SCHEMA);
  if (compiled(raw)) return { expectations: raw as Expectations, issues: [] };
  const issues = (compiled.errors ?? []).map((error) => expectationIssueOf(error, raw)).filter((issue): issue is string => issue !== undefined);
  return { expectations: {}, issues: [...new Set(issues)] };
}

export interface DiffInput {
  inventory: Inventory;
  device: Pick<Device, 'device_type'>;
  interfaces: readonly Pick<Interface, 'name' | 'mac_address' | 'mac_addresses' | 'mgmt_only' | 'type'>[];
  expectations: Expectations;
  /** Check NetBox interface MACs against the machine (default true). */
  checkInterfaces?: boolean;
}

/** Interfaces NetBox models that have no MAC of their own on the host. */
const VIRTUAL_INTERFACE_TYPES = new Set(['virtual', 'lag', 'bridge']);

export function interfaceMacs(iface: Pick<Interface, 'mac_address' | 'mac_addresses'>): string[] {
  const macs = new Set<string>();
  const primary = iface.mac_address ? parseMac(iface.mac_address) : null;
  if (primary) macs.add(primary);
  for (const m of iface.mac_addresses ?? []) {
    const mac = parseMac(m.mac_address);
    if (mac) macs.add(mac);
  }
  return [...macs];
}

/** What differs from NetBox's plan (fails 01-init when strict) and what could not be checked (warnings, never a failure). */
export interface PlanComparison {
  mismatches: Mismatch[];
  /** `model not identifiable: …` (agent/inventory/model.ts). */
  warnings: string[];
}

/** The differences from NetBox's plan ({@link compareWithPlan} without the warnings). */
export function diffExpectations(input: DiffInput): Mismatch[] {
  return compareWithPlan(input).mismatches;
}

/**
 * Planned vs actual. The model is checked by agent/inventory/model.ts's rule: a meaningful DMI
 * product name that differs is a mismatch; a generic one (`Super Server`) is replaced by the
 * SKU and the baseboard's name, and when none of them names the model, a warning.
 */
export function compareWithPlan(input: DiffInput): PlanComparison {
  const { inventory, device, expectations: e } = input;
  const out: Mismatch[] = [];
  const warnings: string[] = [];
  const push = (field: string, expected: string | number, actual: string | number) => out.push({ field, expected: String(expected), actual: String(actual) });

  // Device type vs DMI (the manufacturer only when DMI names one).
  const expectedManufacturer = e.manufacturer ?? device.device_type.manufacturer.name;
  const expectedModel = e.model ?? device.device_type.model;
  if (inventory.system.manufacturer && !namesMatch(expectedManufacturer, inventory.system.manufacturer))
    push('manufacturer', expectedManufacturer, inventory.system.manufacturer);
  const identifiers = {
    manufacturer: inventory.system.manufacturer || null,
    product: inventory.system.model || null,
    sku: inventory.sku ?? null,
    baseboard: inventory.baseboard.model || null,
  };
  const model = checkModel(expectedModel, identifiers);
  if (model.verdict === 'differs') push('model', expectedModel, model.actual);
  // A machine whose DMI names nothing at all (a VM without SMBIOS tables) is not compared, as before: nothing to warn about.
  const dmiSaysAnything = identifiers.product !== null || identifiers.sku !== null || identifiers.baseboard !== null;
  if (model.verdict === 'unidentifiable' && dmiSaysAnything)
    warnings.push(`model not identifiable: ${model.why}; NetBox expects "${expectedModel}" (not checked)`);

  if (e.cpu) {
    if (e.cpu.sockets !== undefined && inventory.cpus.sockets !== e.cpu.sockets) push('cpu.sockets', e.cpu.sockets, inventory.cpus.sockets);
    if (e.cpu.cores !== undefined && inventory.cpus.cores !== e.cpu.cores) push('cpu.cores', e.cpu.cores, inventory.cpus.cores);
    if (e.cpu.threads !== undefined && inventory.cpus.threads !== e.cpu.threads) push('cpu.threads', e.cpu.threads, inventory.cpus.threads);
    if (e.cpu.modelContains !== undefined && !inventory.cpus.model.toLowerCase().includes(e.cpu.modelContains.toLowerCase()))
      push('cpu.model', `contains "${e.cpu.modelContains}"`, inventory.cpus.model);
  }

  if (e.memoryGB !== undefined) {
    const memory = installedMemory(inventory.memory);
    const actual = memory.bytes / GiB;
    const shown = `${toGiB(memory.bytes)} GiB (${memory.source})`;
    if (typeof e.memoryGB === 'number') {
      if (Math.abs(actual - e.memoryGB) > e.memoryGB * 0.05) push('memoryGB', `${e.memoryGB} GiB ±5 %`, shown);
    } else {
      const { min, max } = e.memoryGB;
      if ((min !== undefined && actual < min) || (max !== undefined && actual > max)) push('memoryGB', `${min ?? 0}…${max ?? '∞'} GiB`, shown);
    }
  }

  if (e.disks) {
    const minBytes = (e.disks.minSizeGB ?? 0) * GiB;
    const eligible = inventory.disks.filter((d) => !d.removable && d.sizeBytes >= minBytes);
    if (e.disks.count !== undefined && eligible.length !== e.disks.count) {
      const what = e.disks.minSizeGB ? ` of ≥ ${e.disks.minSizeGB} GiB` : '';
      push(
        'disks.count',
        `${e.disks.count}${what}`,
        `${eligible.length} (${inventory.disks.map((d) => `${d.name} ${toGiB(d.sizeBytes)} GiB`).join(', ') || 'none'})`,
      );
    } else if (e.disks.count === undefined && e.disks.minSizeGB !== undefined) {
      for (const d of inventory.disks.filter((x) => !x.removable && x.sizeBytes < minBytes))
        push(`disks.${d.name}.sizeGB`, `≥ ${e.disks.minSizeGB}`, toGiB(d.sizeBytes));
    }
  }

  const physical = inventory.nics.filter((n) => n.physical);
  if (e.nics?.count !== undefined && physical.length !== e.nics.count)
    push('nics.count', e.nics.count, `${physical.length} (${physical.map((n) => n.name).join(', ') || 'none'})`);

  if (input.checkInterfaces !== false) {
    const hostMacs = new Set(inventory.nics.map((n) => n.mac));
    for (const iface of input.interfaces) {
      if (VIRTUAL_INTERFACE_TYPES.has(iface.type.value)) continue;
      const macs = interfaceMacs(iface);
      if (!macs.length) continue;
      if (iface.mgmt_only) {
        const bmcMac = inventory.bmc?.mac;
        if (bmcMac && !macs.includes(bmcMac)) push(`interfaces.${iface.name}.mac`, macs.join(' / '), `BMC ${bmcMac}`);
        continue;
      }
      if (!macs.some((m) => hostMacs.has(m))) push(`interfaces.${iface.name}.mac`, macs.join(' / '), 'not on this machine');
    }
  }
  return { mismatches: out, warnings };
}
