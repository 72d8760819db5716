/**
 * What a validation step is (DESIGN §5): data plus a run function. The runner
 * owns ordering, concurrency, timeouts, cancellation and progress; steps never
 * print, never exit, and report tool failures as results, not exceptions.
 */
import type { Logger } from '../shared/log.ts';
import type { Device, NetboxClient } from '../shared/netbox/index.ts';
import type { EvidenceStore } from './evidence.ts';
import type { Inventory } from './inventory-types.ts';
import type { ToolRunner } from './tools/run-tool.ts';

export type StepId = '01-init' | '02-memory' | '03-disk' | '04-lldp' | '05-report';
export type StepStatus = 'pass' | 'fail' | 'skip' | 'error';
export type Profile = 'quick' | 'full';

/** A knob of a step, settable as `bm.<area>.<knob>` on the kernel command line or `steps.<area>.<knob>` in config. */
export interface Tunable {
  description: string;
  default: number | string | boolean;
  /** Per-profile defaults override `default`. */
  profiles?: Partial<Record<Profile, number | string | boolean>>;
}

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
}

export interface StepProgress {
  /** 0..1 when known. */
  fraction?: number;
  message?: string;
}

export interface StepContext {
  profile: Profile;
  /** Tunable values for this step, resolved (defaults, profile, config, kernel command line). */
  tunables: Record<string, number | string | boolean>;
  /** Aborted on step timeout, SIGINT/SIGTERM or runner shutdown: stop tools and return. */
  signal: AbortSignal;
  log: Logger;
  evidence: EvidenceStore;
  run: ToolRunner;
  /** Set by 01-init for the later steps. */
  inventory?: Inventory;
  /** The NetBox device being validated (absent in dry runs without NetBox). */
  device?: Device;
  netbox?: NetboxClient;
  /** Bytes of RAM other concurrent steps need (fio buffers…), for memtester's sizing. */
  reservedForOtherStepsBytes: number;
  /** Results of earlier steps (05-report reads them). */
  results: Partial<Record<StepId, StepResult>>;
  dryRun: boolean;
}

export interface Step {
  id: StepId;
  title: string;
  /** Steps that must finish first. */
  needs: StepId[];
  /** Hard limit; the runner aborts the step's signal after it. */
  timeoutMs(ctx: Pick<StepContext, 'profile' | 'tunables'>): number;
  /** Whether SIGTERM may stop it mid-way (every step here is). */
  abortable: boolean;
  /** Runs even after the run was cancelled, with its own time limit only (the report step). */
  alwaysRuns?: boolean;
  tunables: Record<string, Tunable>;
  run(ctx: StepContext, progress: (p: StepProgress) => void): Promise<StepResult>;
}

export function skipResult(summary: string, reasons: string[] = []): StepResult {
  return { status: 'skip', summary, reasons, metrics: {}, evidence: [] };
}

export function errorResult(summary: string, reasons: string[], evidence: EvidenceRef[] = []): StepResult {
  return { status: 'error', summary, reasons, metrics: {}, evidence };
}
