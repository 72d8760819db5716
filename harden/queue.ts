/**
 * The work queue of the automatic triggers (`bm-harden serve` and `bm-harden watch`): at most
 * `concurrency` runs at once, at most one run per key (a device id) at a time, and a second
 * trigger for a device that is already running or waiting is coalesced into that run instead
 * of queueing a duplicate (the run re-reads NetBox and the BMC anyway, so nothing is lost).
 * The waiting list is bounded (`maxQueued`): a flood of triggers is refused, not buffered.
 * No I/O of its own: the run function is given; a run's error is handed to `onSettled`,
 * never thrown into the caller of `enqueue`.
 */

/** What `enqueue` did with a trigger. */
export type EnqueueResult =
  /** A run started now. */
  | 'started'
  /** Waiting for a free slot (concurrency reached). */
  | 'queued'
  /** The device is already running or waiting: merged into that run. */
  | 'coalesced'
  /** The waiting list is full: refused (the sender should retry later). */
  | 'full'
  /** The queue is closed (shutting down): refused. */
  | 'closed';

/** How one run ended: its value, or the error it threw. */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface RunQueueOptions<K, R> {
  /** Runs at once, at least 1. */
  concurrency: number;
  /** Triggers waiting for a slot, beyond which enqueue answers `full`; default 1000. */
  maxQueued?: number;
  run: (key: K) => Promise<R>;
  /** Called once per run, after it ended (logging, counting). */
  onSettled?: (key: K, settled: Settled<R>) => void;
}

export interface RunQueue<K> {
  /** Starts a run for `key`, queues it, or coalesces it into the one running or waiting. */
  enqueue(key: K): EnqueueResult;
  /** Keys running now, in start order. */
  running(): K[];
  /** Keys waiting, in arrival order. */
  queued(): K[];
  /** Resolves when nothing runs and nothing waits (now, when that is already so). */
  idle(): Promise<void>;
  /** Stops accepting triggers and drops the waiting ones (returned); runs already started go on (await idle()). */
  close(): K[];
}

/** A queue as described in the module comment. */
export function createRunQueue<K, R>(options: RunQueueOptions<K, R>): RunQueue<K> {
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const maxQueued = options.maxQueued ?? 1000;
  const active = new Set<K>();
  const waiting: K[] = [];
  let closed = false;
  let idleWaiters: (() => void)[] = [];

  const settleIdle = () => {
    if (active.size || waiting.length) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const start = (key: K) => {
    active.add(key);
    // Deferred a microtask, so enqueue returns before the run's synchronous part executes.
    void Promise.resolve()
      .then(() => options.run(key))
      .then(
        (value): Settled<R> => ({ ok: true, value }),
        (error: unknown): Settled<R> => ({ ok: false, error }),
      )
      .then((settled) => {
        active.delete(key);
        try {
          options.onSettled?.(key, settled);
        } finally {
          pump();
          settleIdle();
        }
      });
  };

  const pump = () => {
    while (!closed && active.size < concurrency && waiting.length) start(waiting.shift()!);
  };

  return {
    enqueue(key) {
      if (closed) return 'closed';
      if (active.has(key) || waiting.includes(key)) return 'coalesced';
      if (active.size < concurrency) {
        start(key);
        return 'started';
      }
      if (waiting.length >= maxQueued) return 'full';
      waiting.push(key);
      return 'queued';
    },
    running: () => [...active],
    queued: () => [...waiting],
    idle() {
      if (!active.size && !waiting.length) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    close() {
      closed = true;
      const dropped = waiting.splice(0);
      settleIdle();
      return dropped;
    },
  };
}
