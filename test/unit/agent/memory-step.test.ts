import { afterEach, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MemoryFacts } from '../../../agent/memory/facts.ts';
import { createMemoryStep, memtesterProgressReporter } from '../../../agent/steps/02-memory.ts';
import { feedLines } from '../../../agent/tools/memtester.parse.ts';
import { createTestContext, type TestStepContext } from '../../helpers/agent-context.ts';
import { fakeToolRunner, type FakeAnswer } from '../../helpers/fake-tools.ts';
import type { ToolInvocation } from '../../../agent/tools/run-tool.ts';

const dir = join(import.meta.dir, '../../fixtures/memtester');
const read = (name: string) => readFileSync(join(dir, name), 'utf8');

const facts: MemoryFacts = {
  meminfo: readFileSync(join(import.meta.dir, '../../fixtures/meminfo/debian12-kvm-24G.meminfo'), 'utf8'),
  minFreeKbytes: '67584\n',
  cpuOnline: '0-1\n',
};

/** memtester runs of one second each, their evidence named as asked (saved nowhere). */
const fakeRunner = (outputs: (inv: ToolInvocation, index: number) => FakeAnswer) =>
  fakeToolRunner((inv, index) => ({ durationMs: 1000, evidence: inv.evidenceAs, ...outputs(inv, index) }));

const pass = () => ({ stdout: read('pass-32M-1loop.stdout'), stderr: '' });

let ctx: TestStepContext | undefined;
afterEach(() => ctx?.cleanup());

