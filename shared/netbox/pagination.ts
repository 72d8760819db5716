/**
 * Reading every page of a NetBox list. Pages are walked by offset rather than
 * by following `next`, whose host may be NetBox's idea of itself behind a proxy.
 */
import type { NetboxClient, Query } from './client.ts';
import type { Page } from './types.ts';

export interface ListOptions {
  /** Objects per page; NetBox caps it at MAX_PAGE_SIZE (default 1000). Default 250. */
  pageSize?: number;
  /** Stop with an error beyond this many objects (a filter that matched far too much); default 10000. */
  maxObjects?: number;
}

export async function listAll<T>(client: NetboxClient, path: string, query: Query = {}, options: ListOptions = {}): Promise<T[]> {
  const pageSize = options.pageSize ?? 250;
  const maxObjects = options.maxObjects ?? 10000;
  const results: T[] = [];
  for (let offset = 0; ; ) {
    const page = await client.get<Page<T>>(path, { ...query, limit: pageSize, offset });
    if (!page || !Array.isArray(page.results)) {
      throw new TypeError(`GET ${path}: NetBox returned no results list`);
    }
    results.push(...page.results);
    if (results.length > maxObjects) {
      throw new RangeError(`GET ${path} matched more than ${maxObjects} objects; refine the filter`);
    }
    if (!page.next || page.results.length === 0 || results.length >= page.count) return results;
    offset += page.results.length;
  }
}
