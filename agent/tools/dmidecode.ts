/**
 * Runs dmidecode through the ToolRunner; the text goes to the pure parser.
 *
 * dmidecode 3.0+ reads the SMBIOS tables the kernel exports (/sys/firmware/dmi/tables/
 * smbios_entry_point and DMI) before anything else, and only without them scans /dev/mem,
 * which kernel lockdown (Secure Boot) refuses. The caller decides whether to run it at all
 * (agent/lockdown.ts smbiosAccess: not when the tables are missing under lockdown); the
 * outcome says where the tables came from and whether lockdown got in the way. No option
 * is needed: `--no-sysfs` would force /dev/mem, and `--from-dump` takes dmidecode's own
 * dump layout (entry point patched to point at offset 0x20), not the kernel's raw table.
 */
import { devMemRefused, SMBIOS_LOCKED_DOWN, type SmbiosSource, smbiosSourceOf } from '../lockdown.ts';
import type { ToolResult, ToolRunner } from './run-tool.ts';
import { type DmiRecord, dmiTableAbsent, parseDmidecode } from './dmidecode.parse.ts';

/** BIOS, system, baseboard, chassis and memory: what 01-init cross-checks. */
export const DMIDECODE_ARGS = ['-t', 'bios', '-t', 'system', '-t', 'baseboard', '-t', 'chassis', '-t', 'memory'] as const;

export interface DmidecodeOutcome {
  /** Null when dmidecode was not run (`skipped`). */
  result: ToolResult | null;
  /** Null when dmidecode is missing, failed or was not run. */
  records: DmiRecord[] | null;
  /** The machine has no SMBIOS table (some VMs): not an error, DMI fields are just unknown. */
  noTable: boolean;
  /** Why dmidecode was not run (the caller's reason), else null. */
  skipped: string | null;
  /** The kernel refused dmidecode's /dev/mem fallback (lockdown): what to report, else null. */
  lockedOut: string | null;
  /** Where it read the tables (`sysfs`, or the `dev-mem` scan); null when it read none. */
  source: SmbiosSource | null;
}

/** Runs `dmidecode -t …` (unless `skip` gives a reason not to) and classifies what it said. */
export async function runDmidecode(
  run: ToolRunner,
  options: { signal?: AbortSignal; evidenceAs?: string; timeoutMs?: number; skip?: string } = {},
): Promise<DmidecodeOutcome> {
  if (options.skip !== undefined) return { result: null, records: null, noTable: false, skipped: options.skip, lockedOut: null, source: null };
  const result = await run({
    tool: 'dmidecode',
    args: [...DMIDECODE_ARGS],
    timeoutMs: options.timeoutMs ?? 30_000,
    signal: options.signal,
    evidenceAs: options.evidenceAs,
  });
  const lockedOut = devMemRefused(result.stdout, result.stderr) && !/^Handle 0x/m.test(result.stdout) ? SMBIOS_LOCKED_DOWN : null;
  const noTable = !lockedOut && dmiTableAbsent(result.stdout, result.stderr);
  const ok = result.exitCode === 0 && !result.missing;
  return { result, records: ok ? parseDmidecode(result.stdout) : null, noTable, skipped: null, lockedOut, source: smbiosSourceOf(result.stdout) };
}
