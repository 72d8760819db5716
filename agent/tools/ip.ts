/**
 * iproute2's `ip` through the injected ToolRunner: read the links' state and
 * bring a link up (parsing lives in ip.parse.ts). Never throws for a tool
 * failure: the outcome says what went wrong.
 */
import { parseIpLinkJson, type LinkState } from './ip.parse.ts';
import { describeToolFailure, type ToolResult, type ToolRunner } from './run-tool.ts';
import { outputProblem } from './tool-output-error.ts';

export interface IpOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ReadLinksOutcome {
  result: ToolResult;
  /** Every link; null when `ip` failed or printed something unparsable. */
  links: LinkState[] | null;
  /** Why `links` is null. */
  problem: string | null;
}

/** `ip -j link show`: every link with its flags, as JSON. */
export function linkShowArgs(): string[] {
  return ['-j', 'link', 'show'];
}

/** `ip link set dev <nic> up`. */
export function linkUpArgs(nic: string): string[] {
  return ['link', 'set', 'dev', nic, 'up'];
}

function invocation(args: string[], options: IpOptions) {
  return { tool: 'ip', args, timeoutMs: options.timeoutMs ?? 5000, ...(options.signal ? { signal: options.signal } : {}) };
}

/** The state of every link (name, MAC, up, carrier, operstate). */
export async function readLinks(run: ToolRunner, options: IpOptions = {}): Promise<ReadLinksOutcome> {
  const result = await run(invocation(linkShowArgs(), options));
  if (result.exitCode !== 0) return { result, links: null, problem: describeToolFailure(result) };
  try {
    return { result, links: parseIpLinkJson(result.stdout), problem: null };
  } catch (error) {
    return { result, links: null, problem: outputProblem(error) };
  }
}

/** Brings `nic` up administratively; returns the problem, or null when it worked. */
export async function setLinkUp(run: ToolRunner, nic: string, options: IpOptions = {}): Promise<string | null> {
  const result = await run(invocation(linkUpArgs(nic), options));
  return result.exitCode === 0 ? null : describeToolFailure(result);
}
