/**
 * One validation run: evidence bundle, tool runner, step contexts, the runner,
 * a journal entry per step as soon as it ends (in order, never blocking the
 * steps), the report step, and the evidence tarball. Everything I/O is
 * injectable so the whole pipeline runs in tests against the simulator.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from '../shared/log.ts';
import type { NetboxClient } from '../shared/netbox/index.ts';
import { VERSION } from '../shared/version.ts';
import type { CallbackTarget } from './deliver.ts';
import { deliverJournal } from './deliver.ts';
import { fioMemoryReserveBytes } from './disk/budget.ts';
import { fioJobsFor } from './disk/fio-jobs.ts';
import { DISK_TUNABLES } from './disk/settings.ts';
import { createEvidenceStore, type EvidenceStore } from './evidence.ts';
import type { Inventory } from './inventory-types.ts';
import { renderStepJournal, reportStepOf, stepMarker, type Report, type StepRecord } from './report.ts';
import { runSteps, type RunnerEvent } from './runner.ts';
import type { AnyTunableValues, Profile, Step, StepContext, StepId, StepOutputs } from './step.ts';
import { createReportStep, type EvidenceUploadDeps } from './steps/05-report.ts';
import { createToolRunner, type ToolRunner } from './tools/run-tool.ts';
import { resolveAllTunables, type TunableLayer } from './tunables.ts';
import { MiB } from '../shared/units.ts';

export interface PipelineOptions {
  /** The validation steps (01–04); 05-report is added here. */
  steps: readonly Step[];
  profile: Profile;
  dryRun: boolean;
  only?: readonly StepId[];
  skip?: readonly StepId[];
  /** Tunable layers, lowest first (config file steps, kernel command line, --set). */
  tunableLayers: readonly { source: string; values: TunableLayer }[];
  netbox: NetboxClient | null;
  callback: CallbackTarget | null;
  onFailure: 'failed' | 'leave';
  deliveryDeadlineMs: number;
  /** Backoff between delivery attempts; default 1 s growing to 60 s (tests shorten it). */
  deliveryBackoff?: { baseMs: number; maxMs: number };
  evidenceRoot: string;
  log: Logger;
  signal: AbortSignal;
  onEvent?(event: RunnerEvent): void;
  /** Injectable for tests (fake tools); default: execa with evidence capture. */
  toolRunner?(evidence: EvidenceStore, log: Logger): ToolRunner;
  /** RAM other steps need while memtester runs (fio buffers); default 512 MiB. */
  reservedForOtherStepsBytes?: number;
  /** bm.evidence_url: 05-report uploads the evidence tarball there (and packs it with `archive`). */
  evidenceUpload?: EvidenceUploadDeps | null;
}

export interface PipelineResult {
  runId: string;
  report: Report | null;
  records: StepRecord[];
  evidenceDir: string;
}

export function newRunId(now = new Date()): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

/**
 * RAM fio will hold while memtester runs, before 03-disk has planned: a read-write fio
 * process at the declared default queue depths for every writable disk the inventory
 * lists (4 without an inventory), plus 64 MiB of slack.
 */
export function fioReserveEstimateBytes(inventory: Inventory | undefined): number {
  const disks = inventory?.disks.filter((d) => !d.removable && !d.readOnly).length ?? 4;
  const depths = { seqIodepth: DISK_TUNABLES.seq_iodepth.default, randIodepth: DISK_TUNABLES.rand_iodepth.default, dryRun: false };
  const typical = { decision: 'read-write', jobs: fioJobsFor('read-write', depths) } as const;
  return fioMemoryReserveBytes(Array.from({ length: disks }, () => typical)) + 64 * MiB;
}

export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const startedAt = Date.now();
  const runId = newRunId(new Date(startedAt));
  const evidenceDir = join(options.evidenceRoot, runId);
  const evidence = createEvidenceStore(evidenceDir);
  const log = options.log.child({ run: runId });
  const run = options.toolRunner ? options.toolRunner(evidence, log) : createToolRunner({ evidence, log });
  // What 01-init handed on, as the runner passes it (for the journal's device).
  const handedOn: StepOutputs = {};
  const results: StepContext['results'] = {};
  const finishedRecords: StepRecord[] = [];
  let report: Report | null = null;

  // Journal entries go out one after another, in the order steps end, without holding up the run.
  let journalChain: Promise<void> = Promise.resolve();
  const journal = (record: StepRecord) => {
    if (options.dryRun || !options.netbox || !handedOn.device || (record.result.status === 'skip' && record.durationMs === null)) return;
    const client = options.netbox;
    const deviceId = handedOn.device.id;
    const entry = renderStepJournal(reportStepOf(record), runId);
    journalChain = journalChain.then(() =>
      deliverJournal(client, deviceId, entry, stepMarker(record.id, runId), {
        deadline: startedAt + options.deliveryDeadlineMs,
        signal: options.signal,
        log,
        backoff: options.deliveryBackoff,
        what: `journal entry for ${record.id}`,
      }).catch((error) => log.error('journal entry not delivered; it is in the report', { step: record.id, error: (error as Error).message })),
    );
  };

  const reportStep = createReportStep({
    runId,
    agentVersion: VERSION,
    startedAt,
    records: () => [...finishedRecords].sort((a, b) => a.id.localeCompare(b.id)),
    journalDrained: () => journalChain,
    netbox: options.netbox,
    callback: options.callback,
    onFailure: options.onFailure,
    deliveryDeadlineMs: options.deliveryDeadlineMs,
    deliveryBackoff: options.deliveryBackoff,
    aborted: () => options.signal.aborted,
    evidenceUpload: options.evidenceUpload ?? null,
    log,
    onReport: (r) => {
      report = r;
    },
  });
  const steps = [...options.steps, reportStep];
  const excluded = new Set<StepId>();
  for (const step of options.steps) {
    if ((options.only?.length && !options.only.includes(step.id) && step.id !== '01-init') || options.skip?.includes(step.id)) excluded.add(step.id);
  }

  // Every step's settings are checked before anything runs: a typo is a usage error, not a half run.
  const tunables: Readonly<Record<string, AnyTunableValues>> = resolveAllTunables(steps, options.profile, options.tunableLayers);

  const records = await runSteps({
    steps,
    signal: options.signal,
    excluded,
    log,
    onEvent: options.onEvent,
    contextFor: (step, signal, outputs): StepContext => ({
      profile: options.profile,
      tunables: tunables[step.id] ?? {},
      signal,
      log: log.child({ step: step.id }),
      evidence,
      run,
      ...outputs,
      netbox: options.netbox ?? undefined,
      reservedForOtherStepsBytes: options.reservedForOtherStepsBytes ?? fioReserveEstimateBytes(outputs.inventory),
      results,
      dryRun: options.dryRun,
    }),
    onStepEnd: (record) => {
      results[record.id] = record.result;
      Object.assign(handedOn, record.result.outputs);
      if (record.id !== reportStep.id) {
        finishedRecords.push(record);
        journal(record);
      }
    },
  });
  await journalChain;
  return { runId, report, records, evidenceDir };
}
