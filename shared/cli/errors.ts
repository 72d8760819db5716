/** Maps any error to an exit code and a one-line message for the operator. Pure. */
import { ConfigError } from '../config.ts';
import { EXIT } from './exit-codes.ts';
import { InvalidMacError } from '../mac.ts';
import { NetboxError } from '../netbox/errors.ts';
import { redact } from '../redact.ts';

export function exitCodeFor(error: unknown): number {
  if (error instanceof ConfigError || error instanceof InvalidMacError) return EXIT.usage;
  if (error instanceof NetboxError) return EXIT.netbox;
  return EXIT.internal;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return redact(error.message);
  return redact(String(error));
}
