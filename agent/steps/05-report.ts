/**
 * `05-report`: one report document (schema-validated), saved to the evidence
 * bundle first so nothing is lost; then, in this order: the evidence tarball PUT to
 * `bm.evidence_url` (evidence-upload.ts), the status change (staged on pass; failed on
 * failure unless configured to leave it) with the verdict custom fields in the same
 * PATCH (netbox-verdict.ts), the final journal entry (linking the uploaded bundle, naming
 * any delivery that did not happen), the callback POST, and — when the callback did not
 * land — a journal entry saying so. NetBox, the receiver or the evidence server down:
 * retried until the delivery deadline. Why a delivery did not happen (a 401, a refused
 * connection, a timeout; redacted) is logged, in the step's summary on the console, in
 * the journal and in report.json's `delivery`, which is saved again once delivery is over.
 * The step errors if a delivery failed; a bundle over the size cap or refused custom
 * fields are `skipped` and said, not an error.
 *
 * Staging needs every validation step to have run and passed: a partial run
 * (`--only`, `--skip`) or a step skipped on the machine (memtester without
 * free memory, no disk to test) reports its PASS but leaves the status, and
 * says why in the step's summary and the final journal entry.
 */
import { causeOf } from '../../shared/failure.ts';
import type { Logger } from '../../shared/log.ts';
import { mdText } from '../../shared/markdown.ts';
import type { NetboxClient } from '../../shared/netbox/index.ts';
import { deliverJournal, postCallback, type CallbackTarget, type RetryOptions, whyNotDelivered } from '../deliver.ts';
import type { EvidenceStore } from '../evidence.ts';
import { publicUrl, uploadEvidence } from '../evidence-upload.ts';
import { verdictCustomFields, writeDeviceResult } from '../netbox-verdict.ts';
import {
  buildReport,
  callbackEventOf,
  deliveryMarker,
  EVIDENCE_UPLOAD,
  renderDeliveryJournal,
  renderFinalJournal,
  reportProblems,
  type DeliveryRecord,
  type Report,
  type StepRecord,
} from '../report.ts';
import type { EvidenceRef, StepDefinition, StepResult } from '../step.ts';
import { defineTunables } from '../tunables.ts';
import { formatBytes, MiB } from '../../shared/units.ts';
import { REPORT_STEP_ID, VALIDATION_STEP_IDS, type ValidationStepId } from './index.ts';

/** 05-report's settings (`bm.report.<knob>`). */
export const REPORT_TUNABLES = defineTunables({
  evidence_max_mb: {
    description: 'Largest evidence tarball uploaded to bm.evidence_url, MiB; a larger one is not sent (said in the journal and report.json).',
    default: 256,
    min: 1,
    integer: true,
    unit: 'MiB',
  },
});

/** Where the evidence tarball goes (bm.evidence_url) and how it is made. */
export interface EvidenceUploadDeps {
  /** The configured URL, secrets included (only its publicUrl is ever shown). */
  url: string;
  /** Packs the run's evidence directory into a tarball; its path, or null when packing failed (logged). */
  archive(dir: string, log: Logger): Promise<string | null>;
}

export interface ReportStepDeps {
  runId: string;
  agentVersion: string;
  startedAt: number;
  /** Records of the steps finished so far (01–04). */
  records(): StepRecord[];
  /** Journal entries of earlier steps still on their way (awaited before the final one). */
  journalDrained(): Promise<void>;
  netbox: NetboxClient | null;
  callback: CallbackTarget | null;
  onFailure: 'failed' | 'leave';
  deliveryDeadlineMs: number;
  /** The run was cancelled: report what happened quickly, change no status. */
  aborted(): boolean;
  deliveryBackoff?: { baseMs: number; maxMs: number };
  log: Logger;
  /** Receives the report (for the console banner and the CLI's --json): once built, again with `delivery` once delivery is over. */
  onReport(report: Report): void;
  /** bm.evidence_url: upload the evidence tarball after the report; absent or null: no upload. */
  evidenceUpload?: EvidenceUploadDeps | null;
}

