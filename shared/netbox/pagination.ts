/**
 * Reading every page of a NetBox list. Pages are walked by offset rather than
 * by following `next`, whose host may be NetBox's idea of itself behind a proxy.
 *
 * A list is bounded three ways, so a proxy or a broken NetBox cannot keep a caller
 * busy: each page must look like NetBox's (`results` an array no longer than the page
 * asked for, `count` a number), the whole list is capped at LIST_CAP objects, and an
 * optional `deadlineAt` bounds the whole walk, every page included. A page that breaks
 * the first two is a NetboxResponseError ("NetBox answered something unexpected"),
 * transient for shared/failure.ts; a walk past its deadline is a NetboxTimeoutError
 * (`deadline`), retry-later: the caller's work is kept either way. A client made by
 * withBounds (client.ts) bounds the walk the same way, by a deadline or a signal: every page
 * is one of its calls.
 */
import type { NetboxClient, Query } from './client.ts';
import { NetboxResponseError } from './errors.ts';
import type { Page } from './types.ts';

/** Most objects one list may hold (a filter that matched far too much, or a proxy answering junk). */
export const LIST_CAP = 10_000;

export interface ListOptions {
  /** Objects per page; NetBox caps it at MAX_PAGE_SIZE (default 1000). Default 250. */
  pageSize?: number;
  /** Stop with a NetboxResponseError beyond this many objects; default LIST_CAP. */
  maxObjects?: number;
  /** Epoch ms by which the whole list (every page, retries included) must be read. */
  deadlineAt?: number;
}

/** Why a page is not a NetBox list page, or null when it is one. Pure. */
export function pageProblem(page: unknown, pageSize: number): string | null {
  if (!page || typeof page !== 'object' || Array.isArray(page)) return `not a NetBox list (${Array.isArray(page) ? 'a bare array' : typeof page})`;
  const { results, count, next } = page as Partial<Page<unknown>>;
  if (!Array.isArray(results)) return 'a list without a "results" array';
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) return 'a list without a numeric "count"';
  if (next !== undefined && next !== null && typeof next !== 'string') return 'a list whose "next" is neither a URL nor null';
  if (results.length > pageSize) return `a page of ${results.length} objects when at most ${pageSize} were asked for`;
  return null;
}

export async function listAll<T>(client: NetboxClient, path: string, query: Query = {}, options: ListOptions = {}): Promise<T[]> {
  const pageSize = options.pageSize ?? 250;
  const maxObjects = options.maxObjects ?? LIST_CAP;
  const results: T[] = [];
  for (let offset = 0; ; ) {
    const page = await client.get<unknown>(
      path,
      { ...query, limit: pageSize, offset },
      options.deadlineAt !== undefined ? { deadlineAt: options.deadlineAt } : {},
    );
    const problem = pageProblem(page, pageSize);
    if (problem) throw new NetboxResponseError('GET', path, problem);
    const { results: items, count, next } = page as Page<T>;
    if (count > maxObjects || results.length + items.length > maxObjects) {
      throw new NetboxResponseError('GET', path, `a list of ${Math.max(count, results.length + items.length)} objects, over the cap of ${maxObjects}`);
    }
    results.push(...items);
    if (!next || items.length === 0 || results.length >= count) return results;
    offset += items.length;
  }
}
