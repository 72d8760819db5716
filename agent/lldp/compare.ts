/**
 * LLDP neighbours vs NetBox cabling, pure: one row per NIC with a verdict, the
 * reasons the step fails, and the table the journal shows.
 *
 * Verdicts (severity in brackets):
 *   match              [ok]       the neighbour is the switch and port NetBox's cable ends on
 *   mismatch           [failure]  a neighbour, but positively another switch or port than NetBox says
 *   unidentified       [warning]  a neighbour, but nothing it sends is comparable with NetBox's
 *                                 far end (a MAC or ifIndex port id, no system name…): "cannot
 *                                 identify the far port/switch", with the raw values
 *   missing            [failure*] cabled in NetBox (or, without NetBox, linked) and no neighbour
 *   no-link            [failure* when cabled in NetBox, else info] no carrier, no neighbour
 *   uncabled-neighbour [warning]  a neighbour, but NetBox has no cable on this interface
 *   no-neighbour       [info]     linked, not cabled in NetBox, no neighbour
 *   incomplete-path    [warning]  cabled in NetBox, but the path stops at a patch panel
 *                                 not cabled further (or ends on something not an interface)
 *   seen               [ok]       a neighbour, no NetBox to compare with (dry run)
 *   absent             [warning]  NetBox has a cabled interface no NIC here pairs with
 * (* a warning instead when `require_neighbour` is off.)
 *
 * NICs pair with NetBox interfaces by MAC first, then by name; management-only
 * interfaces (the BMC port) are left out: the host cannot see them. A neighbour
 * is compared with the far end by every identifier it carries (identify.ts; names
 * as names.ts describes), LLDP and CDP alike. Of several neighbours on one NIC, one
 * that matches wins, then one positively different, else the NIC is unidentified.
 */
import { parseMac } from '../../shared/mac.ts';
import { cablePathEndOf, describePathStop, type CablePathEnd, type CableTrace, type FarEnd, type Interface } from '../../shared/netbox/index.ts';
import type { ResultTable } from '../step.ts';
import type { LldpNeighbour, LldpVlan } from '../tools/lldpcli.parse.ts';
import { type FarDevice, type Identification, identifyNeighbour, interfaceMacsOf, rawIdentifiers } from './identify.ts';

export type LldpVerdict =
  | 'match'
  | 'mismatch'
  | 'unidentified'
  | 'missing'
  | 'no-link'
  | 'uncabled-neighbour'
  | 'no-neighbour'
  | 'incomplete-path'
  | 'seen'
  | 'absent';
export type Severity = 'ok' | 'info' | 'warning' | 'failure';

export interface NicObservation {
  name: string;
  mac: string | null;
  /** Carrier at the end of the wait. */
  carrier: boolean;
}

/** A NetBox interface of the device as the comparison needs it. */
export interface NetboxPort {
  interfaceId: number;
  name: string;
  /** Canonical MACs (primary first). */
  macs: string[];
  /** Where NetBox's cable path ends when that is an interface (`connected_endpoints`). */
  farEnd: FarEnd | null;
  /** Where the cabling leads, including a path that stops at a patch panel. */
  path: CablePathEnd;
}

export interface LldpRow {
  /** Host interface; null for an `absent` row. */
  nic: string | null;
  mac: string | null;
  carrier: boolean;
  /** Paired NetBox interface name, when there is one. */
  netboxInterface: string | null;
  /** NetBox's far end (`connected_endpoints`), when cabled. */
  expected: { device: string; port: string } | null;
  /** Where NetBox's cabling of the paired interface leads (null: no paired interface). */
  path: CablePathEnd | null;
  /** What LLDP reports on this NIC (usually one; a hub or a misbehaving switch gives several). */
  seen: LldpNeighbour[];
  /** For a match: the identifiers that matched NetBox (`system name`, `port description`…). */
  matchedBy?: string[];
  verdict: LldpVerdict;
  severity: Severity;
  /** One sentence for the journal. */
  note: string;
}

export interface CablingComparison {
  rows: LldpRow[];
  /** Whether NetBox cabling was available to compare with. */
  withNetbox: boolean;
  failures: string[];
  warnings: string[];
}

/**
 * The device's interfaces that a host NIC can correspond to (management-only ones
 * left out). `traces` (interface id → its cable trace) name where a path stops short.
 */
