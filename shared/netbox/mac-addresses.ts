/** MAC address objects (NetBox 4.2+). On older versions MACs live on the interface. */
import type { Mac } from '../mac.ts';
import type { NetboxClient } from './client.ts';
import { listAll } from './pagination.ts';
import type { MacAddress } from './types.ts';

/** MAC objects with this address; `[]` on NetBox < 4.2, which has none. */
export async function findMacAddresses(client: NetboxClient, mac: Mac): Promise<MacAddress[]> {
  if (!(await client.capabilities()).macAddressModel) return [];
  return listAll<MacAddress>(client, '/api/dcim/mac-addresses/', { mac_address: mac });
}

/** Ids of the interfaces these MAC objects are assigned to (unassigned ones skipped). */
export function interfaceIdsOf(macs: readonly MacAddress[]): number[] {
  const ids = macs.filter((m) => m.assigned_object_type === 'dcim.interface' && m.assigned_object_id !== null).map((m) => m.assigned_object_id as number);
  return [...new Set(ids)].sort((a, b) => a - b);
}