/**
 * The statuses the report sets: `staged` for a complete pass (Phase 1 done; bm-harden takes it from there), `failed`
 * for a failure unless bm.on_failure=leave. docs/lifecycle.ts draws the device lifecycle from these.
 */
export const REPORT_STATUSES = { pass: 'staged', fail: 'failed' } as const;

/**
 * Why a passing run may not stage the device: each validation step that did not run and pass, with its summary
 * (`02-memory skipped: not enough free memory to run memtester`). Empty = every step passed: stage. Pure.
 */
export function stagingBlockers(records: readonly Pick<StepRecord, 'id' | 'result'>[], required: readonly ValidationStepId[] = VALIDATION_STEP_IDS): string[] {
  const blockers: string[] = [];
  for (const id of required) {
    const record = records.find((r) => r.id === id);
    if (!record) blockers.push(`${id} did not run`);
    else if (record.result.status !== 'pass') {
      const how = record.result.status === 'skip' ? 'skipped' : record.result.status === 'fail' ? 'failed' : 'did not complete';
      blockers.push(`${id} ${how}: ${record.result.summary}`);
    }
  }
  return blockers;
}

/** The final journal entry with a line under its head saying why the device was not staged. Pure. */
export function withStagingNote<T extends { comments: string }>(entry: T, blockers: readonly string[]): T {
  if (!blockers.length) return entry;
  const [head, ...rest] = entry.comments.split('\n');
  const note = `**Not staged**: staging needs every step to run and pass — ${blockers.map(mdText).join('; ')}`;
  return { ...entry, comments: [head, '', note, ...rest].join('\n') };
}

/** After SIGTERM, delivery gets this long: systemd's stop timeout must not be hit. */
const ABORTED_DELIVERY_MS = 15_000;

/** Runs one delivery into `records` (and `failures` when it failed); logs a failure with its reason. */
async function recordDelivery(
  what: string,
  deliver: () => Promise<string>,
  into: { records: DeliveryRecord[]; failures: unknown[]; log: Logger },
): Promise<DeliveryRecord> {
  let record: DeliveryRecord;
  try {
    record = { what, outcome: 'delivered', detail: await deliver() };
  } catch (error) {
    record = { what, outcome: 'failed', detail: whyNotDelivered(error) };
    into.failures.push(error);
    into.log.error(`${what} not delivered`, { reason: record.detail });
  }
  into.records.push(record);
  return record;
}

/**
 * Packs and uploads the evidence bundle. Over the size cap: `skipped` (said, not an
 * error); packing failing or the upload failing: `failed`, with why.
 */
async function shipEvidence(
  upload: EvidenceUploadDeps,
  evidence: EvidenceStore,
  maxBytes: number,
  retry: Omit<RetryOptions, 'what'>,
  into: { records: DeliveryRecord[]; failures: unknown[]; log: Logger },
): Promise<DeliveryRecord> {
  const tarball = await upload.archive(evidence.dir, into.log);
  if (!tarball) {
    const record: DeliveryRecord = { what: EVIDENCE_UPLOAD, outcome: 'failed', detail: 'the evidence bundle could not be packed (tar failed; see the log)' };
    into.records.push(record);
    into.failures.push(new Error(record.detail));
    return record;
  }
  const size = Bun.file(tarball).size;
  if (size > maxBytes) {
    const record: DeliveryRecord = {
      what: EVIDENCE_UPLOAD,
      outcome: 'skipped',
      detail: `the bundle is ${formatBytes(size)}, over the cap of ${formatBytes(maxBytes)} (bm.report.evidence_max_mb): not uploaded, it is on this machine only`,
    };
    into.log.warning('evidence bundle not uploaded: over the size cap', { bytes: size, maxBytes });
    into.records.push(record);
    return record;
  }
  return recordDelivery(
    EVIDENCE_UPLOAD,
    async () => {
      const { bytes } = await uploadEvidence({ url: upload.url, maxBytes }, tarball, { ...retry, what: EVIDENCE_UPLOAD });
      into.log.info('evidence bundle uploaded', { url: publicUrl(upload.url), bytes });
      return `${formatBytes(bytes)} uploaded`;
    },
    into,
  );
}

