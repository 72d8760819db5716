/**
 * 02-memory with the real memtester (root: mlock needs CAP_IPC_LOCK to lock
 * more than the default limit): a small passing run with per-test progress, and
 * cancellation. Then a failing DIMM's flood of FAILURE lines through the
 * compiled agent: its RSS stays bounded (test/helpers/memtester-flood.ts).
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { memoryStep } from '../../../agent/steps/02-memory.ts';
import { measureMemtesterThroughput, runMemtester } from '../../../agent/tools/memtester.ts';
import { createToolRunner } from '../../../agent/tools/run-tool.ts';
import { createTestContext, type TestStepContext } from '../../helpers/agent-context.ts';
import { agentBinary } from '../../helpers/agent-binary.ts';
import { measureMemtesterFlood } from '../../helpers/memtester-flood.ts';
import { requirementsMet } from '../../helpers/requirements.ts';
import { waitUntil } from '../../helpers/wait.ts';

const runnable = requirementsMet('02-memory with real memtester', { root: true, tools: ['memtester'] });

/** PIDs of memtester processes started by this test process with this exact size argument. */
function memtesterChildren(sizeArg: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]);
      if (argv[0]?.endsWith('memtester') && argv[1] === sizeArg && ppid === process.pid) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

describe.skipIf(!runnable)('02-memory with real memtester', () => {
  let ctx: TestStepContext | undefined;
  afterEach(() => ctx?.cleanup());

  test('two processes over 32 MiB pass with every test ok', async () => {
    ctx = createTestContext({ tunables: { loops: 1, size_mb: 32, processes: 2, reserve_mb: 0 } });
    ctx.run = createToolRunner({ evidence: ctx.evidence });
    const fractions: number[] = [];
    const result = await memoryStep.run(ctx, (p) => p.fraction !== undefined && fractions.push(p.fraction));
    expect(result.status).toBe('pass');
    expect(result.metrics).toMatchObject({ processes: 2, perProcessMiB: 16, testedMiB: 32, loops: 1, failureCount: 0, locked: true });
    const runs = (result.details as { runs: { command: string[]; report: { tests: { ok: boolean }[]; verdict: string } }[] }).runs;
    expect(runs.map((r) => r.command)).toEqual([
      ['memtester', '16M', '1'],
      ['memtester', '16M', '1'],
    ]);
    for (const run of runs) {
      expect(run.report.verdict).toBe('pass');
      expect(run.report.tests).toHaveLength(18);
      expect(run.report.tests.every((t) => t.ok)).toBe(true);
    }
    expect(fractions.at(-1)).toBe(1);
    // Per-test progress: 2 × 18 tests, each moving the bar, not only the two processes finishing.
    expect(new Set(fractions.filter((f) => f > 0 && f < 1)).size).toBeGreaterThan(20);
    expect(readFileSync(ctx.evidence.pathOf('02-memory/memtester-0.txt'), 'utf8')).toContain('Done.');
  });

  test('an aborted signal stops every memtester promptly and the step reports the cancellation', async () => {
    const controller = new AbortController();
    // 997 MiB per process: long enough to be running when aborted, and a size nothing else uses.
    ctx = createTestContext({ run: createToolRunner(), signal: controller.signal, tunables: { loops: 1, size_mb: 1994, processes: 2, reserve_mb: 0 } });
    const running = memoryStep.run(ctx, () => {});
    await waitUntil(() => memtesterChildren('997M').length === 2, { what: 'two memtester processes', timeoutMs: 10_000 });
    const abortedAt = performance.now();
    controller.abort();
    const result = await running;
    // Relative, not absolute: far less than the step's own time limit for this size (about half an hour).
    expect(performance.now() - abortedAt).toBeLessThan(memoryStep.timeoutMs(ctx) / 20);
    expect(result.status).toBe('error');
    expect(result.reasons[0]).toContain('cancelled');
    expect(memtesterChildren('997M')).toEqual([]);
  });

  test('the benchmark helper times N processes over a total size', async () => {
    const one = await measureMemtesterThroughput({ processes: 2, totalMiB: 8 });
    expect(one).toMatchObject({ processes: 2, perProcessMiB: 4, totalMiB: 8, loops: 1, ok: true });
    expect(one.durationMs).toBeGreaterThan(0);
    expect(one.mibPerSecond).toBeGreaterThan(0);
  });

  test('runMemtester reports a usage error as an error verdict', async () => {
    const run = await runMemtester(createToolRunner(), { sizeMiB: 0, loops: 1, timeoutMs: 10_000 });
    expect(run.result.exitCode).toBe(1);
    expect(run.report.verdict).toBe('error');
  });
});

describe("a failing DIMM flooding memtester's output (compiled bm-agent, fake memtester)", () => {
  test("2,000,000 FAILURE lines: all counted, the agent's RSS grows at most 64 MiB", async () => {
    const flood = await measureMemtesterFlood(agentBinary(), 2_000_000);
    expect({ status: flood.status, failureCount: flood.failureCount }).toEqual({ status: 'fail', failureCount: 2_000_000 });
    expect(flood.peakMiB).toBeGreaterThan(0);
    // RSS is memory, not time: a bound. Holding the lines costs ~1 GiB for 2 M (1.9 GB for 3 M before streaming).
    expect(flood.growthMiB).toBeLessThanOrEqual(64);
  }, 120_000);
});
