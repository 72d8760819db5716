/**
 * The steps, in their order: the one list every other place derives from (StepId,
 * `--only`/`--skip` choices, the console's order, the report schema's enum, the flow
 * diagram, 05-report's `needs`). A new step is its module plus one entry in
 * VALIDATION_STEPS (and its import). 05-report is created per run by the pipeline.
 */
import { initStep } from './01-init.ts';
import { memoryStep } from './02-memory.ts';
import { diskStep } from './03-disk.ts';
import { lldpStep } from './04-lldp.ts';

/** The validation steps in their order. */
export const VALIDATION_STEPS = [initStep, memoryStep, diskStep, lldpStep] as const;

/** The report step's id; it runs last and needs every validation step. */
export const REPORT_STEP_ID = '05-report';

export type ValidationStepId = (typeof VALIDATION_STEPS)[number]['id'];
export type StepId = ValidationStepId | typeof REPORT_STEP_ID;

/** Every step id in run order, the report last. */
export const STEP_IDS: readonly StepId[] = [...VALIDATION_STEPS.map((s) => s.id), REPORT_STEP_ID];

/** Ids of the validation steps (what 05-report needs). */
export const VALIDATION_STEP_IDS: readonly ValidationStepId[] = VALIDATION_STEPS.map((s) => s.id);
