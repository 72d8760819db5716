/**
 * `bm-harden watch`'s per-device back-off: a device whose run fails stays `staged`, and without
 * this every pass would run it again — hammering a BMC that is down or refuses our password, and
 * writing the same error to the journal every --interval. So each failing device gets a time before
 * which watch does not start it again:
 *
 * - a **transient** failure (the failure vocabulary's `retry-now` / `retry-later`: BMC unreachable,
 *   a timeout, NetBox away; shared/failure.ts `classifyFailure`, via the Triggered the run ended with)
 *   waits the poll interval after the first failure, then twice as long after each further one, at
 *   most `maxMs`;
 * - a **permanent** one (wrong credentials, a TLS failure, a profile or config error, no oob_ip, a BMC
 *   still not compliant after apply with onNonCompliant = leave) waits `maxMs` at once — repeating it
 *   cannot help until someone changes something;
 * - either way, a device whose NetBox `last_updated` changed since the failing run is tried at the next
 *   pass (an operator fixed its record), and the entry is dropped when a run succeeds or says the device
 *   is not staged, or when the device no longer matches the listing (it left `staged`).
 *
 * No jitter: retries only happen at poll passes, so a random spread would be quantised away; the
 * queue's concurrency already bounds how many retries start together. The schedule is relative to the
 * pass that started the failing run (not to when it ended), so "after the interval" means the next pass.
 *
 * The decisions (`backoffDelayMs`, `failureKindOf`, `afterRun`, `gate`) are pure; `createBackoff` keeps
 * the entries for watch and logs each decision, with an injectable clock.
 */
import type { Logger } from '../shared/log.ts';
import type { Triggered } from './trigger.ts';

/** How long failing devices wait: `baseMs` (the poll interval) doubling per failure up to `maxMs`; maxMs 0 disables back-off. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** The default cap of `--max-backoff-s`: one hour. */
export const DEFAULT_MAX_BACKOFF_S = 3600;

/** Whether trying again may help without anybody changing anything. */
export type RunFailureKind = 'transient' | 'permanent';

/** One failing device's back-off. */
export interface BackoffEntry {
  /** Failed runs in a row. */
  failures: number;
  kind: RunFailureKind;
  /** The failure's cause (shared/failure.ts), for the log. */
  cause: string;
  /** Not started again before this (ms since the epoch). */
  notBefore: number;
  /** The device's NetBox `last_updated` when the failing run started; a different one lifts the back-off. */
  lastUpdated: string | undefined;
}

/** The wait after `failures` failed runs in a row (≥ 1) of a transient kind: base · 2^(failures−1), at most maxMs. Pure. */
export function backoffDelayMs(failures: number, policy: BackoffPolicy): number {
  const doublings = Math.min(Math.max(failures, 1) - 1, 40);
  return Math.min(policy.baseMs * 2 ** doublings, policy.maxMs);
}

/**
 * What a run's ending means for the back-off: null when there is nothing to back off from (compliant,
 * not staged any more, or aborted because watch stops), else whether the failure is transient (its
 * failure class is retry-now or retry-later) or permanent. Pure.
 */
export function failureKindOf(result: Triggered): RunFailureKind | null {
  if (result.outcome === 'compliant' || result.outcome === 'not-staged' || result.cause === 'aborted') return null;
  const failureClass = result.failureClass ?? 'permanent';
  return failureClass === 'permanent' ? 'permanent' : 'transient';
}

/**
 * The entry after a run that started at `startedAt` (when the device's last_updated was `lastUpdated`)
 * ended with `result`: undefined (no back-off) on success, else one more failure in a row. Pure.
 */
export function afterRun(
  previous: BackoffEntry | undefined,
  result: Triggered,
  run: { startedAt: number; lastUpdated: string | undefined },
  policy: BackoffPolicy,
): BackoffEntry | undefined {
  const kind = failureKindOf(result);
  if (!kind) return undefined;
  const failures = (previous?.failures ?? 0) + 1;
  const delay = kind === 'permanent' ? policy.maxMs : backoffDelayMs(failures, policy);
  return { failures, kind, cause: result.cause ?? result.outcome, notBefore: run.startedAt + delay, lastUpdated: run.lastUpdated };
}

