/** Devices: look-ups by id and serial, status changes, the BMC address (`oob_ip`). */
import { expectObject, type NetboxClient } from './client.ts';
import { NetboxHttpError } from './errors.ts';
import { fieldChoicesHint, isUnknownChoice } from './hints.ts';
import { listAll } from './pagination.ts';
import type { Mac } from '../mac.ts';
import { isPlaceholderSerial } from '../serial.ts';
import type { Device, DeviceStatus } from './types.ts';

/** The fields the product reads from a device (`?fields=` on 4.0+ keeps responses small). */
export const DEVICE_FIELDS = [
  'id',
  'url',
  'display',
  'name',
  'serial',
  'status',
  'device_type',
  'role',
  'site',
  'oob_ip',
  'primary_ip4',
  'primary_ip6',
  'custom_fields',
  'local_context_data',
] as const;

/** Firmware placeholder serials (the rule: shared/serial.ts) are never used for a look-up. */
export { isPlaceholderSerial } from '../serial.ts';

export interface GetDeviceOptions {
  /** Include the rendered config context (slow on large installs); default false. */
  withConfigContext?: boolean;
}

export async function getDevice(client: NetboxClient, id: number, options: GetDeviceOptions = {}): Promise<Device> {
  const capabilities = await client.capabilities();
  const query: Record<string, string> = {};
  if (!options.withConfigContext) query.exclude = 'config_context';
  if (capabilities.fieldsParameter) {
    query.fields = [...DEVICE_FIELDS, ...(options.withConfigContext ? ['config_context'] : [])].join(',');
  }
  const path = `/api/dcim/devices/${id}/`;
  return expectObject<Device>(await client.get<unknown>(path, query), 'GET', path);
}

/**
 * The devices with an interface carrying this MAC (`?mac_address=`: the interface's own field
 * up to 4.1, any MAC object assigned to one from 4.2), with their status and `oob_ip`, in one
 * request: 0..n devices, never more than one entry per device.
 */
export async function findDevicesByMac(client: NetboxClient, mac: Mac): Promise<Device[]> {
  const capabilities = await client.capabilities();
  const devices = await listAll<Device>(client, '/api/dcim/devices/', {
    mac_address: mac,
    exclude: 'config_context',
    fields: capabilities.fieldsParameter ? DEVICE_FIELDS.join(',') : undefined,
  });
  return [...new Map(devices.map((d) => [d.id, d])).values()].sort((a, b) => a.id - b.id);
}

/**
 * Devices with this serial (NetBox does not make serials unique; `?serial=` is a
 * case-insensitive exact match, and NetBox trims serials on save, so the look-up is trimmed
 * too). Placeholder serials: a TypeError.
 */
export async function findDevicesBySerial(client: NetboxClient, serial: string): Promise<Device[]> {
  if (isPlaceholderSerial(serial)) {
    throw new TypeError(`refusing to look a device up by the placeholder serial ${JSON.stringify(serial)}`);
  }
  const capabilities = await client.capabilities();
  return listAll<Device>(client, '/api/dcim/devices/', {
    serial: serial.trim(),
    exclude: 'config_context',
    fields: capabilities.fieldsParameter ? DEVICE_FIELDS.join(',') : undefined,
  });
}

/**
 * Sets the device status. A status NetBox does not know (e.g. `discovered` before
 * FIELD_CHOICES is configured) fails with a NetboxHttpError whose hint says how to add it.
 * NetBox validates the whole device on every PATCH: any other 400 (a required custom
 * field, a CUSTOM_VALIDATORS rule, even one on `status`) is NetBox's own reason, passed on.
 */
export async function setDeviceStatus(client: NetboxClient, id: number, status: DeviceStatus | string): Promise<Device> {
  try {
    return await updateDevice(client, id, { status });
  } catch (error) {
    if (error instanceof NetboxHttpError && error.status === 400 && isUnknownChoice(error.fieldErrors.status) && !error.hint) {
      throw new NetboxHttpError(error.method, error.path, error.status, error.body, fieldChoicesHint(status));
    }
    throw error;
  }
}

/** Points the device's `oob_ip` at an IP already assigned to one of its interfaces (null clears it). */
export async function setDeviceOobIp(client: NetboxClient, deviceId: number, ipAddressId: number | null): Promise<Device> {
  return updateDevice(client, deviceId, { oob_ip: ipAddressId });
}

/** The fields of a device that updateDevice changes in one PATCH. */
export interface DeviceChanges {
  status?: DeviceStatus | string;
  /** IP object id (already on one of the device's interfaces); null clears it. */
  oob_ip?: number | null;
  /** Custom field values by name (NetBox merges them over the stored ones). */
  custom_fields?: Record<string, unknown>;
}

/**
 * Changes several fields of a device in one PATCH (one request, one change record). NetBox
 * validates the whole device: a 400 refuses every change of the request, none is applied.
 */
export async function updateDevice(client: NetboxClient, id: number, changes: DeviceChanges): Promise<Device> {
  const path = `/api/dcim/devices/${id}/`;
  return expectObject<Device>(await client.patch<unknown>(path, changes, { idempotent: true }), 'PATCH', path);
}
