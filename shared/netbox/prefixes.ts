/** Prefixes: the most specific one containing an address gives its real prefix length. */
import type { NetboxClient } from './client.ts';
import { listAll } from './pagination.ts';
import type { Prefix } from './types.ts';

export async function findPrefixesContaining(client: NetboxClient, ip: string): Promise<Prefix[]> {
  return listAll<Prefix>(client, '/api/ipam/prefixes/', { contains: ip });
}

/** Length of the longest (most specific) prefix; `fallback` when there is none. Pure. */
export function mostSpecificPrefixLength(prefixes: readonly Pick<Prefix, 'prefix'>[], fallback: number): number {
  let best = -1;
  for (const { prefix } of prefixes) {
    const length = Number(prefix.split('/')[1]);
    if (Number.isInteger(length) && length > best) best = length;
  }
  return best >= 0 ? best : fallback;
}
