/**
 * The base of every error this code base throws: a message for the operator and
 * details for machines, serialised the same way everywhere (reports, logs, JSON
 * output): `{type, message, details}`.
 *
 * An error whose failure class or cause only its thrower knows (the hook's "NetBox is
 * not configured", a configured VRF NetBox lacks) declares them with `failureClass` /
 * `failureCause`; `classifyFailure` and `causeOf` in shared/failure.ts read them. That is
 * the one mechanism: everything else is judged by the table in shared/failure.ts.
 */
import type { Cause, FailureClass } from './failure.ts';
import { redact, redactValue } from './redact.ts';

export interface SerialisedError {
  type: string;
  message: string;
  details: Record<string, unknown>;
}

export abstract class BmError extends Error {
  abstract override readonly name: string;
  /** Overridden by errors that know whether trying again may help (see shared/failure.ts); undefined = the table decides. */
  get failureClass(): FailureClass | undefined {
    return undefined;
  }

  /** Overridden by errors that know what went wrong for machines (see shared/failure.ts); undefined = the table decides. */
  get failureCause(): Cause | undefined {
    return undefined;
  }

  /** Structured detail for machines; JSON-serialisable, no secrets. */
  details(): Record<string, unknown> {
    return {};
  }

  toJSON(): SerialisedError {
    return { type: this.name, message: this.message, details: this.details() };
  }
}

/**
 * Any thrown value as `{type, message, details}`. Errors of other libraries (ky,
 * fetch, node) have their message and code redacted: they may echo a URL or header
 * with a token in it.
 */
export function serialiseError(error: unknown): SerialisedError {
  if (error instanceof BmError) return error.toJSON();
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { type: error.name, message: redact(error.message), details: code ? { code: redactValue(code) } : {} };
  }
  return { type: 'Error', message: redact(String(error)), details: {} };
}
