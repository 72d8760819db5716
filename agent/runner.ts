/**
 * Runs steps: each starts as soon as the steps it needs have finished, so
 * 02-memory, 03-disk and 04-lldp run at the same time after 01-init. Owns the
 * per-step timeout, cancellation (SIGINT/SIGTERM abort every running tool) and
 * progress events; a step that throws becomes an `error` result, never a crash.
 */
import type { Logger } from '../shared/log.ts';
import type { StepRecord } from './report.ts';
import { errorResult, skipResult, type Step, type StepContext, type StepId, type StepProgress, type StepResult } from './step.ts';

export type RunnerEvent =
  | { type: 'start'; id: StepId; title: string; timeoutMs: number; at: number }
  | { type: 'progress'; id: StepId; progress: StepProgress; at: number }
  | { type: 'end'; id: StepId; record: StepRecord; at: number };

export interface RunnerOptions {
  steps: readonly Step[];
  /** Builds each step's context (tunables, signal, shared state filled by earlier steps). */
  contextFor(step: Step, signal: AbortSignal): StepContext;
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

  const runOne = async (step: Step): Promise<void> => {
    await Promise.all(step.needs.map((need) => finished.get(need)));
    let result: StepResult;
    const startedAt = now();
    let timeoutMs = 0;
    if (options.excluded?.has(step.id)) {
      result = skipResult('not selected for this run (--only/--skip)');
    } else if (options.signal.aborted && !step.alwaysRuns) {
      result = errorResult('aborted before it started', ['the run was cancelled (SIGINT/SIGTERM)']);
    } else {
      const timeout = new AbortController();
      const signal = step.alwaysRuns ? timeout.signal : AbortSignal.any([options.signal, timeout.signal]);
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const context = options.contextFor(step, signal);
        timeoutMs = step.timeoutMs(context);
        options.onEvent?.({ type: 'start', id: step.id, title: step.title, timeoutMs, at: startedAt });
        timer = setTimeout(() => timeout.abort(new Error('timeout')), timeoutMs);
        result = await step.run(context, (progress) => options.onEvent?.({ type: 'progress', id: step.id, progress, at: now() }));
      } catch (error) {
        options.log.error('step crashed', { step: step.id, error: error instanceof Error ? error.stack ?? error.message : String(error) });
        result = errorResult('the step crashed (a bug in bm-agent)', [error instanceof Error ? error.message : String(error)]);
      } finally {
        clearTimeout(timer);
      }
      if (timeout.signal.aborted && result.status !== 'fail') {
        result = { ...result, status: 'error', summary: `timed out after ${Math.round(timeoutMs / 1000)} s`, reasons: [`${step.id} did not finish within ${Math.round(timeoutMs / 1000)} s`, ...result.reasons] };
      } else if (options.signal.aborted && !step.alwaysRuns) {
        result = { ...result, status: 'error', summary: 'aborted', reasons: ['the run was cancelled (SIGINT/SIGTERM)', ...result.reasons] };
      }
    }
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
