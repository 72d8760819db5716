/**
 * What the NetBox client needs to know about retrying beyond the shared loop
 * (shared/retry.ts) and the failure table (shared/failure.ts): which requests may
 * be repeated at all, and how long NetBox asks us to wait. Pure functions, no I/O.
 */

const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** Only these are repeated: a POST or PATCH that timed out may have landed. */
export function isIdempotentMethod(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase());
}

/** Parses a Retry-After header (seconds or HTTP date) into ms; undefined when absent or unusable. */
export function retryAfterMs(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
