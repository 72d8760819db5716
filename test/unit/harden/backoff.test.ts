/**
 * harden/backoff.ts: the schedule (doubling from the interval, capped, 0 disables), the failure kinds from the
 * failure vocabulary (transient: retry-now/retry-later; permanent otherwise; nothing on success), the entry after a
 * run, the gate (due, not yet, changed in NetBox), and the tracker's log lines and forgetting; then watchLoop with
 * the tracker, a fake clock advanced by the injected sleep and a fake runner: a failing device is not retried before
 * its time while the others run every pass.
 */
import { describe, expect, test } from 'bun:test';
import { afterRun, type BackoffEntry, backedOffMessage, backoffDelayMs, createBackoff, failureKindOf, gate } from '../../../harden/backoff.ts';
import { createRunQueue } from '../../../harden/queue.ts';
import type { Triggered } from '../../../harden/trigger.ts';
import { watchLoop } from '../../../harden/watch.ts';
import { EXIT } from '../../../shared/cli/exit-codes.ts';
import { createMemoryLogger } from '../../../shared/log.ts';

const MIN = 60_000;
const policy = { baseMs: MIN, maxMs: 60 * MIN };
const unreachable: Triggered = { outcome: 'error', exitCode: EXIT.internal, failureClass: 'retry-now', cause: 'bmc-unreachable' };
const netboxDown: Triggered = { outcome: 'error', exitCode: EXIT.netbox, failureClass: 'retry-later', cause: 'netbox-unreachable' };
const refused: Triggered = { outcome: 'error', exitCode: EXIT.internal, failureClass: 'permanent', cause: 'bmc-refused' };
const notCompliant: Triggered = { outcome: 'not-compliant', exitCode: EXIT.failed, failureClass: 'permanent', cause: 'check-failed' };
const compliant: Triggered = { outcome: 'compliant', exitCode: EXIT.ok };

describe('the schedule', () => {
  test('first retry after the interval, doubling per failure, capped at the maximum', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map((n) => backoffDelayMs(n, policy) / MIN)).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
  });
  test('a cap below the interval wins; 0 disables the back-off', () => {
    expect(backoffDelayMs(1, { baseMs: MIN, maxMs: 30_000 })).toBe(30_000);
    expect(backoffDelayMs(9, { baseMs: MIN, maxMs: 0 })).toBe(0);
  });
});

describe('the decision', () => {
  test('transient: the failure classes worth retrying; permanent: the rest; nothing: compliant, not staged, aborted', () => {
    expect(failureKindOf(unreachable)).toBe('transient');
    expect(failureKindOf(netboxDown)).toBe('transient');
    expect(failureKindOf(refused)).toBe('permanent');
    expect(failureKindOf(notCompliant)).toBe('permanent');
    expect(failureKindOf({ outcome: 'not-eligible', exitCode: EXIT.failed })).toBe('permanent');
    expect(failureKindOf(compliant)).toBeNull();
    expect(failureKindOf({ outcome: 'not-staged', exitCode: EXIT.ok })).toBeNull();
    expect(failureKindOf({ outcome: 'error', exitCode: EXIT.internal, failureClass: 'permanent', cause: 'aborted' })).toBeNull();
  });

  test('each transient failure in a row doubles the wait from the start of the failing run; permanent waits the cap; success clears', () => {
    const run = (startedAt: number) => ({ startedAt, lastUpdated: 'u1' });
    const first = afterRun(undefined, unreachable, run(0), policy)!;
    expect(first).toEqual({ failures: 1, kind: 'transient', cause: 'bmc-unreachable', notBefore: MIN, lastUpdated: 'u1' });
    const second = afterRun(first, unreachable, run(MIN), policy)!;
    expect(second.notBefore).toBe(3 * MIN);
    expect(afterRun(second, refused, run(3 * MIN), policy)).toMatchObject({ failures: 3, kind: 'permanent', notBefore: 63 * MIN });
    expect(afterRun(second, compliant, run(3 * MIN), policy)).toBeUndefined();
  });

  test('the gate: run without an entry, not before notBefore, at once when last_updated changed', () => {
    const entry: BackoffEntry = { failures: 2, kind: 'permanent', cause: 'bmc-refused', notBefore: 10 * MIN, lastUpdated: 'u1' };
    expect(gate(undefined, 'u1', 0)).toEqual({ run: true });
    expect(gate(entry, 'u1', 9 * MIN)).toEqual({ run: false, until: 10 * MIN });
    expect(gate(entry, undefined, 9 * MIN)).toEqual({ run: false, until: 10 * MIN });
    expect(gate(entry, 'u1', 10 * MIN)).toEqual({ run: true, because: 'due' });
    expect(gate(entry, 'u2', 0)).toEqual({ run: true, because: 'changed' });
  });

  test('the log line says what kind, why, until when and how long', () => {
    const at = Date.parse('2025-01-01T00:00:00Z');
    const entry: BackoffEntry = { failures: 3, kind: 'transient', cause: 'bmc-unreachable', notBefore: at + 4 * MIN, lastUpdated: undefined };
    expect(backedOffMessage('srv-1 (#1)', entry, at)).toBe(
      'srv-1 (#1): transient failure (bmc-unreachable), 3rd in a row: not retried before 2025-01-01T00:04:00Z (in 240 s)',
    );
    expect(backedOffMessage('#2', { ...entry, kind: 'permanent', cause: 'bmc-refused' }, at)).toBe(
      '#2: permanent failure (bmc-refused): not retried before 2025-01-01T00:04:00Z (in 240 s) unless the device changes in NetBox',
    );
  });
});

