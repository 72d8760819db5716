/**
 * A device's rendered config context (extras/querysets.py ConfigContextQuerySet.get_for_object):
 * the active contexts whose every assignment list is empty or holds the device's object, merged
 * deeply in (weight, name) order, then the device's local_context_data on top.
 */
import type { Row, Store } from './store.ts';

type Json = Record<string, unknown>;

/** utilities/data.py deepmerge: nested dicts merge, everything else replaces (keeping key order). */
export function deepmerge(original: Json, update: Json): Json {
  const merged: Json = { ...original };
  for (const [k, v] of Object.entries(update)) {
    const o = original[k];
    const isDict = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
    merged[k] = k in original && isDict(o) && isDict(v) && Object.keys(v).length > 0 ? deepmerge(o, v) : v;
  }
  return merged;
}

/** Assignment lists a context may have, with the device's value for each (undefined: the simulator has no such relation). */
const ASSIGNMENTS: [string, (d: Row) => unknown][] = [
  ['sites', (d) => d.site],
  ['device_types', (d) => d.device_type],
  ['roles', (d) => d.role],
  ['regions', () => undefined],
  ['site_groups', () => undefined],
  ['locations', () => undefined],
  ['platforms', (d) => d.platform],
  ['cluster_types', () => undefined],
  ['cluster_groups', () => undefined],
  ['clusters', () => undefined],
  ['tenant_groups', () => undefined],
  ['tenants', () => undefined],
  ['tags', () => undefined],
];

export function contextsFor(store: Store, device: Row): Row[] {
  return store
    .find(
      'configcontext',
      (c) =>
        c.is_active !== false &&
        ASSIGNMENTS.every(([field, get]) => {
          const ids = (c[field] ?? []) as unknown[];
          return ids.length === 0 || ids.includes(get(device));
        }),
    )
    .sort((a, b) => Number(a.weight) - Number(b.weight) || String(a.name).localeCompare(String(b.name)));
}

export function renderConfigContext(store: Store, device: Row): Json {
  let data: Json = {};
  for (const c of contextsFor(store, device)) data = deepmerge(data, (c.data ?? {}) as Json);
  const local = device.local_context_data;
  if (typeof local === 'object' && local !== null && !Array.isArray(local)) data = deepmerge(data, local as Json);
  return data;
}
