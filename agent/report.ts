/**
 * The report: one JSON document per run with a published, versioned schema
 * (`bm-agent schema`; validated by reportProblems). The journal entries and the
 * callback event are rendered from it, so what NetBox, the receiver and the
 * evidence bundle say agree. Everything in a journal entry that a tool, the wire or
 * NetBox produced (step summaries, reasons, table cells: an LLDP system name, a port
 * description, a disk model, a delivery's refusal) goes through shared/markdown.ts, so
 * NetBox shows it as text. Pure (but for the validator compiled on first use).
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { EXIT_CODE_OF_CAUSE } from '../shared/cli/exit-codes.ts';
import type { Cause } from '../shared/failure.ts';
import { mdTableCell, mdText } from '../shared/markdown.ts';
import { causeOfResult, type StepId, type StepResult, type StepStatus } from './step.ts';
import { STEP_IDS } from './steps/index.ts';
import { formatSeconds } from '../shared/units.ts';

export const REPORT_SCHEMA_VERSION = 1;

export type Verdict = 'pass' | 'fail' | 'error';

/**
 * How one delivery went: `delivered`; `failed` (the run's results did not get there: the
 * report step errors); `skipped` (not done, on purpose or by a limit, and said: a bundle over
 * the size cap, NetBox refusing the verdict custom fields).
 */
export interface DeliveryRecord {
  /** `evidence upload`, `status → staged`, `verdict custom fields`, `final journal entry`, `callback`, … */
  what: string;
  outcome: 'delivered' | 'failed' | 'skipped';
  /** What happened, for people: the size uploaded, or why not (redacted: never a secret). */
  detail: string;
}

export interface ReportStep {
  id: StepId;
  title: string;
  status: StepStatus;
  summary: string;
  reasons: string[];
  metrics: Record<string, number | string | boolean | null>;
  startedAt: string | null;
  durationMs: number | null;
  evidence: string[];
  table?: { columns: string[]; rows: (string | number | null)[][] };
  /** What went wrong, for machines; on `fail` and `error` steps only. */
  cause?: Cause;
}

export interface Report {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  runId: string;
  agentVersion: string;
  profile: 'quick' | 'full';
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  verdict: Verdict;
  reasons: string[];
  device: { id: number; name: string | null; url: string } | null;
  machine: { manufacturer: string | null; model: string | null; serial: string | null };
  steps: ReportStep[];
  /** Where the evidence bundle is uploaded (bm.evidence_url), shown without credentials or query; absent when not configured. */
  evidence?: { url: string };
  /**
   * How each delivery went, in order; written once delivery is over (report.json is saved
   * before delivery too, and the copy inside the uploaded bundle has no `delivery`).
   */
  delivery?: DeliveryRecord[];
}

const metricValue = { type: ['number', 'string', 'boolean', 'null'] };

/** Every Cause, for the schema: the keys of the one cause → exit code table (complete by its type). */
const CAUSES = Object.keys(EXIT_CODE_OF_CAUSE) as Cause[];

export const REPORT_JSON_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://bm-provision.invalid/schemas/bm-agent-report-v1.json',
  title: 'bm-agent validation report',
  type: 'object',
  additionalProperties: false,
  required: [
    'schemaVersion',
    'runId',
    'agentVersion',
    'profile',
    'dryRun',
    'startedAt',
    'finishedAt',
    'durationMs',
    'verdict',
    'reasons',
    'device',
    'machine',
    'steps',
  ],
  properties: {
    schemaVersion: { const: REPORT_SCHEMA_VERSION },
    runId: { type: 'string', minLength: 1 },
    agentVersion: { type: 'string' },
    profile: { enum: ['quick', 'full'] },
    dryRun: { type: 'boolean' },
    startedAt: { type: 'string', format: 'date-time' },
    finishedAt: { type: 'string', format: 'date-time' },
    durationMs: { type: 'integer', minimum: 0 },
    verdict: { enum: ['pass', 'fail', 'error'] },
    reasons: { type: 'array', items: { type: 'string' } },
    device: {
      oneOf: [
        { type: 'null' },
        {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'name', 'url'],
          properties: { id: { type: 'integer' }, name: { type: ['string', 'null'] }, url: { type: 'string' } },
        },
      ],
    },
    machine: {
      type: 'object',
      additionalProperties: false,
      required: ['manufacturer', 'model', 'serial'],
      properties: { manufacturer: { type: ['string', 'null'] }, model: { type: ['string', 'null'] }, serial: { type: ['string', 'null'] } },
    },
    steps: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'title', 'status', 'summary', 'reasons', 'metrics', 'startedAt', 'durationMs', 'evidence'],
        properties: {
          id: { enum: STEP_IDS },
          title: { type: 'string' },
          status: { enum: ['pass', 'fail', 'skip', 'error'] },
          summary: { type: 'string' },
          reasons: { type: 'array', items: { type: 'string' } },
          metrics: { type: 'object', additionalProperties: metricValue },
          startedAt: { type: ['string', 'null'] },
          durationMs: { type: ['integer', 'null'], minimum: 0 },
          evidence: { type: 'array', items: { type: 'string' } },
          cause: { enum: CAUSES },
          table: {
            type: 'object',
            additionalProperties: false,
            required: ['columns', 'rows'],
            properties: {
              columns: { type: 'array', items: { type: 'string' } },
              rows: { type: 'array', items: { type: 'array', items: { type: ['string', 'number', 'null'] } } },
            },
          },
        },
      },
    },
    evidence: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: { url: { type: 'string', minLength: 1 } },
    },
    delivery: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['what', 'outcome', 'detail'],
        properties: { what: { type: 'string' }, outcome: { enum: ['delivered', 'failed', 'skipped'] }, detail: { type: 'string' } },
      },
    },
  },
} as const;

