/**
 * Is the neighbour a NIC hears the switch port NetBox's cable ends on? Pure.
 *
 * Every identifier the frame (LLDP or CDP) carries is compared with what NetBox
 * knows about the far end, and each comparison says `same`, `different` or
 * `unknown` (nothing comparable):
 *
 * Switch — system name vs the device name (names.ts; a CDP device id's
 * `(serial)` suffix is dropped), chassis id vs the device's serial (subtype
 * `local`), its name, or the MACs of its interfaces (subtype `mac`), management
 * addresses vs its primary IPv4/IPv6 and OOB IP. Any `same` identifies the
 * switch; otherwise a system name that names another device makes it `different`;
 * otherwise (no system name, a chassis MAC NetBox does not list) it is `unknown`.
 *
 * Port — by the port id's subtype: `ifname` (LLDP interface name, CDP's port id)
 * is a name: equal to the far interface's name or label (names.ts) or else
 * `different`; `local` (Junos: the ifIndex `541`; SONiC: the alias `etp8`) and
 * `ifalias` are `same` when they equal the far interface's name, label or
 * description, `different` when they equal another interface's of that switch, and
 * `unknown` otherwise (an ifIndex is never comparable); `mac` likewise against the
 * interfaces' MACs. The port description (Junos: the interface name or its
 * description) is compared like `local`, a description only when it is unique
 * on the switch. Any `same` identifies the port, else any `different` refutes it,
 * else it is `unknown`.
 */
import { parseMac } from '../../shared/mac.ts';
import { type Device, type FarEnd, type Interface, interfaceMacsOf } from '../../shared/netbox/index.ts';
import type { LldpNeighbour } from '../tools/lldpcli.parse.ts';
import { samePort, sameSwitch } from './names.ts';

export type Evidence = 'same' | 'different' | 'unknown';

/** An interface of the far device, as identification needs it. */
export interface FarInterface {
  id: number;
  name: string;
  label: string | null;
  description: string | null;
  /** Canonical MACs. */
  macs: string[];
}

/** What NetBox knows about the device at the far end of a cable. */
export interface FarDevice {
  id: number;
  name: string | null;
  serial: string | null;
  /** Primary IPv4/IPv6 and OOB addresses, without prefix length. */
  ips: string[];
  /** Every interface of the device (the cabled one and the others: another port's name refutes a match). */
  interfaces: FarInterface[];
}

export interface Identification {
  switch: Evidence;
  port: Evidence;
  /** The identifiers that matched (`system name`, `port description`…), for the journal and details. */
  matchedBy: string[];
}

const blank = (text: string | null | undefined): string | null => (text?.trim() ? text.trim() : null);

/** Canonical MACs of a NetBox interface: shared/netbox/interfaces.ts (bm-harden's identity check uses it too). */
export { interfaceMacsOf };

/** NetBox's device and interfaces → FarDevice. */
export function farDeviceOf(
  device: Pick<Device, 'id' | 'name' | 'serial' | 'primary_ip4' | 'primary_ip6' | 'oob_ip'>,
  interfaces: readonly Interface[],
): FarDevice {
  const ips = [device.primary_ip4, device.primary_ip6, device.oob_ip]
    .map((ip) => ip?.address.split('/')[0]?.toLowerCase())
    .filter((ip): ip is string => Boolean(ip));
  return {
    id: device.id,
    name: device.name,
    serial: blank(device.serial),
    ips: [...new Set(ips)],
    interfaces: interfaces.map((i) => ({ id: i.id, name: i.name, label: blank(i.label), description: blank(i.description), macs: interfaceMacsOf(i) })),
  };
}

/** Whether a text the switch sent names this interface: its name or label (names.ts), or its description when `withDescription`. */
function namesInterface(text: string, iface: Pick<FarInterface, 'name' | 'label' | 'description'>, withDescription: boolean): boolean {
  if (samePort(text, iface.name) || samePort(text, iface.label)) return true;
  return withDescription && iface.description !== null && iface.description.toLowerCase() === text.toLowerCase();
}

/** A description names an interface only when no other interface of the switch has the same one. */
function uniqueDescriptions(far: FarDevice | undefined): (iface: FarInterface) => boolean {
  if (!far) return () => true;
  const counts = new Map<string, number>();
  for (const i of far.interfaces) if (i.description) counts.set(i.description.toLowerCase(), (counts.get(i.description.toLowerCase()) ?? 0) + 1);
  return (iface) => iface.description !== null && counts.get(iface.description.toLowerCase()) === 1;
}

/** A name-like value (`local`/`ifalias` port id, port description): same / another interface of the switch / unknown. */
function byText(text: string, expected: FarInterface, far: FarDevice | undefined): Evidence {
  const unique = uniqueDescriptions(far);
  if (namesInterface(text, expected, unique(expected))) return 'same';
  if (far?.interfaces.some((i) => i.id !== expected.id && namesInterface(text, i, unique(i)))) return 'different';
  return 'unknown';
}

