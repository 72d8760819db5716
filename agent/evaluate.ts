/**
 * `bm-agent evaluate`: re-runs the parsers and verdicts on a saved evidence
 * bundle, through the same wrappers the steps use, fed by a replay runner that
 * answers each tool call with the output saved for it. A ticket can then say
 * "re-judged with bm-agent X: same verdict" — or show where it differs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fioEvidence } from './disk/evidence-names.ts';
import { judgeDisk, judgeStep } from './disk/verdict.ts';
import { memoryVerdict } from './memory/verdict.ts';
import type { Report } from './report.ts';
import type { StepId, StepStatus } from './step.ts';
import { runFio } from './tools/fio.ts';
import { parseLldpcliJson0 } from './tools/lldpcli.parse.ts';
import { runMemtester } from './tools/memtester.ts';
import type { ToolMeta, ToolResult, ToolRunner } from './tools/run-tool.ts';

/** A ToolRunner that returns what the bundle saved for `evidenceAs` (stdout, .stderr, .meta.json). */
export function replayRunner(bundleDir: string): ToolRunner {
  return async (inv) => {
    const read = (suffix: string) => {
      const path = join(bundleDir, `${inv.evidenceAs ?? ''}${suffix}`);
      return inv.evidenceAs && existsSync(path) ? readFileSync(path, 'utf8') : null;
    };
    const stdout = read('');
    const metaText = read('.meta.json');
    const meta = metaText ? (JSON.parse(metaText) as ToolMeta) : null;
    const result: ToolResult = {
      tool: inv.tool,
      command: meta?.command ?? [inv.tool, ...inv.args],
      exitCode: meta ? meta.exitCode : stdout === null ? null : 0,
      signal: meta?.signal ?? null,
      stdout: stdout ?? '',
      stderr: read('.stderr') ?? '',
      durationMs: meta?.durationMs ?? 0,
      timedOut: meta?.timedOut ?? false,
      aborted: meta?.aborted ?? false,
      missing: meta?.missing ?? stdout === null,
      ...(inv.evidenceAs ? { evidence: inv.evidenceAs } : {}),
    };
    return result;
  };
}

export interface Reevaluation {
  id: StepId;
  recorded: StepStatus | null;
  reevaluated: StepStatus | null;
  note: string;
}

async function memory(dir: string, run: ToolRunner): Promise<Omit<Reevaluation, 'id' | 'recorded'>> {
  const files = readdirSafe(join(dir, '02-memory')).filter((f) => /^memtester-\d+\.txt$/.test(f));
  if (!files.length) return { reevaluated: null, note: 'no memtester output in the bundle' };
  const runs = await Promise.all(files.map((f, index) => runMemtester(run, { index, sizeMiB: 0, loops: 0, timeoutMs: 0, evidenceAs: `02-memory/${f}` })));
  // The step's own verdict: a found memory fault is a fail even when another process errored.
  const { status } = memoryVerdict(runs, false);
  const failures = runs.reduce((n, r) => n + r.report.failureCount, 0);
  return { reevaluated: status, note: `${files.length} memtester output(s), ${failures} failure line(s)` };
}

async function disk(dir: string, run: ToolRunner): Promise<Omit<Reevaluation, 'id' | 'recorded'>> {
  const planPath = join(dir, '03-disk', 'plan.json');
  if (!existsSync(planPath)) return { reevaluated: null, note: 'no disk plan in the bundle' };
  const saved = JSON.parse(readFileSync(planPath, 'utf8'));
  const planSet = { disks: saved.disks, missing: saved.missing ?? [] };
  const outcomes = await Promise.all(
    planSet.disks.map(async (plan: { name: string; decision: string; fioArgs: string[] }) => {
      if (plan.decision === 'skip') return judgeDisk(plan as never, null, saved.settings);
      const fio = await runFio(run, { args: plan.fioArgs, timeoutMs: 0, evidenceAs: fioEvidence(plan.name) });
      return judgeDisk(plan as never, { report: fio.report, problem: fio.problem }, saved.settings);
    }),
  );
  const verdict = judgeStep(planSet as never, outcomes);
  return { reevaluated: verdict.status, note: verdict.summary };
}

function lldp(dir: string): Omit<Reevaluation, 'id' | 'recorded'> {
  const path = join(dir, '04-lldp', 'neighbors.json');
  if (!existsSync(path)) return { reevaluated: null, note: 'no lldpcli output in the bundle' };
  const neighbours = parseLldpcliJson0(readFileSync(path, 'utf8'));
  const seen = neighbours.map((n) => `${n.localInterface} → ${n.chassisName ?? n.chassisId} ${n.portId ?? ''}`.trim());
  return {
    reevaluated: null,
    note: `parsed ${neighbours.length} neighbour(s)${seen.length ? `: ${seen.join(', ')}` : ''}; the cabling comparison needs NetBox (not re-judged)`,
  };
}

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path).sort();
  } catch {
    return [];
  }
}

export async function reevaluateBundle(dir: string): Promise<{ report: Report; steps: Reevaluation[] }> {
  const reportPath = join(dir, 'report.json');
  if (!existsSync(reportPath)) throw new Error(`${dir} is not an evidence bundle (no report.json)`);
  const report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report;
  const recorded = (id: StepId) => report.steps.find((s) => s.id === id)?.status ?? null;
  const run = replayRunner(dir);
  const init = existsSync(join(dir, '01-init', 'inventory.json'));
  const steps: Reevaluation[] = [
    {
      id: '01-init',
      recorded: recorded('01-init'),
      reevaluated: null,
      note: init ? 'inventory present; the NetBox comparison needs NetBox (not re-judged)' : 'no inventory in the bundle',
    },
    { id: '02-memory', recorded: recorded('02-memory'), ...(await memory(dir, run)) },
    { id: '03-disk', recorded: recorded('03-disk'), ...(await disk(dir, run)) },
    { id: '04-lldp', recorded: recorded('04-lldp'), ...lldp(dir) },
  ];
  return { report, steps };
}