export function netboxPortsOf(interfaces: readonly Interface[], traces: ReadonlyMap<number, CableTrace> = new Map()): NetboxPort[] {
  return interfaces
    .filter((iface) => !iface.mgmt_only)
    .map((iface) => {
      const path = cablePathEndOf(iface, traces.get(iface.id));
      return { interfaceId: iface.id, name: iface.name, macs: interfaceMacsOf(iface), farEnd: path.kind === 'interface' ? path.farEnd : null, path };
    });
}

/** NIC name → its NetBox interface: by MAC, then by name among the interfaces not yet taken. */
export function pairNics(nics: readonly Pick<NicObservation, 'name' | 'mac'>[], ports: readonly NetboxPort[]): Map<string, NetboxPort> {
  const pairs = new Map<string, NetboxPort>();
  const taken = new Set<number>();
  for (const nic of nics) {
    const mac = nic.mac ? parseMac(nic.mac) : null;
    const port = mac ? ports.find((p) => !taken.has(p.interfaceId) && p.macs.includes(mac)) : undefined;
    if (port) {
      pairs.set(nic.name, port);
      taken.add(port.interfaceId);
    }
  }
  for (const nic of nics) {
    if (pairs.has(nic.name)) continue;
    const port = ports.find((p) => !taken.has(p.interfaceId) && p.name === nic.name);
    if (port) {
      pairs.set(nic.name, port);
      taken.add(port.interfaceId);
    }
  }
  return pairs;
}

/**
 * The port to show for a neighbour: an interface name as it is; a MAC port id as the
 * description when there is one; another port id (an ifIndex, an alias) with the
 * description beside it (`541 (xe-0/0/17)`).
 */
export function portLabel(neighbour: LldpNeighbour): string {
  const { portId, portDescr } = neighbour;
  if (neighbour.portIdType === 'mac' && portDescr) return portDescr;
  if (neighbour.portIdType !== 'ifname' && portId && portDescr && portDescr !== portId) return `${portId} (${portDescr})`;
  return portId ?? portDescr ?? '?';
}

/** `leaf-1 swp7`; a neighbour heard over another protocol than LLDP says which (`sw-1 GigabitEthernet1/0/7 via CDPv2`). */
export function neighbourLabel(neighbour: LldpNeighbour): string {
  const via = neighbour.via && neighbour.via !== 'LLDP' ? ` via ${neighbour.via}` : '';
  return `${neighbour.chassisName ?? neighbour.chassisId ?? '?'} ${portLabel(neighbour)}${via}`;
}

export interface CompareInput {
  nics: readonly NicObservation[];
  neighbours: ReadonlyMap<string, readonly LldpNeighbour[]>;
  /** The device's NetBox interfaces; null without NetBox (dry run, no device). */
  netboxPorts: readonly NetboxPort[] | null;
  /**
   * NetBox's records of the far-end devices (by device id): serial, IPs, every interface's
   * label, description and MACs. Without one only the far end's device and interface names compare.
   */
  farDevices?: ReadonlyMap<number, FarDevice>;
  /** A cabled (or, without NetBox, linked) NIC without a neighbour fails; default true. */
  requireNeighbour?: boolean;
}

/** What to say about a cable path that does not reach an interface; null when it does, or there is no cable. */
function shortPathText(path: CablePathEnd): string | null {
  if (path.kind === 'stops') return `path stops at ${describePathStop(path.at)}: not cabled further`;
  if (path.kind === 'other') return `NetBox's cable path ends on a ${path.endpointType}, not a switch port`;
  return null;
}

/** The "NetBox says" cell for a path that does not reach an interface. */
function shortPathCell(path: CablePathEnd): string | null {
  if (path.kind === 'stops') return path.at ? `stops at ${path.at.deviceName} ${path.at.portName}` : 'stops at a patch panel';
  if (path.kind === 'other') return `ends on ${path.endpointType}`;
  return null;
}

type RowVerdict = Omit<LldpRow, 'nic' | 'mac' | 'carrier' | 'netboxInterface' | 'expected' | 'path' | 'seen'>;

