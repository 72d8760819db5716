/**
 * `bm-hook drain`: applies spooled leases to NetBox. One drainer at a time
 * (flock), one MAC's events in order, consecutive renewals of the same MAC+IP
 * coalesced. A failure is judged by classifyFailure (shared/failure.ts): retry-now
 * and retry-later keep the event, retried with BACKOFF.drain inside a time budget
 * and otherwise by the next run; permanent ones move to failed/ with the reason.
 */
import { BmError } from '../shared/errors.ts';
import { type Cause, classifyFailure, type FailureClass } from '../shared/failure.ts';
import type { Logger } from '../shared/log.ts';
import { NetboxHttpError, type NetboxClient } from '../shared/netbox/index.ts';
import { BACKOFF, backoffDelayMs } from '../shared/retry.ts';
import { ACTIONS, ConditionFound } from './actions.ts';
import { decide, type Action, type Row } from './fsm.ts';
import { tryLockDrain } from './lock.ts';
import { observe } from './observe.ts';
import { cleanTmp, ensureSpool, failEvent, pendingNames, readEvent, readStatus, removeEvent, rewriteEvent, writeStatus, type SpooledEvent } from './spool.ts';

/** The reason recorded for a failed or kept event: NetBox's message, and the missing permission first when that is the cause. Pure. */
export function failureReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const permission = error instanceof NetboxHttpError ? error.missingPermission : undefined;
  return permission ? `missing NetBox permission "${permission}": ${message}` : message;
}

/** No NetBox URL or token: leases stay spooled (retry-later) until the config names one. */
export class NetboxNotConfiguredError extends BmError {
  override readonly name = 'NetboxNotConfiguredError';
  constructor(readonly reason: string) {
    super(`NetBox is not configured (${reason}); leases stay spooled until it is`);
  }

  override get failureClass(): FailureClass {
    return 'retry-later';
  }

  override get failureCause(): Cause {
    return 'config';
  }

  override details(): Record<string, unknown> {
    return { reason: this.reason };
  }
}

export interface DrainPlan {
  /** Events per MAC, oldest first. */
  byMac: Map<string, SpooledEvent[]>;
  /** Older renewals of the same MAC+IP, to delete unapplied. */
  coalesced: string[];
}

/** Groups events by MAC in arrival order and coalesces consecutive same-IP renewals. Pure. */
export function planDrain(events: readonly SpooledEvent[]): DrainPlan {
  const byMac = new Map<string, SpooledEvent[]>();
  const coalesced: string[] = [];
  for (const spooled of [...events].sort((a, b) => a.name.localeCompare(b.name))) {
    const queue = byMac.get(spooled.event.mac) ?? [];
    const last = queue.at(-1);
    if (last && last.event.ip === spooled.event.ip) {
      // Keep the one already in progress (its actions are half done), else the newest.
      if (last.progress?.plan) {
        coalesced.push(spooled.name);
        continue;
      }
      coalesced.push(last.name);
      queue.pop();
    }
    queue.push(spooled);
    byMac.set(spooled.event.mac, queue);
  }
  return { byMac, coalesced };
}

