/**
 * The one memory verdict (agent/memory/verdict.ts), used by 02-memory and by
 * `bm-agent evaluate`: a found memory fault is a fail even when another memtester
 * process errored. Once the step said fail and evaluate said error (DIFFERS).
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reevaluateBundle } from '../../../agent/evaluate.ts';
import type { MemoryFacts } from '../../../agent/memory/facts.ts';
import { memoryVerdict } from '../../../agent/memory/verdict.ts';
import { createMemoryStep } from '../../../agent/steps/02-memory.ts';
import { parseMemtesterOutput } from '../../../agent/tools/memtester.parse.ts';
import type { ToolInvocation } from '../../../agent/tools/run-tool.ts';
import { createTestContext, type TestStepContext } from '../../helpers/agent-context.ts';
import { fakeResult, fakeToolRunner } from '../../helpers/fake-tools.ts';

const dir = join(import.meta.dir, '../../fixtures/memtester');
const read = (name: string) => readFileSync(join(dir, name), 'utf8');
const outputs = {
  failing: { stdout: read('fail-compare-injected.stdout'), stderr: read('fail-compare-injected.stderr'), exitCode: 4 },
  usage: { stdout: read('usage-bad-size.stdout'), stderr: read('usage-bad-size.stderr'), exitCode: 1 },
  pass: { stdout: read('pass-32M-1loop.stdout'), stderr: '', exitCode: 0 },
};
const facts: MemoryFacts = { meminfo: read('../meminfo/debian12-kvm-24G.meminfo'), minFreeKbytes: '67584\n', cpuOnline: '0-1\n' };

const runOf = (index: number, output: (typeof outputs)[keyof typeof outputs], extra: Partial<ReturnType<typeof fakeResult>> = {}) => {
  const inv: ToolInvocation = { tool: 'memtester', args: ['64M', '1'], timeoutMs: 1000 };
  return { index, report: parseMemtesterOutput(output.stdout, output.stderr, output.exitCode), result: fakeResult(inv, { ...output, ...extra }) };
};

let ctx: TestStepContext | undefined;
let bundle: string | undefined;
afterEach(() => {
  ctx?.cleanup();
  if (bundle) rmSync(bundle, { recursive: true, force: true });
  ctx = bundle = undefined;
});

describe('memoryVerdict', () => {
  test('a memory fault beats an error elsewhere, and a cancellation', () => {
    const verdict = memoryVerdict([runOf(0, outputs.failing), runOf(1, outputs.usage)], false);
    expect(verdict.status).toBe('fail');
    expect(verdict.cause).toBe('check-failed');
    expect(verdict.reasons.every((r) => r.startsWith('process 0:'))).toBe(true);
    expect(memoryVerdict([runOf(0, outputs.failing)], true).status).toBe('fail');
  });

  test('without a fault: cancelled is aborted, an errored process names its tool failure, else pass', () => {
    expect(memoryVerdict([runOf(0, outputs.pass)], true)).toMatchObject({ status: 'error', cause: 'aborted' });
    expect(memoryVerdict([runOf(0, outputs.pass), runOf(1, outputs.usage)], false)).toMatchObject({ status: 'error', cause: 'tool-failed' });
    expect(memoryVerdict([runOf(0, outputs.usage, { missing: true, exitCode: null })], false)).toMatchObject({ status: 'error', cause: 'tool-missing' });
    expect(memoryVerdict([runOf(0, outputs.pass), runOf(1, outputs.pass)], false)).toEqual({ status: 'pass', reasons: [] });
  });
});

describe('the step and evaluate agree on the bundle that once disagreed', () => {
  test('one failing memtester and one usage error: the step says fail, evaluate says fail, no DIFFERS', async () => {
    bundle = mkdtempSync(join(tmpdir(), 'bm-bundle-'));
    const evidenceDir = bundle;
    const run = fakeToolRunner((_inv, i) => ({ durationMs: 1000, ...(i === 0 ? outputs.failing : outputs.usage) }));
    ctx = createTestContext({ run, tunables: { loops: 1, size_mb: 64, processes: 2, reserve_mb: 0, timeout_s: 0 } });
    const result = await createMemoryStep({ readFacts: () => facts }).run(ctx, () => {});
    expect(result.status).toBe('fail');
    expect(result.cause).toBe('check-failed');

    // The bundle as the runner saves it: stdout, .stderr and .meta.json per process, and the report.
    mkdirSync(join(evidenceDir, '02-memory'));
    for (const [i, output] of [outputs.failing, outputs.usage].entries()) {
      const file = join(evidenceDir, `02-memory/memtester-${i}.txt`);
      writeFileSync(file, output.stdout);
      writeFileSync(`${file}.stderr`, output.stderr);
      writeFileSync(
        `${file}.meta.json`,
        JSON.stringify({
          tool: 'memtester',
          command: ['memtester', '32M', '1'],
          exitCode: output.exitCode,
          signal: null,
          durationMs: 1000,
          timedOut: false,
          aborted: false,
          missing: false,
        }),
      );
    }
    const step = {
      id: '02-memory',
      title: 'Memory',
      status: result.status,
      summary: result.summary,
      reasons: result.reasons,
      metrics: {},
      startedAt: null,
      durationMs: 1,
      evidence: [],
    };
    writeFileSync(join(evidenceDir, 'report.json'), JSON.stringify({ runId: 'r', verdict: 'fail', steps: [step] }));

    const { steps } = await reevaluateBundle(evidenceDir);
    const memory = steps.find((s) => s.id === '02-memory')!;
    expect(memory).toMatchObject({ recorded: 'fail', reevaluated: 'fail' });
    expect(steps.filter((s) => s.reevaluated !== null && s.reevaluated !== s.recorded)).toEqual([]);
  });
});
