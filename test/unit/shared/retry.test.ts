/**
 * The one retry loop (shared/retry.ts) on a fake clock: what is retried, how long it
 * waits, when it gives up and what it throws; the delivery's use of it; posting a
 * journal entry at most once. No real sleeps.
 */
import { describe, expect, test } from 'bun:test';
import { DeliveryError, deliverJournal } from '../../../agent/deliver.ts';
import { createLogger, type Logger } from '../../../shared/log.ts';
import {
  createJournalEntryOnce,
  NetboxHttpError,
  NetboxNetworkError,
  NetboxTimeoutError,
  type JournalEntry,
  type NetboxClient,
} from '../../../shared/netbox/index.ts';
import { BACKOFF, backoffDelayMs, retryUntil, type RetryClock, type RetryUntilOptions } from '../../../shared/retry.ts';

/** A clock whose sleeps only advance time; `aborter` aborts during the n-th sleep. */
function fakeClock(start = 1_000_000, abortDuringSleep?: { controller: AbortController; n: number }) {
  const waits: number[] = [];
  const clock: RetryClock & { waits: number[]; t: number } = {
    t: start,
    waits,
    now: () => clock.t,
    sleep: async (ms) => {
      waits.push(ms);
      if (abortDuringSleep && waits.length === abortDuringSleep.n) abortDuringSleep.controller.abort();
      clock.t += ms;
    },
    random: () => 1,
  };
  return clock;
}

const quietLog = (): Logger & { lines: string[] } => {
  const lines: string[] = [];
  return Object.assign(createLogger({ level: 'debug', write: (line: string) => lines.push(line) } as never), { lines });
};

/** An attempt that fails with `failures` in turn, then returns 'ok'. */
function flaky(...failures: unknown[]) {
  const calls: number[] = [];
  const attempt = async (n: number) => {
    calls.push(n);
    if (n < failures.length) throw failures[n];
    return 'ok';
  };
  return { attempt, calls };
}

const POLICY = { baseMs: 100, maxMs: 1000 };
const down = () => new NetboxNetworkError('GET', '/x/', Object.assign(new Error('ECONNREFUSED'), { code: 'ECONNREFUSED' }));
const options = (clock: RetryClock, extra: Partial<RetryUntilOptions> = {}): RetryUntilOptions => ({
  what: 'test',
  deadline: clock.now() + 60_000,
  backoff: POLICY,
  clock,
  ...extra,
});

describe('backoff', () => {
  test('grows exponentially, is capped, jittered, and the floor is added', () => {
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffDelayMs(n, POLICY, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelayMs(3, POLICY, () => 0.5)).toBe(400);
    expect(backoffDelayMs(3, { ...POLICY, floorMs: 250 }, () => 0)).toBe(250);
  });
  test('the named policies keep the constants each loop had', () => {
    expect(BACKOFF.netboxRequest).toEqual({ baseMs: 250, maxMs: 5000 });
    expect(BACKOFF.drain).toEqual({ baseMs: 1000, maxMs: 30_000, floorMs: 250 });
    expect(BACKOFF.delivery).toEqual({ baseMs: 1000, maxMs: 60_000, floorMs: 200 });
  });
});

