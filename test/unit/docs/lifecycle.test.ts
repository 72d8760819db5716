/**
 * docs/lifecycle.ts: the committed docs/lifecycle.dot is what the code renders (run make docs), and the lifecycle's
 * statuses are the ones the code sets — bm-hook's FSM rows, bm-agent's report statuses, bm-harden's run statuses —
 * so changing one of them in the code changes the diagram and the README table (whose staleness generate.test.ts
 * checks).
 */
import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { REPORT_STATUSES } from '../../../agent/steps/05-report.ts';
import {
  agentTransitions,
  hardenTransitions,
  hookTransitions,
  lifecycleRows,
  lifecycleTransitions,
  renderLifecycleDot,
  wrap,
} from '../../../docs/lifecycle.ts';
import { RESULT_STATUSES, RUN_STATUSES } from '../../../harden/device.ts';
import { FSM } from '../../../hook/fsm.ts';

test('the committed docs/lifecycle.dot is generated from the current code (run make docs)', () => {
  expect(readFileSync('docs/lifecycle.dot', 'utf8')).toBe(renderLifecycleDot());
});

test('the main line offline → discovered → staged → ready → active is made by bm-hook, bm-agent, bm-harden and an operator', () => {
  const good = lifecycleTransitions().filter((t) => !t.bad && t.from !== t.to);
  expect(good.map((t) => `${t.from ?? 'any'} → ${t.to} (${t.by.split(' ')[0]})`)).toEqual([
    'offline → discovered (`bm-hook)',
    'any → staged (`bm-agent)',
    'staged → ready (`bm-harden)',
    'ready → active (an)',
  ]);
});

test("each phase's statuses come from its module's exported data", () => {
  // bm-hook: one transition per FSM row (and status) that changes the status.
  const changing = FSM.flatMap((row) => (row.to ? row.from.filter((f) => f !== row.to).map((f) => `${f}>${row.to}`) : []));
  expect(hookTransitions().map((t) => `${t.from}>${t.to}`)).toEqual(changing);
  expect(hookTransitions([{ from: ['offline'], when: ['ip-none'], actions: [], to: 'active', note: 'n' }])).toMatchObject([{ from: 'offline', to: 'active' }]);
  // bm-agent: pass and fail statuses of the report.
  expect(agentTransitions().map((t) => t.to)).toEqual([REPORT_STATUSES.pass, REPORT_STATUSES.fail]);
  // bm-harden: from every status run accepts, to compliant / non-compliant / unchanged (merged when equal).
  const harden = hardenTransitions();
  for (const from of RUN_STATUSES) {
    const tos = harden.filter((t) => t.from === from).map((t) => t.to);
    expect(tos).toEqual([...new Set([RESULT_STATUSES.compliant, RESULT_STATUSES.nonCompliant, from])]);
  }
});

test('the diagram draws "any status" from where the previous phase leads, and the table says it is not checked', () => {
  const dot = renderLifecycleDot();
  expect(dot).toContain('"discovered" -> "staged"');
  expect(dot).toContain('"discovered" -> "failed"');
  expect(dot).toContain('"ready" -> "active"');
  expect(lifecycleRows().find((r) => r[0] === 'Phase 1')?.[1]).toBe('any (not checked)');
  expect(lifecycleRows().some((r) => r[2] === '(stays `staged`)')).toBe(true);
});

test('wrap breaks at spaces within the width', () => {
  expect(wrap('aaa bbb ccc', 7)).toBe('aaa bbb\nccc');
  expect(wrap('averyveryverylongword x', 5)).toBe('averyveryverylongword\nx');
});
