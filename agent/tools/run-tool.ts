/**
 * Runs an external tool through execa and returns one result shape for success
 * and failure (execa's `reject: false`): command, exit code, signal, output,
 * duration, timed-out/missing flags. Raw output can go straight to evidence.
 * Parsers never see execa: they get the text.
 */
import { execa } from 'execa';
import type { EvidenceStore } from '../evidence.ts';
import type { Logger } from '../../shared/log.ts';
import { MiB } from '../units.ts';

export interface ToolInvocation {
  /** Executable name or path, e.g. `fio`. */
  tool: string;
  args: string[];
  timeoutMs: number;
  signal?: AbortSignal;
  /** Save stdout (and stderr when non-empty) under this bundle-relative path. */
  evidenceAs?: string;
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
  input?: string;
  /** Non-zero exit codes that are answers, not failures (blkid's 2: nothing found): logged like a success. */
  expectedExitCodes?: readonly number[];
}

export interface ToolResult {
  tool: string;
  command: string[];
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  /** Cancelled through the AbortSignal (step timeout, SIGTERM). */
  aborted: boolean;
  /** The executable was not found. */
  missing: boolean;
  /** Bundle-relative path of the saved stdout, when evidenceAs was given. */
  evidence?: string;
}

export type ToolRunner = (invocation: ToolInvocation) => Promise<ToolResult>;

/** Saved beside each raw output (`<file>.meta.json`) so `bm-agent evaluate` can re-judge it. */
export type ToolMeta = Pick<ToolResult, 'tool' | 'command' | 'exitCode' | 'signal' | 'durationMs' | 'timedOut' | 'aborted' | 'missing'>;

export function toolMetaOf(result: ToolResult): ToolMeta {
  const { tool, command, exitCode, signal, durationMs, timedOut, aborted, missing } = result;
  return { tool, command, exitCode, signal, durationMs, timedOut, aborted, missing };
}

/** A short, journal-friendly description of a failed run (tool, exit, last stderr line). */
export function describeToolFailure(result: ToolResult): string {
  if (result.missing) return `${result.tool} is not installed`;
  if (result.timedOut) return `${result.tool} did not finish within its time limit`;
  if (result.aborted) return `${result.tool} was cancelled`;
  const lastLine = result.stderr.trim().split('\n').filter(Boolean).at(-1) ?? '';
  const how = result.signal ? `was killed by ${result.signal}` : `exited ${result.exitCode}`;
  return `${result.tool} ${how}${lastLine ? `: ${lastLine.slice(0, 200)}` : ''}`;
}

export function createToolRunner(deps: { evidence?: EvidenceStore; log?: Logger } = {}): ToolRunner {
  return async (inv) => {
    deps.log?.info('running', { command: [inv.tool, ...inv.args].join(' ') });
    const started = performance.now();
    const result = await execa(inv.tool, inv.args, {
      reject: false,
      timeout: inv.timeoutMs,
      cancelSignal: inv.signal,
      forceKillAfterDelay: 3000,
      env: inv.env,
      cwd: inv.cwd,
      input: inv.input,
      stdin: inv.input === undefined ? 'ignore' : 'pipe',
      stripFinalNewline: false,
      maxBuffer: 256 * MiB,
    });
    const missing = (result as { code?: string }).code === 'ENOENT' || /ENOENT/.test(String((result as { originalMessage?: string }).originalMessage ?? ''));
    const out: ToolResult = {
      tool: inv.tool,
      command: [inv.tool, ...inv.args],
      exitCode: result.exitCode ?? null,
      signal: result.signal ?? null,
      stdout: typeof result.stdout === 'string' ? result.stdout : '',
      stderr: typeof result.stderr === 'string' ? result.stderr : '',
      durationMs: Math.round(performance.now() - started),
      timedOut: result.timedOut === true,
      aborted: result.isCanceled === true,
      missing,
    };
    if (inv.evidenceAs && deps.evidence) {
      out.evidence = deps.evidence.save(inv.evidenceAs, out.stdout);
      if (out.stderr.trim()) deps.evidence.save(`${inv.evidenceAs}.stderr`, out.stderr);
      deps.evidence.save(`${inv.evidenceAs}.meta.json`, `${JSON.stringify(toolMetaOf(out), null, 2)}\n`);
    }
    const expected = out.exitCode === 0 || (out.exitCode !== null && inv.expectedExitCodes?.includes(out.exitCode));
    deps.log?.[expected ? 'debug' : 'warning']('tool finished', {
      tool: inv.tool,
      exitCode: out.exitCode,
      signal: out.signal,
      ms: out.durationMs,
      timedOut: out.timedOut,
    });
    return out;
  };
}