describe('retryUntil', () => {
  test('retries retry-now and retry-later failures with backoff until the attempt passes', async () => {
    const clock = fakeClock();
    const { attempt, calls } = flaky(down(), new NetboxHttpError('GET', '/x/', 500, ''), down());
    expect(await retryUntil(attempt, options(clock))).toBe('ok');
    expect(calls).toEqual([0, 1, 2, 3]);
    expect(clock.waits).toEqual([100, 200, 400]);
  });
  test('gives a failure not in retryOn up at once, throwing it as it is', async () => {
    const clock = fakeClock();
    const error = new NetboxHttpError('GET', '/x/', 500, '');
    const { attempt, calls } = flaky(error);
    await expect(retryUntil(attempt, options(clock, { retryOn: ['retry-now'] }))).rejects.toBe(error);
    expect(calls).toEqual([0]);
    expect(clock.waits).toEqual([]);
  });
  test('never retries a permanent failure (a bug, a 400)', async () => {
    for (const error of [new TypeError('bug'), new NetboxHttpError('POST', '/x/', 400, {})]) {
      const clock = fakeClock();
      const { attempt, calls } = flaky(error);
      const reasons: string[] = [];
      await expect(retryUntil(attempt, options(clock, { giveUp: (e, why) => (reasons.push(why), e) }))).rejects.toBe(error);
      expect(calls).toEqual([0]);
      expect(reasons).toEqual(['not-retryable']);
    }
  });
  test('stops after `retries` retries', async () => {
    const clock = fakeClock();
    const { attempt, calls } = flaky(down(), down(), down(), down());
    const reasons: string[] = [];
    await expect(retryUntil(attempt, options(clock, { retries: 2, giveUp: (e, why) => (reasons.push(why), e) }))).rejects.toBeInstanceOf(NetboxNetworkError);
    expect(calls).toEqual([0, 1, 2]);
    expect(reasons).toEqual(['retries']);
  });
  test('does not begin a wait that would end at or after the deadline', async () => {
    const clock = fakeClock();
    const { attempt, calls } = flaky(down(), down(), down(), down(), down());
    const reasons: string[] = [];
    // Waits 100, 200, 400: the third would end at 700 ≥ the deadline.
    const failed = retryUntil(attempt, options(clock, { deadline: clock.now() + 700, giveUp: (e, why) => (reasons.push(why), e) }));
    await expect(failed).rejects.toBeInstanceOf(NetboxNetworkError);
    expect(clock.waits).toEqual([100, 200]);
    expect(calls).toEqual([0, 1, 2]);
    expect(reasons).toEqual(['deadline']);
  });
  test('waits what the failure asks for (Retry-After), capped at 4 × the backoff cap', async () => {
    const clock = fakeClock();
    const asked = (ms: number) => new NetboxHttpError('GET', '/x/', 429, '', undefined, ms);
    const { attempt } = flaky(asked(1500), asked(60_000));
    await retryUntil(attempt, options(clock, { waitOf: (e) => (e instanceof NetboxHttpError ? e.retryAfterMs : undefined) }));
    expect(clock.waits).toEqual([1500, 4000]);
  });
  test('gives up as aborted when the signal is aborted, after a failure or during a wait', async () => {
    const before = new AbortController();
    before.abort();
    const reasons: string[] = [];
    const giveUp = (e: unknown, why: string) => (reasons.push(why), e);
    await expect(retryUntil(flaky(down()).attempt, options(fakeClock(), { signal: before.signal, giveUp }))).rejects.toBeInstanceOf(NetboxNetworkError);
    const during = new AbortController();
    const clock = fakeClock(0, { controller: during, n: 1 });
    const { attempt, calls } = flaky(down(), down());
    await expect(retryUntil(attempt, options(clock, { signal: during.signal, giveUp }))).rejects.toBeInstanceOf(NetboxNetworkError);
    expect(calls).toEqual([0]);
    expect(reasons).toEqual(['aborted', 'aborted']);
  });
  test('logs each retry with what, the attempt, the wait and the error', async () => {
    const log = quietLog();
    await retryUntil(flaky(down()).attempt, options(fakeClock(), { what: 'NetBox GET /x/', log, logFields: { path: '/x/' } }));
    expect(log.lines.join('\n')).toMatch(/NetBox GET \/x\/ failed; retrying.*attempt=1.*retryInMs=100.*ECONNREFUSED/s);
  });
});

/** A NetBox client that serves a device's journal from memory; `postFails` makes POSTs land and then time out. */
function fakeJournalClient(journal: JournalEntry[] = [], { postFails = 0 } = {}) {
  const calls: string[] = [];
  let failuresLeft = postFails;
  const client = {
    get: async <T>(path: string) => {
      calls.push(`GET ${path}`);
      return { count: journal.length, next: null, previous: null, results: journal } as T;
    },
    post: async <T>(path: string, json: { comments: string }) => {
      calls.push(`POST ${path}`);
      journal.push({ id: journal.length + 1, comments: json.comments } as JournalEntry);
      if (failuresLeft-- > 0) throw new NetboxTimeoutError('POST', path, 5000, 'request');
      return journal.at(-1) as T;
    },
  } as unknown as NetboxClient;
  return { client, calls, journal };
}

