/**
 * Builds NetBox state for tests through the REST API only, version-aware
 * (MAC objects on 4.2+, `mac_address` on the interface before), with unique
 * names so it can run against a shared real NetBox. `cleanup()` deletes what
 * the fixtures created (newest first): tests that use this machine's own MAC or
 * serial must call it, or the next test finds several devices.
 */
import { createNetboxClient, type NetboxClient } from '../../shared/netbox/client.ts';
import { NetboxHttpError } from '../../shared/netbox/errors.ts';
import { versionAtLeast } from '../../shared/netbox/version.ts';
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
  /** A cable between any two terminations (interfaces, front or rear ports). */
  cableEnds(a: Termination, b: Termination): Promise<{ id: number }>;
  /** A patch panel: one rear port with `ports` positions, front ports F1…Fn mapped to them. */
  createPatchPanel(options?: { name?: string; ports?: number }): Promise<PatchPanel>;
  /** A config context (4.7: `/api/extras/config-contexts/`) scoped to device types and/or roles. */
  createConfigContext(data: Record<string, unknown>, scope: { deviceTypes?: number[]; roles?: number[] }, weight?: number): Promise<{ id: number }>;
  /** A custom field on devices (affects every device: cleanup() deletes it). */
  createDeviceCustomField(name: string, type: string): Promise<{ id: number }>;
  /** Any other object to delete at cleanup (the API path of its list, its id). */
  track(listPath: string, id: number): void;
  /** Deletes everything created here, newest first; objects already gone are fine. */
  cleanup(): Promise<void>;
}

export interface Termination {
  type: 'dcim.interface' | 'dcim.frontport' | 'dcim.rearport';
  id: number;
}

export interface PatchPanel {
  device: Device;
  rear: { id: number; name: string };
  fronts: { id: number; name: string }[];
}

export async function createFixtures(url: string, token: string): Promise<Fixtures> {
  const client = createNetboxClient({ url, token, retries: 0 });
  const caps = await client.capabilities();
  const version = await client.version();
  const created: { path: string; id: number }[] = [];
  const post = async <T extends { id: number }>(path: string, body: unknown): Promise<T> => {
    const object = await client.post<T>(path, body);
    created.push({ path, id: object.id });
    return object;
  };
  const slugged = async (path: string, extra: Record<string, unknown> = {}) => {
    const name = unique(path.split('/').at(-2) ?? 'x');
    return post<{ id: number }>(path, { name, slug: name.toLowerCase(), ...extra });
  };
  const site = await slugged('/api/dcim/sites/');
  const role = await slugged('/api/dcim/device-roles/', { color: '2196f3' });
  const manufacturer = await slugged('/api/dcim/manufacturers/');
  const model = unique('model');
  const deviceType = await post<{ id: number }>('/api/dcim/device-types/', { manufacturer: manufacturer.id, model, slug: model.toLowerCase() });
  const createDevice: Fixtures['createDevice'] = (options = {}) =>
    post<Device>('/api/dcim/devices/', {
      name: options.name ?? unique('server'),
      device_type: deviceType.id,
      role: role.id,
      site: site.id,
      serial: options.serial ?? '',
      status: options.status ?? 'offline',
    });
  const cableEnds: Fixtures['cableEnds'] = (a, b) =>
    post<{ id: number }>('/api/dcim/cables/', {
      a_terminations: [{ object_type: a.type, object_id: a.id }],
      b_terminations: [{ object_type: b.type, object_id: b.id }],
    });

  return {
    client,
    site,
    role,
    deviceType,
    createDevice,
    async createInterface(deviceId, options = {}) {
      const body: Record<string, unknown> = { device: deviceId, name: options.name ?? unique('eth'), type: '1000base-t', mgmt_only: options.mgmtOnly ?? false };
      if (!caps.macAddressModel && options.mac) body.mac_address = options.mac;
      const iface = await post<Interface>('/api/dcim/interfaces/', body);
      if (!caps.macAddressModel) return iface;
      const macs = [options.mac, ...(options.extraMacs ?? [])].filter((m): m is string => Boolean(m));
      const macObjects = [];
      for (const mac of macs) {
        macObjects.push(
          await post<{ id: number }>('/api/dcim/mac-addresses/', { mac_address: mac, assigned_object_type: 'dcim.interface', assigned_object_id: iface.id }),
        );
      }
      if (macObjects[0]) return client.patch<Interface>(`/api/dcim/interfaces/${iface.id}/`, { primary_mac_address: macObjects[0].id });
      return iface;
    },
    createPrefix: (prefix) => post<Prefix>('/api/ipam/prefixes/', { prefix, status: 'active' }),
    createIp: (address, interfaceId) =>
      post<IpAddress>('/api/ipam/ip-addresses/', {
        address,
        status: 'active',
        ...(interfaceId !== undefined ? { assigned_object_type: 'dcim.interface', assigned_object_id: interfaceId } : {}),
      }),
    cable: (a, b) => cableEnds({ type: 'dcim.interface', id: a }, { type: 'dcim.interface', id: b }),
    cableEnds,
    async createPatchPanel(options = {}) {
      const ports = options.ports ?? 1;
      const device = await createDevice({ name: options.name ?? unique('patch-panel'), status: 'active' });
      const rear = await post<{ id: number; name: string }>('/api/dcim/rear-ports/', { device: device.id, name: 'R1', type: '8p8c', positions: ports });
      const fronts = [];
      for (let position = 1; position <= ports; position++) {
        // 4.5+ maps front to rear ports through `rear_ports`; before, one `rear_port` with its position.
        const mapping = versionAtLeast(version, 4, 5)
          ? { rear_ports: [{ position: 1, rear_port: rear.id, rear_port_position: position }] }
          : { rear_port: rear.id, rear_port_position: position };
        fronts.push(await post<{ id: number; name: string }>('/api/dcim/front-ports/', { device: device.id, name: `F${position}`, type: '8p8c', ...mapping }));
      }
      return { device, rear, fronts };
    },
    createConfigContext: (data, scope, weight = 1000) =>
      post<{ id: number }>('/api/extras/config-contexts/', {
        name: unique('bm-context'),
        weight,
        data,
        ...(scope.deviceTypes ? { device_types: scope.deviceTypes } : {}),
        ...(scope.roles ? { roles: scope.roles } : {}),
      }),
    // 4.0+ names the models a custom field applies to `object_types` (before: `content_types`).
    createDeviceCustomField: (name, type) =>
      post<{ id: number }>('/api/extras/custom-fields/', { name, type, [version.major >= 4 ? 'object_types' : 'content_types']: ['dcim.device'] }),
    track: (path, id) => void created.push({ path, id }),
    async cleanup() {
      for (const { path, id } of created.splice(0).reverse()) {
        try {
          await client.delete(`${path}${id}/`);
        } catch (error) {
          if (!(error instanceof NetboxHttpError && error.status === 404)) throw error;
        }
      }
    },
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
