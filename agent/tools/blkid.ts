/**
 * `blkid --probe --offset` through the injected ToolRunner: signatures at the
 * usual partition offsets, read-only (low-level probing opens the device
 * read-only and writes nothing). Never throws for a tool failure.
 */
import { offsetProbeOf, type OffsetProbe } from './blkid.parse.ts';
import type { ToolResult, ToolRunner } from './run-tool.ts';

/** argv probing `path` as if it began `offsetBytes` in. */
export function blkidOffsetArgs(path: string, offsetBytes: number): string[] {
  return ['--probe', '--offset', String(offsetBytes), '--output', 'export', path];
}

export async function probeAtOffset(
  run: ToolRunner,
  path: string,
  offsetBytes: number,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ probe: OffsetProbe; result: ToolResult }> {
  const result = await run({
    tool: 'blkid',
    args: blkidOffsetArgs(path, offsetBytes),
    expectedExitCodes: [2],
    timeoutMs: options.timeoutMs ?? 15_000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return {
    probe: result.missing || result.timedOut || result.aborted ? { kind: 'failed', exitCode: result.exitCode } : offsetProbeOf(result.exitCode, result.stdout),
    result,
  };
}
