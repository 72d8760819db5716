/**
 * The device lifecycle in NetBox (offline → discovered → staged → ready → active), drawn from the modules that make
 * each transition, so the picture cannot drift from the code:
 *
 * - Phase 0, bm-hook: the rows of its state machine that change the status (hook/fsm.ts `FSM`, `to`);
 * - Phase 1, bm-agent: the statuses its report sets (agent/steps/05-report.ts `REPORT_STATUSES`);
 * - Phase 2, bm-harden: the statuses `run` accepts and sets (harden/device.ts `RUN_STATUSES`, `STAGED_STATUS`,
 *   `RESULT_STATUSES`);
 * - and the one step no code makes: the operator hands a `ready` server over (`active`).
 *
 * Which binary and command make each transition, and on what condition, is said here (prose); the status names
 * are the code's. `make docs` writes docs/lifecycle.dot (+ .svg) and the table in README.md; tests fail when
 * either is stale (test/unit/docs/lifecycle.test.ts, test/unit/docs/generate.test.ts).
 */
import { REPORT_STATUSES } from '../agent/steps/05-report.ts';
import { PXE_BOOT_STATUSES, RESULT_STATUSES, RUN_STATUSES, STAGED_STATUS } from '../harden/device.ts';
import { FSM, type Row } from '../hook/fsm.ts';

/** One status change of a device; `from` null: any status (the actor does not check it). */
export interface Transition {
  phase: string;
  from: string | null;
  /** The status afterwards; equal to `from` for a run that leaves the status as it is. */
  to: string;
  /** The binary and command (or person) making the change. */
  by: string;
  when: string;
  /** Drawn as a warning or failure (orange/red). */
  bad?: boolean;
}

/** Phase 0: bm-hook's FSM rows with a `to` other than their `from`. Pure. */
export function hookTransitions(rows: readonly Row[] = FSM): Transition[] {
  const out: Transition[] = [];
  for (const row of rows) {
    if (!row.to) continue;
    for (const from of row.from) {
      if (from === row.to || from === 'none' || from === 'other') continue;
      out.push({
        phase: 'Phase 0',
        from,
        to: row.to,
        by: '`bm-hook drain` (started by `bm-hook commit` / `bm-hook kea` on a DHCP lease of the BMC)',
        when: `${row.when.join(' / ')}: ${row.note}`,
        ...(row.anomaly ? { bad: true } : {}),
      });
    }
  }
  return out;
}

/** Phase 1: bm-agent's report. The agent does not check the status it finds: the server was PXE-booted. Pure. */
export function agentTransitions(): Transition[] {
  // `bm-harden pxe-boot` starts this phase without a technician (it changes no status itself): from these statuses.
  const by = `\`bm-agent run\` (in the PXE image, 05-report), after a PXE boot: a technician's, or \`bm-harden pxe-boot\` (from ${PXE_BOOT_STATUSES.map((s) => `\`${s}\``).join(' or ')})`;
  return [
    { phase: 'Phase 1', from: null, to: REPORT_STATUSES.pass, by, when: 'every validation step ran and passed' },
    { phase: 'Phase 1', from: null, to: REPORT_STATUSES.fail, by, when: 'a step failed or errored, unless `bm.on_failure=leave`', bad: true },
  ];
}

/**
 * Phase 2: bm-harden run, for each status it accepts (staged; ready to re-verify): the outcomes that end in the same
 * status are one transition. Pure.
 */
export function hardenTransitions(): Transition[] {
  const out: Transition[] = [];
  for (const from of RUN_STATUSES) {
    const by =
      from === STAGED_STATUS
        ? '`bm-harden run --device …`, or `bm-harden serve` / `watch` on their own'
        : '`bm-harden run --device …` (re-verifies, re-applies what drifted)';
    const outcomes: { to: string; when: string; bad: boolean }[] = [
      { to: RESULT_STATUSES.compliant, when: 'the BMC is compliant with its profile when read again after Ansible', bad: false },
      { to: RESULT_STATUSES.nonCompliant, when: 'still not compliant after Ansible, config `onNonCompliant: failed` (the default)', bad: true },
      { to: from, when: 'not compliant with `onNonCompliant: leave`, or the BMC or NetBox failed before anything was recorded', bad: true },
    ];
    for (const to of new Set(outcomes.map((o) => o.to))) {
      const same = outcomes.filter((o) => o.to === to);
      const bad = same.every((o) => o.bad);
      out.push({ phase: 'Phase 2', from, to, by, when: same.map((o) => o.when).join('; or '), ...(bad ? { bad } : {}) });
    }
  }
  return out;
}

/** The hand-over: the one transition no code of this repository makes. */
export const OPERATOR_TRANSITION: Transition = {
  phase: 'hand-over',
  from: RESULT_STATUSES.compliant,
  to: 'active',
  by: 'an operator (NetBox UI or API)',
  when: 'the server is taken into service',
};

/** The whole lifecycle, phase by phase. Pure. */
export function lifecycleTransitions(): Transition[] {
  return [...hookTransitions(), ...agentTransitions(), ...hardenTransitions(), OPERATOR_TRANSITION];
}

const code = (status: string) => `\`${status}\``;

