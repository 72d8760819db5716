/**
 * Maps any error to an exit code and a one-line message for the operator. Pure.
 * The exit code comes from the error's cause (shared/failure.ts causeOf) through
 * the one cause → exit code table (exit-codes.ts), never from its text.
 */
import { causeOf } from '../failure.ts';
import { redact } from '../redact.ts';
import { type ExitCode, exitCodeOfCause } from './exit-codes.ts';

export function exitCodeFor(error: unknown): ExitCode {
  return exitCodeOfCause(causeOf(error));
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return redact(error.message);
  return redact(String(error));
}
