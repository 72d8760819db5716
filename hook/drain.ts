/**
 * `bm-hook drain`: applies spooled leases to NetBox. One drainer at a time
 * (flock), one MAC's events in order, consecutive renewals of the same MAC+IP
 * coalesced. A failure is judged by classifyFailure (shared/failure.ts): retry-now
 * and retry-later keep the event, retried with BACKOFF.drain inside a time budget
 * and otherwise by the next run; permanent ones move to failed/ with the reason.
 *
 * The budget bounds the whole run: every NetBox call (each page of a list included)
 * must end by it (withDeadline), and no event is started after it. An entry that cannot
 * be moved aside (a full disk) stays where it is, is logged as such and counted as
 * `stuck`; the run goes on with the others. status.json records how the run ended.
 */
import { BmError } from '../shared/errors.ts';
import { type Cause, classifyFailure, type FailureClass } from '../shared/failure.ts';
import type { Logger } from '../shared/log.ts';
import { NetboxHttpError, type NetboxClient, withDeadline } from '../shared/netbox/index.ts';
import { BACKOFF, backoffDelayMs } from '../shared/retry.ts';
import { ACTIONS, ConditionFound } from './actions.ts';
import { decide, LOG_ONLY_ACTIONS, type Action, type Row } from './fsm.ts';
import { tryLockDrain } from './lock.ts';
import { bmcNamePatterns, observe, type ViewCheckStore } from './observe.ts';
import { spoolViewCheckStore } from './version-cache.ts';
import {
  cleanTmp,
  type DrainStatus,
  ensureSpool,
  failEvent,
  pendingNames,
  readEvent,
  readStatus,
  removeEvent,
  rewriteEvent,
  type SpooledEvent,
  writeStatus,
} from './spool.ts';

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
  /** `bm-hook drain` by hand: an event's stored back-off (notBefore) from earlier runs is ignored once; default false. */
  ignoreStoredBackoff?: boolean;
  /** `bmc.interfaceNames`: patterns naming a BMC's interface besides mgmt-only ones; default DEFAULT_BMC_INTERFACE_NAMES. */
  bmcInterfaceNames?: readonly string[];
  log: Logger;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface DrainSummary {
  /** Another drainer held the lock; nothing was done. */
  locked: boolean;
  applied: number;
  /** Events (or other entries of new/) moved to failed/. */
  failed: number;
  /** Entries that had to move to failed/ but could not (e.g. a full disk): left in new/, skipped for this run. */
  stuck: number;
  coalesced: number;
  remaining: number;
  lastError?: string;
  /** The run itself failed (the spool could not be read or written): its message. */
  error?: string;
}

type Outcome = { kind: 'done' } | { kind: 'failed'; reason: string } | { kind: 'retry'; reason: string };

/** Re-decisions allowed within one event (each ConditionFound re-decides once). */
const MAX_REDECISIONS = 3;

/** What applyEvent needs beyond DrainDeps: the client bounded by the run's budget, the compiled BMC name patterns. */
interface RunContext {
  client: NetboxClient | null;
  bmcNames: readonly RegExp[];
  /** The spool's record of the REST check of view permissions (GraphQL reads). */
  viewCheck: ViewCheckStore;
}

async function applyEvent(deps: DrainDeps, run: RunContext, spooled: SpooledEvent): Promise<Outcome> {
  const { event, name } = spooled;
  const log = deps.log.child({ mac: event.mac, ip: event.ip });
  try {
    if (!run.client) throw new NetboxNotConfiguredError(deps.notConfiguredReason ?? 'no URL or token');
    const client = run.client;
    const observation = await observe(client, event, {
      defaultPrefixLength: deps.defaultPrefixLength,
      vrf: deps.vrf,
      bmcNames: run.bmcNames,
      log: deps.log,
      viewCheck: run.viewCheck,
    });
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
          client,
          event,
          eventName: name,
          observation,
          ipStatus: deps.ipStatus,
          retried,
          reason,
          done: [...done] as Action[],
          plan: row.actions,
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
    // A row that only logs has said what happened in its one line.
    if (row.actions.length === 0 || !row.actions.every((a) => LOG_ONLY_ACTIONS.has(a))) {
      log.info(row.actions.length ? 'lease applied' : 'lease already reflected in NetBox', { rule: row.note });
    }
    return { kind: 'done' };
  } catch (error) {
    // A lease must not be lost while NetBox is down or refuses our token: only a permanent failure fails it.
    const reason = failureReason(error);
    return classifyFailure(error) === 'permanent' ? { kind: 'failed', reason } : { kind: 'retry', reason };
  }
}

/**
 * Moves an entry aside to failed/ and says what happened; when that is impossible (a full
 * disk: failEvent throws and leaves new/ as it was), says so and returns null.
 */
function moveAside(deps: DrainDeps, name: string, record: unknown, reason: string, fields: Record<string, unknown>): string | null {
  try {
    const what = failEvent(deps.dir, name, record, reason);
    deps.log.error(`${fields.mac ? 'lease cannot be applied' : 'not a spool event'}; ${what}`, { event: name, ...fields, reason });
    return what;
  } catch (error) {
    deps.log.error('could not move the entry to failed/; it stays in new/ and is skipped until it can be', {
      event: name,
      ...fields,
      reason,
      error: (error as Error).message,
    });
    return null;
  }
}