describe('the tracker', () => {
  test('logs the back-off, clears it on success, and forgets a device that is no longer listed', () => {
    let clock = 0;
    const logger = createMemoryLogger('info');
    const backoff = createBackoff({ policy, logger, now: () => clock });
    const srv = { id: 7, name: 'srv-7', lastUpdated: 'u1' };
    expect(backoff.admit([srv]).get(7)).toEqual({ run: true });
    backoff.started(srv);
    backoff.settled(7, unreachable);
    expect(logger.lines.at(-1)).toContain('srv-7 (#7): transient failure (bmc-unreachable), 1st in a row: not retried before 1970-01-01T00:01:00Z (in 60 s)');
    clock = MIN;
    expect(backoff.admit([srv]).get(7)).toEqual({ run: true, because: 'due' });
    backoff.started(srv);
    backoff.settled(7, compliant);
    expect(logger.lines.at(-1)).toContain('srv-7 (#7): back-off cleared (compliant)');
    expect(backoff.entries().size).toBe(0);

    backoff.started(srv);
    backoff.settled(7, refused);
    expect(backoff.entries().get(7)?.kind).toBe('permanent');
    backoff.admit([]);
    expect(logger.lines.at(-1)).toContain('srv-7 (#7): no longer a staged device matching the filter; back-off cleared');
    expect(backoff.entries().size).toBe(0);
  });
});

test('watchLoop with the back-off: a failing device waits 1, 2, 4 intervals while the others run every pass; a NetBox change lifts it', async () => {
  let clock = Date.parse('2025-01-01T00:00:00Z');
  const controller = new AbortController();
  const logger = createMemoryLogger('info');
  const backoff = createBackoff({ policy: { baseMs: MIN, maxMs: 4 * MIN }, logger, now: () => clock });
  const ranAt = new Map<number, number[]>();
  const queue = createRunQueue<number, Triggered>({
    concurrency: 2,
    run: async (id) => {
      ranAt.set(id, [...(ranAt.get(id) ?? []), (clock - start) / MIN]);
      return id === 1 ? unreachable : compliant;
    },
    onSettled: (id, settled) => backoff.settled(id, settled.ok ? settled.value : { outcome: 'error', exitCode: EXIT.internal }),
  });
  const start = clock;
  let lastUpdated = 'u1';
  const passes = 12;
  let pass = 0;
  const summary = await watchLoop({
    listStaged: async () => [
      { id: 1, name: 'broken', lastUpdated },
      { id: 2, name: 'fine', lastUpdated: 'x' },
    ],
    queue,
    intervalMs: MIN,
    once: false,
    signal: controller.signal,
    logger,
    backoff,
    // The fake clock: a pass's runs end, then one interval passes (no real waiting).
    sleep: async () => {
      await queue.idle();
      clock += MIN;
      pass++;
      if (pass === 9) lastUpdated = 'u2';
      if (pass === passes) controller.abort();
    },
  });
  // Failures at 0, 1, 3, 7 (waits 1, 2, 4 intervals), then capped at 4; the change at minute 9 runs it at once.
  expect(ranAt.get(1)).toEqual([0, 1, 3, 7, 9]);
  expect(ranAt.get(2)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  expect(summary.passes).toBe(passes);
  const text = logger.lines.join('\n');
  expect(text).toContain('pass 3: 2 staged device(s) match: backed off until 2025-01-01T00:03:00Z broken; started fine');
  expect(text).toContain('broken (#1): transient failure (bmc-unreachable), 3rd in a row: not retried before 2025-01-01T00:07:00Z (in 240 s)');
  expect(text).toContain('broken (#1): changed in NetBox since its failed run; trying again now');
});
