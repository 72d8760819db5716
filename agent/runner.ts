/**
 * Runs steps: each starts as soon as the steps it needs have finished, so
 * 02-memory, 03-disk and 04-lldp run at the same time after 01-init. Owns the
 * per-step timeout, cancellation (SIGINT/SIGTERM abort every running tool) and
 * progress events; a step that throws becomes an `error` result, never a crash.
 * Every `fail`/`error` result leaves with a cause (timeout, aborted, internal…),
 * and what a step hands on (`result.outputs`) reaches the context of the steps
 * that start after it.
 */
import { MAX_TIMER_MS } from '../shared/config.ts';
import type { Logger } from '../shared/log.ts';
import type { StepRecord } from './report.ts';
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
        const context = options.contextFor(step, signal, { ...outputs });
        // A longer delay would make setTimeout fire at once.
        timeoutMs = Math.min(step.timeoutMs(context), MAX_TIMER_MS);
        options.onEvent?.({ type: 'start', id: step.id, title: step.title, timeoutMs, at: startedAt });
        timer = setTimeout(() => timeout.abort(new Error('timeout')), timeoutMs);
        result = await step.run(context, (progress) => options.onEvent?.({ type: 'progress', id: step.id, progress, at: now() }));
      } catch (error) {
        options.log.error('step crashed', { step: step.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
        result = errorResult('the step crashed (a bug in bm-agent)', [error instanceof Error ? error.message : String(error)], [], 'internal');
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
      result,
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
