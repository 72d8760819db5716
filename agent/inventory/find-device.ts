/**
 * Which NetBox device is this machine? By DMI serial first (placeholder serials
 * are never looked up), else by the MACs of its physical NICs, then the BMC's.
 * Several devices = an error naming them all; none = an error naming what was
 * tried. Never `results[0]`.
 */
import { BmError } from '../../shared/errors.ts';
import type { Cause } from '../../shared/failure.ts';
import type { Mac } from '../../shared/mac.ts';
import {
  AmbiguousMatchError,
  type BriefDevice,
  type NetboxClient,
  findDeviceByMac,
  findDevicesBySerial,
  isPlaceholderSerial,
} from '../../shared/netbox/index.ts';
import type { Inventory } from '../inventory-types.ts';

export interface DeviceMatch {
  device: BriefDevice;
  by: 'serial' | 'mac';
  /** The serial or MAC that matched. */
  value: string;
}

/** This machine is not in NetBox, or on several devices: a check that failed (exit 1), not NetBox being down. */
export class DeviceLookupError extends BmError {
  override readonly name = 'DeviceLookupError';
  constructor(
    readonly kind: 'not-found' | 'ambiguous',
    message: string,
    readonly matches: readonly { id: number; display: string }[] = [],
  ) {
    super(message);
  }

  /** Read by causeOf() (shared/failure.ts). */
  override get failureCause(): Cause {
    return this.kind === 'ambiguous' ? 'device-ambiguous' : 'device-not-found';
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

export async function findDeviceForInventory(client: NetboxClient, inventory: Inventory): Promise<DeviceMatch> {
  // DMI pads some serials with spaces; NetBox stores them trimmed.
  const serial = inventory.system.serial.trim();
  const serialUsable = !isPlaceholderSerial(serial);
  if (serialUsable) {
    const devices = await findDevicesBySerial(client, serial);
    if (devices.length > 1) {
      const matches = devices.map((d) => ({ id: d.id, display: d.display }));
      throw new DeviceLookupError(
        'ambiguous',
        `serial ${serial} matches ${devices.length} devices in NetBox (${matches.map((m) => `#${m.id} ${m.display}`).join(', ')}); fix the duplicates in NetBox`,
        matches,
      );
    }
    if (devices[0]) {
      const d = devices[0];
      return { device: { id: d.id, url: d.url, display: d.display, name: d.name }, by: 'serial', value: serial };
    }
  }

  const macs = lookupMacsOf(inventory);
  const found = new Map<number, { device: BriefDevice; macs: string[] }>();
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
    const matches = entries.map((e) => ({ id: e.device.id, display: e.device.display }));
    throw new DeviceLookupError(
      'ambiguous',
      `this machine's MACs belong to ${found.size} devices in NetBox (${entries.map((e) => `#${e.device.id} ${e.device.display} via ${e.macs.join(', ')}`).join('; ')}); fix the interfaces in NetBox`,
      matches,
    );
  }
  const only = [...found.values()][0];
  if (only) return { device: only.device, by: 'mac', value: only.macs[0]! };

  const serialText = serialUsable ? serial : `${JSON.stringify(serial)} (placeholder, not looked up)`;
  throw new DeviceLookupError(
    'not-found',
    `device not found in NetBox (serial ${serialText}, MACs ${macs.join(', ') || 'none'}); add the device with this serial or one of these MACs on an interface`,
  );
}
