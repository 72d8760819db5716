/**
 * What bm-agent prints: the NetBox status only when it was changed (a device found and
 * its status set), "no NetBox device found" instead when there was none; and no
 * credentials written into a URL (`http://user:pass@host/`) on the console, in a step
 * record (what report.json, the journal and the callback are made from) or on
 * stdout/stderr, wherever the text came from (a step's summary, a crash's message).
 */
import { describe, expect, test } from 'bun:test';
import { createConsole, outcomeLine, renderBanner } from '../../../agent/console.ts';
import { createCliContext } from '../../../agent/context.ts';
import { redactResult } from '../../../agent/redact-result.ts';
import type { Report, StepRecord } from '../../../agent/report.ts';
import { runSteps, type RunnerEvent } from '../../../agent/runner.ts';
import type { Step, StepContext, StepId, StepResult } from '../../../agent/step.ts';
import { createMemoryLogger } from '../../../shared/log.ts';

const PASSWORD = 'pw-in-the-url-91c2';
const URL_WITH_PASSWORD = `http://ops:${PASSWORD}@netbox.example:8080/api/dcim/devices/`;

const report = (overrides: Partial<Report> = {}): Report => ({
  schemaVersion: 1,
  runId: 'run-1',
  agentVersion: '0.0.0',
  profile: 'quick',
  dryRun: false,
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:02:00.000Z',
  durationMs: 120_000,
  verdict: 'fail',
  reasons: [],
  device: { id: 7, name: 'srv-7', url: 'http://netbox/api/dcim/devices/7/' },
  machine: { manufacturer: null, model: null, serial: 'S7' },
  steps: [],
  ...overrides,
});

const result = (status: StepResult['status'], summary: string, metrics: StepResult['metrics'] = {}): StepResult => ({
  status,
  summary,
  reasons: [],
  metrics,
  evidence: [],
});
const endEvent = (id: StepId, r: StepResult): RunnerEvent => ({
  type: 'end',
  id,
  at: 1000,
  record: { id, title: id, result: r, startedAt: null, durationMs: 0 } satisfies StepRecord,
});

/** A non-TTY console writing into a string. */
function plainConsole() {
  let text = '';
  const driver = createConsole(
    {
      write: (t) => {
        text += t;
      },
      isTTY: false,
    },
    { order: ['01-init', '05-report'], titles: { '01-init': 'Init', '05-report': 'Report' }, intervalMs: 3_600_000 },
  );
  return { driver, text: () => text };
}

describe('the status line: only when a device was found and its status changed', () => {
  test.each<[string, Partial<Report>, string | null, string]>([
    ['failed and set', {}, 'failed', 'validation FAILED, status → failed in 2m00s'],
    ['passed and staged', { verdict: 'pass' }, 'staged', 'validated, status → staged in 2m00s'],
    ['passed, not staged (partial run)', { verdict: 'pass' }, null, 'validated in 2m00s'],
    ['failed, status not set (NetBox refused, or on_failure leaves it)', {}, null, 'validation FAILED in 2m00s'],
    ['no device found', { verdict: 'error', device: null }, null, 'validation did not complete (no NetBox device found: no status changed) in 2m00s'],
    ['a dry run', { verdict: 'pass', dryRun: true }, null, 'validated (dry run: NetBox unchanged) in 2m00s'],
  ])('%s', (_name, overrides, statusSet, line) => {
    expect(outcomeLine(report(overrides), statusSet)).toBe(line);
  });

  test('no device: the banner says so and has no status line; the status comes from 05-report only when it set one', () => {
    const none = plainConsole();
    none.driver.onEvent(endEvent('01-init', result('error', 'device not found in NetBox')));
    none.driver.onEvent(endEvent('05-report', result('error', 'ERROR; delivery incomplete', { statusChange: 'failed', statusSet: null })));
    none.driver.finish(report({ verdict: 'error', device: null }), null);
    expect(none.text()).toContain('no NetBox device found: no status changed');
    expect(none.text()).not.toContain('status →');

    const set = plainConsole();
    set.driver.onEvent(endEvent('05-report', result('pass', 'FAIL, status → failed', { statusChange: 'failed', statusSet: 'failed' })));
    set.driver.finish(report(), null);
    expect(set.text()).toContain('validation FAILED, status → failed');
  });

  test('a pass that staged nothing no longer claims "status → staged"', () => {
    expect(renderBanner(report({ verdict: 'pass' }), null).join('\n')).not.toContain('status →');
  });
});

