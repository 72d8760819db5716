/**
 * harden/watch.ts: --filter parsing (pass-through, lists, refusals, typo guard), the pass log
 * line, and the loop with the real queue, a fake listing and an instant sleep: once, repeated
 * passes coalescing a device still running, a listing failure, and a clean stop on abort.
 */
import { describe, expect, test } from 'bun:test';
import { createRunQueue } from '../../../harden/queue.ts';
import { parseFilters, passSummary, type StagedDevice, watchLoop } from '../../../harden/watch.ts';
import { createMemoryLogger } from '../../../shared/log.ts';
import { waitUntil } from '../../helpers/wait.ts';

describe('parseFilters', () => {
  test('KEY=VALUE pairs pass through; a key given twice becomes a list; cf_ and lookups pass', () => {
    expect(parseFilters([])).toEqual({});
    expect(parseFilters(['site=dc1', 'role=compute', 'tag=a', 'tag=b', 'cf_rack_row=3', 'name__ic=srv'])).toEqual({
      site: 'dc1',
      role: 'compute',
      tag: ['a', 'b'],
      cf_rack_row: '3',
      name__ic: 'srv',
    });
    expect(parseFilters(['q=a=b'])).toEqual({ q: 'a=b' });
  });

  test('status and paging are refused (watch sets them); no = or no value; a typo of a known filter is refused with the suggestion', () => {
    expect(() => parseFilters(['status=active'])).toThrow('set by bm-harden watch itself');
    expect(() => parseFilters(['status__n=ready'])).toThrow('set by bm-harden watch itself');
    expect(() => parseFilters(['limit=5'])).toThrow('set by bm-harden watch itself');
    expect(() => parseFilters(['site'])).toThrow('is not KEY=VALUE');
    expect(() => parseFilters(['site='])).toThrow('is not KEY=VALUE');
    expect(() => parseFilters(['Site=dc1'])).toThrow('not a NetBox filter name');
    expect(() => parseFilters(['stie=dc1'])).toThrow('did you mean site?');
    expect(() => parseFilters(['tags=x'])).toThrow('did you mean tag?');
    expect(parseFilters(['rack_name=r1'])).toEqual({ rack_name: 'r1' });
  });
});

test('passSummary names the devices per queue result, or says none matched', () => {
  expect(passSummary(1, [])).toBe('pass 1: no staged device matches');
  expect(
    passSummary(2, [
      { device: { id: 1, name: 'a' }, result: 'started' },
      { device: { id: 2, name: null }, result: 'started' },
      { device: { id: 3, name: 'c' }, result: 'coalesced' },
    ]),
  ).toBe('pass 2: 3 staged device(s) match: started a, #2; coalesced c');
});

describe('watchLoop', () => {
  const device = (id: number): StagedDevice => ({ id, name: `srv-${id}` });

  test('--once: one pass, every matched device run (bounded), then returns when all runs ended', async () => {
    const ran: number[] = [];
    let running = 0;
    let peak = 0;
    const queue = createRunQueue<number, void>({
      concurrency: 2,
      run: async (id) => {
        running++;
        peak = Math.max(peak, running);
        await Promise.resolve();
        ran.push(id);
        running--;
      },
    });
    const logger = createMemoryLogger('info');
    const summary = await watchLoop({
      listStaged: async () => [1, 2, 3, 4, 5].map(device),
      queue,
      intervalMs: 60_000,
      once: true,
      signal: new AbortController().signal,
      logger,
      sleep: () => Promise.reject(new Error('--once must not sleep')),
    });
    expect(summary).toEqual({ passes: 1, listFailures: 0, triggered: 5 });
    expect(ran.sort()).toEqual([1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
    expect(logger.lines[0]).toContain('pass 1: 5 staged device(s) match: started srv-1, srv-2; queued srv-3, srv-4, srv-5');
  });

  test('passes: a device still running is coalesced, a failed listing is logged and the next pass goes on; abort waits for the runs', async () => {
    const controller = new AbortController();
    let release: (() => void) | undefined;
    const runs: number[] = [];
    const queue = createRunQueue<number, void>({
      concurrency: 2,
      run: (id) => {
        runs.push(id);
        // Device 1's first run lasts until the test releases it; the others end at once.
        return id === 1 && runs.filter((r) => r === 1).length === 1 ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
      },
    });
    const listings: (() => Promise<StagedDevice[]>)[] = [
      async () => [device(1), device(2)],
      async () => {
        throw new Error('NetBox answered 503');
      },
      async () => [device(1), device(2)],
    ];
    let pass = 0;
    const logger = createMemoryLogger('info');
    let returned = false;
    const loop = watchLoop({
      listStaged: () => listings[pass++]!(),
      queue,
      intervalMs: 30_000,
      once: false,
      signal: controller.signal,
      logger,
      // The fake clock: the interval "passes" once device 2's quick run has ended (device 1's goes on).
      sleep: async () => {
        await waitUntil(() => !queue.running().includes(2), { what: "device 2's run to end" });
        if (pass === listings.length) controller.abort();
      },
    }).then((summary) => {
      returned = true;
      return summary;
    });
    // Stopped polling, but waits for device 1's run: nothing is cut off.
    await waitUntil(() => logger.lines.some((l) => l.includes('stopping')), { what: 'the stopping line' });
    expect(logger.lines.find((l) => l.includes('stopping'))).toContain('stopping: waiting for 1 running run(s) (device #1)');
    expect(returned).toBe(false);
    release!();
    expect(await loop).toEqual({ passes: 3, listFailures: 1, triggered: 3 });
    expect(runs).toEqual([1, 2, 2]);
    expect(logger.lines.join('\n')).toContain('pass 2: cannot list the staged devices: NetBox answered 503; trying again in 30 s');
    expect(logger.lines.join('\n')).toContain('pass 3: 2 staged device(s) match: coalesced srv-1; started srv-2');
  });
});
