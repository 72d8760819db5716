/**
 * `03-disk`: are the disks there, error-free and about as fast as their kind?
 *
 * 1. `lsblk` lists the block devices (evidence `03-disk/lsblk.json`).
 * 2. Candidates: `bm.disk.devices`, or every whole disk that is not loop,
 *    RAM-backed, empty, removable, read-only, USB-attached or mounted.
 * 3. Each candidate is probed (agent/disk/probe.ts): is it in use in any mount
 *    namespace, held, swap, claimed (exclusive open); `wipefs --no-act --json`
 *    (evidence `03-disk/wipefs-<disk>.json`); direct reads of its first 4 MiB,
 *    a window at each usual partition start and its last MiB (any non-zero
 *    byte is data); blkid at the usual partition offsets.
 * 4. The destructive guard (agent/disk/plan.ts) decides per disk: read-write,
 *    read-only or skip, with the reason (evidence `03-disk/plan.json`). A disk
 *    holding data is only written when `bm.disk.allow_write` or NetBox allows
 *    it and no explicit setting forbids it; a disk in use never; in a dry run
 *    no disk. Steps 1–4 are agent/disk/gather.ts, shared with `bm-agent plan`.
 * 5. One fio process per tested disk, all at once: sequential 1 MiB and random
 *    4 KiB jobs, O_DIRECT, time-based (`runtime_s`), in the first `size_mb`
 *    (evidence `03-disk/fio-<disk>.json`). The argv of every read-only plan and
 *    of every disk in a dry run is checked to only read before fio starts.
 * 6. Verdicts (agent/disk/verdict.ts): fio errors fail; results are held to
 *    per-class minimums (pass / degraded / fail).
 */
import { diskStepTimeoutMs } from '../disk/budget.ts';
import { fioEvidence, PLAN_EVIDENCE } from '../disk/evidence-names.ts';
import { assertReadOnlyFioArgs } from '../disk/fio-jobs.ts';
import { gatherDiskPlan } from '../disk/gather.ts';
import { DISK_TUNABLES, diskSettingsFrom, type DiskTunableValues } from '../disk/settings.ts';
import { systemUsageSources, type UsageSources } from '../disk/usage.ts';
import { judgeDisk, judgeStep, outcomeTable, type DiskOutcome, type FioRunFacts } from '../disk/verdict.ts';
import { causeOfToolResult, errorResult, type EvidenceRef, type StepContext, type StepDefinition, type StepProgress, type StepResult } from '../step.ts';
import { runFio, type FioOutcome } from '../tools/fio.ts';
import type { ToolResult } from '../tools/run-tool.ts';

function evidenceRefOf(result: ToolResult): EvidenceRef | null {
  return result.evidence ? { file: result.evidence, command: result.command, exitCode: result.exitCode, durationMs: result.durationMs } : null;
}

function metricsOf(outcomes: readonly DiskOutcome[]): StepResult['metrics'] {
  const tested = outcomes.filter((o) => o.verdict !== 'skip');
  const metrics: StepResult['metrics'] = {
    disksTested: tested.length,
    disksReadWrite: tested.filter((o) => o.decision === 'read-write').length,
    disksReadOnly: tested.filter((o) => o.decision === 'read-only').length,
    disksSkipped: outcomes.length - tested.length,
    disksFailed: tested.filter((o) => o.verdict === 'fail').length,
    disksDegraded: tested.filter((o) => o.verdict === 'degraded').length,
  };
  for (const outcome of tested) {
    metrics[`${outcome.name}.verdict`] = outcome.verdict;
    metrics[`${outcome.name}.decision`] = outcome.decision;
    for (const [key, value] of Object.entries(outcome.measurements)) metrics[`${outcome.name}.${key}`] = value;
  }
  return metrics;
}

