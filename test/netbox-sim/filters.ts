/**
 * NetBox list filter semantics (django-filter FilterSets), as pure functions of the query and the
 * store's current content. Repeated parameters OR together (MultiValue filters); different
 * parameters AND together; unknown parameters are ignored; invalid values give NetBox's 400 errors.
 */
import { featuresOf } from './flavours.ts';
import { normaliseMac } from './mac.ts';
import { hostBits, networkOf, parseIp, within } from './ip.ts';
import { inetCmp } from './ipam.ts';
import type { IpNet } from './ip.ts';
import { componentSchema } from './schema-validator.ts';
import type { SchemaNode } from './schema-validator.ts';
import type { Row, Store } from './store.ts';
import type { Flavour } from './types.ts';

export interface FilterCtx {
  store: Store;
  flavour: Flavour;
  /** Built-in + configured device statuses. */
  deviceStatuses: string[];
}

export type FilterResult = { rows: Row[] } | { errors: Record<string, string[]> };

type Pred = (r: Row) => boolean;
/** Returns a predicate, or an error message for the parameter. */
type FilterFn = (values: string[], ctx: FilterCtx) => Pred | string;

const selectError = (v: string): string => `Select a valid choice. ${v} is not one of the available choices.`;
const isInt = (v: string): boolean => /^-?\d+$/.test(v.trim());
const asArray = (x: unknown): unknown[] => (Array.isArray(x) ? x : [x]);

/** Choice values of a response component's choice field. */
export function choiceValues(component: string, field: string): string[] {
  const p = (componentSchema(component).properties as Record<string, SchemaNode>)[field];
  const value = (p?.properties as Record<string, SchemaNode> | undefined)?.value;
  return ((value?.enum ?? []) as unknown[]).filter((v): v is string => typeof v === 'string' && v !== '');
}

/** MultiValueNumberFilter. */
function numberF(get: (r: Row, ctx: FilterCtx) => unknown): FilterFn {
  return (values, ctx) => {
    const bad = values.find((v) => !isInt(v));
    if (bad !== undefined) return 'Enter a number.';
    const wanted = new Set(values.map((v) => Number(v)));
    return (r) => asArray(get(r, ctx)).some((x) => typeof x === 'number' && wanted.has(x));
  };
}

/** ModelMultipleChoiceFilter by id: every value must be the id of an existing object. */
function fkF(model: string, get: (r: Row, ctx: FilterCtx) => unknown): FilterFn {
  return (values, ctx) => {
    for (const v of values) {
      if (!isInt(v) || ctx.store.get(model, Number(v)) === undefined) return selectError(v);
    }
    const wanted = new Set(values.map((v) => Number(v)));
    return (r) => asArray(get(r, ctx)).some((x) => typeof x === 'number' && wanted.has(x));
  };
}

/** ModelMultipleChoiceFilter by a text attribute (to_field_name). */
function fkByAttrF(model: string, attr: string, get: (r: Row, ctx: FilterCtx) => unknown): FilterFn {
  return (values, ctx) => {
    const ids = new Set<number>();
    for (const v of values) {
      const hits = ctx.store.find(model, (o) => o[attr] === v);
      if (hits.length === 0) return selectError(v);
      for (const h of hits) ids.add(h.id);
    }
    return (r) => asArray(get(r, ctx)).some((x) => typeof x === 'number' && ids.has(x));
  };
}

/** MultiValueCharFilter (exact or iexact). */
function charF(field: string, caseInsensitive = false): FilterFn {
  return (values) => {
    const norm = (s: string): string => (caseInsensitive ? s.toLowerCase() : s);
    const wanted = new Set(values.map(norm));
    return (r) => typeof r[field] === 'string' && wanted.has(norm(r[field]));
  };
}

/** MultipleChoiceFilter. */
function choiceF(choices: (ctx: FilterCtx) => string[], field: string): FilterFn {
  return (values, ctx) => {
    const allowed = choices(ctx);
    const bad = values.find((v) => !allowed.includes(v));
    if (bad !== undefined) return selectError(bad);
    return (r) => values.includes(String(r[field]));
  };
}

/** BooleanFilter: unrecognised values do not filter (NullBooleanField → None). */
function boolF(get: (r: Row, ctx: FilterCtx) => boolean): FilterFn {
  return (values, ctx) => {
    const v = values[values.length - 1] ?? '';
    const b = ['true', 'True', '1'].includes(v) ? true : ['false', 'False', '0'].includes(v) ? false : undefined;
    if (b === undefined) return () => true;
    return (r) => get(r, ctx) === b;
  };
}

