/**
 * docs/phase1-flow.dot, rendered from the runner's plan: the steps, what each
 * needs (so what runs concurrently) and its settings. (Time limits depend on
 * the machine — memory size, disks — and are shown by `bm-agent plan`.) `make docs` writes it; a test fails when it is stale.
 */
import { executionOrder } from './runner.ts';
import type { Step } from './step.ts';
import { createReportStep } from './steps/05-report.ts';
import { VALIDATION_STEPS } from './steps/index.ts';
import { areaOf } from './tunables.ts';

const quote = (text: string) => `"${text.replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`;

export function phase1Steps(): Step[] {
  const report = createReportStep({
    runId: '',
    agentVersion: '',
    startedAt: 0,
    records: () => [],
    journalDrained: async () => {},
    netbox: null,
    callback: null,
    onFailure: 'failed',
    deliveryDeadlineMs: 1_800_000,
    aborted: () => false,
    log: {
      debug() {},
      info() {},
      notice() {},
      warning() {},
      error() {},
      child() {
        return this;
      },
    },
    onReport: () => {},
  });
  return [...VALIDATION_STEPS, report];
}

export function renderPhase1FlowDot(steps: readonly Step[] = phase1Steps()): string {
  const order = executionOrder(steps);
  const byId = new Map(steps.map((s) => [s.id, s]));
  const lines = [
    '// Generated from the runner plan (agent/flow-dot.ts, make docs); do not edit.',
    'digraph bm_agent_phase1 {',
    '  rankdir=LR;',
    '  node [shape=box, style="rounded,filled", fillcolor="#e3f2fd", fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=9];',
    '  label="bm-agent run: steps start when what they need has finished; each is journaled as it ends"; labelloc=t;',
    '  boot [shape=oval, fillcolor="#eeeeee", label="PXE boot\\nbm.* kernel args"];',
    '  staged [shape=oval, fillcolor="#c8e6c9", label="NetBox: staged\\n+ callback"];',
    '  failed [shape=oval, fillcolor="#ffcdd2", label="NetBox: failed\\n(unless bm.on_failure=leave)"];',
  ];
  for (const id of order) {
    const step = byId.get(id)!;
    const knobs = Object.keys(step.tunables);
    const settings = knobs.length ? `\nbm.${areaOf(step)}.* (${knobs.length} setting${knobs.length === 1 ? '' : 's'})` : '';
    lines.push(`  ${quote(id)} [label=${quote(`${id}\n${step.title}${settings}`)}];`);
  }
  for (const id of order) {
    const step = byId.get(id)!;
    if (step.needs.length === 0) lines.push(`  boot -> ${quote(id)};`);
    for (const need of step.needs) lines.push(`  ${quote(need)} -> ${quote(id)};`);
  }
  lines.push('  "05-report" -> staged [label="all pass"];', '  "05-report" -> failed [label="any fail"];', '}');
  return `${lines.join('\n')}\n`;
}

if (import.meta.main) process.stdout.write(renderPhase1FlowDot());
