/**
 * Which NetBox device is this machine? Never a guess, never `results[0]`:
 *
 * 1. The DMI serials in order — system (SMBIOS type 1), then baseboard (type 2), then
 *    chassis (type 3) — each skipped when it is a firmware placeholder (the rule:
 *    shared/serial.ts). A serial on exactly one device is trusted only when that device's
 *    NetBox interfaces carry at least one of this machine's MACs; otherwise it is a
 *    conflict (an error naming the device and the MACs, nothing written on it). A serial
 *    on several devices identifies nothing: a warning names them and the next serial, then
 *    the MACs, decide (no MAC on any device either: an error naming the duplicates).
 * 2. Else the MACs of the physical NICs, then the BMC's: the one device carrying them.
 *
 * MACs on several devices = an error naming them all; nothing found = an error naming
 * what was tried. Every error is a DeviceLookupError (cause device-not-found or
 * device-ambiguous: exit 1).
 */
import { BmError } from '../../shared/errors.ts';
import type { Cause } from '../../shared/failure.ts';
import { type Mac, parseMac } from '../../shared/mac.ts';
import {
  AmbiguousMatchError,
  type BriefDevice,
  type Interface,
  type NetboxClient,
  findDeviceByMac,
  findDevicesBySerial,
  listDeviceInterfaces,
} from '../../shared/netbox/index.ts';
import { placeholderSerialReason } from '../../shared/serial.ts';
import type { Inventory } from '../inventory-types.ts';
import { interfaceMacs } from './expectations.ts';

/** Which SMBIOS structure a serial came from: type 1 system, type 2 baseboard, type 3 chassis. */
export type SerialSource = 'system' | 'baseboard' | 'chassis';

export interface SerialCandidate {
  source: SerialSource;
  serial: string;
}

/** A DMI serial that was not looked up, and why (a placeholder). */
export interface SkippedSerial extends SerialCandidate {
  reason: string;
}

export interface DeviceMatch {
  device: BriefDevice;
  by: 'serial' | 'mac';
  /** The serial or MAC that matched. */
  value: string;
  /** Which DMI serial matched (by serial only). */
  serialSource?: SerialSource;
  /** This machine's MACs on the device's NetBox interfaces: for a serial match, the agreement that makes it trusted. */
  macs: string[];
  /** The device's interfaces, when the look-up already listed them (a serial match). */
  interfaces?: Interface[];
  /** DMI serials not looked up (placeholders), with why. */
  skippedSerials: SkippedSerial[];
  /** Worth an operator's attention but not an error (a serial on several devices…). */
  warnings: string[];
}

/**
 * This machine is not in NetBox, is on several devices, or its serial and MACs point at
 * different devices (`conflict`): a check that failed (exit 1), not NetBox being down.
 */
export class DeviceLookupError extends BmError {
  override readonly name = 'DeviceLookupError';
  constructor(
    readonly kind: 'not-found' | 'ambiguous' | 'conflict',
    message: string,
    readonly matches: readonly { id: number; display: string }[] = [],
  ) {
    super(message);
  }

  /** Read by causeOf() (shared/failure.ts): a serial/MAC conflict is one more way of not knowing which device this is. */
  override get failureCause(): Cause {
    return this.kind === 'not-found' ? 'device-not-found' : 'device-ambiguous';
  }

  override details(): Record<string, unknown> {
    return { kind: this.kind, matches: this.matches };
  }
}

/** MACs to try, in order: physical NICs (by name), then the BMC's. */
export function lookupMacsOf(inventory: Inventory): Mac[] {
  const macs = inventory.nics.filter((n) => n.physical).map((n) => n.mac as Mac);
  if (inventory.bmc?.mac) macs.push(inventory.bmc.mac as Mac);
  return [...new Set(macs)];
}

/**
 * The DMI serials to look up, in order (system, baseboard, chassis), trimmed (DMI pads
 * some; NetBox stores them trimmed); placeholders set aside with why, absent ones and
 * repeats (Dell's chassis serial is the system's service tag) left out. Pure.
 */
export function serialCandidatesOf(inventory: Inventory): { candidates: SerialCandidate[]; skipped: SkippedSerial[] } {
  const sources: [SerialSource, string | null][] = [
    ['system', inventory.system.serial],
    ['baseboard', inventory.baseboard.serial],
    ['chassis', inventory.chassis.serial],
  ];
  const candidates: SerialCandidate[] = [];
  const skipped: SkippedSerial[] = [];
  const seen = new Set<string>();
  for (const [source, raw] of sources) {
    const serial = (raw ?? '').trim();
    if (!serial) continue;
    const reason = placeholderSerialReason(serial);
    if (reason) skipped.push({ source, serial, reason });
    else if (!seen.has(serial.toLowerCase())) candidates.push({ source, serial });
    seen.add(serial.toLowerCase());
  }
  return { candidates, skipped };
}

/** This machine's MACs that are on these NetBox interfaces, in the machine's order. Pure. */
export function sharedMacs(machineMacs: readonly string[], interfaces: readonly Pick<Interface, 'mac_address' | 'mac_addresses'>[]): string[] {
  const onDevice = new Set(interfaces.flatMap(interfaceMacs));
  return machineMacs.filter((m) => onDevice.has(parseMac(m) ?? m));
}

/** `#12 srv-a, #13 srv-b`. */
function deviceList(devices: readonly { id: number; display: string }[]): string {
  return devices.map((d) => `#${d.id} ${d.display}`).join(', ');
}

