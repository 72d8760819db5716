/**
 * lsblk through the injected ToolRunner: the raw result and the parsed device
 * tree (parsing lives in lsblk.parse.ts). Never throws for a tool failure.
 */
import { LSBLK_COLUMNS, parseLsblkJson, type BlockDevice } from './lsblk.parse.ts';
import { describeToolFailure, type ToolResult, type ToolRunner } from './run-tool.ts';
import { outputProblem } from './tool-output-error.ts';

export interface ListBlockDevicesOutcome {
  result: ToolResult;
  /** Null when lsblk failed or printed something unparsable. */
  devices: BlockDevice[] | null;
  /** Why `devices` is null. */
  problem: string | null;
}

/** `lsblk --json --bytes --output NAME,KNAME,…` (all devices; a fixed column list keeps the shape stable). */
export function lsblkArgs(): string[] {
  return ['--json', '--bytes', '--output', LSBLK_COLUMNS.join(',')];
}

export async function listBlockDevices(
  run: ToolRunner,
  options: { timeoutMs?: number; signal?: AbortSignal; evidenceAs?: string } = {},
): Promise<ListBlockDevicesOutcome> {
  const result = await run({
    tool: 'lsblk',
    args: lsblkArgs(),
    timeoutMs: options.timeoutMs ?? 15_000,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.evidenceAs ? { evidenceAs: options.evidenceAs } : {}),
  });
  if (result.exitCode !== 0) return { result, devices: null, problem: describeToolFailure(result) };
  try {
    return { result, devices: parseLsblkJson(result.stdout), problem: null };
  } catch (error) {
    return { result, devices: null, problem: outputProblem(error) };
  }
}
