/**
 * Runs steps: each starts as soon as the steps it needs have finished, so
 * 02-memory, 03-disk and 04-lldp run at the same time after 01-init. Owns the
 * per-step timeout, cancellation (SIGINT/SIGTERM abort every running tool) and
 * progress events; a step that throws becomes an `error` result, never a crash.
 * Every `fail`/`error` result leaves with a cause (timeout, aborted, internal…),
 * and what a step hands on (`result.outputs`) reaches the context of the steps
 * that start after it.
 *
 * The time limit holds whatever the step is waiting for: the step's signal aborts at
 * the limit, and that signal bounds every NetBox call the step makes (its client is
 * bound with withBounds, so a paginated list whose `next` never ends stops too); a
 * step that still has not returned TIMEOUT_GRACE_MS after its signal aborted is left
 * behind and recorded as timed out (or aborted), and the run goes on.
 */
import { MAX_TIMER_MS } from '../shared/config.ts';
import { causeOf } from '../shared/failure.ts';
import type { Logger } from '../shared/log.ts';
import { withBounds } from '../shared/netbox/index.ts';
import type { StepRecord } from './report.ts';
import { redactResult } from './redact-result.ts';
import { causeOfResult, errorResult, skipResult } from './step.ts';
import type { Step, StepContext, StepId, StepOutputs, StepProgress, StepResult } from './step.ts';

export type RunnerEvent =
  | { type: 'start'; id: StepId; title: string; timeoutMs: number; at: number }
  | { type: 'progress'; id: StepId; progress: StepProgress; at: number }
  | { type: 'end'; id: StepId; record: StepRecord; at: number };

export interface RunnerOptions {
  steps: readonly Step[];
  /** Builds each step's context: its tunables, its signal, and what finished steps handed on (`outputs`, typed). */
  contextFor(step: Step, signal: AbortSignal, outputs: Readonly<StepOutputs>): StepContext;
  /** Aborts every running step (SIGINT/SIGTERM). */
  signal: AbortSignal;
  /** Steps not to run (`--skip`, or everything outside `--only`): recorded as skipped. */
  excluded?: ReadonlySet<StepId>;
  /** Called when a step ends, before dependants start (journal it, pass its output on). */
  onStepEnd?(record: StepRecord, step: Step): void | Promise<void>;
  onEvent?(event: RunnerEvent): void;
  log: Logger;
  now?: () => number;
  /** How long a step may take to return once its signal aborted (limit or cancellation); default TIMEOUT_GRACE_MS. */
  graceMs?: number;
}

/**
 * How long a step gets to wind down once its signal aborted (its tools are killed within 3 s:
 * agent/tools/run-tool.ts); then it is left behind and recorded, so no step outlives its limit by more.
 */
export const TIMEOUT_GRACE_MS = 10_000;

/** The context a step runs with: its NetBox client bound by the step's signal, so no NetBox call outlives the step. */
function boundContext(context: StepContext, signal: AbortSignal): StepContext {
  return context.netbox ? { ...context, netbox: withBounds(context.netbox, { signal }) } : context;
}