/** `serials tried: …; not looked up: …` for the not-found message. Pure. */
export function serialsText(candidates: readonly SerialCandidate[], skipped: readonly SkippedSerial[]): string {
  const tried = candidates.map((c) => `${c.source} ${c.serial}`).join(', ') || 'none';
  const placeholders = skipped.map((s) => `${s.source} ${JSON.stringify(s.serial)} (placeholder: ${s.reason})`).join(', ');
  return `serials tried: ${tried}${placeholders ? `; not looked up: ${placeholders}` : ''}`;
}

interface MacLookup {
  device: BriefDevice;
  macs: string[];
}

/** The one device carrying any of these MACs, or null; several devices → DeviceLookupError('ambiguous'). */
async function findDeviceByMacs(client: NetboxClient, macs: readonly Mac[]): Promise<MacLookup | null> {
  const found = new Map<number, MacLookup>();
  for (const mac of macs) {
    let match: Awaited<ReturnType<typeof findDeviceByMac>>;
    try {
      match = await findDeviceByMac(client, mac);
    } catch (error) {
      if (error instanceof AmbiguousMatchError) throw new DeviceLookupError('ambiguous', error.message, error.matches);
      throw error;
    }
    if (!match) continue;
    const entry = found.get(match.device.id) ?? { device: match.device, macs: [] };
    entry.macs.push(mac);
    found.set(match.device.id, entry);
  }
  if (found.size > 1) {
    const entries = [...found.values()];
    throw new DeviceLookupError(
      'ambiguous',
      `this machine's MACs belong to ${found.size} devices in NetBox (${entries.map((e) => `#${e.device.id} ${e.device.display} via ${e.macs.join(', ')}`).join('; ')}); fix the interfaces in NetBox`,
      entries.map((e) => ({ id: e.device.id, display: e.device.display })),
    );
  }
  return [...found.values()][0] ?? null;
}

/** Where this machine's MACs point, for a conflict message: `; its MACs are on #14 srv-b`, or nothing. */
async function macsPointAt(client: NetboxClient, macs: readonly Mac[]): Promise<{ text: string; device: BriefDevice | null }> {
  try {
    const byMac = await findDeviceByMacs(client, macs);
    return byMac ? { text: `; this machine's MACs are on #${byMac.device.id} ${byMac.device.display}`, device: byMac.device } : { text: '', device: null };
  } catch (error) {
    if (error instanceof DeviceLookupError) return { text: `; this machine's MACs are on several devices (${deviceList(error.matches)})`, device: null };
    throw error;
  }
}

/**
 * The serial names one device whose interfaces carry none of this machine's MACs: not
 * trusted (a decoy holding a vendor's default serial, a swapped board, a typo in NetBox).
 */
async function conflictError(
  client: NetboxClient,
  candidate: SerialCandidate,
  device: BriefDevice,
  interfaces: readonly Interface[],
  macs: readonly Mac[],
): Promise<DeviceLookupError> {
  const deviceMacs = [...new Set(interfaces.flatMap(interfaceMacs))];
  const elsewhere = await macsPointAt(client, macs);
  const matches = [device, ...(elsewhere.device && elsewhere.device.id !== device.id ? [elsewhere.device] : [])];
  return new DeviceLookupError(
    'conflict',
    `${candidate.source} serial ${candidate.serial} is on NetBox device #${device.id} ${device.display}, but none of its interfaces has a MAC of this machine ` +
      `(this machine: ${macs.join(', ') || 'no MAC'}; #${device.id}: ${deviceMacs.join(', ') || 'no MAC'})${elsewhere.text}; ` +
      `not trusted, nothing written on it: correct the serial in NetBox, or record this machine's MAC on #${device.id}'s interface`,
    matches.map((d) => ({ id: d.id, display: d.display })),
  );
}

/** Finds this machine's device (the rules in the module comment); DeviceLookupError when it cannot say which one. */
export async function findDeviceForInventory(client: NetboxClient, inventory: Inventory): Promise<DeviceMatch> {
  const macs = lookupMacsOf(inventory);
  const { candidates, skipped } = serialCandidatesOf(inventory);
  const warnings: string[] = [];
  const duplicated: BriefDevice[] = [];
  for (const candidate of candidates) {
    const devices = await findDevicesBySerial(client, candidate.serial);
    if (devices.length > 1) {
      duplicated.push(...devices);
      warnings.push(
        `${candidate.source} serial ${candidate.serial} is on ${devices.length} devices in NetBox (${deviceList(devices)}), so it identifies none; fix the duplicates in NetBox`,
      );
      continue;
    }
    const found = devices[0];
    if (!found) continue;
    const device: BriefDevice = { id: found.id, url: found.url, display: found.display, name: found.name };
    const interfaces = await listDeviceInterfaces(client, device.id);
    const agreeing = sharedMacs(macs, interfaces);
    if (!agreeing.length) throw await conflictError(client, candidate, device, interfaces, macs);
    return { device, by: 'serial', value: candidate.serial, serialSource: candidate.source, macs: agreeing, interfaces, skippedSerials: skipped, warnings };
  }

  const byMac = await findDeviceByMacs(client, macs);
  if (byMac) return { device: byMac.device, by: 'mac', value: byMac.macs[0]!, macs: byMac.macs, skippedSerials: skipped, warnings };

  if (duplicated.length) {
    throw new DeviceLookupError(
      'ambiguous',
      `${warnings.join('; ')}; none of this machine's MACs (${macs.join(', ') || 'none'}) is on a NetBox device to tell them apart`,
      [...new Map(duplicated.map((d) => [d.id, { id: d.id, display: d.display }])).values()],
    );
  }
  throw new DeviceLookupError(
    'not-found',
    `device not found in NetBox (${serialsText(candidates, skipped)}; MACs ${macs.join(', ') || 'none'}); ` +
      'add the device with this serial or one of these MACs on an interface',
  );
}
