import { describe, expect, test } from 'bun:test';
import { createMemoryLogger } from '../../../shared/log.ts';
import { executionOrder, runSteps, thrownResult, type RunnerEvent } from '../../../agent/runner.ts';
import { exitCodeOfCause } from '../../../shared/cli/exit-codes.ts';
import { NetboxAbortedError, NetboxResponseError, type NetboxClient, type RequestOptions } from '../../../shared/netbox/index.ts';
import type { Step, StepContext, StepId, StepResult } from '../../../agent/step.ts';

const ok = (summary = 'ok'): StepResult => ({ status: 'pass', summary, reasons: [], metrics: {}, evidence: [] });

function step(id: StepId, needs: StepId[], run: Step['run'], timeoutMs = 5_000): Step {
  return { id, title: id, needs, abortable: true, tunables: {}, timeoutMs: () => timeoutMs, run };
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const context = (signal: AbortSignal) => ({ signal }) as unknown as StepContext;
const baseOptions = () => ({ log: createMemoryLogger(), signal: new AbortController().signal, contextFor: (_: Step, signal: AbortSignal) => context(signal) });

describe('ordering', () => {
  test('dependencies come first and cycles are refused', () => {
    const noop = async () => ok();
    expect(executionOrder([step('05-report', ['02-memory'], noop), step('02-memory', ['01-init'], noop), step('01-init', [], noop)])).toEqual([
      '01-init',
      '02-memory',
      '05-report',
    ]);
    expect(() => executionOrder([step('01-init', ['02-memory'], noop), step('02-memory', ['01-init'], noop)])).toThrow(/cycle/);
    expect(() => executionOrder([step('02-memory', ['01-init'], noop)])).toThrow(/unknown step 01-init/);
  });

  test('steps that do not depend on each other run at the same time, after init and before the report', async () => {
    const log: string[] = [];
    const allStarted = deferred();
    let started = 0;
    const concurrent = (id: StepId) =>
      step(id, ['01-init'], async () => {
        log.push(`start ${id}`);
        if (++started === 3) allStarted.resolve();
        await allStarted.promise; // only resolves if all three are running together
        log.push(`end ${id}`);
        return ok();
      });
    const records = await runSteps({
      ...baseOptions(),
      steps: [
        step('01-init', [], async () => (log.push('init'), ok())),
        concurrent('02-memory'),
        concurrent('03-disk'),
        concurrent('04-lldp'),
        step('05-report', ['02-memory', '03-disk', '04-lldp'], async () => (log.push('report'), ok())),
      ],
    });
    expect(records.map((r) => r.id)).toEqual(['01-init', '02-memory', '03-disk', '04-lldp', '05-report']);
    expect(log[0]).toBe('init');
    expect(log.slice(1, 4).every((l) => l.startsWith('start'))).toBe(true);
    expect(log.at(-1)).toBe('report');
  });
});

describe('failures', () => {
  test('a step that throws becomes an error result and the run goes on', async () => {
    const records = await runSteps({
      ...baseOptions(),
      steps: [
        step('01-init', [], async () => {
          throw new Error('boom');
        }),
        step('02-memory', ['01-init'], async () => ok()),
      ],
    });
    expect(records[0]!.result).toMatchObject({ status: 'error', reasons: ['boom'] });
    expect(records[1]!.result.status).toBe('pass');
  });

  test('a step past its timeout has its signal aborted and is reported as timed out', async () => {
    const records = await runSteps({
      ...baseOptions(),
      steps: [step('01-init', [], (ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve(ok('stopped')))), 50)],
    });
    expect(records[0]!.result.status).toBe('error');
    expect(records[0]!.result.summary).toMatch(/timed out after 0 s/);
  });

  test('cancelling the run aborts running steps and marks later ones aborted', async () => {
    const controller = new AbortController();
    const running = deferred();
    const pending = runSteps({
      ...baseOptions(),
      signal: controller.signal,
      steps: [
        step('01-init', [], (ctx) => {
          running.resolve();
          return new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve(ok('stopped'))));
        }),
        step('02-memory', ['01-init'], async () => ok()),
      ],
    });
    await running.promise;
    controller.abort();
    const records = await pending;
    expect(records.map((r) => [r.id, r.result.status, r.result.summary])).toEqual([
      ['01-init', 'error', 'aborted'],
      ['02-memory', 'error', 'aborted before it started'],
    ]);
  });

  test('a step marked alwaysRuns (the report) still runs after cancellation, with a live signal', async () => {
    const controller = new AbortController();
    controller.abort();
    let sawAborted: boolean | undefined;
    const records = await runSteps({
      ...baseOptions(),
      signal: controller.signal,
      steps: [{ ...step('05-report', [], async (ctx) => ((sawAborted = ctx.signal.aborted), ok('reported'))), alwaysRuns: true }],
    });
    expect(sawAborted).toBe(false);
    expect(records[0]!.result).toMatchObject({ status: 'pass', summary: 'reported' });
  });

  test('excluded steps are recorded as skipped without running', async () => {
    let ran = false;
    const records = await runSteps({
      ...baseOptions(),
      excluded: new Set<StepId>(['02-memory']),
      steps: [step('02-memory', [], async () => ((ran = true), ok()))],
    });
    expect(ran).toBe(false);
    expect(records[0]).toMatchObject({ result: { status: 'skip' }, startedAt: null, durationMs: null });
  });
});