describe('02-memory step', () => {
  test('quick profile runs one memtester per online CPU over 256 MiB and passes', async () => {
    const run = fakeRunner(pass);
    ctx = createTestContext({ run, tunables: { loops: 1, size_mb: 256, processes: 0, reserve_mb: 0 } });
    const result = await createMemoryStep({ readFacts: () => facts }).run(ctx, () => {});
    expect(result.status).toBe('pass');
    expect(run.calls.map((c) => [c.tool, ...c.args])).toEqual([
      ['memtester', '128M', '1'],
      ['memtester', '128M', '1'],
    ]);
    expect(run.calls.every((c) => c.signal === ctx!.signal)).toBe(true);
    expect(run.calls.map((c) => c.evidenceAs)).toEqual(['02-memory/memtester-0.txt', '02-memory/memtester-1.txt']);
    expect(result.metrics).toMatchObject({ processes: 2, perProcessMiB: 128, loops: 1, failureCount: 0, locked: true });
    expect(result.evidence.map((e) => e.file)).toEqual(['02-memory/memtester-0.txt', '02-memory/memtester-1.txt']);
  });

  test('one failing process fails the step with its FAILURE lines as reasons', async () => {
    const run = fakeRunner((_inv, i) =>
      i === 1 ? { stdout: read('fail-compare-injected.stdout'), stderr: read('fail-compare-injected.stderr'), exitCode: 4 } : pass(),
    );
    ctx = createTestContext({ run, tunables: { loops: 1, size_mb: 64, processes: 2, reserve_mb: 0 } });
    const result = await createMemoryStep({ readFacts: () => facts }).run(ctx, () => {});
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('memory errors');
    expect(result.reasons.some((r) => r.startsWith('process 1:') && r.includes('FAILURE: 0x2a8d4fded9ed415d'))).toBe(true);
    expect(result.table?.rows[1]?.[5]).toContain('Random Value');
  });

  test('progress comes from the per-test lines of every process, not only from processes finishing', async () => {
    // Like the real runner in streaming mode: each line to the callback, then the tails and counts.
    const streaming = fakeToolRunner((inv) => {
      const { stdout } = pass();
      feedLines(stdout, (line) => inv.stream?.onLine(line, 'stdout'));
      const stats = { bytes: stdout.length, lines: stdout.split('\n').length, omittedBytes: 0 };
      return { stdout: stdout.slice(-100), streamed: { stdout: stats, stderr: { bytes: 0, lines: 0, omittedBytes: 0 } } };
    });
    ctx = createTestContext({ run: streaming, tunables: { loops: 1, size_mb: 64, processes: 2, reserve_mb: 0 } });
    const seen: { fraction?: number; message?: string }[] = [];
    const result = await createMemoryStep({ readFacts: () => facts }).run(ctx, (p) => seen.push(p));
    expect(result.status).toBe('pass');
    expect(streaming.calls.every((c) => c.stream !== undefined)).toBe(true);
    const perTest = seen.filter((p) => p.message?.includes('tests done'));
    expect(perTest).toHaveLength(36);
    expect(perTest[0]).toEqual({ fraction: 1 / 36, message: 'memtester: 1/36 tests done (2 process(es), loop 1/1)' });
    const fractions = seen.map((p) => p.fraction!);
    expect(fractions.every((f, i) => i === 0 || f >= fractions[i - 1]!)).toBe(true);
    expect(fractions.at(-1)).toBe(1);
    // The report comes from the streamed lines (the result's stdout is only a tail).
    expect((result.details as { runs: { report: { tests: unknown[] } }[] }).runs[0]!.report.tests).toHaveLength(18);
  });

  test('the progress reporter averages the processes; a finished process counts as done', () => {
    const seen: { fraction: number; message: string }[] = [];
    const reporter = memtesterProgressReporter(2, 2, (p) => seen.push(p));
    reporter.test(0, { testsDone: 9, loop: 1, loopsPlanned: 2, testsPerLoop: 18 });
    expect(seen.at(-1)).toEqual({ fraction: 0.125, message: 'memtester: 9/72 tests done (2 process(es), loop 1/2)' });
    reporter.finished(1, 1);
    expect(seen.at(-1)).toEqual({ fraction: 0.625, message: '1/2 memtester processes done' });
  });

  test('a missing memtester is an error naming the tool', async () => {
    const run = fakeRunner(() => ({ exitCode: null, missing: true }));
    ctx = createTestContext({ run, tunables: { loops: 1, size_mb: 64, processes: 1, reserve_mb: 0 } });
    const result = await createMemoryStep({ readFacts: () => facts }).run(ctx, () => {});
    expect(result.status).toBe('error');
    expect(result.reasons[0]).toContain('memtester is not installed');
  });

  test('too little free memory skips the step with the numbers', async () => {
    const run = fakeRunner(pass);
    ctx = createTestContext({ run, tunables: { loops: 1, size_mb: 0, processes: 0, reserve_mb: 0 } });
    const tight = { ...facts, meminfo: 'MemTotal: 1048576 kB\nMemAvailable: 40000 kB\n' };
    const result = await createMemoryStep({ readFacts: () => tight }).run(ctx, () => {});
    expect(result.status).toBe('skip');
    expect(result.reasons[0]).toContain('MemAvailable 39 MiB');
    expect(run.calls).toHaveLength(0);
  });

  test('the time limit follows size and loops, and timeout_s overrides it', () => {
    const step = createMemoryStep({ readFacts: () => facts });
    const quick = step.timeoutMs({ profile: 'quick', tunables: { loops: 1, size_mb: 256, processes: 0, reserve_mb: 0, timeout_s: 0 } });
    const full = step.timeoutMs({ profile: 'full', tunables: { loops: 2, size_mb: 0, processes: 0, reserve_mb: 0, timeout_s: 0 } });
    expect(full).toBeGreaterThan(quick);
    expect(step.timeoutMs({ profile: 'quick', tunables: { loops: 1, size_mb: 256, processes: 0, reserve_mb: 0, timeout_s: 90 } })).toBe(90_000);
  });

  test('tunables declare the documented profile defaults', () => {
    const step = createMemoryStep();
    expect(step.tunables.loops).toMatchObject({ profiles: { quick: 1, full: 2 } });
    expect(step.tunables.size_mb).toMatchObject({ profiles: { quick: 256, full: 0 } });
    expect(step.tunables.processes?.default).toBe(0);
    expect(step.tunables.reserve_mb?.default).toBe(0);
  });
});
