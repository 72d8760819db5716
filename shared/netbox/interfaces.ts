/** Interfaces: look-up by MAC (both MAC models), a device's interfaces with cabling. */
import { type Mac, parseMac } from '../mac.ts';
import type { NetboxClient } from './client.ts';
import { AmbiguousMatchError } from './errors.ts';
import { listAll } from './pagination.ts';
import type { BriefDevice, Interface } from './types.ts';

/** Canonical MACs of a NetBox interface (primary, legacy field, 4.2+ MAC objects). Pure. */
export function interfaceMacsOf(iface: Pick<Interface, 'mac_address' | 'primary_mac_address' | 'mac_addresses'>): string[] {
  const macs = [iface.primary_mac_address?.mac_address, iface.mac_address, ...(iface.mac_addresses ?? []).map((m) => m.mac_address)]
    .map((m) => (m ? parseMac(m) : null))
    .filter((m): m is NonNullable<typeof m> => m !== null);
  return [...new Set<string>(macs)];
}

/**
 * Interfaces carrying this MAC. `?mac_address=` works on every version: up to 4.1
 * it matches the interface's own field, from 4.2 any MAC object assigned to it.
 * MACs are not unique in NetBox: 0..n results.
 */
export async function findInterfacesByMac(client: NetboxClient, mac: Mac): Promise<Interface[]> {
  return listAll<Interface>(client, '/api/dcim/interfaces/', { mac_address: mac });
}

/** The distinct devices owning interfaces with this MAC. */
export function devicesOfInterfaces(interfaces: readonly Pick<Interface, 'device'>[]): BriefDevice[] {
  const byId = new Map<number, BriefDevice>();
  for (const iface of interfaces) byId.set(iface.device.id, iface.device);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

export interface MacMatch {
  device: BriefDevice;
  interfaces: Interface[];
}

/**
 * The one device whose interface carries this MAC, or null when none does.
 * Several devices: AmbiguousMatchError (never `results[0]`).
 */
export async function findDeviceByMac(client: NetboxClient, mac: Mac): Promise<MacMatch | null> {
  const interfaces = await findInterfacesByMac(client, mac);
  const devices = devicesOfInterfaces(interfaces);
  if (devices.length === 0) return null;
  if (devices.length > 1) {
    throw new AmbiguousMatchError(
      'MAC',
      mac,
      devices.map((d) => ({ id: d.id, display: d.display })),
    );
  }
  return { device: devices[0]!, interfaces };
}

/** Every interface of a device, with cabling (`cable`, `link_peers`, `connected_endpoints`). */
export async function listDeviceInterfaces(client: NetboxClient, deviceId: number): Promise<Interface[]> {
  return listAll<Interface>(client, '/api/dcim/interfaces/', { device_id: deviceId });
}
