/**
 * Retry policy for NetBox requests: pure functions, no I/O.
 *
 * Only idempotent requests are retried, and only on failures that say nothing
 * happened or may pass: network errors, timeouts, malformed responses, 429, 502,
 * 503, 504. A 500 is not retried (NetBox hit a bug; repeating will not help),
 * nor is any 4xx but 429.
 */
import { NetboxError, NetboxHttpError } from './errors.ts';

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

export function isIdempotentMethod(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase());
}

export function isRetryableError(error: unknown): boolean {
  if (error instanceof NetboxHttpError) return RETRYABLE_STATUSES.has(error.status);
  if (error instanceof NetboxError) return error.transient;
  return false;
}

export interface BackoffPolicy {
  /** First delay before jitter; default 250 ms. */
  baseMs: number;
  /** Upper bound of any delay; default 5000 ms. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 250, maxMs: 5000 };

/**
 * "Full jitter" exponential backoff: a uniform delay in [0, min(max, base·2^attempt)].
 * `attempt` counts from 0 for the first retry. `random` is injectable for tests.
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt));
  return Math.round(ceiling * random());
}

/** Parses a Retry-After header (seconds or HTTP date) into ms; undefined when absent or unusable. */
export function retryAfterMs(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Whether a NetBox failure may pass without anyone changing the request: NetBox
 * down, slow or overloaded, or refusing the token itself (invalid, expired, disabled:
 * an operator fixes that; work must wait, not be dropped). A 400/404/409 will not
 * change by waiting, nor will a missing object permission (403 "You do not have
 * permission…"): that is permanent, named by NetboxHttpError.missingPermission.
 */
export function mayPassLater(error: NetboxError): boolean {
  if (error.transient) return true;
  if (!(error instanceof NetboxHttpError)) return false;
  return error.status === 401 || (error.status === 403 && error.missingPermission === undefined);
}