/** MultiValueMACAddressFilter: any separator/case; NetBox ≥4.5 rejects invalid values, older versions match nothing. */
function macF(get: (r: Row, ctx: FilterCtx) => string[]): FilterFn {
  return (values, ctx) => {
    const wanted = new Set<string>();
    for (const v of values) {
      const m = normaliseMac(v);
      if (m === undefined) {
        if (featuresOf(ctx.flavour).netbox47) return `Invalid MAC address format: ${v}`;
        if (featuresOf(ctx.flavour).strictMacFilter) return `Invalid value: ${v}`;
        return () => false;
      }
      wanted.add(m);
    }
    return (r) => get(r, ctx).some((m) => wanted.has(m));
  };
}

/** ModelMultipleChoiceFilter with null_value: `null` selects objects without one (e.g. vrf_id=null: the global table). */
function fkOrNullF(model: string, get: (r: Row) => unknown): FilterFn {
  return (values, ctx) => {
    const wantNull = values.includes('null');
    const ids = values.filter((v) => v !== 'null');
    for (const v of ids) if (!isInt(v) || ctx.store.get(model, Number(v)) === undefined) return selectError(v);
    const wanted = new Set(ids.map(Number));
    return (r) => {
      const x = get(r) ?? null;
      return x === null ? wantNull : wanted.has(x as number);
    };
  };
}

/** Objects assigned to one of the given objects of an object type (interface_id, vminterface_id, fhrpgroup_id). */
function assignedF(objectType: string, model: string): FilterFn {
  return fkF(model, (r) => (r.assigned_object_type === objectType ? r.assigned_object_id : undefined));
}

/** ContentTypeFilter ("app_label.model"); unknown types match nothing. */
function contentTypeF(field: string): FilterFn {
  return (values) => (r) => values.includes(String(r[field]));
}

// ---- relations used by filters -------------------------------------------------------------

function interfaceMacs(iface: Row, ctx: FilterCtx): string[] {
  if (!featuresOf(ctx.flavour).macObjects) return typeof iface.mac_address === 'string' ? [iface.mac_address] : [];
  return ctx.store
    .find('macaddress', (m) => m.assigned_object_type === 'dcim.interface' && m.assigned_object_id === iface.id)
    .map((m) => String(m.mac_address));
}

function deviceMacs(device: Row, ctx: FilterCtx): string[] {
  return ctx.store.find('interface', (i) => i.device === device.id).flatMap((i) => interfaceMacs(i, ctx));
}

function assignedInterface(r: Row): number | undefined {
  return r.assigned_object_type === 'dcim.interface' && typeof r.assigned_object_id === 'number' ? r.assigned_object_id : undefined;
}

function deviceOfInterface(id: number | undefined, ctx: FilterCtx): number | undefined {
  if (id === undefined) return undefined;
  const d = ctx.store.get('interface', id)?.device;
  return typeof d === 'number' ? d : undefined;
}

function cableInterfaces(cable: Row): number[] {
  return [...asArray(cable.a_terminations), ...asArray(cable.b_terminations)]
    .map((t) => (t as { object_id?: unknown }).object_id)
    .filter((x): x is number => typeof x === 'number');
}

// ---- address semantics ---------------------------------------------------------------------

function parsedAll(values: string[]): IpNet[] | undefined {
  const out: IpNet[] = [];
  for (const v of values) {
    const p = parseIp(v);
    if (p === undefined) return undefined;
    out.push(p);
  }
  return out;
}

/** IPAddress `address`: without a mask matches the host in any mask, with a mask matches exactly. */
const addressF: FilterFn = (values) => {
  const qs = parsedAll(values);
  if (qs === undefined) return () => false;
  return (r) => {
    const a = parseIp(String(r.address));
    if (a === undefined) return false;
    return qs.some((q) => q.family === a.family && q.value === a.value && (q.prefixLen === undefined || q.prefixLen === a.prefixLen));
  };
};

/** IPAddress `parent`: host contained in any of the given prefixes. */
const parentF: FilterFn = (values) => {
  const qs = parsedAll(values);
  if (qs === undefined) return () => false;
  return (r) => {
    const a = parseIp(String(r.address));
    if (a === undefined) return false;
    return qs.some((q) => within(q, q.prefixLen ?? hostBits(q.family), a, hostBits(a.family)));
  };
};