let validateReport: (((data: unknown) => boolean) & { errors?: unknown }) | undefined;

/** Validates a report against the published schema; returns the problems (empty when valid). */
export function reportProblems(report: unknown): string[] {
  if (!validateReport) {
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    addFormats(ajv);
    validateReport = ajv.compile(REPORT_JSON_SCHEMA);
  }
  if (validateReport(report)) return [];
  return ((validateReport.errors as { instancePath: string; message?: string }[]) ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`);
}

/** Overall verdict: any error → error; else any fail → fail; else pass (skips do not fail a run). */
export function verdictOf(statuses: readonly StepStatus[]): Verdict {
  if (statuses.includes('error')) return 'error';
  if (statuses.includes('fail')) return 'fail';
  return 'pass';
}

export interface StepRecord {
  id: StepId;
  title: string;
  result: StepResult;
  startedAt: string | null;
  durationMs: number | null;
}

export function reportStepOf(record: StepRecord): ReportStep {
  const { result } = record;
  const cause = causeOfResult(result);
  return {
    id: record.id,
    title: record.title,
    status: result.status,
    summary: result.summary,
    reasons: result.reasons,
    metrics: result.metrics,
    startedAt: record.startedAt,
    durationMs: record.durationMs,
    evidence: result.evidence.map((e) => e.file),
    ...(result.table ? { table: result.table } : {}),
    ...(cause ? { cause } : {}),
  };
}

export function buildReport(input: Omit<Report, 'schemaVersion' | 'verdict' | 'reasons' | 'steps' | 'delivery'> & { steps: readonly StepRecord[] }): Report {
  const steps = input.steps.map(reportStepOf);
  const verdict = verdictOf(steps.map((s) => s.status));
  const reasons = steps.flatMap((s) => (s.status === 'fail' || s.status === 'error' ? s.reasons.map((r) => `${s.id}: ${r}`) : []));
  return { schemaVersion: REPORT_SCHEMA_VERSION, ...input, verdict, reasons, steps };
}

const ICON: Record<StepStatus, string> = { pass: '✅ PASS', fail: '❌ FAIL', skip: '⏭️ SKIP', error: '⚠️ ERROR' };
const JOURNAL_KIND = { pass: 'success', fail: 'danger', skip: 'info', error: 'warning' } as const;

function cell(value: string | number | null): string {
  return value === null ? '–' : String(value).replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/**
 * A markdown table for the terminal (`bm-agent inventory`, `plan`, `evaluate`): cells keep
 * their text, only `|` and line breaks are escaped. Journal entries use journalTable.
 */
export function markdownTable(
  table: { columns: string[]; rows: (string | number | null)[][] },
  cellOf: (value: string | number | null) => string = cell,
): string {
  return [
    `| ${table.columns.map(cellOf).join(' | ')} |`,
    `|${table.columns.map(() => '---').join('|')}|`,
    ...table.rows.map((row) => `| ${row.map(cellOf).join(' | ')} |`),
  ].join('\n');
}

/** A table for NetBox markdown: every cell through mdTableCell (wire data shown as text, `–` for none). */
export function journalTable(table: { columns: string[]; rows: (string | number | null)[][] }): string {
  return markdownTable(table, mdTableCell);
}

/** Unique per run and step: lets a retried journal POST find an entry that already landed. */
export function stepMarker(id: StepId, runId: string): string {
  return `${id} · run \`${runId}\``;
}

/** The journal entry for one finished step: verdict line first, reasons, the step's table. */
export function renderStepJournal(step: ReportStep, runId: string): { kind: 'success' | 'danger' | 'info' | 'warning'; comments: string } {
  const lines = [`**bm-agent ${step.id} ${step.title}: ${ICON[step.status]}** — ${mdText(step.summary)}`];
  if (step.reasons.length) lines.push('', ...step.reasons.map((r) => `- ${mdText(r)}`));
  if (step.table?.rows.length) lines.push('', journalTable(step.table));
  lines.push('', `_${stepMarker(step.id, runId)}${step.durationMs !== null ? `, ${formatSeconds(step.durationMs, 1)}` : ''}_`);
  return { kind: JOURNAL_KIND[step.status], comments: lines.join('\n') };
}

/** DeliveryRecord.what of the evidence upload. */
export const EVIDENCE_UPLOAD = 'evidence upload';

/**
 * A URL as a markdown autolink (`<https://…>`): the WHATWG serialisation percent-encodes
 * what could end or break it (`>`, spaces, quotes); anything that is not http(s) is text.
 */
function mdLink(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return `<${parsed.href}>`;
  } catch {
    // shown as text below
  }
  return mdText(url);
}

