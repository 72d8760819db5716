/**
 * Pure parser for `lldpcli -f json0 show neighbors details` (lldpd 1.0.x).
 *
 * json0 keeps one shape whatever the count: every element is an array, even
 * when it holds one item (`-f json` collapses those into objects, so its shape
 * changes with the number of neighbours). Zero neighbours is `{"lldp":[{}]}`.
 * Text values sit in `{"value": …}` objects; attributes (`type`, `pvid`…) are
 * keys beside them, with lldpcli's yes/no turned into booleans.
 *
 * Shape (trimmed; see test/fixtures/lldpcli/):
 *   {"lldp":[{"interface":[{"name":"eno1","via":"LLDP","rid":"1","age":"…",
 *     "chassis":[{"id":[{"type":"mac","value":"…"}],"name":[{"value":"leaf-1"}],
 *                 "mgmt-ip":[{"value":"192.0.2.10"}], …}],
 *     "port":[{"id":[{"type":"ifname","value":"swp7"}],"descr":[{"value":"…"}], …}],
 *     "vlan":[{"vlan-id":"100","pvid":true,"value":"vlan100"}]}]}]}
 * (`vlan` is written by lldpd's display_vlans() beside `port`; this kernel has
 * no 802.1Q module, so the committed captures carry none.)
 */
import { isJsonObject, type JsonObject } from '../../shared/json.ts';
import { EXCERPT_CHARS, parseJsonOrThrow, ToolOutputError } from './tool-output-error.ts';

export interface LldpVlan {
  id: number;
  /** The port's native (untagged) VLAN. */
  pvid: boolean;
  name: string | null;
}

export interface LldpNeighbour {
  /** Our interface that received the LLDPDU. */
  localInterface: string;
  /** Protocol lldpd heard it on (`LLDP`, or `CDPv2`… when enabled). */
  via: string | null;
  /** System name of the switch (LLDP SysName); null when it sends none. */
  chassisName: string | null;
  chassisId: string | null;
  /** Chassis id subtype (`mac`, `local`, `ip`…). */
  chassisIdType: string | null;
  portId: string | null;
  /** Port id subtype (`ifname`, `mac`, `local`…). */
  portIdType: string | null;
  portDescr: string | null;
  mgmtIps: string[];
  vlans: LldpVlan[];
  /** lldpd's age text, e.g. `0 day, 00:00:03`. */
  age: string | null;
}

/** json0 elements are arrays of objects. */
function items(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter(isJsonObject) : [];
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return null;
}

/** The `value` of the first item of element `key` (`"name":[{"value":"leaf-1"}]`). */
function firstValue(parent: JsonObject | undefined, key: string): string | null {
  const first = items(parent?.[key])[0];
  if (first === undefined) return typeof parent?.[key] === 'string' ? (parent[key] as string) : null;
  return text(first.value);
}

function firstAttr(parent: JsonObject | undefined, key: string, attr: string): string | null {
  return text(items(parent?.[key])[0]?.[attr]);
}

function parseVlans(elements: JsonObject[]): LldpVlan[] {
  const vlans: LldpVlan[] = [];
  for (const vlan of elements) {
    const id = Number(text(vlan['vlan-id']) ?? Number.NaN);
    if (!Number.isInteger(id)) continue;
    vlans.push({ id, pvid: vlan.pvid === true || vlan.pvid === 'yes', name: text(vlan.value) });
  }
  return vlans;
}

function parseInterface(entry: JsonObject): LldpNeighbour | null {
  const localInterface = text(entry.name);
  if (!localInterface) return null;
  const chassis = items(entry.chassis)[0];
  const port = items(entry.port)[0];
  return {
    localInterface,
    via: text(entry.via),
    chassisName: firstValue(chassis, 'name'),
    chassisId: firstValue(chassis, 'id'),
    chassisIdType: firstAttr(chassis, 'id', 'type'),
    portId: firstValue(port, 'id'),
    portIdType: firstAttr(port, 'id', 'type'),
    portDescr: firstValue(port, 'descr'),
    mgmtIps: items(chassis?.['mgmt-ip'])
      .map((ip) => text(ip.value))
      .filter((ip): ip is string => Boolean(ip)),
    vlans: parseVlans([...items(entry.vlan), ...items(port?.vlan)]),
    age: text(entry.age),
  };
}

/**
 * Every neighbour in the output, in lldpcli's order. Several neighbours on one
 * interface (a hub, a misbehaving switch) come out as several entries with the
 * same `localInterface`. Throws ToolOutputError on output that is not json0 neighbours.
 */
export function parseLldpcliJson0(output: string): LldpNeighbour[] {
  const data = parseJsonOrThrow('lldpcli', output);
  if (!isJsonObject(data) || !('lldp' in data)) {
    throw new ToolOutputError('lldpcli', 'lldpcli output has no "lldp" element (expected `-f json0 show neighbors`)', output.slice(0, EXCERPT_CHARS));
  }
  // `-f json` writes objects keyed by name instead of arrays: reading it as json0 would find nothing, silently.
  const collapsed = () =>
    new ToolOutputError('lldpcli', 'lldpcli output is in the `-f json` shape (objects keyed by name); run it with `-f json0`', output.slice(0, EXCERPT_CHARS));
  if (!Array.isArray(data.lldp)) throw collapsed();
  const neighbours: LldpNeighbour[] = [];
  for (const lldp of items(data.lldp)) {
    if (lldp.interface !== undefined && !Array.isArray(lldp.interface)) throw collapsed();
    for (const entry of items(lldp.interface)) {
      const neighbour = parseInterface(entry);
      if (neighbour) neighbours.push(neighbour);
    }
  }
  return neighbours;
}

/** Neighbours grouped by local interface. */
export function neighboursByInterface(neighbours: readonly LldpNeighbour[]): Map<string, LldpNeighbour[]> {
  const map = new Map<string, LldpNeighbour[]>();
  for (const neighbour of neighbours) {
    const list = map.get(neighbour.localInterface) ?? [];
    list.push(neighbour);
    map.set(neighbour.localInterface, list);
  }
  return map;
}
