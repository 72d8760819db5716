/**
 * The base of every error this code base throws: a message for the operator and
 * details for machines, serialised the same way everywhere (reports, logs, JSON
 * output): `{type, message, details}`.
 */

export interface SerialisedError {
  type: string;
  message: string;
  details: Record<string, unknown>;
}

export abstract class BmError extends Error {
  abstract override readonly name: string;

  /** Structured detail for machines; JSON-serialisable, no secrets. */
  details(): Record<string, unknown> {
    return {};
  }

  toJSON(): SerialisedError {
    return { type: this.name, message: this.message, details: this.details() };
  }
}

/** Any thrown value as `{type, message, details}`. */
export function serialiseError(error: unknown): SerialisedError {
  if (error instanceof BmError) return error.toJSON();
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { type: error.name, message: error.message, details: code ? { code } : {} };
  }
  return { type: 'Error', message: String(error), details: {} };
}
