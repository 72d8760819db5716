/**
 * What a validation step is (DESIGN §5): data plus a run function. The runner
 * owns ordering, concurrency, timeouts, cancellation and progress; steps never
 * print, never exit, and report tool failures as results, not exceptions.
 *
 * Steps are the single source of truth: their ids come from steps/index.ts
 * (StepId), their settings from their `tunables` declaration (resolved once into
 * the typed `ctx.tunables`), and what one hands to later steps (StepOutputs)
 * travels in a typed slot the runner fills.
 */
import type { Cause } from '../shared/failure.ts';
import type { Logger } from '../shared/log.ts';
import type { Device, NetboxClient } from '../shared/netbox/index.ts';
import type { EvidenceStore } from './evidence.ts';
import type { Inventory } from './inventory-types.ts';
import type { StepId } from './steps/index.ts';
import type { ToolResult, ToolRunner } from './tools/run-tool.ts';
import type { TunableSpecs, TunableValue, TunableValues } from './tunables.ts';

export type { StepId } from './steps/index.ts';
export type { Tunable } from './tunables.ts';
export type StepStatus = 'pass' | 'fail' | 'skip' | 'error';
export type Profile = 'quick' | 'full';

export interface EvidenceRef {
  /** File name inside the evidence bundle, e.g. `03-disk/fio-nvme0n1.json`. */
  file: string;
  command?: string[];
  exitCode?: number | null;
  durationMs?: number;
}

export interface ResultTable {
  columns: string[];
  rows: (string | number | null)[][];
}

export interface StepResult {
  status: StepStatus;
  /** One line, the verdict an operator reads first. */
  summary: string;
  /** Why it failed or errored (each a short sentence); empty on pass. */
  reasons: string[];
  /** Flat numbers/labels for the report and the callback (units in the key: `readMBps`, `durationMs`). */
  metrics: Record<string, number | string | boolean | null>;
  /** Rendered as a markdown table in the step's journal entry. */
  table?: ResultTable;
  evidence: EvidenceRef[];
  /** Step-specific structured detail for the report (JSON-serialisable). */
  details?: unknown;
  /** What went wrong, for machines (exit codes, the report): set on `fail` and `error` results. */
  cause?: Cause;
  /** What this step hands to the steps after it (the runner puts it on their context; not in the report). */
  outputs?: StepOutputs;
}

/** What steps hand on: 01-init's inventory and NetBox device. */
export interface StepOutputs {
  inventory?: Inventory;
  /** The NetBox device being validated (absent without NetBox, or when not found). */
  device?: Device;
}

export interface StepProgress {
  /** 0..1 when known. */
  fraction?: number;
  message?: string;
}

/** Resolved tunables of any step. */
export type AnyTunableValues = Readonly<Record<string, TunableValue>>;

export interface StepContext<T extends AnyTunableValues = AnyTunableValues> extends StepOutputs {
  profile: Profile;
  /** This step's tunables, resolved once before the run (defaults, profile, config, kernel command line, --set). */
  tunables: T;
  /** Aborted on step timeout, SIGINT/SIGTERM or runner shutdown: stop tools and return. */
  signal: AbortSignal;
  log: Logger;
  evidence: EvidenceStore;
  run: ToolRunner;
  netbox?: NetboxClient;
  /** Bytes of RAM other concurrent steps need (fio buffers…), for memtester's sizing. */
  reservedForOtherStepsBytes: number;
  /** Results of earlier steps (05-report reads them). */
  results: Partial<Record<StepId, StepResult>>;
  dryRun: boolean;
}

/**
 * A step. `Id` is its literal id (steps/index.ts derives StepId from them), `S` its
 * tunable declarations (typed as `ctx.tunables` in `run` and `timeoutMs`).
 */
export interface StepDefinition<Id extends string, S extends TunableSpecs> {
  id: Id;
  title: string;
  /** Steps that must finish first. */
  needs: readonly StepId[];
  /** Hard limit; the runner aborts the step's signal after it (and caps it at what a timer holds). */
  timeoutMs(ctx: Pick<StepContext<TunableValues<S>>, 'profile' | 'tunables'>): number;
  /** Whether SIGTERM may stop it mid-way (every step here is). */
  abortable: boolean;
  /** Runs even after the run was cancelled, with its own time limit only (the report step). */
  alwaysRuns?: boolean;
  /** Declared with defineTunables(); the docs' settings table is generated from them. */
  tunables: S;
  run(ctx: StepContext<TunableValues<S>>, progress: (p: StepProgress) => void): Promise<StepResult>;
}

/** Any step of this agent (the runner's view). */
export type Step = StepDefinition<StepId, TunableSpecs>;

export function skipResult(summary: string, reasons: string[] = []): StepResult {
  return { status: 'skip', summary, reasons, metrics: {}, evidence: [] };
}

/** An `error` result; `cause` says what went wrong for machines (the runner fills `internal` when absent). */
export function errorResult(summary: string, reasons: string[], evidence: EvidenceRef[] = [], cause?: Cause): StepResult {
  return { status: 'error', summary, reasons, metrics: {}, evidence, ...(cause ? { cause } : {}) };
}

/** The cause of a tool run that did not succeed: not installed, out of time, cancelled, or failed. */
export function causeOfToolResult(result: Pick<ToolResult, 'missing' | 'timedOut' | 'aborted'>): Cause {
  if (result.missing) return 'tool-missing';
  if (result.timedOut) return 'timeout';
  if (result.aborted) return 'aborted';
  return 'tool-failed';
}

/** A result's cause, or the default for its status (`fail` → check-failed, `error` → internal); undefined for pass/skip. */
export function causeOfResult(result: Pick<StepResult, 'status' | 'cause'>): Cause | undefined {
  if (result.status === 'fail') return result.cause ?? 'check-failed';
  if (result.status === 'error') return result.cause ?? 'internal';
  return undefined;
}
