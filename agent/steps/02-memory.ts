/**
 * 02-memory: memtester over MemAvailable minus a reserve, one process per
 * online CPU so the test runs at memory speed. Sizing is planMemtest() (pure);
 * the processes run in parallel through ctx.run and stop with ctx.signal.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { countCpuList, parseMeminfo } from '../memory/meminfo.ts';
import { type MemtestPlan, estimateMemtestTimeoutMs, planMemtest } from '../memory/sizing.ts';
import type { EvidenceRef, Step, StepContext, StepResult } from '../step.ts';
import { type MemtesterRun, runMemtesterParallel } from '../tools/memtester.ts';
import { describeToolFailure } from '../tools/run-tool.ts';

const MiB = 2 ** 20;

/** The kernel facts sizing needs, as text (injectable for tests). */
export interface MemoryFacts {
  meminfo: string;
  minFreeKbytes: string;
  cpuOnline: string | null;
}

export function readMemoryFacts(): MemoryFacts {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  };
  return {
    meminfo: read('/proc/meminfo') ?? '',
    minFreeKbytes: read('/proc/sys/vm/min_free_kbytes') ?? '0',
    cpuOnline: read('/sys/devices/system/cpu/online'),
  };
}

export interface MemorySizingTunables {
  size_mb: number;
  processes: number;
  reserve_mb: number;
}

/** Facts + tunables → plan. Pure. */
export function planFromFacts(facts: MemoryFacts, tunables: MemorySizingTunables, reservedForOtherStepsBytes: number, fallbackCpus = 1): MemtestPlan & { memTotalBytes: number; memAvailableBytes: number; onlineCpus: number } {
  const meminfo = parseMeminfo(facts.meminfo);
  const memTotalBytes = meminfo.MemTotal ?? 0;
  const memAvailableBytes = meminfo.MemAvailable ?? meminfo.MemFree ?? 0;
  let onlineCpus = fallbackCpus;
  try {
    if (facts.cpuOnline) onlineCpus = countCpuList(facts.cpuOnline) || fallbackCpus;
  } catch {
    onlineCpus = fallbackCpus;
  }
  const plan = planMemtest({
    memTotalBytes,
    memAvailableBytes,
    minFreeKbytes: Number.parseInt(facts.minFreeKbytes.trim(), 10) || 0,
    onlineCpus,
    reservedForOtherStepsBytes,
    sizeCapMiB: tunables.size_mb,
    processes: tunables.processes,
    extraReserveMiB: tunables.reserve_mb,
  });
  return { ...plan, memTotalBytes, memAvailableBytes, onlineCpus };
}

