/** harden/queue.ts: bounded concurrency, one run per device, coalescing, a bounded waiting list, close and idle. */
import { describe, expect, test } from 'bun:test';
import { createRunQueue, type Settled } from '../../../harden/queue.ts';

/** A run per key that ends only when the test says so. */
function controlledRuns() {
  const pending = new Map<number, { resolve: (v: string) => void; reject: (e: unknown) => void }>();
  const started: number[] = [];
  const run = (key: number) =>
    new Promise<string>((resolve, reject) => {
      started.push(key);
      pending.set(key, { resolve, reject });
    });
  /** Ends key's run and lets the queue react (its bookkeeping runs on promise callbacks). */
  const finish = async (key: number, error?: unknown) => {
    const p = pending.get(key);
    if (!p) throw new Error(`device ${key} is not running`);
    pending.delete(key);
    if (error) p.reject(error);
    else p.resolve(`done ${key}`);
    await flush();
  };
  return { run, started, finish };
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('createRunQueue', () => {
  test('starts up to the concurrency, queues the rest in order, starts the next as one ends', async () => {
    const runs = controlledRuns();
    const queue = createRunQueue({ concurrency: 2, run: runs.run });
    expect([queue.enqueue(1), queue.enqueue(2), queue.enqueue(3), queue.enqueue(4)]).toEqual(['started', 'started', 'queued', 'queued']);
    await flush();
    expect(runs.started).toEqual([1, 2]);
    expect(queue.running()).toEqual([1, 2]);
    expect(queue.queued()).toEqual([3, 4]);
    await runs.finish(2);
    expect(runs.started).toEqual([1, 2, 3]);
    expect(queue.running()).toEqual([1, 3]);
    expect(queue.queued()).toEqual([4]);
  });

  test('a second trigger for a device running or waiting is coalesced; after its run ends it can run again', async () => {
    const runs = controlledRuns();
    const queue = createRunQueue({ concurrency: 1, run: runs.run });
    expect(queue.enqueue(7)).toBe('started');
    expect(queue.enqueue(7)).toBe('coalesced');
    expect(queue.enqueue(8)).toBe('queued');
    expect(queue.enqueue(8)).toBe('coalesced');
    await flush();
    await runs.finish(7);
    expect(queue.enqueue(7)).toBe('queued');
    await runs.finish(8);
    expect(runs.started).toEqual([7, 8, 7]);
  });

  test('never two runs of one device at once, whatever the order of triggers', async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    const perDevice = new Map<number, number>();
    let overlap = false;
    const queue = createRunQueue<number, void>({
      concurrency: 3,
      run: async (key) => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        perDevice.set(key, (perDevice.get(key) ?? 0) + 1);
        if (perDevice.get(key)! > 1) overlap = true;
        await flush();
        perDevice.set(key, perDevice.get(key)! - 1);
        concurrent--;
      },
    });
    for (let i = 0; i < 60; i++) queue.enqueue(i % 5);
    await queue.idle();
    for (let i = 0; i < 60; i++) queue.enqueue((i * 7) % 4);
    await queue.idle();
    expect(overlap).toBe(false);
    expect(maxConcurrent).toBe(3);
  });

  test('a full waiting list refuses (full); a closed queue refuses (closed) and drops what waits', async () => {
    const runs = controlledRuns();
    const queue = createRunQueue({ concurrency: 1, maxQueued: 2, run: runs.run });
    expect([queue.enqueue(1), queue.enqueue(2), queue.enqueue(3), queue.enqueue(4)]).toEqual(['started', 'queued', 'queued', 'full']);
    expect(queue.close()).toEqual([2, 3]);
    expect(queue.enqueue(5)).toBe('closed');
    await flush();
    await runs.finish(1);
    expect(runs.started).toEqual([1]);
  });

  test('idle() resolves at once when empty, else when the last run ends; an error reaches onSettled, not the caller', async () => {
    const runs = controlledRuns();
    const settled: [number, Settled<string>][] = [];
    const queue = createRunQueue({ concurrency: 2, run: runs.run, onSettled: (key, s) => settled.push([key, s]) });
    await queue.idle();
    queue.enqueue(1);
    queue.enqueue(2);
    let idle = false;
    void queue.idle().then(() => {
      idle = true;
    });
    await flush();
    await runs.finish(1, new Error('boom'));
    expect(idle).toBe(false);
    await runs.finish(2);
    expect(idle).toBe(true);
    expect(settled[0]![0]).toBe(1);
    expect(settled[0]![1].ok).toBe(false);
    expect(settled[1]).toEqual([2, { ok: true, value: 'done 2' }]);
  });

  test('a run that throws synchronously is settled like one that rejects, and the queue goes on', async () => {
    const settled: boolean[] = [];
    const queue = createRunQueue<number, number>({
      concurrency: 1,
      run: (key) => {
        if (key === 1) throw new Error('sync');
        return Promise.resolve(key);
      },
      onSettled: (_key, s) => settled.push(s.ok),
    });
    queue.enqueue(1);
    queue.enqueue(2);
    await queue.idle();
    expect(settled).toEqual([false, true]);
  });
});
