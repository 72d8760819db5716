/**
 * `bm-harden watch`: polls NetBox for `staged` devices matching the operator's filter (NetBox
 * device filters passed through to /api/dcim/devices/, e.g. site=dc1, role=compute, tag=x) and
 * hands each one to the same queue as `bm-harden serve` (harden/queue.ts: bounded concurrency,
 * one run per device at a time, a device still running when the next poll sees it is coalesced).
 * Every `interval` a new pass; `once` makes one pass and waits for its runs (tests, cron). An
 * abort (SIGTERM/SIGINT in the CLI) stops polling, drops what still waits and waits for the runs
 * that started, so no run is cut off half-way. A NetBox that cannot be listed is logged and
 * tried again at the next pass (with `once`: the error is thrown). A device whose run failed is not
 * started again before its back-off ends (harden/backoff.ts: doubling from the interval for transient
 * failures, the cap for permanent ones, lifted when the device changes in NetBox).
 *
 * `parseFilters` is pure; `watchLoop` gets its listing, queue, clock and signal from the caller.
 */
import { closestMatch, ConfigError } from '../shared/config.ts';
import { describeError } from '../shared/cli/errors.ts';
import type { Logger } from '../shared/log.ts';
import type { Query } from '../shared/netbox/index.ts';
import { pause } from '../shared/pause.ts';
import { type Backoff, type BackoffDevice, utcSecond } from './backoff.ts';
import type { RunQueue } from './queue.ts';

/** Filters watch sets itself (status) or that would break paging: refused in --filter. */
const RESERVED_FILTERS = new Set(['status', 'limit', 'offset', 'ordering', 'brief', 'fields', 'exclude']);

/**
 * Common NetBox device filters. NetBox ignores a filter name it does not know — a typo would
 * silently widen the watch to every staged device — so a name within two edits of one of these
 * (and not itself one) is refused with the suggestion. Other names pass through unchanged.
 */
const KNOWN_FILTERS = [
  'id',
  'name',
  'q',
  'site',
  'site_id',
  'site_group',
  'region',
  'location',
  'location_id',
  'rack_id',
  'role',
  'role_id',
  'tag',
  'tenant',
  'tenant_id',
  'manufacturer',
  'manufacturer_id',
  'device_type',
  'device_type_id',
  'platform',
  'platform_id',
  'serial',
  'asset_tag',
  'cluster_id',
];

/**
 * `--filter KEY=VALUE` (repeatable) → the query for /api/dcim/devices/: a key given twice is a
 * list (NetBox ORs the values). Pure; a ConfigError names the bad filter and why.
 */
export function parseFilters(filters: readonly string[]): Query {
  const query: Record<string, string[]> = {};
  for (const filter of filters) {
    const eq = filter.indexOf('=');
    const key = eq > 0 ? filter.slice(0, eq).trim() : '';
    const value = eq > 0 ? filter.slice(eq + 1).trim() : '';
    const issue = (message: string) => new ConfigError('--filter', [{ key: filter, message }]);
    if (!key || !value) throw issue('is not KEY=VALUE (e.g. site=dc1, role=compute, tag=harden)');
    if (!/^[a-z][a-z0-9_]*$/.test(key)) throw issue(`${JSON.stringify(key)} is not a NetBox filter name (lower case, digits, _)`);
    if (RESERVED_FILTERS.has(key.split('__')[0]!)) throw issue(`${key} is set by bm-harden watch itself (status=staged, paging); leave it out`);
    const near = KNOWN_FILTERS.includes(key) || key.startsWith('cf_') || key.includes('__') ? undefined : closestMatch(key, KNOWN_FILTERS);
    if (near) throw issue(`unknown filter ${key}; did you mean ${near}? (NetBox ignores unknown filters, which would widen the watch)`);
    (query[key] ??= []).push(value);
  }
  return Object.fromEntries(Object.entries(query).map(([key, values]) => [key, values.length === 1 ? values[0]! : values]));
}

/** One staged device as the watch lists it (`lastUpdated`: NetBox's last_updated, for the back-off). */
export type StagedDevice = BackoffDevice;

export interface WatchOptions {
  /** The staged devices matching the filter (one NetBox listing). */
  listStaged: () => Promise<StagedDevice[]>;
  queue: Pick<RunQueue<number>, 'enqueue' | 'idle' | 'close' | 'running'>;
  intervalMs: number;
  /** One pass, then wait for its runs. */
  once: boolean;
  /** Aborted: stop polling, drop what waits, wait for the running runs. */
  signal: AbortSignal;
  logger: Logger;
  /** Injectable for tests (default shared/pause.ts). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Per-device back-off of failing runs (backoff.ts); its `settled` must see every run's end. Absent: every pass runs every device. */
  backoff?: Pick<Backoff, 'admit' | 'started'>;
}

export interface WatchSummary {
  passes: number;
  /** Passes whose listing failed. */
  listFailures: number;
  /** Devices handed to the queue (started or queued), over all passes. */
  triggered: number;
}

/** One pass's log line: how many matched and what the queue did with them. Pure. */
export function passSummary(pass: number, results: readonly { device: Pick<StagedDevice, 'id' | 'name'>; result: string }[]): string {
  if (!results.length) return `pass ${pass}: no staged device matches`;
  const by = new Map<string, string[]>();
  for (const { device, result } of results) {
    const list = by.get(result) ?? [];
    list.push(device.name ?? `#${device.id}`);
    by.set(result, list);
  }
  const parts = [...by].map(([result, names]) => `${result} ${names.join(', ')}`);
  return `pass ${pass}: ${results.length} staged device(s) match: ${parts.join('; ')}`;
}

/** Polls until aborted (or once); see the module comment. */
export async function watchLoop(options: WatchOptions): Promise<WatchSummary> {
  const { logger: log, queue, signal } = options;
  const sleep = options.sleep ?? pause;
  const summary: WatchSummary = { passes: 0, listFailures: 0, triggered: 0 };
  while (!signal.aborted) {
    summary.passes++;
    try {
      const devices = await options.listStaged();
      const gates = options.backoff?.admit(devices);
      const results = devices.map((device) => {
        const decision = gates?.get(device.id);
        if (decision && !decision.run) return { device, result: `backed off until ${utcSecond(decision.until)}` };
        const result = queue.enqueue(device.id);
        if (result === 'started' || result === 'queued') options.backoff?.started(device);
        return { device, result };
      });
      summary.triggered += results.filter((r) => r.result === 'started' || r.result === 'queued').length;
      log.info(passSummary(summary.passes, results));
    } catch (error) {
      summary.listFailures++;
      if (options.once) throw error;
      log.error(`pass ${summary.passes}: cannot list the staged devices: ${describeError(error)}; trying again in ${options.intervalMs / 1000} s`);
    }
    if (options.once) break;
    await sleep(options.intervalMs, signal);
  }
  if (signal.aborted) {
    const dropped = queue.close();
    const running = queue.running();
    log.notice(
      `stopping: ${running.length ? `waiting for ${running.length} running run(s) (device ${running.map((id) => `#${id}`).join(', ')})` : 'nothing running'}` +
        `${dropped.length ? `; not starting ${dropped.length} waiting device(s)` : ''}`,
    );
  }
  await queue.idle();
  return summary;
}
