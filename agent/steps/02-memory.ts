/**
 * 02-memory: memtester over MemAvailable minus a reserve, one process per
 * online CPU so the test runs at memory speed. Sizing is planMemtest() (pure);
 * the processes run in parallel through ctx.run and stop with ctx.signal.
 * Progress is tests finished ÷ (tests per loop × loops), over all processes,
 * from memtester's per-test lines; its output is streamed to the evidence
 * files and parsed line by line (bounded memory whatever it prints).
 */
import { availableParallelism } from 'node:os';
import { MAX_TIMER_MS } from '../../shared/config.ts';
import { type MemoryFacts, planFromFacts, readMemoryFacts } from '../memory/facts.ts';
import { estimateMemtestTimeoutMs } from '../memory/sizing.ts';
import { memoryVerdict } from '../memory/verdict.ts';
import type { EvidenceRef, StepDefinition, StepResult } from '../step.ts';
import { runMemtesterParallel } from '../tools/memtester.ts';
import { type MemtesterProgress, memtesterFraction } from '../tools/memtester.parse.ts';
import { defineTunables } from '../tunables.ts';
import { MiB } from '../../shared/units.ts';

export const MEMORY_TUNABLES = defineTunables({
  loops: { description: 'memtester loops over the tested memory', default: 1, profiles: { quick: 1, full: 2 }, min: 1, integer: true },
  size_mb: {
    description: 'Cap on the memory tested in total, MiB (0 = all available after the reserve)',
    default: 256,
    profiles: { quick: 256, full: 0 },
    min: 0,
    integer: true,
    unit: 'MiB',
  },
  processes: { description: 'memtester processes run in parallel (0 = one per online CPU)', default: 0, min: 0, integer: true },
  reserve_mb: { description: "Extra MiB left untested on top of MAAS's reserve and other steps' needs", default: 0, min: 0, integer: true, unit: 'MiB' },
  timeout_s: { description: 'Hard time limit in seconds (0 = estimated from size and loops)', default: 0, min: 0, unit: 's' },
});

export interface MemoryStepDeps {
  readFacts?: () => MemoryFacts;
  /** memtester executable; default `memtester`. */
  tool?: string;
}

