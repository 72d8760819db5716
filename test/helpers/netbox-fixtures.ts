/**
 * Builds NetBox state for tests through the REST API only, version-aware
 * (MAC objects on 4.2+, `mac_address` on the interface before), with unique
 * names so it can run against a shared real NetBox.
 */
import { createNetboxClient, type NetboxClient } from '../../shared/netbox/client.ts';
import type { Device, Interface, IpAddress, Prefix } from '../../shared/netbox/types.ts';

let counter = 0;
const unique = (base: string) => `${base}-${process.pid}-${Date.now().toString(36)}-${++counter}`;

export interface Fixtures {
  client: NetboxClient;
  site: { id: number };
  role: { id: number };
  deviceType: { id: number };
  createDevice(options?: { name?: string; serial?: string; status?: string }): Promise<Device>;
  createInterface(deviceId: number, options?: { name?: string; mac?: string; extraMacs?: string[]; mgmtOnly?: boolean }): Promise<Interface>;
  createPrefix(prefix: string): Promise<Prefix>;
  createIp(address: string, interfaceId?: number): Promise<IpAddress>;
  cable(aInterfaceId: number, bInterfaceId: number): Promise<{ id: number }>;
}

export async function createFixtures(url: string, token: string): Promise<Fixtures> {
  const client = createNetboxClient({ url, token, retries: 0 });
  const caps = await client.capabilities();
  const slugged = async (path: string, extra: Record<string, unknown> = {}) => {
    const name = unique(path.split('/').at(-2) ?? 'x');
    return client.post<{ id: number }>(path, { name, slug: name.toLowerCase(), ...extra });
  };
  const site = await slugged('/api/dcim/sites/');
  const role = await slugged('/api/dcim/device-roles/', { color: '2196f3' });
  const manufacturer = await slugged('/api/dcim/manufacturers/');
  const model = unique('model');
  const deviceType = await client.post<{ id: number }>('/api/dcim/device-types/', { manufacturer: manufacturer.id, model, slug: model.toLowerCase() });

  return {
    client,
    site,
    role,
    deviceType,
    createDevice: (options = {}) =>
      client.post<Device>('/api/dcim/devices/', {
        name: options.name ?? unique('server'),
        device_type: deviceType.id,
        role: role.id,
        site: site.id,
        serial: options.serial ?? '',
        status: options.status ?? 'offline',
      }),
    async createInterface(deviceId, options = {}) {
      const body: Record<string, unknown> = { device: deviceId, name: options.name ?? unique('eth'), type: '1000base-t', mgmt_only: options.mgmtOnly ?? false };
      if (!caps.macAddressModel && options.mac) body.mac_address = options.mac;
      const iface = await client.post<Interface>('/api/dcim/interfaces/', body);
      if (!caps.macAddressModel) return iface;
      const macs = [options.mac, ...(options.extraMacs ?? [])].filter((m): m is string => Boolean(m));
      const created = [];
      for (const mac of macs) {
        created.push(await client.post<{ id: number }>('/api/dcim/mac-addresses/', { mac_address: mac, assigned_object_type: 'dcim.interface', assigned_object_id: iface.id }));
      }
      if (created[0]) return client.patch<Interface>(`/api/dcim/interfaces/${iface.id}/`, { primary_mac_address: created[0].id });
      return iface;
    },
    createPrefix: (prefix) => client.post<Prefix>('/api/ipam/prefixes/', { prefix, status: 'active' }),
    createIp: (address, interfaceId) =>
      client.post<IpAddress>('/api/ipam/ip-addresses/', {
        address,
        status: 'active',
        ...(interfaceId !== undefined ? { assigned_object_type: 'dcim.interface', assigned_object_id: interfaceId } : {}),
      }),
    cable: (a, b) =>
      client.post<{ id: number }>('/api/dcim/cables/', {
        a_terminations: [{ object_type: 'dcim.interface', object_id: a }],
        b_terminations: [{ object_type: 'dcim.interface', object_id: b }],
      }),
  };
}

/** A random locally administered MAC (never a real vendor's), optionally under a given OUI. */
export function randomMac(oui?: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  bytes[0] = (bytes[0]! & 0xfc) | 0x02;
  const octets = [...bytes].map((b) => b.toString(16).padStart(2, '0'));
  return (oui ? [...oui.toLowerCase().split(':'), ...octets.slice(3)] : octets).join(':');
}

/** A random 10.x.y.0/24 so tests against a shared NetBox do not collide. */
export function randomNet(): { prefix: string; supernet: string; host: (n: number) => string } {
  const [x, y] = crypto.getRandomValues(new Uint8Array(2));
  return { prefix: `10.${x}.${y}.0/24`, supernet: `10.${x}.0.0/16`, host: (n) => `10.${x}.${y}.${n}` };
}