/** What the port id says, by its subtype. */
function portIdEvidence(neighbour: LldpNeighbour, expected: FarInterface, far: FarDevice | undefined): Evidence {
  const id = blank(neighbour.portId);
  if (!id) return 'unknown';
  switch (neighbour.portIdType) {
    case 'ifname':
      return samePort(id, expected.name) || samePort(id, expected.label) ? 'same' : 'different';
    case 'local':
      // A bare number is an ifIndex (Junos): NetBox does not know it.
      return /^\d+$/.test(id) ? 'unknown' : byText(id, expected, far);
    case 'ifalias':
      return byText(id, expected, far);
    case 'mac': {
      const mac = parseMac(id);
      if (!mac) return 'unknown';
      if (expected.macs.includes(mac)) return 'same';
      return far?.interfaces.some((i) => i.id !== expected.id && i.macs.includes(mac)) ? 'different' : 'unknown';
    }
    default:
      return 'unknown';
  }
}

/** A CDP device id may carry the serial in brackets (NX-OS `n9k-1(FDO21120U8N)`): name and serial apart. */
function splitDeviceId(text: string): { name: string; serial: string | null } {
  const match = /^(.*?)\(([^()]+)\)$/.exec(text.trim());
  return match ? { name: match[1]!.trim(), serial: match[2]!.trim() } : { name: text.trim(), serial: null };
}

function switchEvidence(neighbour: LldpNeighbour, farEnd: FarEnd, far: FarDevice | undefined, matchedBy: string[]): Evidence {
  const deviceName = far?.name ?? farEnd.deviceName;
  const sysName = blank(neighbour.chassisName);
  const sys = sysName ? splitDeviceId(sysName) : null;
  if (sys && sameSwitch(sys.name, deviceName)) matchedBy.push('system name');
  const chassisId = blank(neighbour.chassisId);
  if (chassisId && neighbour.chassisIdType === 'mac') {
    const mac = parseMac(chassisId);
    if (mac && far?.interfaces.some((i) => i.macs.includes(mac))) matchedBy.push('chassis MAC');
  } else if (chassisId) {
    const id = splitDeviceId(chassisId);
    const serials = [id.serial, sys?.serial, chassisId].filter((s): s is string => Boolean(s));
    if (far?.serial && serials.some((s) => s.toLowerCase() === far.serial!.toLowerCase())) matchedBy.push('chassis id = serial');
    else if (!sys && sameSwitch(id.name, deviceName)) matchedBy.push('chassis id');
  }
  const ips = new Set(far?.ips ?? []);
  if (neighbour.mgmtIps.some((ip) => ips.has(ip.toLowerCase()))) matchedBy.push('management address');
  if (matchedBy.length > 0) return 'same';
  return sys ? 'different' : 'unknown';
}

/** Compares one neighbour with NetBox's far end (and, when read, NetBox's record of that device). */
export function identifyNeighbour(neighbour: LldpNeighbour, farEnd: FarEnd, far?: FarDevice): Identification {
  const matchedBy: string[] = [];
  const sw = switchEvidence(neighbour, farEnd, far, matchedBy);
  const expected: FarInterface = far?.interfaces.find((i) => i.id === farEnd.interfaceId) ?? {
    id: farEnd.interfaceId,
    name: farEnd.interfaceName,
    label: null,
    description: null,
    macs: [],
  };
  const fromId = portIdEvidence(neighbour, expected, far);
  const descr = blank(neighbour.portDescr);
  const fromDescr = descr ? byText(descr, expected, far) : 'unknown';
  if (fromId === 'same') matchedBy.push(`port id (${neighbour.portIdType ?? '?'})`);
  if (fromDescr === 'same') matchedBy.push('port description');
  const port: Evidence = fromId === 'same' || fromDescr === 'same' ? 'same' : fromId === 'different' || fromDescr === 'different' ? 'different' : 'unknown';
  return { switch: sw, port, matchedBy };
}

/** Everything the frame carried that identifies the far end, raw, for a warning: `chassis id (mac) 0c:…, no system name, port id (local) 541, …`. */
export function rawIdentifiers(neighbour: LldpNeighbour): string {
  const parts = [
    neighbour.chassisId ? `chassis id (${neighbour.chassisIdType ?? '?'}) ${neighbour.chassisId}` : 'no chassis id',
    neighbour.chassisName ? `system name ${neighbour.chassisName}` : 'no system name',
    neighbour.portId ? `port id (${neighbour.portIdType ?? '?'}) ${neighbour.portId}` : 'no port id',
    neighbour.portDescr ? `port description ${neighbour.portDescr}` : 'no port description',
    neighbour.mgmtIps.length ? `management address ${neighbour.mgmtIps.join(', ')}` : 'no management address',
  ];
  return `${neighbour.via ?? 'LLDP'}: ${parts.join(', ')}`;
}
