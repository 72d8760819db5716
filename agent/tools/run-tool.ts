/**
 * Runs an external tool through execa and returns one result shape for success
 * and failure (execa's `reject: false`): command, exit code, signal, output,
 * duration, timed-out/missing flags. Raw output can go straight to evidence.
 * Parsers never see execa: they get the text.
 *
 * Every tool gets a minimal environment (childEnvironment: PATH, LANG/LC_ALL=C,
 * TZ, TMPDIR, plus the invocation's `env`), never the agent's. A tool whose
 * output can be huge (memtester on a failing DIMM) runs in streaming mode
 * (`stream`): its output goes to the evidence files as it arrives, each line to
 * a callback, and only a bounded tail stays in memory (output-stream.ts).
 */
import { execa } from 'execa';
import type { Readable } from 'node:stream';
import type { Logger } from '../../shared/log.ts';
import { childEnvironment } from '../child-env.ts';
import type { EvidenceStore } from '../evidence.ts';
import { MiB } from '../../shared/units.ts';
import { createOutputStream, type OutputStream, type StreamStats } from './output-stream.ts';

export interface ToolInvocation {
  /** Executable name or path, e.g. `fio`. */
  tool: string;
  args: string[];
  timeoutMs: number;
  signal?: AbortSignal;
  /** Save stdout (and stderr when non-empty) under this bundle-relative path. */
  evidenceAs?: string;
  /** Variables the tool needs on top of childEnvironment()'s minimal set. */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
  input?: string;
  /** Non-zero exit codes that are answers, not failures (blkid's 2: nothing found): logged like a success. */
  expectedExitCodes?: readonly number[];
  /**
   * Streaming mode, for output that can be huge: stdout and stderr are written to the evidence
   * files (`evidenceAs`, `<evidenceAs>.stderr`; each capped, see output-stream.ts) as they arrive and
   * each line goes to `onLine`; the result's stdout/stderr are then only their last 64 KiB.
   */
  stream?: { onLine: (line: string, from: 'stdout' | 'stderr') => void };
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
  /** Set in streaming mode: stdout/stderr above are tails; the counts of the whole streams. */
  streamed?: { stdout: StreamStats; stderr: StreamStats };
}

export type ToolRunner = (invocation: ToolInvocation) => Promise<ToolResult>;

/** Saved beside each raw output (`<file>.meta.json`) so `bm-agent evaluate` can re-judge it. */
export type ToolMeta = Pick<ToolResult, 'tool' | 'command' | 'exitCode' | 'signal' | 'durationMs' | 'timedOut' | 'aborted' | 'missing' | 'streamed'>;

export function toolMetaOf(result: ToolResult): ToolMeta {
  const { tool, command, exitCode, signal, durationMs, timedOut, aborted, missing, streamed } = result;
  return { tool, command, exitCode, signal, durationMs, timedOut, aborted, missing, ...(streamed ? { streamed } : {}) };
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

/** Feeds a child's stream into a sink until it ends (a missing tool has none). */
async function drain(stream: Readable | null | undefined, sink: OutputStream): Promise<void> {
  if (!stream) return;
  try {
    for await (const chunk of stream) sink.write(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array));
  } catch {
    // The stream ends with the process (killed, timed out); what arrived is kept.
  }
}

export function createToolRunner(deps: { evidence?: EvidenceStore; log?: Logger } = {}): ToolRunner {
  return async (inv) => {
    deps.log?.info('running', { command: [inv.tool, ...inv.args].join(' ') });
    const started = performance.now();
    const streaming = inv.stream;
    const file = (suffix: string) => (inv.evidenceAs && deps.evidence ? deps.evidence.pathOf(`${inv.evidenceAs}${suffix}`) : undefined);
    const sinks = streaming
      ? {
          stdout: createOutputStream({ file: file(''), onLine: (line) => streaming.onLine(line, 'stdout') }),
          stderr: createOutputStream({ file: file('.stderr'), onLine: (line) => streaming.onLine(line, 'stderr') }),
        }
      : null;
    const subprocess = execa(inv.tool, inv.args, {
      reject: false,
      timeout: inv.timeoutMs,
      cancelSignal: inv.signal,
      forceKillAfterDelay: 3000,
      env: childEnvironment(inv.env),
      extendEnv: false,
      cwd: inv.cwd,
      input: inv.input,
      stdin: inv.input === undefined ? 'ignore' : 'pipe',
      stripFinalNewline: false,
      maxBuffer: 256 * MiB,
      buffer: !sinks,
    });
    const [result] = await Promise.all([
      subprocess,
      sinks ? drain(subprocess.stdout, sinks.stdout) : undefined,
      sinks ? drain(subprocess.stderr, sinks.stderr) : undefined,
    ]);
    const ended = sinks ? { stdout: sinks.stdout.end(), stderr: sinks.stderr.end() } : null;
    const missing = (result as { code?: string }).code === 'ENOENT' || /ENOENT/.test(String((result as { originalMessage?: string }).originalMessage ?? ''));
    const out: ToolResult = {
      tool: inv.tool,
      command: [inv.tool, ...inv.args],
      exitCode: result.exitCode ?? null,
      signal: result.signal ?? null,
      stdout: ended ? ended.stdout.tail : typeof result.stdout === 'string' ? result.stdout : '',
      stderr: ended ? ended.stderr.tail : typeof result.stderr === 'string' ? result.stderr : '',
      durationMs: Math.round(performance.now() - started),
      timedOut: result.timedOut === true,
      aborted: result.isCanceled === true,
      missing,
      ...(ended ? { streamed: { stdout: ended.stdout.stats, stderr: ended.stderr.stats } } : {}),
    };
    if (inv.evidenceAs && deps.evidence) {
      // Streamed output is already in its files (stdout's created even when empty, like the buffered path's).
      if (!ended) out.evidence = deps.evidence.save(inv.evidenceAs, out.stdout);
      else out.evidence = ended.stdout.stats.bytes ? inv.evidenceAs : deps.evidence.save(inv.evidenceAs, '');
      if (!ended && out.stderr.trim()) deps.evidence.save(`${inv.evidenceAs}.stderr`, out.stderr);
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
