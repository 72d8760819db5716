/**
 * ethtool through the injected ToolRunner. The agent only sets driver private
 * flags (i40e's `disable-fw-lldp`, so the NIC's firmware stops swallowing LLDP
 * frames). Never throws for a tool failure.
 */
import { describeToolFailure, type ToolRunner } from './run-tool.ts';

/** `ethtool --set-priv-flags <nic> <flag> on|off`. */
export function setPrivFlagArgs(nic: string, flag: string, on: boolean): string[] {
  return ['--set-priv-flags', nic, flag, on ? 'on' : 'off'];
}

/** Sets a private flag of `nic`'s driver; returns the problem, or null when it worked. */
export async function setPrivFlag(
  run: ToolRunner,
  nic: string,
  flag: string,
  on: boolean,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<string | null> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const result = await run({ tool: 'ethtool', args: setPrivFlagArgs(nic, flag, on), timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
  return result.exitCode === 0 ? null : describeToolFailure(result);
}