test('events: start, progress and end for each step, in order', async () => {
  const events: RunnerEvent[] = [];
  await runSteps({
    ...baseOptions(),
    onEvent: (e) => events.push(e),
    steps: [step('01-init', [], async (_ctx, progress) => (progress({ fraction: 0.5, message: 'half' }), ok()))],
  });
  expect(events.map((e) => e.type)).toEqual(['start', 'progress', 'end']);
  expect(events[1]).toMatchObject({ progress: { fraction: 0.5, message: 'half' } });
});

describe('causes and hand-over', () => {
  test('a crash is internal, a timeout timeout, a cancellation aborted; fail without a cause is check-failed', async () => {
    const crashed = await runSteps({
      ...baseOptions(),
      steps: [
        step('01-init', [], async () => {
          throw new Error('boom');
        }),
      ],
    });
    expect(crashed[0]!.result.cause).toBe('internal');
    const timedOut = await runSteps({
      ...baseOptions(),
      steps: [
        step(
          '01-init',
          [],
          (ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve({ ...ok('stopped'), status: 'error', cause: 'aborted' }))),
          20,
        ),
      ],
    });
    expect(timedOut[0]!.result).toMatchObject({ status: 'error', cause: 'timeout' });
    const controller = new AbortController();
    controller.abort();
    const cancelled = await runSteps({ ...baseOptions(), signal: controller.signal, steps: [step('01-init', [], async () => ok())] });
    expect(cancelled[0]!.result).toMatchObject({ status: 'error', cause: 'aborted' });
    const failed = await runSteps({ ...baseOptions(), steps: [step('01-init', [], async () => ({ ...ok(), status: 'fail' }))] });
    expect(failed[0]!.result.cause).toBe('check-failed');
    const passed = await runSteps({ ...baseOptions(), steps: [step('01-init', [], async () => ok())] });
    expect(passed[0]!.result.cause).toBeUndefined();
  });

  test('a time limit longer than a timer holds is capped, so it does not fire at once', async () => {
    const events: RunnerEvent[] = [];
    const records = await runSteps({ ...baseOptions(), onEvent: (e) => events.push(e), steps: [step('01-init', [], async () => ok(), 2 ** 40)] });
    expect(records[0]!.result.status).toBe('pass');
    expect(events.find((e) => e.type === 'start')).toMatchObject({ timeoutMs: 2 ** 31 - 1 });
  });

  test('what a step hands on (result.outputs) reaches the context of the steps after it, typed', async () => {
    const inventory = { system: { serial: 'S1' } } as unknown as NonNullable<StepResult['outputs']>['inventory'];
    const seen: unknown[] = [];
    await runSteps({
      ...baseOptions(),
      contextFor: (_step, signal, outputs) => ({ ...context(signal), ...outputs }),
      steps: [
        step('01-init', [], async (ctx) => (seen.push(ctx.inventory), { ...ok(), outputs: { inventory } })),
        step('02-memory', ['01-init'], async (ctx) => (seen.push(ctx.inventory), ok())),
      ],
    });
    expect(seen).toEqual([undefined, inventory]);
  });
});

describe('the time limit holds whatever the step waits on (issue 11)', () => {
  test("the step's NetBox client is bound by the step's signal: a call in flight at the limit is cancelled", async () => {
    const seen: AbortSignal[] = [];
    // A NetBox call that never answers unless cancelled, as the real client does with its signal.
    const netbox = {
      baseUrl: 'http://nb',
      authScheme: 'Token',
      request: (_method: string, path: string, options: RequestOptions = {}) => {
        seen.push(options.signal!);
        return new Promise((_resolve, reject) => options.signal?.addEventListener('abort', () => reject(new NetboxAbortedError('GET', path))));
      },
    } as unknown as NetboxClient;
    const records = await runSteps({
      ...baseOptions(),
      contextFor: (_step, signal) => ({ ...context(signal), netbox }),
      steps: [step('01-init', [], async (ctx) => (await ctx.netbox!.get('/api/dcim/devices/'), ok()), 20)],
    });
    expect(records[0]!.result).toMatchObject({ status: 'error', cause: 'timeout' });
    expect(seen.length).toBe(1);
    expect(seen[0]!.aborted).toBe(true);
  });

  test('a step that ignores its signal is left behind after the grace and recorded as timed out; the run goes on', async () => {
    const records = await runSteps({
      ...baseOptions(),
      graceMs: 20,
      steps: [step('01-init', [], () => new Promise<StepResult>(() => {}), 20), step('02-memory', ['01-init'], async () => ok())],
    });
    expect(records[0]!.result).toMatchObject({ status: 'error', cause: 'timeout', summary: 'timed out after 0 s' });
    expect(records[0]!.result.reasons).toContain('01-init was still running 0 s after it was told to stop');
    expect(records[1]!.result.status).toBe('pass');
  });

  test('NetBox answering something unexpected, thrown by a step, is NetBox trouble (exit 3), not a crash (exit 4)', async () => {
    const thrown = new NetboxResponseError('GET', '/api/dcim/devices/', 'a list without a "results" array');
    const records = await runSteps({
      ...baseOptions(),
      steps: [
        step('01-init', [], async () => {
          throw thrown;
        }),
      ],
    });
    expect(records[0]!.result).toMatchObject({ status: 'error', cause: 'netbox-unreachable', summary: thrown.message });
    expect(records[0]!.result.summary).toContain('NetBox answered something unexpected');
    expect(exitCodeOfCause(records[0]!.result.cause!)).toBe(3);
    expect(thrownResult(new TypeError('x is undefined'))).toMatchObject({ summary: 'the step crashed (a bug in bm-agent)', cause: 'internal' });
  });
});
