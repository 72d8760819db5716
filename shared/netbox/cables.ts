/**
 * Cabling: where an interface's cable path ends (the switch port for LLDP checks).
 *
 * What NetBox 4.7.3 returns (test/fixtures/netbox/netbox-4.7.3-patch-panels.json):
 * - `cable`, `link_peers`, `link_peers_type`: the near end only (through a patch
 *   panel that is a `dcim.frontport`).
 * - `connected_endpoints` (+ `_type`): the far end of the whole path through any
 *   number of front/rear ports, but only when the path is complete: a path that
 *   stops at a panel gives `null` (and `_type` null), as an uncabled interface does.
 * - `connected_endpoints_reachable`: complete and every cable `connected`; a
 *   `planned` cable still gives the far end, with this false.
 * - `GET /api/dcim/interfaces/{id}/trace/`: the path as `[near ends, cable, far ends]`
 *   segments; one that stops at a panel ends with `[[port], [], []]` (a rear or
 *   front port with no cable) or with far ends that lead nowhere.
 * Pure helpers, plus the one read (`traceInterface`).
 */
import type { NetboxClient } from './client.ts';
import { NetboxResponseError } from './errors.ts';
import type { Interface } from './types.ts';

export interface FarEnd {
  deviceId: number;
  deviceName: string;
  interfaceId: number;
  interfaceName: string;
}

/** A device component as NetBox nests it (link peers, endpoints, trace entries). */
interface ComponentLike {
  id?: unknown;
  url?: unknown;
  name?: unknown;
  display?: unknown;
  device?: { id?: unknown; name?: unknown; display?: unknown } | null;
}

/** A port where a cable path stops, named for people. */
export interface PathStop {
  deviceName: string;
  portName: string;
  /** `dcim.frontport`, `dcim.rearport`, or what else NetBox named. */
  portType: string;
}

/**
 * Where an interface's cabling leads:
 * - `interface`: a complete path to another interface (usually the switch port);
 * - `stops`: cabled, but the path stops at a pass-through port (a patch panel not cabled further);
 * - `other`: a complete path to something that is not an interface (a circuit, a console port…);
 * - `none`: no cable on the interface.
 */
export type CablePathEnd =
  | { kind: 'interface'; farEnd: FarEnd; reachable: boolean }
  | { kind: 'stops'; at: PathStop | null }
  | { kind: 'other'; endpointType: string }
  | { kind: 'none' };

type CablingFields = Pick<Interface, 'cable' | 'link_peers' | 'link_peers_type' | 'connected_endpoints' | 'connected_endpoints_type'> &
  Partial<Pick<Interface, 'connected_endpoints_reachable'>>;

/** A trace as `GET /api/dcim/interfaces/{id}/trace/` returns it: `[near ends, cable, far ends]` per segment. */
export type CableTrace = [unknown[], unknown, unknown[]][];

function deviceNameOf(component: ComponentLike): string {
  const device = component.device;
  return String(device?.name ?? device?.display ?? device?.id ?? '?');
}

/** `dcim.frontport` from a component's API URL (`…/api/dcim/front-ports/4/`), else the fallback. */
function typeFromUrl(component: ComponentLike, fallback: string): string {
  const match = typeof component.url === 'string' ? /\/api\/(\w+)\/([\w-]+)\/\d+\/?$/.exec(component.url) : null;
  return match ? `${match[1]}.${match[2]!.replace(/-/g, '').replace(/s$/, '')}` : fallback;
}

function stopOf(component: unknown, fallbackType: string): PathStop | null {
  if (!component || typeof component !== 'object') return null;
  const c = component as ComponentLike;
  return { deviceName: deviceNameOf(c), portName: String(c.name ?? c.display ?? c.id ?? '?'), portType: typeFromUrl(c, fallbackType) };
}

/**
 * The interface at the far end of the cable path, through patch panels
 * (`connected_endpoints`); null when not cabled or not ending on an interface.
 */
export function farEndOf(iface: Pick<Interface, 'connected_endpoints' | 'connected_endpoints_type'>): FarEnd | null {
  if (iface.connected_endpoints_type !== 'dcim.interface') return null;
  const endpoint = iface.connected_endpoints?.[0] as ComponentLike | undefined;
  if (!endpoint || typeof endpoint.id !== 'number' || !endpoint.device || typeof endpoint.device.id !== 'number') return null;
  return {
    deviceId: endpoint.device.id,
    deviceName: deviceNameOf(endpoint),
    interfaceId: endpoint.id,
    interfaceName: String(endpoint.name ?? ''),
  };
}

/** Whether the interface is cabled but its path ends nowhere: worth a trace to say where it stops. */
export function pathStopsShort(iface: CablingFields): boolean {
  return iface.cable !== null && !iface.connected_endpoints_type;
}

/** The last port of a trace: the far end of its last segment, else (no cable there) its near end. */
export function stopOfTrace(trace: CableTrace): PathStop | null {
  const last = trace.at(-1);
  if (!last) return null;
  const [nearEnds, , farEnds] = last;
  return Array.isArray(farEnds) && farEnds.length > 0 ? stopOf(farEnds[0], '?') : stopOf(nearEnds?.[0], '?');
}

/**
 * Where the interface's cabling leads. `trace` (from traceInterface) names the
 * port a path stops at; without it the near end (`link_peers`) is the best guess.
 */
export function cablePathEndOf(iface: CablingFields, trace?: CableTrace | null): CablePathEnd {
  const farEnd = farEndOf(iface);
  if (farEnd) return { kind: 'interface', farEnd, reachable: iface.connected_endpoints_reachable !== false };
  if (iface.connected_endpoints_type) return { kind: 'other', endpointType: iface.connected_endpoints_type };
  if (!iface.cable) return { kind: 'none' };
  const at = (trace ? stopOfTrace(trace) : null) ?? stopOf(iface.link_peers?.[0], iface.link_peers_type ?? '?');
  return { kind: 'stops', at };
}

/** `patch panel ppa port F2`, for notes. */
export function describePathStop(stop: PathStop | null): string {
  if (!stop) return 'a port NetBox did not name';
  const passThrough = stop.portType === 'dcim.frontport' || stop.portType === 'dcim.rearport';
  return `${passThrough ? 'patch panel ' : ''}${stop.deviceName} port ${stop.portName}`;
}

/**
 * The cable path of an interface, segment by segment (one request; needs `view` on interfaces). An answer
 * that is not a list of segments (a proxy's `{}` or page) is a NetboxResponseError, as for lists.
 */
export async function traceInterface(client: NetboxClient, interfaceId: number): Promise<CableTrace> {
  const path = `/api/dcim/interfaces/${interfaceId}/trace/`;
  const trace = await client.get<unknown>(path);
  if (!Array.isArray(trace) || !trace.every(Array.isArray)) throw new NetboxResponseError('GET', path, 'not a cable trace (a list of segments)');
  return trace as CableTrace;
}
