/**
 * 05-report's staging rule: a PASS stages the device only when every
 * validation step ran and passed; a partial run (`--only 03-disk`) or a step
 * skipped on the machine (memtester without free memory) reports and says why
 * it did not stage.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { createMemoryLogger } from '../../../shared/log.ts';
import type { Report, StepRecord } from '../../../agent/report.ts';
import type { StepResult } from '../../../agent/step.ts';
import { createReportStep, stagingBlockers, withStagingNote } from '../../../agent/steps/05-report.ts';
import { createTestContext, type TestStepContext } from '../../helpers/agent-context.ts';

const record = (id: StepRecord['id'], status: StepResult['status'], summary = `${id} ${status}`): StepRecord => ({
  id,
  title: id.slice(3),
  result: { status, summary, reasons: [], metrics: {}, evidence: [] },
  startedAt: null,
  durationMs: null,
});

const allPass = () => ['01-init', '02-memory', '03-disk', '04-lldp'].map((id) => record(id as StepRecord['id'], 'pass'));
const notSelected = 'not selected for this run (--only/--skip)';

describe('stagingBlockers', () => {
  test('every step passed: nothing blocks staging', () => {
    expect(stagingBlockers(allPass())).toEqual([]);
  });

  test('--only 03-disk: the steps not selected block staging, each named', () => {
    const records = [record('01-init', 'pass'), record('02-memory', 'skip', notSelected), record('03-disk', 'pass'), record('04-lldp', 'skip', notSelected)];
    expect(stagingBlockers(records)).toEqual([`02-memory skipped: ${notSelected}`, `04-lldp skipped: ${notSelected}`]);
  });

  test('a memory test skipped for lack of free memory blocks staging; a step missing from the records too', () => {
    const records = allPass().map((r) => (r.id === '02-memory' ? record('02-memory', 'skip', 'not enough free memory to run memtester') : r));
    expect(stagingBlockers(records.filter((r) => r.id !== '04-lldp'))).toEqual([
      '02-memory skipped: not enough free memory to run memtester',
      '04-lldp did not run',
    ]);
  });

  test('the final journal entry says why, right under its head', () => {
    const entry = { kind: 'success' as const, comments: '✅ **Validation PASSED** (quick profile, 2 min)\n\n| step |' };
    expect(withStagingNote(entry, ['02-memory skipped: x']).comments).toBe(
      '✅ **Validation PASSED** (quick profile, 2 min)\n\n**Not staged**: staging needs every step to run and pass — 02-memory skipped: x\n\n| step |',
    );
    expect(withStagingNote(entry, [])).toBe(entry);
  });
});

describe('05-report', () => {
  let ctx: TestStepContext;
  afterEach(() => ctx?.cleanup());

  async function runReport(records: StepRecord[]): Promise<{ result: StepResult; report: Report | undefined }> {
    let report: Report | undefined;
    const step = createReportStep({
      runId: 'run-1',
      agentVersion: '0.0.0',
      startedAt: Date.now(),
      records: () => records,
      journalDrained: async () => {},
      netbox: null,
      callback: null,
      onFailure: 'failed',
      deliveryDeadlineMs: 1000,
      aborted: () => false,
      log: createMemoryLogger(),
      onReport: (r) => {
        report = r;
      },
    });
    // A dry run delivers nothing: what the step decided shows in its result.
    ctx = createTestContext({ dryRun: true });
    return { result: await step.run(ctx, () => {}), report };
  }

  test('a complete passing run stages', async () => {
    const { result } = await runReport(allPass());
    expect(result.metrics).toMatchObject({ verdict: 'pass', statusChange: 'staged', notStagedBecause: null });
  });

  test('a partial passing run reports PASS but does not stage, and says why', async () => {
    const records = allPass().map((r) => (r.id === '02-memory' ? record('02-memory', 'skip', 'not enough free memory to run memtester') : r));
    const { result, report } = await runReport(records);
    expect(report!.verdict).toBe('pass');
    expect(result.metrics).toMatchObject({
      verdict: 'pass',
      statusChange: null,
      notStagedBecause: '02-memory skipped: not enough free memory to run memtester',
    });
    expect(result.summary).toBe('PASS, not staged (02-memory skipped: not enough free memory to run memtester)');
    expect(ctx.logLines.some((l) => l.includes('passed but not staged'))).toBe(true);
  });

  test('a failing run is marked failed whatever ran', async () => {
    const records = allPass().map((r) => (r.id === '03-disk' ? record('03-disk', 'fail') : r));
    const { result } = await runReport(records.filter((r) => r.id !== '04-lldp'));
    expect(result.metrics).toMatchObject({ verdict: 'fail', statusChange: 'failed', notStagedBecause: null });
  });
});