function numberTunable(tunables: StepContext['tunables'], key: string, fallback: number): number {
  const value = tunables[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function sizingTunables(tunables: StepContext['tunables'], profile: StepContext['profile']): MemorySizingTunables & { loops: number } {
  return {
    loops: Math.max(1, Math.floor(numberTunable(tunables, 'loops', profile === 'full' ? 2 : 1))),
    size_mb: Math.max(0, numberTunable(tunables, 'size_mb', profile === 'full' ? 0 : 256)),
    processes: Math.max(0, Math.floor(numberTunable(tunables, 'processes', 0))),
    reserve_mb: Math.max(0, numberTunable(tunables, 'reserve_mb', 0)),
  };
}

export interface MemoryStepDeps {
  readFacts?: () => MemoryFacts;
  /** memtester executable; default `memtester`. */
  tool?: string;
}

function aggregate(runs: MemtesterRun[], aborted: boolean): { status: StepResult['status']; reasons: string[] } {
  const reasons: string[] = [];
  const failed = runs.filter((r) => r.report.verdict === 'fail');
  if (failed.length) {
    for (const r of failed) reasons.push(...r.report.reasons.map((reason) => `process ${r.index}: ${reason}`));
    return { status: 'fail', reasons };
  }
  if (aborted) return { status: 'error', reasons: ['memtester was cancelled (step timeout or shutdown)'] };
  const errored = runs.filter((r) => r.report.verdict === 'error');
  if (errored.length) {
    for (const r of errored) {
      const tool = r.result.missing || r.result.timedOut || r.result.aborted || r.result.signal ? describeToolFailure(r.result) : null;
      reasons.push(`process ${r.index}: ${tool ?? r.report.reasons.join('; ')}`);
    }
    return { status: 'error', reasons };
  }
  return { status: 'pass', reasons };
}

export function createMemoryStep(deps: MemoryStepDeps = {}): Step {
  const readFacts = deps.readFacts ?? readMemoryFacts;
  return {
    id: '02-memory',
    title: 'Memory test (memtester)',
    needs: ['01-init'],
    timeoutMs(ctx) {
      const t = sizingTunables(ctx.tunables, ctx.profile);
      const override = numberTunable(ctx.tunables, 'timeout_s', 0);
      if (override > 0) return override * 1000;
      const plan = planFromFacts(readFacts(), t, 0, availableParallelism());
      // Sized without other steps' reserve: an upper bound, before the step measures again.
      return estimateMemtestTimeoutMs(Math.max(plan.perProcessMiB, 64), t.loops, Math.max(1, plan.processes));
    },
    abortable: true,
    tunables: {
      loops: { description: 'memtester loops over the tested memory', default: 1, profiles: { quick: 1, full: 2 } },
      size_mb: { description: 'Cap on the memory tested in total, MiB (0 = all available after the reserve)', default: 256, profiles: { quick: 256, full: 0 } },
      processes: { description: 'memtester processes run in parallel (0 = one per online CPU)', default: 0 },
      reserve_mb: { description: "Extra MiB left untested on top of MAAS's reserve and other steps' needs", default: 0 },
      timeout_s: { description: 'Hard time limit in seconds (0 = estimated from size and loops)', default: 0 },
    },
    async run(ctx, progress): Promise<StepResult> {
      const t = sizingTunables(ctx.tunables, ctx.profile);
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
        return { status: 'skip', summary: 'not enough free memory to run memtester', reasons: [plan.insufficient], metrics: { ...sizing }, evidence: [], details: { plan } };
      }
      const timeoutMs = estimateMemtestTimeoutMs(plan.perProcessMiB, t.loops, plan.processes);
      ctx.log.info('memtester plan', { processes: plan.processes, perProcessMiB: plan.perProcessMiB, loops: t.loops, ...sizing });
      progress({ fraction: 0, message: `memtester ${plan.processes} × ${plan.perProcessMiB} MiB, ${t.loops} loop(s)` });

      const { runs, durationMs } = await runMemtesterParallel(ctx.run, {
        processes: plan.processes,
        perProcessMiB: plan.perProcessMiB,
        loops: t.loops,
        timeoutMs,
        signal: ctx.signal,
        tool: deps.tool,
        evidenceAs: (i) => `02-memory/memtester-${i}.txt`,
        onFinished: (_run, finished) => progress({ fraction: finished / plan.processes, message: `${finished}/${plan.processes} memtester processes done` }),
      });

      const { status, reasons } = aggregate(runs, ctx.signal.aborted);
      const warnings = [...new Set(runs.flatMap((r) => r.report.warnings.map((w) => w.replace(/^memtester /, ''))))];
      const testedMiB = runs.reduce((sum, r) => sum + Math.floor((r.report.testedBytes ?? 0) / MiB), 0);
      const failureCount = runs.reduce((sum, r) => sum + r.report.failureCount, 0);
      const evidence: EvidenceRef[] = runs.map((r) => ({
        // The runner saves outputs when it has the evidence store; otherwise keep them here.
        file: r.result.evidence ?? ctx.evidence.save(`02-memory/memtester-${r.index}.txt`, r.result.stdout + (r.result.stderr ? `\n--- stderr ---\n${r.result.stderr}` : '')),
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
        runs: runs.map((r) => ({ index: r.index, askedMiB: r.sizeMiB, command: r.result.command, exitCode: r.result.exitCode, signal: r.result.signal, durationMs: r.result.durationMs, report: r.report })),
        warnings,
      };
      const what = `${plan.processes} × ${plan.perProcessMiB} MiB, ${t.loops} loop(s)`;
      const summary =
        status === 'pass'
          ? `memtester passed: ${testedMiB} MiB tested (${what}) in ${Math.round(seconds)} s${warnings.length ? `; warning: ${warnings.join('; ')}` : ''}`
          : status === 'fail'
            ? `memtester found memory errors (${failureCount} reported, ${what})`
            : `memtester did not complete (${what}): ${reasons[0] ?? 'unknown error'}`;
      return { status, summary, reasons: status === 'pass' ? [] : reasons, metrics, table, evidence, details };
    },
  };
}

export const memoryStep: Step = createMemoryStep();
