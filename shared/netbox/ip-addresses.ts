/** IP addresses: find by address (any mask) or interface, create, update, assign. */
import { expectObject, type NetboxClient } from './client.ts';
import { listAll } from './pagination.ts';
import { vrfQuery, type VrfScope } from './prefixes.ts';
import type { IpAddress, IpAddressStatus } from './types.ts';

/**
 * Every IP object for this address, whatever its mask (`?address=10.1.2.3`), in one VRF
 * (`vrfId`, null = the global table) or, without it, in every VRF.
 */
export async function findIpAddresses(client: NetboxClient, address: string, scope: VrfScope = {}): Promise<IpAddress[]> {
  return listAll<IpAddress>(client, '/api/ipam/ip-addresses/', { address: address.split('/')[0], ...vrfQuery(scope) });
}

export async function findInterfaceIpAddresses(client: NetboxClient, interfaceId: number): Promise<IpAddress[]> {
  return listAll<IpAddress>(client, '/api/ipam/ip-addresses/', { interface_id: interfaceId });
}

export interface NewIpAddress {
  /** With its real prefix length, e.g. `10.1.2.3/24`. */
  address: string;
  status: IpAddressStatus | string;
  interfaceId?: number;
  /** The VRF to create it in; absent or null = the global table. */
  vrfId?: number | null;
  description?: string;
  dnsName?: string;
}

export async function createIpAddress(client: NetboxClient, ip: NewIpAddress): Promise<IpAddress> {
  if (!ip.address.includes('/')) throw new TypeError(`IP address ${ip.address} needs its prefix length`);
  const path = '/api/ipam/ip-addresses/';
  const created = await client.post<unknown>(path, {
    address: ip.address,
    status: ip.status,
    ...(ip.interfaceId !== undefined ? { assigned_object_type: 'dcim.interface', assigned_object_id: ip.interfaceId } : {}),
    ...(ip.vrfId ? { vrf: ip.vrfId } : {}),
    ...(ip.description !== undefined ? { description: ip.description } : {}),
    ...(ip.dnsName !== undefined ? { dns_name: ip.dnsName } : {}),
  });
  return expectObject<IpAddress>(created, 'POST', path);
}

export interface IpAddressChanges {
  address?: string;
  status?: IpAddressStatus | string;
  description?: string;
  dns_name?: string;
  /** VRF id; null = the global table. */
  vrf?: number | null;
}

export async function updateIpAddress(client: NetboxClient, id: number, changes: IpAddressChanges): Promise<IpAddress> {
  const path = `/api/ipam/ip-addresses/${id}/`;
  return expectObject<IpAddress>(await client.patch<unknown>(path, changes, { idempotent: true }), 'PATCH', path);
}

/** Assigns the IP to an interface (null unassigns). */
export async function assignIpAddress(client: NetboxClient, id: number, interfaceId: number | null): Promise<IpAddress> {
  const path = `/api/ipam/ip-addresses/${id}/`;
  const body =
    interfaceId === null
      ? { assigned_object_type: null, assigned_object_id: null }
      : { assigned_object_type: 'dcim.interface', assigned_object_id: interfaceId };
  return expectObject<IpAddress>(await client.patch<unknown>(path, body, { idempotent: true }), 'PATCH', path);
}

/** The address without its mask. Pure. */
export function hostOf(address: string): string {
  return address.split('/')[0] ?? address;
}