/** The verdict on the neighbours heard on a NIC NetBox cables to `farEnd`: match, else mismatch, else unidentified. */
function neighboursVerdict(nic: NicObservation, port: NetboxPort, farEnd: FarEnd, seen: LldpNeighbour[], far: FarDevice | undefined): RowVerdict {
  const expectedText = `${farEnd.deviceName} ${farEnd.interfaceName}`;
  const seenText = seen.map(neighbourLabel).join(', ');
  const found: [LldpNeighbour, Identification][] = seen.map((n) => [n, identifyNeighbour(n, farEnd, far)]);
  const match = found.find(([, id]) => id.switch === 'same' && id.port === 'same');
  if (match) {
    const extra = seen.length > 1 ? ` (and ${seen.length - 1} more neighbour${seen.length > 2 ? 's' : ''}: ${seenText})` : '';
    const unreachable = port.path.kind === 'interface' && !port.path.reachable ? ' (NetBox marks the path not reachable: a cable on it is not connected)' : '';
    return { verdict: 'match', severity: 'ok', matchedBy: match[1].matchedBy, note: `${nic.name} is on ${expectedText} as NetBox says${extra}${unreachable}` };
  }
  const refuted = found.filter(([, id]) => id.switch === 'different' || id.port === 'different');
  if (refuted.length > 0) {
    const what = refuted.some(([, id]) => id.switch !== 'different') ? 'wrong port' : 'wrong switch';
    return { verdict: 'mismatch', severity: 'failure', note: `${nic.name}: ${what}: NetBox says ${expectedText}, LLDP sees ${seenText}` };
  }
  const what = found.some(([, id]) => id.switch === 'same') ? 'port' : found.every(([, id]) => id.port === 'same') ? 'switch' : 'switch and port';
  return {
    verdict: 'unidentified',
    severity: 'warning',
    note:
      `${nic.name}: cannot identify the far ${what}: NetBox says ${expectedText}, the switch sends ${seen.map(rawIdentifiers).join('; ')}` +
      ' (nothing in it compares with NetBox: give the switch port its name or alias as label or description in NetBox, or make the switch send its name)',
  };
}

function rowFor(
  nic: NicObservation,
  port: NetboxPort | undefined,
  seen: LldpNeighbour[],
  withNetbox: boolean,
  requireNeighbour: boolean,
  farDevices: ReadonlyMap<number, FarDevice>,
): RowVerdict {
  const farEnd = port?.farEnd ?? null;
  const expectedText = farEnd ? `${farEnd.deviceName} ${farEnd.interfaceName}` : '';
  const seenText = seen.map(neighbourLabel).join(', ');
  const absentSeverity: Severity = requireNeighbour ? 'failure' : 'warning';
  const shortPath = port ? shortPathText(port.path) : null;
  if (shortPath) {
    const heard = seen.length > 0 ? `LLDP sees ${seenText}` : nic.carrier ? 'no LLDP neighbour was heard' : 'no link';
    return { verdict: 'incomplete-path', severity: 'warning', note: `${nic.name}: ${shortPath}; ${heard}: complete the cabling in NetBox` };
  }
  if (seen.length > 0) {
    if (port && farEnd) return neighboursVerdict(nic, port, farEnd, seen, farDevices.get(farEnd.deviceId));
    if (withNetbox) {
      const where = port ? `NetBox interface ${port.name} has no cable` : 'NetBox has no interface with this MAC or name';
      return { verdict: 'uncabled-neighbour', severity: 'warning', note: `${nic.name}: LLDP sees ${seenText} but ${where}: add the cable in NetBox` };
    }
    return { verdict: 'seen', severity: 'ok', note: `${nic.name}: LLDP sees ${seenText}` };
  }
  if (farEnd) {
    if (!nic.carrier)
      return {
        verdict: 'no-link',
        severity: absentSeverity,
        note: `${nic.name}: NetBox says it is cabled to ${expectedText}, but it has no link (cable, optic or switch port down)`,
      };
    return {
      verdict: 'missing',
      severity: absentSeverity,
      note: `${nic.name}: NetBox says ${expectedText}, but no LLDP neighbour was heard (is LLDP enabled on the switch port?)`,
    };
  }
  if (withNetbox) {
    return nic.carrier
      ? { verdict: 'no-neighbour', severity: 'info', note: `${nic.name} has link but no LLDP neighbour, and NetBox has no cable on it` }
      : { verdict: 'no-link', severity: 'info', note: `${nic.name} has no link and no cable in NetBox` };
  }
  return nic.carrier
    ? { verdict: 'missing', severity: absentSeverity, note: `${nic.name} has link but no LLDP neighbour was heard` }
    : { verdict: 'no-link', severity: 'info', note: `${nic.name} has no link` };
}

