/**
 * Pure side of the differential test (test/integration/netbox-differential.test.ts): the shape of
 * a JSON value (key sets and value types, recursively; ids, urls and timestamps are just their
 * type), the differences between two shapes, and the allowlist that explains accepted ones.
 */

export type Shape = string | { [k: string]: Shape } | Shape[];

/** Key sets and value types; arrays by the union of their items' shapes (first item wins per key). */
export function shapeOf(v: unknown): Shape {
  if (v === null) return 'null';
  if (Array.isArray(v)) {
    if (v.length === 0) return [];
    const items = v.map(shapeOf);
    const first = items[0] as Shape;
    if (typeof first !== 'object' || Array.isArray(first)) return [first];
    const merged: Record<string, Shape> = {};
    for (const it of items) if (typeof it === 'object' && !Array.isArray(it)) for (const [k, s] of Object.entries(it)) merged[k] ??= s;
    return [merged];
  }
  if (typeof v === 'object') {
    const out: Record<string, Shape> = {};
    for (const k of Object.keys(v as object).sort()) out[k] = shapeOf((v as Record<string, unknown>)[k]);
    return out;
  }
  return typeof v;
}

function kind(s: Shape): string {
  if (typeof s === 'string') return s;
  return Array.isArray(s) ? 'array' : 'object';
}

/** Differences between the real NetBox's shape and the simulator's, as "path: real … / sim …" lines keyed by path. */
export function compareShapes(real: Shape, sim: Shape, path = '$'): { path: string; detail: string }[] {
  const out: { path: string; detail: string }[] = [];
  const kr = kind(real);
  const ks = kind(sim);
  if (kr !== ks) return [{ path, detail: `real ${kr}, sim ${ks}` }];
  if (Array.isArray(real) && Array.isArray(sim)) {
    // An empty list on one side says nothing about item shapes.
    if (real.length > 0 && sim.length > 0) out.push(...compareShapes(real[0] as Shape, sim[0] as Shape, `${path}[]`));
    return out;
  }
  if (typeof real === 'object' && typeof sim === 'object') {
    const r = real as Record<string, Shape>;
    const s = sim as Record<string, Shape>;
    for (const k of Object.keys(r)) {
      if (!(k in s)) out.push({ path: `${path}.${k}`, detail: 'only on the real NetBox' });
      else out.push(...compareShapes(r[k] as Shape, s[k] as Shape, `${path}.${k}`));
    }
    for (const k of Object.keys(s)) if (!(k in r)) out.push({ path: `${path}.${k}`, detail: 'only on the simulator' });
  }
  return out;
}

/** Error texts with numbers normalised (ids differ between the two NetBoxes). */
export function errorTexts(body: unknown, path = '$'): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof body === 'string') out[path] = body.replace(/\d+/g, 'N');
  else if (Array.isArray(body)) for (const [i, b] of body.entries()) Object.assign(out, errorTexts(b, `${path}[${i}]`));
  else if (typeof body === 'object' && body !== null) for (const [k, v] of Object.entries(body)) Object.assign(out, errorTexts(v, `${path}.${k}`));
  return out;
}

export interface AllowEntry {
  step: string;
  path: string;
  reason: string;
}

/** True when an allowlist entry covers the difference (`path` may end in `*` for a prefix). */
export function allowed(list: AllowEntry[], step: string, path: string): AllowEntry | undefined {
  return list.find((e) => (e.step === '*' || e.step === step) && (e.path.endsWith('*') ? path.startsWith(e.path.slice(0, -1)) : e.path === path));
}

/**
 * A GraphQL answer as comparable text: ids (which differ between the two NetBoxes) as "N", lists
 * sorted, prefixes other than `ownPrefix` dropped (the shared real NetBox holds other tests' prefixes
 * that contain the same addresses), error locations dropped.
 */
export function canonicalGraphql(body: unknown, ownPrefix: string): string {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      const items = v.filter((x) => !(x && typeof x === 'object' && 'prefix' in x && (x as { prefix: unknown }).prefix !== ownPrefix)).map(walk);
      return items.map((x) => JSON.stringify(x)).sort();
    }
    if (!v || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      if (k === 'locations') continue;
      const x = (v as Record<string, unknown>)[k];
      out[k] = k === 'id' && (typeof x === 'string' || typeof x === 'number') ? 'N' : walk(x);
    }
    return out;
  };
  return JSON.stringify(walk(body));
}