export function createReportStep(deps: ReportStepDeps): StepDefinition<typeof REPORT_STEP_ID, typeof REPORT_TUNABLES> {
  return {
    id: REPORT_STEP_ID,
    title: 'Report',
    needs: VALIDATION_STEP_IDS,
    abortable: true,
    alwaysRuns: true,
    tunables: REPORT_TUNABLES,
    timeoutMs: () => (deps.aborted() ? ABORTED_DELIVERY_MS : deps.deliveryDeadlineMs) + 60_000,
    async run(ctx, progress): Promise<StepResult> {
      const finished = Date.now();
      const inventory = ctx.inventory;
      const upload = ctx.dryRun ? null : (deps.evidenceUpload ?? null);
      const report = buildReport({
        runId: deps.runId,
        agentVersion: deps.agentVersion,
        profile: ctx.profile,
        dryRun: ctx.dryRun,
        startedAt: new Date(deps.startedAt).toISOString(),
        finishedAt: new Date(finished).toISOString(),
        durationMs: finished - deps.startedAt,
        device: ctx.device ? { id: ctx.device.id, name: ctx.device.name, url: ctx.device.url } : null,
        machine: { manufacturer: inventory?.system.manufacturer ?? null, model: inventory?.system.model ?? null, serial: inventory?.system.serial ?? null },
        steps: deps.records(),
        ...(upload ? { evidence: { url: publicUrl(upload.url) } } : {}),
      });
      const problems = reportProblems(report);
      const saveReport = (r: Report) => ctx.evidence.save('report.json', `${JSON.stringify(r, null, 2)}\n`);
      const evidence: EvidenceRef[] = [{ file: saveReport(report) }];
      if (problems.length) {
        return { status: 'error', cause: 'internal', summary: 'the report does not match its schema (a bug)', reasons: problems, metrics: {}, evidence };
      }
      deps.onReport(report);

      // An aborted run (technician's Ctrl-C, shutdown) says so but leaves the status alone.
      const aborted = deps.aborted();
      // Only a pass may stage, and only a complete one; a failure needs no complete run to be one.
      const blockers = report.verdict === 'pass' && !aborted ? stagingBlockers(deps.records()) : [];
      const onFail = deps.onFailure === 'failed' ? REPORT_STATUSES.fail : null;
      const statusChange = aborted ? null : report.verdict === 'pass' ? (blockers.length ? null : REPORT_STATUSES.pass) : onFail;
      if (blockers.length) ctx.log.notice('passed but not staged: not every step ran and passed', { because: blockers.join('; ') });
      const into = { records: [] as DeliveryRecord[], failures: [] as unknown[], log: ctx.log };
      const retry = {
        deadline: Date.now() + (aborted ? ABORTED_DELIVERY_MS : deps.deliveryDeadlineMs),
        signal: ctx.signal,
        log: ctx.log,
        backoff: deps.deliveryBackoff,
      };
      const device = ctx.device;
      let statusApplied: string | null = null;
      if (ctx.dryRun) {
        ctx.log.notice('dry run: no evidence upload, journal, status change or callback');
      } else {
        if (upload) progress({ message: 'uploading the evidence bundle', fraction: 0.1 });
        const uploaded = upload ? await shipEvidence(upload, ctx.evidence, ctx.tunables.evidence_max_mb * MiB, retry, into) : null;
        let finalDelivered = false;
        if (deps.netbox && device) {
          // Status and verdict custom fields in one PATCH; an aborted run changes neither.
          if (!aborted) {
            progress({ message: statusChange ? `setting status ${statusChange}` : 'writing the verdict custom fields', fraction: 0.4 });
            const reportUrl = uploaded?.outcome === 'delivered' && report.evidence ? report.evidence.url : null;
            const customFields = verdictCustomFields(device, { finishedAt: report.finishedAt, verdict: report.verdict, reportUrl });
            const outcome = await writeDeviceResult(deps.netbox, device.id, { status: statusChange, customFields }, retry);
            for (const record of [outcome.status, outcome.customFields]) if (record) into.records.push(record);
            into.failures.push(...outcome.failures);
            for (const record of [outcome.status, outcome.customFields]) {
              if (record && record.outcome !== 'delivered') ctx.log.error(`${record.what} not delivered`, { reason: record.detail });
            }
            if (outcome.status?.outcome === 'delivered') statusApplied = statusChange;
          }
          progress({ message: 'journaling the result', fraction: 0.6 });
          await deps.journalDrained();
          const final = withStagingNote(renderFinalJournal(report, statusApplied, into.records), blockers);
          const record = await recordDelivery(
            'final journal entry',
            async () => {
              await deliverJournal(deps.netbox!, device.id, final, `run \`${report.runId}\`, bm-agent`, { ...retry, what: 'final journal entry' });
              return 'posted';
            },
            into,
          );
          finalDelivered = record.outcome === 'delivered';
        } else {
          const record: DeliveryRecord = { what: 'NetBox journal and status', outcome: 'failed', detail: 'no NetBox device to report to (see 01-init)' };
          into.records.push(record);
          into.failures.push(new Error(record.detail));
        }
        if (deps.callback) {
          progress({ message: 'posting the callback', fraction: 0.8 });
          const callback = deps.callback;
          const record = await recordDelivery(
            'callback',
            async () => {
              await postCallback(callback, callbackEventOf(report, statusApplied), { ...retry, what: 'callback' });
              return 'posted';
            },
            into,
          );
          // The final entry is out already: a callback that did not land gets an entry of its own.
          if (record.outcome === 'failed' && finalDelivered && deps.netbox && device) {
            const entry = renderDeliveryJournal(report.runId, [record]);
            await deliverJournal(deps.netbox, device.id, entry, deliveryMarker(report.runId), {
              ...retry,
              deadline: Math.max(retry.deadline, Date.now() + 10_000),
              what: 'journal entry on the callback',
            }).catch((error) => ctx.log.error('journal entry on the callback not delivered', { reason: whyNotDelivered(error) }));
          }
        }
      }
      const finalReport: Report = { ...report, delivery: into.records };
      saveReport(finalReport);
      deps.onReport(finalReport);
      const failed = into.records.filter((r) => r.outcome === 'failed');
      const skipped = into.records.filter((r) => r.outcome === 'skipped');
      const delivered = failed.length === 0;
      const uploadRecord = into.records.find((r) => r.what === EVIDENCE_UPLOAD);
      const summary = [
        `${report.verdict.toUpperCase()}${statusApplied ? `, status → ${statusApplied}` : ''}${blockers.length ? `, not staged (${blockers.join('; ')})` : ''}`,
        uploadRecord?.outcome === 'delivered' && report.evidence ? `evidence uploaded to ${report.evidence.url}` : null,
        ...skipped.map((r) => `${r.what} skipped: ${r.detail}`),
        delivered ? null : `delivery incomplete (report kept in the evidence bundle): ${failed.map((r) => `${r.what}: ${r.detail}`).join('; ')}`,
      ];
      return {
        status: delivered ? 'pass' : 'error',
        ...(delivered ? {} : { cause: deliveryCause(into.failures) }),
        summary: summary.filter((part) => part !== null).join('; '),
        reasons: [...failed, ...skipped].map((r) => `${r.what} ${r.outcome === 'failed' ? 'not delivered' : 'skipped'}: ${r.detail}`),
        metrics: {
          verdict: report.verdict,
          statusChange,
          statusSet: statusApplied,
          notStagedBecause: blockers.length ? blockers.join('; ') : null,
          durationMs: report.durationMs,
          evidenceUploaded: uploadRecord ? uploadRecord.outcome === 'delivered' : null,
        },
        evidence,
        details: { verdict: report.verdict },
      };
    },
  };
}

/**
 * Why delivery failed, for machines: the first failure's cause when it is NetBox's
 * (refused or unreachable) or a cancellation; anything else (no device to report to,
 * the callback receiver or the evidence server down) counts as the reporting endpoint
 * being unreachable.
 */
function deliveryCause(failures: readonly unknown[]): NonNullable<StepResult['cause']> {
  const causes = failures.map(causeOf);
  return causes.find((c) => c === 'netbox-refused' || c === 'netbox-unreachable' || c === 'aborted') ?? 'netbox-unreachable';
}
