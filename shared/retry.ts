/**
 * The one retry loop and the one backoff of every binary. What is worth another
 * attempt is decided by `classifyFailure` (shared/failure.ts); how long to wait, by
 * `backoffDelayMs` with one of the named policies in `BACKOFF` (the only place for
 * the constants). Users: the NetBox client (retry-now only, idempotent requests), the
 * agent's delivery (retry-now and retry-later until its deadline) and the hook's
 * drainer (whose waits span runs: it persists `notBefore` from the same backoff) and
 * bm-harden's Redfish reads and its wait for a server to power on.
 */
import { classifyFailure, type FailureClass } from './failure.ts';
import type { LogFields, Logger } from './log.ts';
import { pause } from './pause.ts';

export interface BackoffPolicy {
  /** First delay's ceiling before jitter. */
  baseMs: number;
  /** Upper bound of the jittered part of any delay. */
  maxMs: number;
  /** Added to every delay after jitter (never a zero wait); default 0. */
  floorMs?: number;
}

/** The named backoff policies. */
export const BACKOFF = {
  /** The NetBox client between attempts of one request (a few, inside a deadline of seconds). */
  netboxRequest: { baseMs: 250, maxMs: 5000 },
  /** The hook's drainer between attempts of a spooled lease (persisted as `notBefore`, across runs). */
  drain: { baseMs: 1000, maxMs: 30_000, floorMs: 250 },
  /** The agent's fetch of bm.config_url before its first step (a few attempts inside a deadline of seconds). */
  configUrl: { baseMs: 250, maxMs: 5000 },
  /** bm-harden's Redfish reads of a BMC (a few attempts inside the read's deadline). */
  redfish: { baseMs: 500, maxMs: 5000 },
  /** bm-harden pxe-boot's polls of a System's PowerState until On (inside --wait-s). */
  powerPoll: { baseMs: 500, maxMs: 2000, floorMs: 500 },
  /** The agent's delivery of journal entries, status and callback (until the delivery deadline). */
  delivery: { baseMs: 1000, maxMs: 60_000, floorMs: 200 },
} as const satisfies Record<string, BackoffPolicy>;

/**
 * "Full jitter" exponential backoff: a uniform delay in [0, min(max, base·2^attempt)],
 * plus the policy's floor. `attempt` counts from 0 for the first retry. `random` is
 * injectable for tests. Pure.
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt));
  return Math.round(ceiling * random()) + (policy.floorMs ?? 0);
}

/** Why retryUntil stopped trying. */
export type GiveUpReason = 'aborted' | 'not-retryable' | 'retries' | 'deadline';

/** Time as the loop sees it; injectable so tests need no real sleeps. */
export interface RetryClock {
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts; never rejects. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
}

export const REAL_CLOCK: RetryClock = { now: () => Date.now(), sleep: pause, random: Math.random };

export interface RetryUntilOptions {
  /** What is tried, for the log (`NetBox GET /api/status/`, `callback`). */
  what: string;
  /** Absolute epoch ms: a wait that would end at or after it is not begun (the last failure is given up). */
  deadline: number;
  /** Stops the loop: checked after each failure and each wait. */
  signal?: AbortSignal;
  backoff: BackoffPolicy;
  /** The failure classes worth another attempt; default retry-now and retry-later. */
  retryOn?: readonly FailureClass[];
  /** At most this many retries (attempts − 1); default unbounded (the deadline bounds). */
  retries?: number;
  /** A wait the failure itself asks for (an HTTP Retry-After), used instead of the backoff, capped at 4 × backoff.maxMs. */
  waitOf?: (error: unknown) => number | undefined;
  /** What to throw when giving up; default the last failure itself. */
  giveUp?: (error: unknown, why: GiveUpReason) => unknown;
  log?: Logger;
  /** Extra fields of the "retrying" log line. */
  logFields?: LogFields;
  clock?: Partial<RetryClock>;
}

/**
 * Runs `attempt(n)` (n = 0 for the first attempt) until it succeeds or the loop gives
 * up: the signal aborted, the failure's class (classifyFailure) is not in `retryOn`,
 * the retries are spent, or the next wait would end at or after the deadline. Between
 * attempts it waits the failure's own `waitOf` or the backoff.
 */
export async function retryUntil<T>(attempt: (n: number) => Promise<T>, options: RetryUntilOptions): Promise<T> {
  const clock = { ...REAL_CLOCK, ...options.clock };
  const retryOn = options.retryOn ?? ['retry-now', 'retry-later'];
  const giveUp = options.giveUp ?? ((error: unknown) => error);
  for (let n = 0; ; n++) {
    let failure: unknown;
    try {
      return await attempt(n);
    } catch (error) {
      failure = error;
    }
    const why = whyGiveUp(failure, n, options, retryOn);
    if (why) throw giveUp(failure, why);
    const hinted = options.waitOf?.(failure);
    const delayMs = hinted !== undefined ? Math.min(hinted, options.backoff.maxMs * 4) : backoffDelayMs(n, options.backoff, clock.random);
    if (clock.now() + delayMs >= options.deadline) throw giveUp(failure, 'deadline');
    options.log?.warning(`${options.what} failed; retrying`, { ...options.logFields, attempt: n + 1, retryInMs: delayMs, error: messageOf(failure) });
    await clock.sleep(delayMs, options.signal);
    if (options.signal?.aborted) throw giveUp(failure, 'aborted');
  }
}

function whyGiveUp(failure: unknown, n: number, options: RetryUntilOptions, retryOn: readonly FailureClass[]): GiveUpReason | null {
  if (options.signal?.aborted) return 'aborted';
  if (!retryOn.includes(classifyFailure(failure))) return 'not-retryable';
  if (options.retries !== undefined && n >= options.retries) return 'retries';
  return null;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