/** Prefix `prefix`: exact prefix match. */
const prefixF: FilterFn = (values) => {
  const qs = parsedAll(values);
  if (qs === undefined) return () => false;
  return (r) => {
    const p = parseIp(String(r.prefix));
    if (p === undefined) return false;
    return qs.some((q) => {
      const len = q.prefixLen ?? hostBits(q.family);
      return q.family === p.family && len === p.prefixLen && networkOf(q.family, q.value, len) === p.value;
    });
  };
};

/** Prefix `contains`: prefixes containing an IP (strictly) or a prefix (or equal to it). */
const containsF: FilterFn = (values) => {
  const qs = parsedAll(values);
  if (qs === undefined) return () => false;
  return (r) => {
    const p = parseIp(String(r.prefix));
    if (p === undefined || p.prefixLen === undefined) return false;
    return qs.some((q) => {
      if (q.prefixLen === undefined) return p.prefixLen !== undefined && p.prefixLen < hostBits(p.family) && within(p, p.prefixLen, q, hostBits(q.family));
      return within(p, p.prefixLen as number, q, q.prefixLen);
    });
  };
};

/** IPRange `contains`: start <= value <= end in PostgreSQL inet order (one value; invalid → nothing). */
const rangeContainsF: FilterFn = (values) => {
  const q = parseIp(values[values.length - 1] ?? '');
  if (q === undefined) return () => false;
  return (r) => {
    const s = parseIp(String(r.start_address));
    const e = parseIp(String(r.end_address));
    return s !== undefined && e !== undefined && inetCmp(s, q) <= 0 && inetCmp(e, q) >= 0;
  };
};

/** IPRange `parent`: both ends' hosts inside one of the prefixes. */
const rangeParentF: FilterFn = (values) => {
  const qs = parsedAll(values);
  if (qs === undefined) return () => false;
  return (r) => {
    const s = parseIp(String(r.start_address));
    const e = parseIp(String(r.end_address));
    if (!s || !e) return false;
    return qs.some(
      (q) => within(q, q.prefixLen ?? hostBits(q.family), s, hostBits(s.family)) && within(q, q.prefixLen ?? hostBits(q.family), e, hostBits(e.family)),
    );
  };
};

/** IPRange start_address / end_address: host equality (net_in on the host part; invalid values are dropped). */
function rangeEndF(field: string): FilterFn {
  return (values) => {
    const qs = values.map((v) => parseIp(v)).filter((q): q is IpNet => q !== undefined);
    if (qs.length === 0) return () => false;
    return (r) => {
      const a = parseIp(String(r[field]));
      return a !== undefined && qs.some((q) => q.family === a.family && q.value === a.value && (q.prefixLen === undefined || q.prefixLen === a.prefixLen));
    };
  };
}

// ---- filter sets ---------------------------------------------------------------------------

const idF = numberF((r) => r.id);