export interface DrainDeps {
  dir: string;
  /** null when NetBox is not configured: events are kept. */
  client: NetboxClient | null;
  notConfiguredReason?: string;
  ipStatus: string;
  defaultPrefixLength: number;
  /** `ip.vrf`: the VRF (id or name) for BMC IPs; absent = the VRF of the containing prefix. */
  vrf?: number | string;
  budgetMs: number;
  log: Logger;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface DrainSummary {
  /** Another drainer held the lock; nothing was done. */
  locked: boolean;
  applied: number;
  failed: number;
  coalesced: number;
  remaining: number;
  lastError?: string;
}

type Outcome = { kind: 'done' } | { kind: 'failed'; reason: string } | { kind: 'retry'; reason: string };

/** Re-decisions allowed within one event (each ConditionFound re-decides once). */
const MAX_REDECISIONS = 3;

async function applyEvent(deps: DrainDeps, spooled: SpooledEvent): Promise<Outcome> {
  const { event, name } = spooled;
  const log = deps.log.child({ mac: event.mac, ip: event.ip });
  try {
    if (!deps.client) throw new NetboxNotConfiguredError(deps.notConfiguredReason ?? 'no URL or token');
    const observation = await observe(deps.client, event, { defaultPrefixLength: deps.defaultPrefixLength, vrf: deps.vrf });
    const saved = spooled.progress?.plan;
    // A saved plan means an earlier run stopped mid-way (crash or kill): journal posts check for copies.
    const retried = saved !== undefined || (spooled.progress?.attempts ?? 0) > 0;
    let row: Pick<Row, 'actions' | 'note' | 'fails'> | null = saved
      ? { actions: saved.actions as Action[], note: saved.rowNote, ...(saved.fails ? { fails: true as const } : {}) }
      : decide(observation.from, observation.when);
    if (!row) return { kind: 'failed', reason: `no FSM row for ${observation.from}/${observation.when}` };
    let reason = saved?.reason;
    const done = new Set(saved?.done ?? []);
    const save = () => {
      spooled.progress = {
        attempts: 0,
        ...spooled.progress,
        plan: { rowNote: row!.note, actions: [...row!.actions], done: [...done], ...(row!.fails ? { fails: true } : {}), ...(reason ? { reason } : {}) },
      };
      rewriteEvent(deps.dir, spooled);
    };
    if (row.actions.length > 0 && !saved) save();
    let redecisions = 0;
    for (let i = 0; i < row.actions.length; i++) {
      const action = row.actions[i]!;
      if (done.has(action)) continue;
      try {
        await ACTIONS[action]({
          client: deps.client,
          event,
          eventName: name,
          observation,
          ipStatus: deps.ipStatus,
          retried,
          reason,
          done: [...done] as Action[],
          log,
        });
      } catch (error) {
        // NetBox refused a write in a way the table has a row for: re-decide, keeping what is done.
        if (!(error instanceof ConditionFound) || ++redecisions > MAX_REDECISIONS) throw error;
        row = decide(observation.from, error.condition);
        if (!row) throw error;
        reason = error.message;
        log.warning('NetBox refused a write; re-deciding', { condition: error.condition, rule: row.note, reason });
        save();
        i = -1;
        continue;
      }
      done.add(action);
      if (done.size < row.actions.length) save();
    }
    if (row.fails) {
      // Moved back to new/ after the fix, the event is decided afresh (not resumed).
      if (spooled.progress) delete spooled.progress.plan;
      return { kind: 'failed', reason: reason ?? row.note };
    }
    log.info(row.actions.length ? 'lease applied' : 'lease already reflected in NetBox', { rule: row.note });
    return { kind: 'done' };
  } catch (error) {
    // A lease must not be lost while NetBox is down or refuses our token: only a permanent failure fails it.
    const reason = failureReason(error);
    return classifyFailure(error) === 'permanent' ? { kind: 'failed', reason } : { kind: 'retry', reason };
  }
}

/** Drains the spool once (see file comment). Never throws for NetBox trouble. */
export async function drainSpool(deps: DrainDeps): Promise<DrainSummary> {
  ensureSpool(deps.dir);
  const lock = tryLockDrain(deps.dir);
  const summary: DrainSummary = { locked: lock === null, applied: 0, failed: 0, coalesced: 0, remaining: 0 };
  if (!lock) return summary;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = Date.now() + deps.budgetMs;
  try {
    cleanTmp(deps.dir);
    for (;;) {
      const events: SpooledEvent[] = [];
      for (const name of pendingNames(deps.dir)) {
        const read = readEvent(deps.dir, name);
        if (read.ok) events.push(read.spooled);
        else {
          deps.log.error('unreadable spool event moved to failed/', { event: name, reason: read.reason });
          failEvent(deps.dir, name, read.raw, read.reason);
          summary.failed++;
        }
      }
      const plan = planDrain(events);
      for (const name of plan.coalesced) removeEvent(deps.dir, name);
      summary.coalesced += plan.coalesced.length;

      let nextTry = Number.POSITIVE_INFINITY;
      let waiting = 0;
      for (const queue of plan.byMac.values()) {
        for (const spooled of queue) {
          const notBefore = spooled.progress?.notBefore ?? 0;
          if (notBefore > Date.now()) {
            nextTry = Math.min(nextTry, notBefore);
            waiting += queue.length - queue.indexOf(spooled);
            break;
          }
          const outcome = await applyEvent(deps, spooled);
          if (outcome.kind === 'done') {
            removeEvent(deps.dir, spooled.name);
            summary.applied++;
            continue;
          }
          if (outcome.kind === 'failed') {
            deps.log.error('lease cannot be applied; moved to failed/', { event: spooled.name, mac: spooled.event.mac, reason: outcome.reason });
            failEvent(deps.dir, spooled.name, { event: spooled.event, progress: spooled.progress }, outcome.reason);
            summary.failed++;
            summary.lastError = outcome.reason;
            continue;
          }
          const attempts = (spooled.progress?.attempts ?? 0) + 1;
          const delayMs = backoffDelayMs(attempts - 1, BACKOFF.drain, deps.random);
          spooled.progress = { ...spooled.progress, attempts, lastError: outcome.reason, notBefore: Date.now() + delayMs };
          rewriteEvent(deps.dir, spooled);
          deps.log.warning('NetBox not available; lease kept for retry', {
            event: spooled.name,
            mac: spooled.event.mac,
            attempt: attempts,
            retryInMs: delayMs,
            reason: outcome.reason,
          });
          summary.lastError = outcome.reason;
          nextTry = Math.min(nextTry, spooled.progress.notBefore!);
          waiting += queue.length - queue.indexOf(spooled);
          break;
        }
      }
      summary.remaining = waiting;
      if (waiting === 0 && pendingNames(deps.dir).length === 0) break;
      if (waiting === 0) continue;
      if (nextTry >= deadline) break;
      await sleep(Math.max(0, nextTry - Date.now()));
    }
  } finally {
    const previous = readStatus(deps.dir);
    writeStatus(deps.dir, {
      ...previous,
      lastRunAt: new Date().toISOString(),
      applied: (previous.applied ?? 0) + summary.applied,
      ...(summary.lastError ? { lastError: summary.lastError, lastErrorAt: new Date().toISOString() } : {}),
      ...(summary.remaining === 0 && !summary.lastError ? { lastSuccessAt: new Date().toISOString() } : {}),
    });
    lock.release();
  }
  return summary;
}
