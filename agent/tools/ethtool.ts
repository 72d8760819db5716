/**
 * ethtool through the injected ToolRunner. The agent reads and sets driver private
 * flags only: the firmware LLDP agent of Intel NICs is stopped that way (i40e's
 * `disable-fw-lldp`, ice's `fw-lldp-agent`: agent/lldp/firmware.ts), the one way that
 * also works under kernel lockdown. Never throws for a tool failure.
 */
import { describeToolFailure, type ToolRunner } from './run-tool.ts';
import { noPrivFlags, parsePrivFlags } from './ethtool.parse.ts';

const DEFAULT_TIMEOUT_MS = 10_000;

/** `ethtool --show-priv-flags <nic>`. */
export function showPrivFlagsArgs(nic: string): string[] {
  return ['--show-priv-flags', nic];
}

/** `ethtool --set-priv-flags <nic> <flag> on|off`. */
export function setPrivFlagArgs(nic: string, flag: string, on: boolean): string[] {
  return ['--set-priv-flags', nic, flag, on ? 'on' : 'off'];
}

/** Reads `nic`'s driver private flags: the map (empty when the driver has none), or the problem. */
export async function readPrivFlags(
  run: ToolRunner,
  nic: string,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ flags: Map<string, boolean>; problem: null } | { flags: null; problem: string }> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const result = await run({ tool: 'ethtool', args: showPrivFlagsArgs(nic), timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
  if (noPrivFlags(result.stdout, result.stderr) && !result.missing) return { flags: new Map(), problem: null };
  if (result.exitCode !== 0) return { flags: null, problem: describeToolFailure(result) };
  return { flags: parsePrivFlags(result.stdout), problem: null };
}

/** Sets a private flag of `nic`'s driver; returns the problem, or null when it worked. */
export async function setPrivFlag(
  run: ToolRunner,
  nic: string,
  flag: string,
  on: boolean,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<string | null> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const result = await run({ tool: 'ethtool', args: setPrivFlagArgs(nic, flag, on), timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
  return result.exitCode === 0 ? null : describeToolFailure(result);
}
