/**
 * lldpcli through the injected ToolRunner: one call, its raw result, and the
 * parsed neighbours (parsing lives in lldpcli.parse.ts). Never throws for a
 * tool failure: lldpd not yet listening is an ordinary result while polling.
 */
import { describeToolFailure, type ToolResult, type ToolRunner } from './run-tool.ts';
import { parseLldpcliJson0, type LldpNeighbour } from './lldpcli.parse.ts';
import { outputProblem } from './tool-output-error.ts';

export interface ShowNeighboursOptions {
  /** lldpd's control socket (`lldpd -u`). */
  socketPath: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Bundle-relative evidence path for the raw json0 output. */
  evidenceAs?: string;
}

export interface ShowNeighboursOutcome {
  result: ToolResult;
  /** Parsed neighbours; null when the run failed or the output did not parse. */
  neighbours: LldpNeighbour[] | null;
  /** Why `neighbours` is null. */
  problem: string | null;
}

/** `lldpcli -u <socket> -f json0 show neighbors details` (json0: one stable shape). */
export function showNeighboursArgs(socketPath: string): string[] {
  return ['-u', socketPath, '-f', 'json0', 'show', 'neighbors', 'details'];
}

export async function showNeighbours(run: ToolRunner, options: ShowNeighboursOptions): Promise<ShowNeighboursOutcome> {
  const result = await run({
    tool: 'lldpcli',
    args: showNeighboursArgs(options.socketPath),
    timeoutMs: options.timeoutMs ?? 5000,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.evidenceAs ? { evidenceAs: options.evidenceAs } : {}),
  });
  if (result.exitCode !== 0) return { result, neighbours: null, problem: describeToolFailure(result) };
  try {
    return { result, neighbours: parseLldpcliJson0(result.stdout), problem: null };
  } catch (error) {
    return { result, neighbours: null, problem: outputProblem(error) };
  }
}
