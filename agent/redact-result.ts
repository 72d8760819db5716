/**
 * Every step result leaves the runner redacted: what a step says for people — its summary,
 * reasons, table cells and text metrics — goes through redact() (shared/redact.ts: a URL's
 * credentials, `http://user:pass@host/` → `user:[REDACTED]@`, the NetBox token and any
 * registered secret). That is the one point every output of a run is formatted from: the
 * console lines, report.json, the journal entries and the callback all read the step
 * records, so no step (nor an error message a step crashed with) can print a secret by
 * forgetting to redact it. Evidence files, outputs and details are not touched. Pure.
 */
import { redact } from '../shared/redact.ts';
import type { StepResult } from './step.ts';

/** The same result with its human-readable text redacted. */
export function redactResult(result: StepResult): StepResult {
  const text = <T>(value: T): T => (typeof value === 'string' ? (redact(value) as T) : value);
  return {
    ...result,
    summary: redact(result.summary),
    reasons: result.reasons.map(redact),
    metrics: Object.fromEntries(Object.entries(result.metrics).map(([key, value]) => [key, text(value)])),
    ...(result.table ? { table: { columns: result.table.columns.map(redact), rows: result.table.rows.map((row) => row.map(text)) } } : {}),
  };
}
