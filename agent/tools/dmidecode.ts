/** Runs dmidecode through the ToolRunner; the text goes to the pure parser. */
import type { ToolResult, ToolRunner } from './run-tool.ts';
import { type DmiRecord, dmiTableAbsent, parseDmidecode } from './dmidecode.parse.ts';

/** BIOS, system, baseboard, chassis and memory: what 01-init cross-checks. */
export const DMIDECODE_ARGS = ['-t', 'bios', '-t', 'system', '-t', 'baseboard', '-t', 'chassis', '-t', 'memory'] as const;

export interface DmidecodeOutcome {
  result: ToolResult;
  /** Null when dmidecode is missing or failed. */
  records: DmiRecord[] | null;
  /** The machine has no SMBIOS table (some VMs): not an error, DMI fields are just unknown. */
  noTable: boolean;
}

export async function runDmidecode(
  run: ToolRunner,
  options: { signal?: AbortSignal; evidenceAs?: string; timeoutMs?: number } = {},
): Promise<DmidecodeOutcome> {
  const result = await run({
    tool: 'dmidecode',
    args: [...DMIDECODE_ARGS],
    timeoutMs: options.timeoutMs ?? 30_000,
    signal: options.signal,
    evidenceAs: options.evidenceAs,
  });
  const noTable = dmiTableAbsent(result.stdout, result.stderr);
  const ok = result.exitCode === 0 && !result.missing;
  return { result, records: ok ? parseDmidecode(result.stdout) : null, noTable };
}
