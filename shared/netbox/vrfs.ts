/** VRFs: a configured VRF by id or name. */
import type { NetboxClient } from './client.ts';
import { listAll } from './pagination.ts';
import type { BriefVrf } from './types.ts';

/** The VRF with this id (a number) or name (exact); null when there is none. */
export async function findVrf(client: NetboxClient, idOrName: number | string): Promise<BriefVrf | null> {
  const found = await listAll<BriefVrf>(client, '/api/ipam/vrfs/', typeof idOrName === 'number' ? { id: idOrName } : { name: idOrName });
  return found[0] ?? null;
}