describe('credentials in a URL are never printed', () => {
  test('console: plain lines and the banner, whatever a step wrote', () => {
    const out = plainConsole();
    out.driver.onEvent({ type: 'start', id: '01-init', title: 'Init', timeoutMs: 1000, at: Date.now() });
    out.driver.onEvent(endEvent('01-init', result('error', `NetBox query failed: GET ${URL_WITH_PASSWORD}: ECONNREFUSED`)));
    out.driver.finish(report({ reasons: [`01-init: cannot reach ${URL_WITH_PASSWORD}`] }), null);
    expect(out.text()).toContain('ops:[REDACTED]@netbox.example:8080');
    expect(out.text()).not.toContain(PASSWORD);
  });

  test('console on a TTY: the live view redacts progress messages too', () => {
    let text = '';
    const driver = createConsole(
      {
        write: (t) => {
          text += t;
        },
        isTTY: true,
        columns: 200,
      },
      { order: ['01-init'], titles: { '01-init': 'Init' } },
    );
    driver.onEvent({ type: 'start', id: '01-init', title: 'Init', timeoutMs: 1000, at: Date.now() });
    driver.onEvent({ type: 'progress', id: '01-init', at: 1, progress: { message: `fetching ${URL_WITH_PASSWORD}` } });
    driver.finish(null, null);
    expect(text).toContain('ops:[REDACTED]@');
    expect(text).not.toContain(PASSWORD);
  });

  test('a step record: summary, reasons, table cells and text metrics', () => {
    const redacted = redactResult({
      status: 'error',
      summary: `cannot fetch ${URL_WITH_PASSWORD}`,
      reasons: [`GET ${URL_WITH_PASSWORD} refused`],
      metrics: { url: URL_WITH_PASSWORD, count: 3, ok: false, none: null },
      table: {
        columns: ['what', 'where'],
        rows: [
          ['config', URL_WITH_PASSWORD],
          ['n', 1],
        ],
      },
      evidence: [{ file: '01-init/x.txt' }],
    });
    expect(JSON.stringify(redacted)).not.toContain(PASSWORD);
    expect(redacted).toMatchObject({
      metrics: { count: 3, ok: false, none: null },
      table: {
        rows: [
          ['config', expect.stringContaining('[REDACTED]@')],
          ['n', 1],
        ],
      },
    });
    expect(redacted.evidence).toEqual([{ file: '01-init/x.txt' }]);
  });

  test('the runner records a crashed step without the password its error carried', async () => {
    const crashing: Step = {
      id: '01-init',
      title: 'Init',
      needs: [],
      abortable: true,
      tunables: {},
      timeoutMs: () => 5_000,
      run: async () => {
        throw new TypeError(`fetch failed for ${URL_WITH_PASSWORD}`);
      },
    };
    const events: RunnerEvent[] = [];
    const [record] = await runSteps({
      steps: [crashing],
      log: createMemoryLogger(),
      signal: new AbortController().signal,
      contextFor: (_step, signal) => ({ signal }) as unknown as StepContext,
      onEvent: (e) => events.push(e),
    });
    expect(record!.result.reasons.join(' ')).toContain('ops:[REDACTED]@');
    expect(JSON.stringify(record!.result)).not.toContain(PASSWORD);
    expect(JSON.stringify(events)).not.toContain(PASSWORD);
  });

  test("bm-agent's stdout and stderr (the CLI context every command prints through)", () => {
    const printed: string[] = [];
    const ctx = createCliContext(
      {},
      (t) => printed.push(t),
      (l) => printed.push(l),
    );
    ctx.print(JSON.stringify({ url: URL_WITH_PASSWORD }));
    ctx.writeErr(`bm-agent: cannot reach ${URL_WITH_PASSWORD}`);
    expect(printed.join('\n')).not.toContain(PASSWORD);
    expect(printed).toEqual([JSON.stringify({ url: URL_WITH_PASSWORD.replace(PASSWORD, '[REDACTED]') }), expect.stringContaining('ops:[REDACTED]@')]);
  });
});