async function run(ctx: StepContext<DiskTunableValues>, progress: (p: StepProgress) => void, usage: UsageSources): Promise<StepResult> {
  progress({ fraction: 0, message: 'listing and probing disks' });
  const planning = await gatherDiskPlan(ctx, usage);
  const evidence: EvidenceRef[] = planning.results.map(evidenceRefOf).filter((e): e is EvidenceRef => e !== null);
  if (!planning.planSet) {
    const lsblk = planning.results[0];
    return errorResult('could not list block devices', [planning.problem ?? 'lsblk failed'], evidence, lsblk ? causeOfToolResult(lsblk) : 'tool-failed');
  }
  const { planSet, settings } = planning;
  evidence.push({ file: ctx.evidence.save(PLAN_EVIDENCE, `${JSON.stringify({ settings, ...planSet }, null, 2)}\n`) });
  for (const disk of planSet.disks) ctx.log.info('disk guard', { disk: disk.path, decision: disk.decision, why: disk.why });
  for (const missing of planSet.missing) ctx.log.warning('listed disk not found', { disk: missing });
  if (ctx.signal.aborted) return errorResult('cancelled before fio started', ['the step was cancelled (timeout or shutdown)'], evidence, 'aborted');

  const tested = planSet.disks.filter((d) => d.decision !== 'skip');
  // Behind the guard: nothing but reads reaches fio for a read-only plan or in a dry run (throws: the step errors, no disk written).
  for (const disk of tested) if (disk.decision !== 'read-write' || settings.dryRun) assertReadOnlyFioArgs(disk.fioArgs, disk.path);
  const runs = new Map<string, FioOutcome>();
  if (tested.length) {
    const expectedMs = Math.max(...tested.map((d) => d.jobs.length * settings.runtimeS * 1000));
    const started = Date.now();
    let finished = 0;
    const message = () => `fio on ${tested.map((d) => d.name).join(', ')} (${finished}/${tested.length} done)`;
    progress({ fraction: 0.02, message: message() });
    const ticker = setInterval(() => progress({ fraction: Math.min(0.99, 0.02 + (0.97 * (Date.now() - started)) / expectedMs), message: message() }), 1000);
    ticker.unref?.();
    try {
      await Promise.all(
        tested.map(async (disk) => {
          const outcome = await runFio(ctx.run, { args: disk.fioArgs, timeoutMs: disk.fioTimeoutMs, signal: ctx.signal, evidenceAs: fioEvidence(disk.name) });
          runs.set(disk.path, outcome);
          finished += 1;
          const ref = evidenceRefOf(outcome.result);
          if (ref) evidence.push(ref);
        }),
      );
    } finally {
      clearInterval(ticker);
    }
  }
  if (ctx.signal.aborted) return errorResult('cancelled while fio ran', ['the step was cancelled (timeout or shutdown); fio was stopped'], evidence, 'aborted');

  const outcomes = planSet.disks.map((disk) => {
    const outcome = runs.get(disk.path);
    const facts: FioRunFacts | null = outcome ? { report: outcome.report, problem: outcome.problem } : null;
    return judgeDisk(disk, facts, settings);
  });
  const verdict = judgeStep(planSet, outcomes);
  progress({ fraction: 1, message: verdict.summary });
  const fioVersion = [...runs.values()].find((r) => r.report?.version)?.report?.version ?? null;
  return {
    status: verdict.status,
    summary: verdict.summary,
    reasons: verdict.reasons,
    metrics: metricsOf(outcomes),
    table: outcomeTable(planSet, outcomes),
    evidence,
    details: { fioVersion, plan: planSet, outcomes },
    ...(verdict.status === 'fail' ? { cause: 'check-failed' as const } : {}),
  };
}

/** The step; `usage` replaces the checks of /proc and /sys and the exclusive open (tests). */
export function createDiskStep(deps: { usage?: UsageSources } = {}): StepDefinition<'03-disk', typeof DISK_TUNABLES> {
  return {
    id: '03-disk',
    title: 'Disks (fio)',
    needs: ['01-init'],
    timeoutMs: (ctx) => diskStepTimeoutMs(diskSettingsFrom(ctx)),
    abortable: true,
    tunables: DISK_TUNABLES,
    run: (ctx, progress) => run(ctx, progress, deps.usage ?? systemUsageSources()),
  };
}

export const diskStep = createDiskStep();