export function compareCabling(input: CompareInput): CablingComparison {
  const requireNeighbour = input.requireNeighbour ?? true;
  const withNetbox = input.netboxPorts !== null;
  const ports = input.netboxPorts ?? [];
  const pairs = pairNics(input.nics, ports);
  const rows: LldpRow[] = input.nics.map((nic) => {
    const port = pairs.get(nic.name);
    const seen = [...(input.neighbours.get(nic.name) ?? [])];
    const farEnd = port?.farEnd ?? null;
    return {
      nic: nic.name,
      mac: nic.mac,
      carrier: nic.carrier,
      netboxInterface: port?.name ?? null,
      expected: farEnd ? { device: farEnd.deviceName, port: farEnd.interfaceName } : null,
      path: port?.path ?? null,
      seen,
      ...rowFor(nic, port, seen, withNetbox, requireNeighbour, input.farDevices ?? new Map()),
    };
  });
  const paired = new Set([...pairs.values()].map((p) => p.interfaceId));
  for (const port of ports) {
    if (paired.has(port.interfaceId) || !port.farEnd) continue;
    rows.push({
      nic: null,
      mac: port.macs[0] ?? null,
      carrier: false,
      netboxInterface: port.name,
      expected: { device: port.farEnd.deviceName, port: port.farEnd.interfaceName },
      path: port.path,
      seen: [],
      verdict: 'absent',
      severity: 'warning',
      note: `NetBox interface ${port.name} is cabled to ${port.farEnd.deviceName} ${port.farEnd.interfaceName}, but no NIC checked here has its MAC or name`,
    });
  }
  return {
    rows,
    withNetbox,
    failures: rows.filter((r) => r.severity === 'failure').map((r) => r.note),
    warnings: rows.filter((r) => r.severity === 'warning').map((r) => r.note),
  };
}

/**
 * NICs worth waiting for and those still without a neighbour. A NIC is awaited
 * when it has carrier or NetBox has a cable on it. The wait can end early once
 * at least one NIC is awaited and none is still waiting.
 */
export function awaitedNics(input: Pick<CompareInput, 'nics' | 'neighbours' | 'netboxPorts'>): { awaited: string[]; waiting: string[] } {
  const pairs = pairNics(input.nics, input.netboxPorts ?? []);
  const awaited = input.nics.filter((nic) => nic.carrier || Boolean(pairs.get(nic.name)?.farEnd)).map((nic) => nic.name);
  const waiting = awaited.filter((name) => (input.neighbours.get(name)?.length ?? 0) === 0);
  return { awaited, waiting };
}

export function formatVlans(vlans: readonly LldpVlan[]): string {
  return [...vlans]
    .sort((a, b) => Number(b.pvid) - Number(a.pvid) || a.id - b.id)
    .map((v) => (v.pvid ? `${v.id} native` : String(v.id)))
    .join(', ');
}

export const TABLE_COLUMNS = ['NIC', 'MAC', 'NetBox says', 'LLDP sees', 'VLAN', 'mgmt IP', 'verdict'] as const;

/** The journal table: one row per NIC (and per unpaired cabled NetBox interface). */
export function cablingTable(comparison: CablingComparison): ResultTable {
  const dash = (text: string) => text || '—';
  return {
    columns: [...TABLE_COLUMNS],
    rows: comparison.rows.map((row) => [
      row.nic ?? `(${row.netboxInterface ?? '?'})`,
      row.mac ? (parseMac(row.mac) ?? row.mac).toLowerCase() : '—',
      row.expected ? `${row.expected.device} ${row.expected.port}` : ((row.path && shortPathCell(row.path)) ?? (comparison.withNetbox ? 'not cabled' : '—')),
      dash(row.seen.map(neighbourLabel).join(', ')),
      dash([...new Set(row.seen.map((n) => formatVlans(n.vlans)).filter(Boolean))].join('; ')),
      dash([...new Set(row.seen.flatMap((n) => n.mgmtIps))].join(', ')),
      row.verdict,
    ]),
  };
}
