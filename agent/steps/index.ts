/** The validation steps in their order; 05-report is created per run by the pipeline. */
import type { Step } from '../step.ts';
import { initStep } from './01-init.ts';
import { memoryStep } from './02-memory.ts';
import { diskStep } from './03-disk.ts';
import { lldpStep } from './04-lldp.ts';

export const VALIDATION_STEPS: readonly Step[] = [initStep, memoryStep, diskStep, lldpStep];
