/** VRFs: a configured VRF by id or name. */
import type { NetboxClient } from './client.ts';
import { listAll } from './pagination.ts';
import type { BriefVrf } from './types.ts';

/** Every VRF with this id (a number) or name (exact; NetBox does not make names unique). */
export async function findVrfs(client: NetboxClient, idOrName: number | string): Promise<BriefVrf[]> {
  return listAll<BriefVrf>(client, '/api/ipam/vrfs/', typeof idOrName === 'number' ? { id: idOrName } : { name: idOrName });
}