/** A step's result, or `left-behind` once `graceMs` have passed since `signal` aborted. */
function untilGraceEnds<T>(run: Promise<T>, signal: AbortSignal, graceMs: number): Promise<T | 'left-behind'> {
  let grace: ReturnType<typeof setTimeout> | undefined;
  let onAbort = () => {};
  const leftBehind = new Promise<'left-behind'>((resolve) => {
    onAbort = () => {
      grace = setTimeout(() => resolve('left-behind'), graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([run, leftBehind]).finally(() => {
    clearTimeout(grace);
    signal.removeEventListener('abort', onAbort);
  });
}

/**
 * The result of a step that threw: a failure the shared vocabulary knows (NetBox unreachable or answering
 * something unexpected, refused, config…) as that cause with its message; anything else is a crash (a bug). Pure.
 */
export function thrownResult(error: unknown): StepResult {
  const message = error instanceof Error ? error.message : String(error);
  const cause = causeOf(error);
  if (cause === 'internal') return errorResult('the step crashed (a bug in bm-agent)', [message], [], 'internal');
  return errorResult(message, [message], [], cause);
}

/** Steps that must finish for `id`, transitively, in a valid order; rejects cycles and unknown ids. */
export function executionOrder(steps: readonly Step[]): StepId[] {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const order: StepId[] = [];
  const state = new Map<StepId, 'visiting' | 'done'>();
  const visit = (id: StepId, path: StepId[]) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw new Error(`step dependency cycle: ${[...path, id].join(' → ')}`);
    const step = byId.get(id);
    if (!step) throw new Error(`unknown step ${id} needed by ${path.at(-1) ?? 'the plan'}`);
    state.set(id, 'visiting');
    for (const need of step.needs) visit(need, [...path, id]);
    state.set(id, 'done');
    order.push(id);
  };
  for (const step of steps) visit(step.id, []);
  return order;
}

export async function runSteps(options: RunnerOptions): Promise<StepRecord[]> {
  const now = options.now ?? Date.now;
  const records = new Map<StepId, StepRecord>();
  const finished = new Map<StepId, Promise<void>>();
  const order = executionOrder(options.steps);
  const byId = new Map(options.steps.map((s) => [s.id, s]));
  const outputs: StepOutputs = {};

  const runOne = async (step: Step): Promise<void> => {
    await Promise.all(step.needs.map((need) => finished.get(need)));
    let result: StepResult;
    const startedAt = now();
    let timeoutMs = 0;
    if (options.excluded?.has(step.id)) {
      result = skipResult('not selected for this run (--only/--skip)');
    } else if (options.signal.aborted && !step.alwaysRuns) {
      result = errorResult('aborted before it started', ['the run was cancelled (SIGINT/SIGTERM)'], [], 'aborted');
    } else {
      const timeout = new AbortController();
      const signal = step.alwaysRuns ? timeout.signal : AbortSignal.any([options.signal, timeout.signal]);
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const context = boundContext(options.contextFor(step, signal, { ...outputs }), signal);
        // A longer delay would make setTimeout fire at once.
        timeoutMs = Math.min(step.timeoutMs(context), MAX_TIMER_MS);
        options.onEvent?.({ type: 'start', id: step.id, title: step.title, timeoutMs, at: startedAt });
        timer = setTimeout(() => timeout.abort(new Error('timeout')), timeoutMs);
        const graceMs = options.graceMs ?? TIMEOUT_GRACE_MS;
        const run = step.run(context, (progress) => options.onEvent?.({ type: 'progress', id: step.id, progress, at: now() }));
        const outcome = await untilGraceEnds(run, signal, graceMs);
        if (outcome === 'left-behind') {
          options.log.error('step did not stop when told to; left behind', { step: step.id, graceMs });
          run.catch(() => {}); // its late end, if any, is nobody's business now
          result = errorResult('did not stop when told to', [`${step.id} was still running ${Math.round(graceMs / 1000)} s after it was told to stop`]);
        } else result = outcome;
      } catch (error) {
        const known = causeOf(error) !== 'internal';
        options.log.error(known ? 'step failed' : 'step crashed', {
          step: step.id,
          error: error instanceof Error ? (known ? error.message : (error.stack ?? error.message)) : String(error),
        });
        result = thrownResult(error);
      } finally {
        clearTimeout(timer);
      }
      if (timeout.signal.aborted && result.status !== 'fail') {
        const seconds = Math.round(timeoutMs / 1000);
        const reasons = [`${step.id} did not finish within ${seconds} s`, ...result.reasons];
        result = { ...result, status: 'error', cause: 'timeout', summary: `timed out after ${seconds} s`, reasons };
      } else if (options.signal.aborted && !step.alwaysRuns) {
        result = { ...result, status: 'error', cause: 'aborted', summary: 'aborted', reasons: ['the run was cancelled (SIGINT/SIGTERM)', ...result.reasons] };
      }
    }
    const cause = causeOfResult(result);
    if (cause && !result.cause) result = { ...result, cause };
    if (result.outputs) Object.assign(outputs, result.outputs);
    const record: StepRecord = {
      id: step.id,
      title: step.title,
      // What every output of the run is formatted from: no secret in it (redact-result.ts).
      result: redactResult(result),
      startedAt: result.status === 'skip' && options.excluded?.has(step.id) ? null : new Date(startedAt).toISOString(),
      durationMs: options.excluded?.has(step.id) ? null : Math.max(0, now() - startedAt),
    };
    records.set(step.id, record);
    await options.onStepEnd?.(record, step);
    options.onEvent?.({ type: 'end', id: step.id, record, at: now() });
  };

  for (const id of order) finished.set(id, runOne(byId.get(id)!));
  await Promise.all(finished.values());
  return order.map((id) => records.get(id)!);
}