/**
 * The journal lines about delivery: where the evidence bundle is (a link) and every
 * delivery that did not happen, with why. Pure.
 */
export function deliveryLines(evidence: Report['evidence'], records: readonly DeliveryRecord[]): string[] {
  const lines: string[] = [];
  const upload = records.find((r) => r.what === EVIDENCE_UPLOAD);
  if (evidence && upload?.outcome === 'delivered') lines.push(`**Evidence**: ${mdLink(evidence.url)} (${mdText(upload.detail)})`);
  for (const record of records) {
    if (record.outcome === 'delivered') continue;
    lines.push(`- ⚠️ ${mdText(record.what)} ${record.outcome === 'failed' ? 'not delivered' : 'skipped'}: ${mdText(record.detail)}`);
  }
  return lines;
}

/**
 * The final journal entry: the run's verdict with every step's line. `statusChange` is the
 * status change made (null when none was, or it did not land); `records` the deliveries
 * done before this entry (evidence upload, status, custom fields), shown when one did not
 * happen, with the evidence link when the upload did.
 */
export function renderFinalJournal(
  report: Report,
  statusChange: string | null,
  records: readonly DeliveryRecord[] = [],
): { kind: 'success' | 'danger' | 'warning'; comments: string } {
  const head =
    report.verdict === 'pass' ? '✅ **Validation PASSED**' : report.verdict === 'fail' ? '❌ **Validation FAILED**' : '⚠️ **Validation did not complete**';
  const lines = [
    `${head} (${report.profile} profile, ${formatSeconds(report.durationMs)})${statusChange ? ` — status → **${mdText(statusChange)}**` : ''}`,
    '',
    journalTable({ columns: ['step', 'result', 'summary'], rows: report.steps.map((s) => [s.id, s.status.toUpperCase(), s.summary]) }),
  ];
  if (report.reasons.length) lines.push('', '**Reasons**', ...report.reasons.map((r) => `- ${mdText(r)}`));
  const delivery = deliveryLines(report.evidence, records);
  if (delivery.length) lines.push('', ...delivery);
  lines.push('', `_run \`${report.runId}\`, bm-agent ${report.agentVersion}_`);
  return { kind: report.verdict === 'pass' ? 'success' : report.verdict === 'fail' ? 'danger' : 'warning', comments: lines.join('\n') };
}

/** Unique per run: the marker of the entry that reports deliveries failing after the final entry. */
export function deliveryMarker(runId: string): string {
  return `delivery problems · run \`${runId}\``;
}

/**
 * The entry posted after the final one when a later delivery (the callback) did not
 * happen: what, and why (NetBox readers see it next to the verdict). Pure.
 */
export function renderDeliveryJournal(runId: string, records: readonly DeliveryRecord[]): { kind: 'warning'; comments: string } {
  const lines = ['⚠️ **bm-agent: delivery incomplete**', '', ...deliveryLines(undefined, records), '', `_${deliveryMarker(runId)}_`];
  return { kind: 'warning', comments: lines.join('\n') };
}

export interface CallbackEvent {
  event: 'bm.validation.finished';
  runId: string;
  verdict: Verdict;
  device: Report['device'];
  serial: string | null;
  profile: Report['profile'];
  finishedAt: string;
  durationMs: number;
  steps: Record<string, StepStatus>;
  reasons: string[];
  status: string | null;
}

/** The callback event, derived from the report (and the status change made). */
export function callbackEventOf(report: Report, statusChange: string | null): CallbackEvent {
  return {
    event: 'bm.validation.finished',
    runId: report.runId,
    verdict: report.verdict,
    device: report.device,
    serial: report.machine.serial,
    profile: report.profile,
    finishedAt: report.finishedAt,
    durationMs: report.durationMs,
    steps: Object.fromEntries(report.steps.map((s) => [s.id, s.status])),
    reasons: report.reasons,
    status: statusChange,
  };
}
