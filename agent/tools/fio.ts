/**
 * fio through the injected ToolRunner: one process per disk with the argv the
 * planner built (agent/disk/plan.ts), its raw result, and the parsed report
 * (parsing lives in fio.parse.ts). Never throws for a tool failure: a failing
 * fio usually still prints its JSON report, with the errno per job.
 */
import { parseFioJson, type FioReport } from './fio.parse.ts';
import { describeToolFailure, type ToolResult, type ToolRunner } from './run-tool.ts';
import { ToolOutputError } from './tool-output-error.ts';

export interface FioOutcome {
  result: ToolResult;
  /** Null when fio printed no parsable report. */
  report: FioReport | null;
  /** Tool-level problem (not installed, timed out, cancelled, non-zero exit, unparsable output); null when fio exited 0 with a report. */
  problem: string | null;
}

export async function runFio(
  run: ToolRunner,
  options: { args: string[]; timeoutMs: number; signal?: AbortSignal; evidenceAs?: string; tool?: string },
): Promise<FioOutcome> {
  const result = await run({
    tool: options.tool ?? 'fio',
    args: options.args,
    timeoutMs: options.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.evidenceAs ? { evidenceAs: options.evidenceAs } : {}),
  });
  let report: FioReport | null = null;
  let parseProblem: string | null = null;
  if (!result.missing && !result.timedOut && !result.aborted) {
    try {
      report = parseFioJson(result.stdout, result.stderr);
    } catch (error) {
      parseProblem =
        error instanceof ToolOutputError
          ? `${error.message}${error.excerpt ? `: ${error.excerpt.split('\n').filter(Boolean).at(-1) ?? ''}` : ''}`
          : String(error);
    }
  }
  const problem = result.exitCode === 0 ? parseProblem : describeToolFailure(result);
  return { result, report, problem };
}