export function createMemoryStep(deps: MemoryStepDeps = {}): StepDefinition<'02-memory', typeof MEMORY_TUNABLES> {
  const readFacts = deps.readFacts ?? readMemoryFacts;
  return {
    id: '02-memory',
    title: 'Memory test (memtester)',
    needs: ['01-init'],
    timeoutMs({ tunables: t }) {
      if (t.timeout_s > 0) return t.timeout_s * 1000;
      const plan = planFromFacts(readFacts(), t, 0, availableParallelism());
      // Sized without other steps' reserve: an upper bound, before the step measures again.
      return Math.min(MAX_TIMER_MS, estimateMemtestTimeoutMs(Math.max(plan.perProcessMiB, 64), t.loops, Math.max(1, plan.processes)));
    },
    abortable: true,
    tunables: MEMORY_TUNABLES,
    async run(ctx, progress): Promise<StepResult> {
      const t = ctx.tunables;
      const plan = planFromFacts(readFacts(), t, ctx.reservedForOtherStepsBytes, availableParallelism());
      const sizing = {
        memTotalMiB: Math.floor(plan.memTotalBytes / MiB),
        memAvailableMiB: Math.floor(plan.memAvailableBytes / MiB),
        reserveMiB: Math.ceil(plan.reserveBytes / MiB),
        otherStepsMiB: Math.ceil(ctx.reservedForOtherStepsBytes / MiB),
        onlineCpus: plan.onlineCpus,
        limitedBy: plan.limitedBy,
      };
      if (plan.insufficient) {
        return {
          status: 'skip',
          summary: 'not enough free memory to run memtester',
          reasons: [plan.insufficient],
          metrics: { ...sizing },
          evidence: [],
          details: { plan },
        };
      }
      const timeoutMs = Math.min(MAX_TIMER_MS, estimateMemtestTimeoutMs(plan.perProcessMiB, t.loops, plan.processes));
      ctx.log.info('memtester plan', { processes: plan.processes, perProcessMiB: plan.perProcessMiB, loops: t.loops, ...sizing });
      progress({ fraction: 0, message: `memtester ${plan.processes} × ${plan.perProcessMiB} MiB, ${t.loops} loop(s)` });

      const reporter = memtesterProgressReporter(plan.processes, t.loops, progress);
      const { runs, durationMs } = await runMemtesterParallel(ctx.run, {
        processes: plan.processes,
        perProcessMiB: plan.perProcessMiB,
        loops: t.loops,
        timeoutMs,
        signal: ctx.signal,
        tool: deps.tool,
        evidenceAs: (i) => `02-memory/memtester-${i}.txt`,
        onProgress: reporter.test,
        onFinished: (run, finished) => reporter.finished(run.index, finished),
      });

      const { status, reasons, cause } = memoryVerdict(runs, ctx.signal.aborted);
      const warnings = [...new Set(runs.flatMap((r) => r.report.warnings.map((w) => w.replace(/^memtester /, ''))))];
      const testedMiB = runs.reduce((sum, r) => sum + Math.floor((r.report.testedBytes ?? 0) / MiB), 0);
      const failureCount = runs.reduce((sum, r) => sum + r.report.failureCount, 0);
      const evidence: EvidenceRef[] = runs.map((r) => ({
        // The runner saves outputs when it has the evidence store; otherwise keep them here.
        file:
          r.result.evidence ??
          ctx.evidence.save(`02-memory/memtester-${r.index}.txt`, r.result.stdout + (r.result.stderr ? `\n--- stderr ---\n${r.result.stderr}` : '')),
        command: r.result.command,
        exitCode: r.result.exitCode,
        durationMs: r.result.durationMs,
      }));
      const table = {
        columns: ['process', 'asked MiB', 'tested MiB', 'locked', 'exit', 'failed tests', 'errors', 'seconds'],
        rows: runs.map((r) => [
          r.index,
          r.sizeMiB,
          r.report.testedBytes === null ? null : Math.floor(r.report.testedBytes / MiB),
          r.report.locked === null ? '?' : r.report.locked ? 'yes' : 'NO',
          r.result.exitCode ?? r.result.signal ?? null,
          [...new Set(r.report.tests.filter((x) => !x.ok).map((x) => x.name))].join(', ') || '—',
          r.report.failureCount,
          Math.round(r.result.durationMs / 100) / 10,
        ]),
      };
      const seconds = durationMs / 1000;
      const metrics: StepResult['metrics'] = {
        ...sizing,
        processes: plan.processes,
        perProcessMiB: plan.perProcessMiB,
        plannedMiB: plan.totalMiB,
        testedMiB,
        loops: t.loops,
        durationMs,
        throughputMiBps: seconds > 0 ? Math.round(((testedMiB * t.loops) / seconds) * 10) / 10 : null,
        failureCount,
        locked: runs.every((r) => r.report.locked === true),
        memtesterVersion: runs[0]?.report.version ?? null,
      };
      const details = {
        plan,
        runs: runs.map((r) => ({
          index: r.index,
          askedMiB: r.sizeMiB,
          command: r.result.command,
          exitCode: r.result.exitCode,
          signal: r.result.signal,
          durationMs: r.result.durationMs,
          report: r.report,
        })),
        warnings,
      };
      const what = `${plan.processes} × ${plan.perProcessMiB} MiB, ${t.loops} loop(s)`;
      const summary =
        status === 'pass'
          ? `memtester passed: ${testedMiB} MiB tested (${what}) in ${Math.round(seconds)} s${warnings.length ? `; warning: ${warnings.join('; ')}` : ''}`
          : status === 'fail'
            ? `memtester found memory errors (${failureCount} reported, ${what})`
            : `memtester did not complete (${what}): ${reasons[0] ?? 'unknown error'}`;
      return { status, summary, reasons, metrics, table, evidence, details, ...(cause ? { cause } : {}) };
    },
  };
}

/**
 * Turns the processes' per-test progress into the step's: the mean of their
 * fractions (a finished process counts as done), with tests done / planned in the message.
 */
export function memtesterProgressReporter(processes: number, loops: number, progress: (p: { fraction: number; message: string }) => void) {
  const fractions = new Array<number>(processes).fill(0);
  const tests = new Array<number>(processes).fill(0);
  let perProcess = 0;
  const emit = (message: string) => progress({ fraction: fractions.reduce((a, b) => a + b, 0) / Math.max(1, processes), message });
  return {
    test(index: number, p: MemtesterProgress) {
      fractions[index] = memtesterFraction(p, loops);
      tests[index] = p.testsDone;
      perProcess = p.testsPerLoop * Math.max(1, p.loopsPlanned ?? loops);
      emit(
        `memtester: ${tests.reduce((a, b) => a + b, 0)}/${perProcess * processes} tests done (${processes} process(es), loop ${p.loop}/${p.loopsPlanned ?? loops})`,
      );
    },
    finished(index: number, finished: number) {
      fractions[index] = 1;
      emit(`${finished}/${processes} memtester processes done`);
    },
  };
}

export const memoryStep = createMemoryStep();
