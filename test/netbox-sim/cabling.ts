/**
 * Cable paths (dcim/models/cables.py CablePath.from_origin) for the objects the simulator models:
 * interfaces (path endpoints), front ports and rear ports (pass-through). Front port → rear port
 * through the front port's `rear_ports` mappings, rear port → front ports through the same
 * mappings seen from the other side; single-position ports only (what patch panels of one
 * port per position are). Pure functions of the store.
 */
import type { Row, Store } from './store.ts';

/** Cable termination object types → simulator model. */
export const TERMINATION_MODELS: Record<string, string> = {
  'dcim.interface': 'interface',
  'dcim.frontport': 'frontport',
  'dcim.rearport': 'rearport',
};

export interface Termination {
  object_type: string;
  object_id: number;
}

export interface CablePath {
  /** Far-end endpoints (interfaces); empty when the path stops at a pass-through port. */
  endpoints: number[];
  /** An interface was reached. */
  complete: boolean;
  /** Every cable on the way is `connected`. */
  active: boolean;
}

/** The terminations at the other end of `row`'s cable. */
export function linkPeers(store: Store, row: Row): Termination[] {
  if (typeof row.cable !== 'number') return [];
  const cable = store.get('cable', row.cable);
  if (!cable) return [];
  return (row.cable_end === 'A' ? cable.b_terminations : cable.a_terminations) as Termination[];
}

function mappingsFromFront(store: Store, frontIds: number[]): number[] {
  const out: number[] = [];
  for (const id of frontIds) {
    for (const m of (store.get('frontport', id)?.rear_ports ?? []) as { rear_port: number }[]) {
      if (!out.includes(m.rear_port)) out.push(m.rear_port);
    }
  }
  return out;
}

function mappingsFromRear(store: Store, rearIds: number[]): number[] {
  return store.find('frontport', (f) => ((f.rear_ports ?? []) as { rear_port: number }[]).some((m) => rearIds.includes(m.rear_port))).map((f) => f.id);
}

/** Traces the path starting at an interface; undefined when it has no cable (NetBox stores no path). */
export function tracePath(store: Store, interfaceId: number): CablePath | undefined {
  let current: { model: string; ids: number[] } = { model: 'interface', ids: [interfaceId] };
  let active = true;
  let first = true;
  const seen = new Set<string>();
  for (;;) {
    const rows = current.ids.map((id) => store.get(current.model, id)).filter((r): r is Row => r !== undefined);
    const cables = [...new Set(rows.map((r) => r.cable).filter((c): c is number => typeof c === 'number'))];
    if (cables.length === 0) return first ? undefined : { endpoints: [], complete: false, active };
    first = false;
    for (const c of cables) if (store.get('cable', c)?.status !== 'connected') active = false;
    const peers = rows.flatMap((r) => linkPeers(store, r));
    if (peers.length === 0) return { endpoints: [], complete: false, active };
    const model = TERMINATION_MODELS[peers[0]!.object_type] ?? '';
    const ids = peers.map((p) => p.object_id);
    const key = `${model}:${ids.join(',')}`;
    if (seen.has(key)) return { endpoints: [], complete: false, active };
    seen.add(key);
    if (model === 'interface') return { endpoints: ids, complete: true, active };
    const next = model === 'frontport' ? mappingsFromFront(store, ids) : model === 'rearport' ? mappingsFromRear(store, ids) : [];
    if (next.length === 0) return { endpoints: [], complete: false, active };
    current = { model: model === 'frontport' ? 'rearport' : 'frontport', ids: next };
  }
}

/** One segment of `GET /api/dcim/interfaces/{id}/trace/`: near ports, their cable (null: none), far ports. */
export interface TraceSegment {
  near: { model: string; ids: number[] };
  cable: number | null;
  far: { model: string; ids: number[] };
}

/** The segments NetBox's trace view lists, from an interface to where its path ends. Pure. */
export function traceSegments(store: Store, interfaceId: number): TraceSegment[] {
  const segments: TraceSegment[] = [];
  let near: { model: string; ids: number[] } = { model: 'interface', ids: [interfaceId] };
  const seen = new Set<string>();
  for (;;) {
    const rows = near.ids.map((id) => store.get(near.model, id)).filter((r): r is Row => r !== undefined);
    const cable = rows.map((r) => r.cable).find((c): c is number => typeof c === 'number');
    if (cable === undefined) {
      segments.push({ near, cable: null, far: { model: '', ids: [] } });
      return segments;
    }
    const peers = rows.flatMap((r) => linkPeers(store, r));
    const model = TERMINATION_MODELS[peers[0]?.object_type ?? ''] ?? '';
    const far = { model, ids: peers.map((p) => p.object_id) };
    segments.push({ near, cable, far });
    const key = `${model}:${far.ids.join(',')}`;
    if (model === 'interface' || model === '' || seen.has(key)) return segments;
    seen.add(key);
    const next = model === 'frontport' ? mappingsFromFront(store, far.ids) : mappingsFromRear(store, far.ids);
    if (next.length === 0) return segments;
    near = { model: model === 'frontport' ? 'rearport' : 'frontport', ids: next };
  }
}
