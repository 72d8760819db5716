/** Step ids have one home (steps/index.ts): the CLI choices, the report schema, 05-report's needs and the flow diagram follow it. */
import { expect, test } from 'bun:test';
import { RUN_OPTIONS } from '../../../agent/commands/run.ts';
import { phase1Steps } from '../../../agent/flow-dot.ts';
import { REPORT_JSON_SCHEMA } from '../../../agent/report.ts';
import { REPORT_STEP_ID, STEP_IDS, VALIDATION_STEPS } from '../../../agent/steps/index.ts';

test('every list of step ids is derived from the steps', () => {
  const ids: string[] = [...VALIDATION_STEPS.map((s): string => s.id), REPORT_STEP_ID];
  expect([...STEP_IDS] as string[]).toEqual(ids);
  expect([...RUN_OPTIONS.only.choices] as string[]).toEqual(ids);
  expect([...RUN_OPTIONS.skip.choices] as string[]).toEqual(ids);
  expect([...REPORT_JSON_SCHEMA.properties.steps.items.properties.id.enum] as string[]).toEqual(ids);
  expect(phase1Steps().map((s): string => s.id)).toEqual(ids);
  expect([...phase1Steps().at(-1)!.needs] as string[]).toEqual(ids.slice(0, -1));
});