const ENTRY = { deviceId: 7, kind: 'info' as const, comments: 'memory passed\n\n_run `r1`, step 02-memory_' };
const MARKER = 'run `r1`, step 02-memory';

describe('createJournalEntryOnce', () => {
  test('a first attempt posts without reading the journal', async () => {
    const { client, calls } = fakeJournalClient();
    expect(await createJournalEntryOnce(client, ENTRY, MARKER, { retried: false })).toBe('posted');
    expect(calls).toEqual(['POST /api/extras/journal-entries/']);
  });
  test('a retried attempt finding its marker does not post again', async () => {
    const { client, calls } = fakeJournalClient([{ id: 1, comments: `older\n\n_${MARKER}_` } as JournalEntry]);
    expect(await createJournalEntryOnce(client, ENTRY, MARKER, { retried: true })).toBe('present');
    expect(calls).toEqual(['GET /api/extras/journal-entries/']);
  });
  test('a retried attempt without its marker in the journal posts', async () => {
    const { client, calls } = fakeJournalClient([{ id: 1, comments: 'run `r0`, step 02-memory' } as JournalEntry]);
    expect(await createJournalEntryOnce(client, ENTRY, MARKER, { retried: true })).toBe('posted');
    expect(calls).toEqual(['GET /api/extras/journal-entries/', 'POST /api/extras/journal-entries/']);
  });
  test('skipIf is judged on the journal, read even on a first attempt', async () => {
    const { client, calls } = fakeJournalClient([{ id: 1, comments: 'same anomaly' } as JournalEntry]);
    expect(await createJournalEntryOnce(client, ENTRY, MARKER, { retried: false, skipIf: (j) => j.some((e) => e.comments === 'same anomaly') })).toBe(
      'skipped',
    );
    expect(calls).toEqual(['GET /api/extras/journal-entries/']);
  });
  test('an entry without its marker is refused (a bug)', async () => {
    const { client } = fakeJournalClient();
    await expect(createJournalEntryOnce(client, ENTRY, 'run `r2`', { retried: false })).rejects.toThrow(/lacks its marker/);
  });
});

describe('delivery', () => {
  test('a journal POST that landed but timed out is not posted twice on the retry', async () => {
    const { client, calls, journal } = fakeJournalClient([], { postFails: 1 });
    const clock = fakeClock();
    await deliverJournal(client, 7, ENTRY, MARKER, { deadline: clock.now() + 60_000, log: quietLog(), what: 'journal entry', clock });
    expect(calls).toEqual(['POST /api/extras/journal-entries/', 'GET /api/extras/journal-entries/']);
    expect(journal.length).toBe(1);
    expect(clock.waits).toEqual([BACKOFF.delivery.baseMs + BACKOFF.delivery.floorMs]);
  });
  test('a permanent refusal gives up at once as refused; a deadline as deadline', async () => {
    const refused = fakeJournalClient();
    refused.client.post = async () => {
      throw new NetboxHttpError('POST', '/api/extras/journal-entries/', 403, { detail: 'You do not have permission to perform this action.' });
    };
    const clock = fakeClock();
    const error = await deliverJournal(refused.client, 7, ENTRY, MARKER, {
      deadline: clock.now() + 60_000,
      log: quietLog(),
      what: 'journal entry',
      clock,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error.gaveUp).toBe('refused');
    expect(error.message).toMatch(/^journal entry not delivered \(refused\): NetBox answered 403/);
    const late = fakeJournalClient();
    late.client.post = async () => {
      throw down();
    };
    const lateError = await deliverJournal(late.client, 7, ENTRY, MARKER, {
      deadline: clock.now() + 5000,
      log: quietLog(),
      what: 'journal entry',
      clock,
    }).catch((e) => e);
    expect(lateError).toBeInstanceOf(DeliveryError);
    expect(lateError.gaveUp).toBe('deadline');
    expect(lateError.failureCause).toBe('netbox-unreachable');
  });
});
