/**
 * Stand-in validation steps for pipeline tests: each passes at once (or returns the given
 * result) and may hand on outputs (01-init's device). The real steps have their own suites.
 */
import type { Step, StepId, StepResult } from '../../agent/step.ts';

/** A step `id` that returns `result` over a pass, handing on `outputs()`. */
export function fakeStep(id: StepId, result: Partial<StepResult>, outputs?: () => StepResult['outputs']): Step {
  return {
    id,
    title: id.slice(3),
    needs: id === '01-init' ? [] : ['01-init'],
    abortable: true,
    tunables: {},
    timeoutMs: () => 10_000,
    run: async () => ({ status: 'pass', summary: `${id} ok`, reasons: [], metrics: {}, evidence: [], ...result, outputs: outputs?.() }),
  };
}
