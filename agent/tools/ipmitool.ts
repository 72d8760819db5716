/** Runs `ipmitool lan print` when the host has an IPMI device; no device = no BMC (not an error). */
import { existsSync } from 'node:fs';
import type { ToolResult, ToolRunner } from './run-tool.ts';
import { type BmcLan, parseIpmitoolLanPrint } from './ipmitool.parse.ts';

export const IPMI_DEVICES = ['/dev/ipmi0', '/dev/ipmi/0', '/dev/ipmidev/0'] as const;

export interface BmcOutcome {
  /** Null when there is no IPMI device or ipmitool failed. */
  lan: BmcLan | null;
  result: ToolResult | null;
  /** Why lan is null, for the report. */
  note: string | null;
}

export async function readBmcLan(
  run: ToolRunner,
  options: { signal?: AbortSignal; evidenceAs?: string; devices?: readonly string[] } = {},
): Promise<BmcOutcome> {
  const devices = options.devices ?? IPMI_DEVICES;
  if (!devices.some((d) => existsSync(d))) return { lan: null, result: null, note: 'no IPMI device (/dev/ipmi0): no BMC visible from the host' };
  const result = await run({ tool: 'ipmitool', args: ['lan', 'print'], timeoutMs: 30_000, signal: options.signal, evidenceAs: options.evidenceAs });
  if (result.missing) return { lan: null, result, note: 'ipmitool is not installed' };
  if (result.exitCode !== 0)
    return { lan: null, result, note: `ipmitool lan print failed (exit ${result.exitCode}): ${result.stderr.trim().split('\n').at(-1) ?? ''}` };
  return { lan: parseIpmitoolLanPrint(result.stdout), result, note: null };
}