export const FILTERSETS: Record<string, Record<string, FilterFn>> = {
  site: { id: idF, name: charF('name'), slug: charF('slug') },
  manufacturer: { id: idF, name: charF('name'), slug: charF('slug') },
  devicetype: { id: idF, model: charF('model'), slug: charF('slug'), manufacturer_id: fkF('manufacturer', (r) => r.manufacturer) },
  devicerole: { id: idF, name: charF('name'), slug: charF('slug') },
  device: {
    id: idF,
    name: charF('name'),
    serial: charF('serial', true),
    status: choiceF((ctx) => ctx.deviceStatuses, 'status'),
    site_id: fkF('site', (r) => r.site),
    site: fkByAttrF('site', 'slug', (r) => r.site),
    role_id: fkF('devicerole', (r) => r.role),
    role: fkByAttrF('devicerole', 'slug', (r) => r.role),
    device_type_id: fkF('devicetype', (r) => r.device_type),
    mac_address: macF((r, ctx) => deviceMacs(r, ctx)),
  },
  interface: {
    id: idF,
    device_id: fkF('device', (r) => r.device),
    device: fkByAttrF('device', 'name', (r) => r.device),
    name: charF('name'),
    mac_address: macF((r, ctx) => interfaceMacs(r, ctx)),
    cabled: boolF((r) => typeof r.cable === 'number'),
    mgmt_only: boolF((r) => r.mgmt_only === true),
    enabled: boolF((r) => r.enabled !== false),
  },
  macaddress: {
    id: idF,
    mac_address: macF((r) => [String(r.mac_address)]),
    assigned_object_type: contentTypeF('assigned_object_type'),
    assigned_object_id: numberF((r) => r.assigned_object_id),
    interface_id: fkF('interface', (r) => assignedInterface(r)),
    device_id: numberF((r, ctx) => deviceOfInterface(assignedInterface(r), ctx)),
  },
  cable: {
    id: idF,
    device_id: numberF((r, ctx) => cableInterfaces(r).map((i) => deviceOfInterface(i, ctx))),
    interface_id: numberF((r) => cableInterfaces(r)),
    status: choiceF(() => choiceValues('Cable', 'status'), 'status'),
  },
  prefix: {
    id: idF,
    prefix: prefixF,
    contains: containsF,
    status: choiceF(() => choiceValues('Prefix', 'status'), 'status'),
    vrf_id: fkOrNullF('vrf', (r) => r.vrf),
    vrf: fkByAttrF('vrf', 'rd', (r) => r.vrf),
  },
  ipaddress: {
    id: idF,
    address: addressF,
    parent: parentF,
    interface_id: fkF('interface', (r) => assignedInterface(r)),
    device_id: numberF((r, ctx) => deviceOfInterface(assignedInterface(r), ctx)),
    vminterface_id: assignedF('virtualization.vminterface', 'vminterface'),
    fhrpgroup_id: assignedF('ipam.fhrpgroup', 'fhrpgroup'),
    virtual_machine_id: numberF((r, ctx) =>
      r.assigned_object_type === 'virtualization.vminterface' ? ctx.store.get('vminterface', r.assigned_object_id as number)?.virtual_machine : undefined,
    ),
    assigned_object_type: contentTypeF('assigned_object_type'),
    assigned_object_id: numberF((r) => r.assigned_object_id),
    status: choiceF(() => choiceValues('IPAddress', 'status'), 'status'),
    vrf_id: fkOrNullF('vrf', (r) => r.vrf),
    vrf: fkByAttrF('vrf', 'rd', (r) => r.vrf),
  },
  vrf: { id: idF, name: charF('name'), rd: charF('rd') },
  iprange: {
    id: idF,
    contains: rangeContainsF,
    parent: rangeParentF,
    start_address: rangeEndF('start_address'),
    end_address: rangeEndF('end_address'),
    vrf_id: fkOrNullF('vrf', (r) => r.vrf),
    vrf: fkByAttrF('vrf', 'rd', (r) => r.vrf),
    status: choiceF(() => choiceValues('IPRange', 'status'), 'status'),
    mark_populated: boolF((r) => r.mark_populated === true),
  },
  fhrpgroup: { id: idF, protocol: choiceF(() => choiceValues('FHRPGroup', 'protocol'), 'protocol'), group_id: numberF((r) => r.group_id) },
  virtualmachine: { id: idF, name: charF('name'), site_id: fkF('site', (r) => r.site) },
  vminterface: { id: idF, name: charF('name'), virtual_machine_id: fkF('virtualmachine', (r) => r.virtual_machine) },
  customfield: { id: idF, name: charF('name') },
  configcontext: { id: idF, name: charF('name') },
  frontport: { id: idF, name: charF('name'), device_id: fkF('device', (r) => r.device), cabled: boolF((r) => typeof r.cable === 'number') },
  rearport: { id: idF, name: charF('name'), device_id: fkF('device', (r) => r.device), cabled: boolF((r) => typeof r.cable === 'number') },
  journalentry: {
    id: idF,
    assigned_object_type: contentTypeF('assigned_object_type'),
    assigned_object_id: numberF((r) => r.assigned_object_id),
    kind: choiceF(() => choiceValues('JournalEntry', 'kind'), 'kind'),
  },
};

/** Applies the model's filters from `query` to `rows`. */
export function applyFilters(model: string, rows: Row[], query: URLSearchParams, ctx: FilterCtx): FilterResult {
  const set = FILTERSETS[model] ?? {};
  const errors: Record<string, string[]> = {};
  const preds: Pred[] = [];
  for (const [param, fn] of Object.entries(set)) {
    const values = query.getAll(param).filter((v) => v !== '');
    if (values.length === 0) continue;
    const res = fn(values, ctx);
    if (typeof res === 'string') errors[param] = [res];
    else preds.push(res);
  }
  if (Object.keys(errors).length > 0) return { errors };
  return { rows: rows.filter((r) => preds.every((p) => p(r))) };
}
