/**
 * `05-report`: one report document (schema-validated), saved to the evidence
 * bundle first so nothing is lost; then the final journal entry, the status
 * change (staged on pass; failed on failure unless configured to leave it) and
 * the callback POST. NetBox or the receiver down: retried until the delivery
 * deadline; the step errors if delivery did not happen.
 *
 * Staging needs every validation step to have run and passed: a partial run
 * (`--only`, `--skip`) or a step skipped on the machine (memtester without
 * free memory, no disk to test) reports its PASS but leaves the status, and
 * says why in the step's summary and the final journal entry.
 */
import { causeOf } from '../../shared/failure.ts';
import type { Logger } from '../../shared/log.ts';
import type { NetboxClient } from '../../shared/netbox/index.ts';
import { deliverJournal, deliverStatus, postCallback, type CallbackTarget } from '../deliver.ts';
import { buildReport, callbackEventOf, renderFinalJournal, reportProblems, type Report, type StepRecord } from '../report.ts';
import type { StepDefinition, StepResult } from '../step.ts';
import { REPORT_STEP_ID, VALIDATION_STEP_IDS, type ValidationStepId } from './index.ts';

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
  /** Receives the finished report (for the console banner and the CLI's --json). */
  onReport(report: Report): void;
}

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
  const note = `**Not staged**: staging needs every step to run and pass — ${blockers.join('; ')}`;
  return { ...entry, comments: [head, '', note, ...rest].join('\n') };
}

/** After SIGTERM, delivery gets this long: systemd's stop timeout must not be hit. */
const ABORTED_DELIVERY_MS = 15_000;

export function createReportStep(deps: ReportStepDeps): StepDefinition<typeof REPORT_STEP_ID, Record<string, never>> {
  return {
    id: REPORT_STEP_ID,
    title: 'Report',
    needs: VALIDATION_STEP_IDS,
    abortable: true,
    alwaysRuns: true,
    tunables: {},
    timeoutMs: () => (deps.aborted() ? ABORTED_DELIVERY_MS : deps.deliveryDeadlineMs) + 60_000,
    async run(ctx, progress): Promise<StepResult> {
      const finished = Date.now();
      const inventory = ctx.inventory;
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
      });
      const problems = reportProblems(report);
      const evidence = [{ file: ctx.evidence.save('report.json', `${JSON.stringify(report, null, 2)}\n`) }];
      if (problems.length) {
        return { status: 'error', cause: 'internal', summary: 'the report does not match its schema (a bug)', reasons: problems, metrics: {}, evidence };
      }
      deps.onReport(report);

      // An aborted run (technician's Ctrl-C, shutdown) says so but leaves the status alone.
      const aborted = deps.aborted();
      // Only a pass may stage, and only a complete one; a failure needs no complete run to be one.
      const blockers = report.verdict === 'pass' && !aborted ? stagingBlockers(deps.records()) : [];
      const statusChange = aborted ? null : report.verdict === 'pass' ? (blockers.length ? null : 'staged') : deps.onFailure === 'failed' ? 'failed' : null;
      if (blockers.length) ctx.log.notice('passed but not staged: not every step ran and passed', { because: blockers.join('; ') });
      const reasons: string[] = [];
      const failures: unknown[] = [];
      const retry = {
        deadline: Date.now() + (aborted ? ABORTED_DELIVERY_MS : deps.deliveryDeadlineMs),
        signal: ctx.signal,
        log: ctx.log,
        backoff: deps.deliveryBackoff,
      };
      const device = ctx.device;
      if (ctx.dryRun) {
        ctx.log.notice('dry run: no journal, status change or callback');
      } else {
        if (deps.netbox && device) {
          progress({ message: 'journaling the result', fraction: 0.2 });
          await deps.journalDrained();
          const final = withStagingNote(renderFinalJournal(report, statusChange), blockers);
          try {
            await deliverJournal(deps.netbox, device.id, final, `run \`${report.runId}\`, bm-agent`, { ...retry, what: 'final journal entry' });
          } catch (error) {
            reasons.push((error as Error).message);
            failures.push(error);
          }
          if (statusChange) {
            progress({ message: `setting status ${statusChange}`, fraction: 0.5 });
            try {
              await deliverStatus(deps.netbox, device.id, statusChange, { ...retry, what: `status → ${statusChange}` });
            } catch (error) {
              reasons.push((error as Error).message);
              failures.push(error);
            }
          }
        } else {
          reasons.push('no NetBox device to report to (see 01-init)');
        }
        if (deps.callback) {
          progress({ message: 'posting the callback', fraction: 0.8 });
          try {
            await postCallback(deps.callback, callbackEventOf(report, statusChange), { ...retry, what: 'callback' });
          } catch (error) {
            reasons.push((error as Error).message);
            failures.push(error);
          }
        }
      }
      const delivered = reasons.length === 0;
      return {
        status: delivered ? 'pass' : 'error',
        ...(delivered ? {} : { cause: deliveryCause(failures) }),
        summary: `${report.verdict.toUpperCase()}${statusChange && !ctx.dryRun ? `, status → ${statusChange}` : ''}${blockers.length ? `, not staged (${blockers.join('; ')})` : ''}${delivered ? '' : '; delivery incomplete (report kept in the evidence bundle)'}`,
        reasons,
        metrics: { verdict: report.verdict, statusChange, notStagedBecause: blockers.length ? blockers.join('; ') : null, durationMs: report.durationMs },
        evidence,
        details: { verdict: report.verdict },
      };
    },
  };
}

/**
 * Why delivery failed, for machines: the first failure's cause when it is NetBox's
 * (refused or unreachable) or a cancellation; anything else (no device to report to,
 * the callback receiver down) counts as the reporting endpoint being unreachable.
 */
function deliveryCause(failures: readonly unknown[]): NonNullable<StepResult['cause']> {
  const causes = failures.map(causeOf);
  return causes.find((c) => c === 'netbox-refused' || c === 'netbox-unreachable' || c === 'aborted') ?? 'netbox-unreachable';
}
