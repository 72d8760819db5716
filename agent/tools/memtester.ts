/**
 * Runs memtester through the ToolRunner (one result shape, never throws for a
 * tool failure) in streaming mode: each line goes to the incremental parser as
 * it arrives and the output to the evidence file, so a failing DIMM's millions
 * of FAILURE lines cost no memory. Several processes run in parallel, each
 * `memtester <N>M <loops>`, all cancelled by one signal; progress comes from
 * their per-test lines.
 */
import { createToolRunner, type ToolResult, type ToolRunner } from './run-tool.ts';
import { createMemtesterParser, feedLines, type MemtesterProgress, type MemtesterReport } from './memtester.parse.ts';
import { estimateMemtestTimeoutMs } from '../memory/sizing.ts';

export interface MemtesterRun {
  index: number;
  sizeMiB: number;
  result: ToolResult;
  report: MemtesterReport;
}

export interface MemtesterParallelOptions {
  processes: number;
  perProcessMiB: number;
  loops: number;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Evidence path per process, e.g. `(i) => \`02-memory/memtester-${i}.txt\``. */
  evidenceAs?: (index: number) => string;
  /** Called as each process finishes (for progress). */
  onFinished?: (run: MemtesterRun, finished: number) => void;
  /** Called as a process finishes one test (for progress). */
  onProgress?: (index: number, progress: MemtesterProgress) => void;
  /** Executable; default `memtester`. */
  tool?: string;
}

export function memtesterArgs(sizeMiB: number, loops: number): string[] {
  return [`${Math.floor(sizeMiB)}M`, String(Math.max(1, Math.floor(loops)))];
}

export async function runMemtester(
  run: ToolRunner,
  options: {
    sizeMiB: number;
    loops: number;
    timeoutMs: number;
    signal?: AbortSignal;
    evidenceAs?: string;
    index?: number;
    tool?: string;
    onProgress?: (progress: MemtesterProgress) => void;
  },
): Promise<MemtesterRun> {
  const parser = createMemtesterParser({ onTest: (_test, progress) => options.onProgress?.(progress) });
  const result = await run({
    tool: options.tool ?? 'memtester',
    args: memtesterArgs(options.sizeMiB, options.loops),
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    evidenceAs: options.evidenceAs,
    stream: { onLine: (line, from) => (from === 'stdout' ? parser.stdoutLine(line) : parser.stderrLine(line)) },
  });
  // A runner that does not stream (the replay of `bm-agent evaluate`, test fakes) returns the whole texts.
  if (!result.streamed) {
    feedLines(result.stderr, parser.stderrLine);
    feedLines(result.stdout, parser.stdoutLine);
  }
  const report = parser.finish(result.signal || result.timedOut || result.aborted ? null : result.exitCode);
  return { index: options.index ?? 0, sizeMiB: options.sizeMiB, result, report };
}

/** Starts `processes` memtesters at once and waits for all of them. */
export async function runMemtesterParallel(run: ToolRunner, options: MemtesterParallelOptions): Promise<{ runs: MemtesterRun[]; durationMs: number }> {
  const started = performance.now();
  let finished = 0;
  const runs = await Promise.all(
    Array.from({ length: options.processes }, async (_, index) => {
      const one = await runMemtester(run, {
        index,
        sizeMiB: options.perProcessMiB,
        loops: options.loops,
        timeoutMs: options.timeoutMs,
        signal: options.signal,
        evidenceAs: options.evidenceAs?.(index),
        tool: options.tool,
        onProgress: (progress) => options.onProgress?.(index, progress),
      });
      finished += 1;
      options.onFinished?.(one, finished);
      return one;
    }),
  );
  return { runs, durationMs: Math.round(performance.now() - started) };
}

export interface MemtesterThroughput {
  processes: number;
  totalMiB: number;
  perProcessMiB: number;
  loops: number;
  durationMs: number;
  /** totalMiB × loops ÷ seconds. */
  mibPerSecond: number;
  /** Every process passed. */
  ok: boolean;
}

/**
 * For the benchmark (`memtester N-process ÷ 1-process throughput`): tests
 * `totalMiB` split over `processes` memtesters and returns how long it took.
 */
export async function measureMemtesterThroughput(options: {
  processes: number;
  totalMiB: number;
  loops?: number;
  run?: ToolRunner;
  signal?: AbortSignal;
}): Promise<MemtesterThroughput> {
  const processes = Math.max(1, Math.floor(options.processes));
  const perProcessMiB = Math.max(1, Math.floor(options.totalMiB / processes));
  const loops = options.loops ?? 1;
  const { runs, durationMs } = await runMemtesterParallel(options.run ?? createToolRunner(), {
    processes,
    perProcessMiB,
    loops,
    timeoutMs: estimateMemtestTimeoutMs(perProcessMiB, loops, processes),
    signal: options.signal,
  });
  const totalMiB = perProcessMiB * processes;
  return {
    processes,
    totalMiB,
    perProcessMiB,
    loops,
    durationMs,
    mibPerSecond: durationMs > 0 ? (totalMiB * loops) / (durationMs / 1000) : 0,
    ok: runs.every((r) => r.report.verdict === 'pass'),
  };
}
