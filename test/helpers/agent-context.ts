/**
 * A StepContext for tests: in-memory logger, evidence in a fresh temp
 * directory, and a ToolRunner that refuses to spawn (unit tests must inject
 * a fake; integration tests pass a real one). Override any field.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryLogger } from '../../shared/log.ts';
import { createEvidenceStore } from '../../agent/evidence.ts';
import type { Profile, StepContext } from '../../agent/step.ts';
import type { ToolRunner } from '../../agent/tools/run-tool.ts';
import { areaOf, resolveTunables, type TunableSpecs, type TunableValues } from '../../agent/tunables.ts';

/** The default runner of test contexts: spawning is blocked, loudly. */
export const blockedRunner: ToolRunner = async (inv) => {
  throw new Error(`spawning is blocked in this test: ${[inv.tool, ...inv.args].join(' ')} (inject ctx.run)`);
};

/**
 * A step's tunables as the runner resolves them: its declared (profile) defaults, then
 * `settings` (raw values, checked like `--set area.knob=value`).
 */
export function tunablesFor<S extends TunableSpecs>(
  step: { id: string; tunables: S },
  settings: Record<string, unknown> = {},
  profile: Profile = 'quick',
): TunableValues<S> {
  return resolveTunables(step, profile, [{ source: 'test', values: { [areaOf(step)]: settings } }]);
}

/** Tunables are loosely typed here: tests pass what the step under test reads (see tunablesFor). */
// biome-ignore lint/suspicious/noExplicitAny: any step's typed tunables
export interface TestStepContext extends StepContext<any> {
  /** Lines logged through ctx.log. */
  logLines: string[];
  /** Removes the evidence directory. */
  cleanup(): void;
}

// biome-ignore lint/suspicious/noExplicitAny: any step's typed tunables
export function createTestContext(overrides: Partial<StepContext<any>> = {}): TestStepContext {
  const log = createMemoryLogger('debug');
  const evidenceDir = mkdtempSync(join(tmpdir(), 'bmt-evidence-'));
  // biome-ignore lint/suspicious/noExplicitAny: one helper builds contexts for every step's tunables
  const ctx: StepContext<any> = {
    profile: 'quick',
    tunables: {},
    signal: new AbortController().signal,
    log,
    evidence: createEvidenceStore(evidenceDir),
    run: blockedRunner,
    reservedForOtherStepsBytes: 0,
    results: {},
    dryRun: false,
    ...overrides,
  };
  return { ...ctx, logLines: log.lines, cleanup: () => rmSync(evidenceDir, { recursive: true, force: true }) };
}
