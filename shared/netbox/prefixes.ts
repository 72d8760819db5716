/**
 * Prefixes: the most specific one containing an address gives its real prefix length
 * and its VRF (null = the global table).
 */
import type { NetboxClient } from './client.ts';
import { listAll } from './pagination.ts';
import type { Prefix } from './types.ts';

export interface VrfScope {
  /** Only prefixes of this VRF (null = the global table); absent = every VRF. */
  vrfId?: number | null;
}

/** `vrf_id=null` is NetBox's filter for the global table. */
export function vrfQuery(scope: VrfScope): { vrf_id?: string | number } {
  return scope.vrfId === undefined ? {} : { vrf_id: scope.vrfId ?? 'null' };
}

export async function findPrefixesContaining(client: NetboxClient, ip: string, scope: VrfScope = {}): Promise<Prefix[]> {
  return listAll<Prefix>(client, '/api/ipam/prefixes/', { contains: ip, ...vrfQuery(scope) });
}

const lengthOf = (prefix: Pick<Prefix, 'prefix'>) => Number(prefix.prefix.split('/')[1]);

/**
 * The most specific (longest) prefixes: one normally, several when equally long ones
 * sit in different VRFs (the caller must choose). Pure.
 */
export function mostSpecificPrefixes<P extends Pick<Prefix, 'prefix'>>(prefixes: readonly P[]): P[] {
  const usable = prefixes.filter((p) => Number.isInteger(lengthOf(p)));
  const best = Math.max(-1, ...usable.map(lengthOf));
  return usable.filter((p) => lengthOf(p) === best);
}

/** Length of the longest (most specific) prefix; `fallback` when there is none. Pure. */
export function mostSpecificPrefixLength(prefixes: readonly Pick<Prefix, 'prefix'>[], fallback: number): number {
  const [best] = mostSpecificPrefixes(prefixes);
  return best ? lengthOf(best) : fallback;
}
