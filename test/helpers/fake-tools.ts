/**
 * The fake ToolRunner of unit tests: answers each invocation from a function
 * (captured outputs, state), records every call, and — like the real runner
 * given an evidence store — saves stdout under `evidenceAs` and returns its
 * path. Nothing is spawned.
 */
import type { EvidenceStore } from '../../agent/evidence.ts';
import type { ToolInvocation, ToolResult, ToolRunner } from '../../agent/tools/run-tool.ts';

/** What a fake tool answers; everything left out is a clean, instant success (exit 0, no output). */
export type FakeAnswer = Partial<Omit<ToolResult, 'tool' | 'command'>>;

export interface FakeToolRunner extends ToolRunner {
  /** Every invocation, in order. */
  readonly calls: ToolInvocation[];
}

/** A ToolResult for `inv` from a partial answer; `missing: true` also means no exit code, as the real runner reports it. */
export function fakeResult(inv: ToolInvocation, answer: FakeAnswer = {}): ToolResult {
  return {
    tool: inv.tool,
    command: [inv.tool, ...inv.args],
    exitCode: answer.missing ? null : 0,
    signal: null,
    stdout: '',
    stderr: '',
    durationMs: 1,
    timedOut: false,
    aborted: false,
    missing: false,
    ...answer,
  };
}

/**
 * A runner answering from `answer(invocation, index)` (index counts all calls
 * from 0). With `evidence` (a store, or a getter for one created later), runs
 * with `evidenceAs` save their stdout there, as createToolRunner does.
 */
export function fakeToolRunner(
  answer: (inv: ToolInvocation, index: number) => FakeAnswer | Promise<FakeAnswer>,
  options: { evidence?: EvidenceStore | (() => EvidenceStore) } = {},
): FakeToolRunner {
  const calls: ToolInvocation[] = [];
  const run = async (inv: ToolInvocation): Promise<ToolResult> => {
    calls.push(inv);
    const result = fakeResult(inv, await answer(inv, calls.length - 1));
    const store = typeof options.evidence === 'function' ? options.evidence() : options.evidence;
    if (inv.evidenceAs && store && result.evidence === undefined) result.evidence = store.save(inv.evidenceAs, result.stdout);
    return result;
  };
  return Object.assign(run, { calls });
}