/** The Markdown table of README.md's `lifecycle` region (docs/generate.ts). Pure. */
export function lifecycleRows(transitions: readonly Transition[] = lifecycleTransitions()): string[][] {
  return transitions.map((t) => [
    t.phase,
    t.from === null ? 'any (not checked)' : code(t.from),
    t.to === t.from ? `(stays ${code(t.to)})` : code(t.to),
    t.by,
    t.when,
  ]);
}

/** The columns of the table. */
export const LIFECYCLE_COLUMNS = ['phase', 'from', 'to', 'made by', 'when'] as const;

const quote = (text: string) => `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`;
const plain = (text: string) => text.replaceAll('`', '');

/** Text broken into lines of at most `width` characters at spaces, for edge labels. Pure. */
export function wrap(text: string, width = 48): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

/** The main line of statuses, left to right. */
const MAIN_LINE = (transitions: readonly Transition[]) => {
  const order: string[] = [];
  for (const t of transitions) for (const s of [t.from, t.to]) if (s !== null && !order.includes(s)) order.push(s);
  return order;
};

const FILL: Record<string, string> = { failed: '#ffcdd2', active: '#c8e6c9' };

/** docs/lifecycle.dot. An edge per transition; "any status" edges come from the status before them on the line. Pure. */
export function renderLifecycleDot(transitions: readonly Transition[] = lifecycleTransitions()): string {
  const lines = [
    '// Generated from the code by `make docs` (docs/lifecycle.ts: hook/fsm.ts, agent/steps/05-report.ts, harden/device.ts); do not edit.',
    'digraph device_lifecycle {',
    '  rankdir=LR; ranksep=1.6; nodesep=0.9;',
    '  node [shape=box, style="rounded,filled", fillcolor="#e3f2fd", fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=9];',
    '  label="Device status in NetBox: who changes it, and when"; labelloc=t;',
  ];
  for (const status of MAIN_LINE(transitions)) lines.push(`  ${quote(status)} [fillcolor=${quote(FILL[status] ?? '#e3f2fd')}];`);
  // "Any status" (the agent does not check it): drawn from the status the previous phase's success leads to.
  const successOf = new Map<string, string>();
  for (const t of transitions) if (!t.bad && t.from !== t.to) successOf.set(t.phase, t.to);
  const phases = [...new Set(transitions.map((t) => t.phase))];
  for (const t of transitions) {
    const from = t.from ?? successOf.get(phases[phases.indexOf(t.phase) - 1] ?? '') ?? 'offline';
    const by = plain(t.by).replace(/ \(.*\)$/, '');
    const style = t.bad ? ', color="#e65100", fontcolor="#e65100"' : '';
    const note = t.from === null ? '\n(status not checked)' : '';
    lines.push(`  ${quote(from)} -> ${quote(t.to)} [label=${quote(`${wrap(`${t.phase}: ${by}`)}\n${wrap(plain(t.when))}${note}`)}${style}];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

if (import.meta.main) process.stdout.write(renderLifecycleDot());