/** How a run ended, for status.json. Pure. */
export function runResultOf(summary: DrainSummary): NonNullable<DrainStatus['lastRunResult']> {
  if (summary.error) return 'error';
  if (summary.failed > 0 || summary.stuck > 0) return 'failed';
  return summary.remaining > 0 ? 'waiting' : 'ok';
}

/** Drains the spool once (see file comment). Never throws for NetBox trouble. */
export async function drainSpool(deps: DrainDeps): Promise<DrainSummary> {
  ensureSpool(deps.dir);
  const lock = tryLockDrain(deps.dir);
  const summary: DrainSummary = { locked: lock === null, applied: 0, failed: 0, stuck: 0, coalesced: 0, remaining: 0 };
  if (!lock) return summary;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = Date.now() + deps.budgetMs;
  const run: RunContext = {
    client: deps.client ? withDeadline(deps.client, deadline) : null,
    bmcNames: bmcNamePatterns(deps.bmcInterfaceNames),
    viewCheck: spoolViewCheckStore(deps.dir),
  };
  /** Entries left in new/ that could not be moved aside: not read again this run. */
  const stuck = new Set<string>();
  /** Events attempted in this run: their notBefore is this run's own back-off. */
  const attempted = new Set<string>();
  const pending = () => pendingNames(deps.dir).filter((name) => !stuck.has(name));
  try {
    cleanTmp(deps.dir);
    for (;;) {
      const events: SpooledEvent[] = [];
      for (const name of pending()) {
        const read = readEvent(deps.dir, name);
        if (read.ok) {
          events.push(read.spooled);
          continue;
        }
        if (moveAside(deps, name, read.raw, read.reason, {})) summary.failed++;
        else stuck.add(name);
        summary.lastError = `${name}: ${read.reason}`;
      }
      const plan = planDrain(events);
      for (const name of plan.coalesced) removeEvent(deps.dir, name);
      summary.coalesced += plan.coalesced.length;

      let nextTry = Number.POSITIVE_INFINITY;
      let waiting = 0;
      for (const queue of plan.byMac.values()) {
        for (const [index, spooled] of queue.entries()) {
          const storedBackoff = deps.ignoreStoredBackoff && !attempted.has(spooled.name);
          const notBefore = storedBackoff ? 0 : (spooled.progress?.notBefore ?? 0);
          if (notBefore > Date.now() || Date.now() >= deadline) {
            nextTry = Math.min(nextTry, Math.max(notBefore, Date.now()));
            waiting += queue.length - index;
            break;
          }
          attempted.add(spooled.name);
          const outcome = await applyEvent(deps, run, spooled);
          if (outcome.kind === 'done') {
            removeEvent(deps.dir, spooled.name);
            summary.applied++;
            continue;
          }
          if (outcome.kind === 'failed') {
            summary.lastError = outcome.reason;
            const fields = { mac: spooled.event.mac };
            if (moveAside(deps, spooled.name, { event: spooled.event, progress: spooled.progress }, outcome.reason, fields)) {
              summary.failed++;
              continue;
            }
            // Kept in new/ (as it is: rewriting it would fail the same way), after this MAC's later events.
            stuck.add(spooled.name);
            waiting += queue.length - index;
            break;
          }
          const attempts = (spooled.progress?.attempts ?? 0) + 1;
          const delayMs = backoffDelayMs(attempts - 1, BACKOFF.drain, deps.random);
          spooled.progress = { ...spooled.progress, attempts, lastError: outcome.reason, notBefore: Date.now() + delayMs };
          try {
            rewriteEvent(deps.dir, spooled);
          } catch (error) {
            deps.log.error('could not record the retry in the event; it stays as it was', { event: spooled.name, error: (error as Error).message });
          }
          deps.log.warning('NetBox not available; lease kept for retry', {
            event: spooled.name,
            mac: spooled.event.mac,
            attempt: attempts,
            retryInMs: delayMs,
            reason: outcome.reason,
          });
          summary.lastError = outcome.reason;
          nextTry = Math.min(nextTry, spooled.progress.notBefore!);
          waiting += queue.length - index;
          break;
        }
      }
      summary.remaining = waiting;
      if (waiting === 0 && pending().length === 0) break;
      if (waiting === 0) continue;
      if (nextTry >= deadline) break;
      await sleep(Math.max(0, nextTry - Date.now()));
    }
  } catch (error) {
    summary.error = (error as Error).message;
    throw error;
  } finally {
    summary.stuck = stuck.size;
    try {
      const previous = readStatus(deps.dir);
      const now = new Date().toISOString();
      const result = runResultOf(summary);
      const lastError = summary.error ?? summary.lastError;
      writeStatus(deps.dir, {
        ...previous,
        lastRunAt: now,
        lastRunResult: result,
        lastRun: { applied: summary.applied, failed: summary.failed, stuck: summary.stuck, waiting: summary.remaining, coalesced: summary.coalesced },
        applied: (previous.applied ?? 0) + summary.applied,
        ...(lastError ? { lastError, lastErrorAt: now } : {}),
        ...(result === 'ok' ? { lastSuccessAt: now } : {}),
      });
    } catch (error) {
      deps.log.error('could not write status.json; bm-hook status shows the run before', { error: (error as Error).message });
    }
    lock.release();
  }
  return summary;
}
