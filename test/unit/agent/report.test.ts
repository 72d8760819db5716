import { describe, expect, test } from 'bun:test';
import { bigText, renderBanner, renderLiveLines, renderPlainLine } from '../../../agent/console.ts';
import {
  buildReport,
  callbackEventOf,
  markdownTable,
  renderFinalJournal,
  renderStepJournal,
  reportProblems,
  reportStepOf,
  verdictOf,
  type StepRecord,
} from '../../../agent/report.ts';

const record = (id: StepRecord['id'], status: 'pass' | 'fail' | 'skip' | 'error', reasons: string[] = []): StepRecord => ({
  id,
  title: id.slice(3),
  result: {
    status,
    summary: `${id} ${status}`,
    reasons,
    metrics: { n: 1 },
    evidence: [{ file: `${id}/out.txt` }],
    table: { columns: ['a', 'b'], rows: [['x|y', 2]] },
  },
  startedAt: '2026-11-24T10:00:00.000Z',
  durationMs: 1500,
});

const report = (records: StepRecord[]) =>
  buildReport({
    runId: 'run-1',
    agentVersion: '0.1.0',
    profile: 'quick',
    dryRun: false,
    startedAt: '2026-11-24T10:00:00.000Z',
    finishedAt: '2026-11-24T10:02:00.000Z',
    durationMs: 120000,
    device: { id: 7, name: 'srv-1', url: 'http://nb/api/dcim/devices/7/' },
    machine: { manufacturer: 'HPE', model: 'DL360', serial: 'CZ123' },
    steps: records,
  });

describe('verdicts', () => {
  test('error beats fail beats pass; skips do not fail a run', () => {
    expect(verdictOf(['pass', 'skip'])).toBe('pass');
    expect(verdictOf(['pass', 'fail', 'skip'])).toBe('fail');
    expect(verdictOf(['fail', 'error'])).toBe('error');
  });
  test('the report gathers failing reasons with their step', () => {
    const r = report([record('01-init', 'pass'), record('03-disk', 'fail', ['sda: fio error 5'])]);
    expect(r.verdict).toBe('fail');
    expect(r.reasons).toEqual(['03-disk: sda: fio error 5']);
  });
});

describe('schema', () => {
  test('a built report matches the published schema', () => {
    expect(reportProblems(report([record('01-init', 'pass'), record('02-memory', 'skip')]))).toEqual([]);
  });
  test('a report with a wrong field is rejected with its path', () => {
    const bad = { ...report([record('01-init', 'pass')]), verdict: 'maybe' };
    expect(reportProblems(bad).join()).toMatch(/\/verdict/);
  });
});

describe('rendering', () => {
  test('a step journal entry: verdict line, reasons, table (pipes escaped), run marker', () => {
    const entry = renderStepJournal(reportStepOf(record('03-disk', 'fail', ['sda slow'])), 'run-1');
    expect(entry.kind).toBe('danger');
    expect(entry.comments.split('\n')[0]).toBe('**bm-agent 03-disk disk: ❌ FAIL** — 03-disk fail');
    expect(entry.comments).toContain('- sda slow');
    expect(entry.comments).toContain('| x\\|y | 2 |');
    expect(entry.comments).toContain('03-disk · run `run-1`');
  });
  test('markdown tables have a header separator per column', () => {
    expect(markdownTable({ columns: ['a', 'b'], rows: [[1, null]] })).toBe('| a | b |\n|---|---|\n| 1 | – |');
  });
  test('the final entry states the verdict and the status change', () => {
    const final = renderFinalJournal(report([record('01-init', 'pass')]), 'staged');
    expect(final.kind).toBe('success');
    expect(final.comments).toStartWith('✅ **Validation PASSED** (quick profile, 120 s) — status → **staged**');
  });
  test('the callback event is derived from the report', () => {
    expect(callbackEventOf(report([record('01-init', 'pass')]), 'staged')).toEqual({
      event: 'bm.validation.finished',
      runId: 'run-1',
      verdict: 'pass',
      device: { id: 7, name: 'srv-1', url: 'http://nb/api/dcim/devices/7/' },
      serial: 'CZ123',
      profile: 'quick',
      finishedAt: '2026-11-24T10:02:00.000Z',
      durationMs: 120000,
      steps: { '01-init': 'pass' },
      reasons: [],
      status: 'staged',
    });
  });
});

describe('console', () => {
  test('the banner says PASS or FAIL in big letters, with the device and the reasons', () => {
    const lines = renderBanner({ ...report([record('03-disk', 'fail', ['sda slow'])]) }, '/var/lib/bm-agent/runs/run-1.tar.gz');
    const text = lines.join('\n');
    expect(text).toContain(bigText('FAIL')[0]!);
    expect(text).toContain('srv-1');
    expect(text).toContain('• 03-disk: sda slow');
    expect(bigText('PASS').length).toBe(5);
  });
  test('live lines show a bar, percentage, elapsed and ETA; plain lines are one sentence', () => {
    const view = { id: '03-disk' as const, title: 'Disk', state: 'running' as const, startedAt: 0, fraction: 0.5, message: 'seq read sda' };
    const [line] = renderLiveLines([view], 30_000);
    expect(line).toContain('██████████░░░░░░░░░░  50%');
    expect(line).toContain('30s ETA 30s');
    expect(renderPlainLine(view, 30_000)).toBe('[bm-agent] 03-disk running 50%, 30s: seq read sda');
  });
});
