import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { phase1Steps, renderPhase1FlowDot } from '../../../agent/flow-dot.ts';

test('the committed docs/phase1-flow.dot is generated from the current runner plan (run make docs)', () => {
  expect(readFileSync('docs/phase1-flow.dot', 'utf8')).toBe(renderPhase1FlowDot());
});

test('every dependency of every step is an edge, and init is where the boot leads', () => {
  const dot = renderPhase1FlowDot();
  for (const step of phase1Steps()) for (const need of step.needs) expect(dot).toContain(`"${need}" -> "${step.id}";`);
  expect(dot).toContain('boot -> "01-init";');
});