/** Whether watch may start a device now: yes (and why, when it had an entry), or not before `until`. */
export type GateDecision = { run: true; because?: 'due' | 'changed' } | { run: false; until: number };

/** The decision for a listed device with this entry (none: run). Pure. */
export function gate(entry: BackoffEntry | undefined, lastUpdated: string | undefined, now: number): GateDecision {
  if (!entry) return { run: true };
  if (lastUpdated !== undefined && entry.lastUpdated !== undefined && lastUpdated !== entry.lastUpdated) return { run: true, because: 'changed' };
  if (now >= entry.notBefore) return { run: true, because: 'due' };
  return { run: false, until: entry.notBefore };
}

/** A device as watch lists it, with what the back-off needs. */
export interface BackoffDevice {
  id: number;
  name: string | null;
  lastUpdated?: string;
}

/** The back-off state of one watch (see the module comment). */
export interface Backoff {
  /** The pass's listing: forgets devices no longer listed (they left staged) and says which may start now. */
  admit(devices: readonly BackoffDevice[]): Map<number, GateDecision>;
  /** A run of this device was handed to the queue (started or queued) now. */
  started(device: BackoffDevice): void;
  /** A run ended: clears or extends the device's back-off and logs it. */
  settled(id: number, result: Triggered): void;
  /** The current entries (tests, logs). */
  entries(): ReadonlyMap<number, BackoffEntry>;
}

const label = (device: Pick<BackoffDevice, 'id' | 'name'> | undefined, id: number) => (device?.name ? `${device.name} (#${id})` : `#${id}`);
/** A time for log lines: ISO 8601 in UTC to the second. Pure. */
export const utcSecond = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const ordinal = (n: number) =>
  `${n}${n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`;

/** The log line of a device backed off by `entry` at `now`. Pure. */
export function backedOffMessage(name: string, entry: BackoffEntry, now: number): string {
  const wait = Math.max(0, Math.round((entry.notBefore - now) / 1000));
  const why =
    entry.kind === 'permanent'
      ? `permanent failure (${entry.cause}): not retried before ${utcSecond(entry.notBefore)} (in ${wait} s) unless the device changes in NetBox`
      : `transient failure (${entry.cause}), ${ordinal(entry.failures)} in a row: not retried before ${utcSecond(entry.notBefore)} (in ${wait} s)`;
  return `${name}: ${why}`;
}

/** A back-off for one watch; `now` is the clock (Date.now outside tests). */
export function createBackoff(options: { policy: BackoffPolicy; logger: Logger; now?: () => number }): Backoff {
  const now = options.now ?? Date.now;
  const log = options.logger;
  const entries = new Map<number, BackoffEntry>();
  const runs = new Map<number, { startedAt: number; lastUpdated: string | undefined; device: BackoffDevice }>();
  const known = new Map<number, BackoffDevice>();
  return {
    admit(devices) {
      const listed = new Set(devices.map((d) => d.id));
      for (const id of [...entries.keys()]) {
        if (listed.has(id) || runs.has(id)) continue;
        log.info(`${label(known.get(id), id)}: no longer a staged device matching the filter; back-off cleared`);
        entries.delete(id);
        known.delete(id);
      }
      const decisions = new Map<number, GateDecision>();
      const at = now();
      for (const device of devices) {
        known.set(device.id, device);
        const decision = gate(entries.get(device.id), device.lastUpdated, at);
        if (decision.run && decision.because === 'changed') log.info(`${label(device, device.id)}: changed in NetBox since its failed run; trying again now`);
        decisions.set(device.id, decision);
      }
      return decisions;
    },
    started(device) {
      runs.set(device.id, { startedAt: now(), lastUpdated: device.lastUpdated, device });
    },
    settled(id, result) {
      const run = runs.get(id);
      runs.delete(id);
      if (!run) return;
      const previous = entries.get(id);
      const next = afterRun(previous, result, run, options.policy);
      const name = label(run.device, id);
      if (!next) {
        entries.delete(id);
        if (previous) log.info(`${name}: back-off cleared (${result.outcome})`);
        return;
      }
      entries.set(id, next);
      if (next.notBefore > now()) log.warning(backedOffMessage(name, next, now()));
    },
    entries: () => entries,
  };
}
