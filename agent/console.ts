/**
 * What the onsite technician sees. On a TTY: a live view redrawn in place (step,
 * progress bar, elapsed, ETA, what it is doing). On a serial console or a pipe:
 * plain progress lines at a steady rate. At the end: a large PASS/FAIL banner
 * with the device name and the reasons, readable from across the aisle; the NetBox
 * status only when it was changed. Rendering is pure; the drivers only decide when
 * to write, and redact what they write.
 */
import { redact } from '../shared/redact.ts';
import type { Report } from './report.ts';
import type { RunnerEvent } from './runner.ts';
import type { StepId, StepStatus } from './step.ts';
import { REPORT_STEP_ID } from './steps/index.ts';

export interface StepView {
  id: StepId;
  title: string;
  state: 'waiting' | 'running' | StepStatus;
  startedAt?: number;
  endedAt?: number;
  timeoutMs?: number;
  fraction?: number;
  message?: string;
  summary?: string;
}

export function applyEvent(views: Map<StepId, StepView>, event: RunnerEvent): void {
  const view = views.get(event.id) ?? { id: event.id, title: event.type === 'start' ? event.title : event.id, state: 'waiting' };
  if (event.type === 'start') Object.assign(view, { title: event.title, state: 'running', startedAt: event.at, timeoutMs: event.timeoutMs });
  if (event.type === 'progress') Object.assign(view, { fraction: event.progress.fraction ?? view.fraction, message: event.progress.message ?? view.message });
  if (event.type === 'end')
    Object.assign(view, { title: event.record.title, state: event.record.result.status, endedAt: event.at, summary: event.record.result.summary });
  views.set(event.id, view);
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

const ICONS: Record<StepView['state'], string> = { waiting: '·', running: '▶', pass: '✔', fail: '✘', skip: '–', error: '!' };

function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

/** One line per step, for the live view. */
export function renderLiveLines(views: readonly StepView[], now: number, width = 100): string[] {
  return views.map((v) => {
    const elapsed = v.startedAt !== undefined ? (v.endedAt ?? now) - v.startedAt : 0;
    let middle: string;
    if (v.state === 'running') {
      const eta =
        v.fraction && v.fraction > 0.02
          ? ` ETA ${formatDuration((elapsed / v.fraction) * (1 - v.fraction))}`
          : v.timeoutMs
            ? ` (limit ${formatDuration(v.timeoutMs)})`
            : '';
      middle = `${v.fraction !== undefined ? `${bar(v.fraction, 20)} ${String(Math.round(v.fraction * 100)).padStart(3)}%` : ' '.repeat(25)} ${formatDuration(elapsed).padStart(6)}${eta}  ${v.message ?? ''}`;
    } else if (v.state === 'waiting') middle = 'waiting';
    else middle = `${v.state.toUpperCase().padEnd(5)} ${formatDuration(elapsed).padStart(6)}  ${v.summary ?? ''}`;
    return `${ICONS[v.state]} ${v.id.padEnd(9)} ${v.title.padEnd(14).slice(0, 14)} ${middle}`.slice(0, width);
  });
}

/** A plain progress line (serial console, pipes, logs). */
export function renderPlainLine(view: StepView, now: number): string {
  const elapsed = view.startedAt !== undefined ? formatDuration((view.endedAt ?? now) - view.startedAt) : '0s';
  const pct = view.fraction !== undefined ? ` ${Math.round(view.fraction * 100)}%` : '';
  if (view.state === 'running') return `[bm-agent] ${view.id} running${pct}, ${elapsed}${view.message ? `: ${view.message}` : ''}`;
  if (view.state === 'waiting') return `[bm-agent] ${view.id} waiting`;
  return `[bm-agent] ${view.id} ${view.state.toUpperCase()} after ${elapsed}: ${view.summary ?? ''}`;
}

// 5-row block letters: enough for PASS / FAIL / ERROR.
const FONT: Record<string, string[]> = {
  P: ['████ ', '█   █', '████ ', '█    ', '█    '],
  A: [' ███ ', '█   █', '█████', '█   █', '█   █'],
  S: [' ████', '█    ', ' ███ ', '    █', '████ '],
  F: ['█████', '█    ', '████ ', '█    ', '█    '],
  I: ['█████', '  █  ', '  █  ', '  █  ', '█████'],
  L: ['█    ', '█    ', '█    ', '█    ', '█████'],
  E: ['█████', '█    ', '████ ', '█    ', '█████'],
  R: ['████ ', '█   █', '████ ', '█  █ ', '█   █'],
  O: [' ███ ', '█   █', '█   █', '█   █', ' ███ '],
};

export function bigText(word: string): string[] {
  return [0, 1, 2, 3, 4].map((row) => [...word].map((ch) => FONT[ch]?.[row] ?? '     ').join('  '));
}

/**
 * The banner's outcome line: the verdict, then the NetBox status only when it was changed
 * (`statusSet`, 05-report's metric); without a device, that no device was found (so nothing
 * in NetBox changed); a dry run says it changed nothing.
 */
export function outcomeLine(report: Pick<Report, 'verdict' | 'device' | 'durationMs'> & { dryRun?: boolean }, statusSet: string | null): string {
  const verdict = report.verdict === 'pass' ? 'validated' : report.verdict === 'fail' ? 'validation FAILED' : 'validation did not complete';
  const status = report.dryRun
    ? ' (dry run: NetBox unchanged)'
    : statusSet
      ? `, status → ${statusSet}`
      : report.device
        ? ''
        : ' (no NetBox device found: no status changed)';
  return `${verdict}${status} in ${formatDuration(report.durationMs)}`;
}

/** The end-of-run banner; `statusSet` is the NetBox status 05-report set (null: none was). */
export function renderBanner(
  report: Pick<Report, 'verdict' | 'device' | 'machine' | 'reasons' | 'durationMs' | 'runId' | 'delivery'> & { dryRun?: boolean },
  evidence: string | null,
  statusSet: string | null = null,
): string[] {
  const word = report.verdict === 'pass' ? 'PASS' : report.verdict === 'fail' ? 'FAIL' : 'ERROR';
  const name = report.device?.name ?? report.machine.serial ?? 'unknown device';
  const rule = '═'.repeat(60);
  return [
    rule,
    '',
    ...bigText(word).map((l) => `   ${l}`),
    '',
    `   ${name}${report.machine.serial ? `   serial ${report.machine.serial}` : ''}`,
    `   ${outcomeLine(report, statusSet)}`,
    ...report.reasons.slice(0, 8).map((r) => `   • ${r}`),
    ...(report.reasons.length > 8 ? [`   • … ${report.reasons.length - 8} more in the report`] : []),
    ...(report.delivery ?? [])
      .filter((d) => d.outcome !== 'delivered')
      .map((d) => `   ! ${d.what} ${d.outcome === 'failed' ? 'NOT delivered' : 'skipped'}: ${d.detail}`),
    ...(evidence ? ['', `   evidence: ${evidence}`] : []),
    `   run ${report.runId}`,
    '',
    rule,
  ];
}

export interface ConsoleDriver {
  onEvent(event: RunnerEvent): void;
  finish(report: Report | null, evidence: string | null): void;
}

/**
 * Live redraw on a TTY; steady plain lines otherwise (every `intervalMs` for running steps).
 * Everything written goes through redact() (shared/redact.ts): a URL's credentials
 * (`http://user:pass@host/`), the NetBox token or another registered secret in a step's
 * summary, message or reason never reach the screen, whichever step or tool produced it.
 */
export function createConsole(
  out: { write(text: string): void; isTTY?: boolean; columns?: number },
  options: { intervalMs?: number; order: readonly StepId[]; titles: Record<string, string> },
): ConsoleDriver {
  const write = (text: string) => out.write(redact(text));
  const views = new Map<StepId, StepView>(options.order.map((id) => [id, { id, title: options.titles[id] ?? id, state: 'waiting' as const }]));
  let drawn = 0;
  /** The status 05-report set in NetBox (its `statusSet` metric), for the banner. */
  let statusSet: string | null = null;
  const draw = () => {
    const lines = renderLiveLines([...views.values()], Date.now(), out.columns ?? 100);
    write(`${drawn ? `\x1b[${drawn}A` : ''}${lines.map((l) => `\x1b[2K${l}`).join('\n')}\n`);
    drawn = lines.length;
  };
  const timer = setInterval(
    () => {
      if (out.isTTY) draw();
      else for (const view of views.values()) if (view.state === 'running') write(`${renderPlainLine(view, Date.now())}\n`);
    },
    out.isTTY ? 250 : (options.intervalMs ?? 10_000),
  );
  timer.unref?.();
  if (out.isTTY) draw();
  return {
    onEvent(event) {
      applyEvent(views, event);
      if (event.type === 'end' && event.id === REPORT_STEP_ID) {
        const set = event.record.result.metrics.statusSet;
        statusSet = typeof set === 'string' ? set : null;
      }
      if (out.isTTY) draw();
      else if (event.type !== 'progress') write(`${renderPlainLine(views.get(event.id)!, Date.now())}\n`);
    },
    finish(report, evidence) {
      clearInterval(timer);
      if (out.isTTY) draw();
      if (report) write(`\n${renderBanner(report, evidence, statusSet).join('\n')}\n`);
    },
  };
}
