/**
 * The one memory verdict: 02-memory gives it on the live run, `bm-agent evaluate`
 * on a saved bundle, so the two cannot disagree.
 *
 * Order (first that applies):
 * 1. any memtester process reported a memory fault → `fail` (check-failed). A
 *    found fault is a fact about the DIMMs: a process that errored elsewhere
 *    (usage error, killed, missing tool) or a cancellation does not hide it.
 * 2. the run was cancelled (step timeout, shutdown) → `error` (aborted).
 * 3. any process errored → `error`, caused by the first errored process's tool
 *    failure (tool-missing, timeout, aborted, tool-failed).
 * 4. otherwise → `pass`.
 * Pure.
 */
import type { Cause } from '../../shared/failure.ts';
import { causeOfToolResult, type StepStatus } from '../step.ts';
import type { MemtesterRun } from '../tools/memtester.ts';
import { describeToolFailure } from '../tools/run-tool.ts';

export interface MemoryVerdict {
  status: Extract<StepStatus, 'pass' | 'fail' | 'error'>;
  /** One per failing (or, without a failure, erroring) process; empty on pass. */
  reasons: string[];
  /** Set unless the status is pass. */
  cause?: Cause;
}

/** Judges the memtester processes of one run; `aborted`: the run was cancelled before they all finished. */
export function memoryVerdict(runs: readonly Pick<MemtesterRun, 'index' | 'report' | 'result'>[], aborted: boolean): MemoryVerdict {
  const failed = runs.filter((r) => r.report.verdict === 'fail');
  if (failed.length) {
    return { status: 'fail', cause: 'check-failed', reasons: failed.flatMap((r) => r.report.reasons.map((reason) => `process ${r.index}: ${reason}`)) };
  }
  if (aborted) return { status: 'error', cause: 'aborted', reasons: ['memtester was cancelled (step timeout or shutdown)'] };
  const errored = runs.filter((r) => r.report.verdict === 'error');
  if (errored.length) {
    const reasons = errored.map((r) => {
      const tool = r.result.missing || r.result.timedOut || r.result.aborted || r.result.signal ? describeToolFailure(r.result) : null;
      return `process ${r.index}: ${tool ?? r.report.reasons.join('; ')}`;
    });
    return { status: 'error', cause: causeOfToolResult(errored[0]!.result), reasons };
  }
  return { status: 'pass', reasons: [] };
}
