/**
 * Exit codes of both binaries, in one table: the codes, what each means (the --help
 * epilogues and docs are generated from it) and which failure cause maps to which.
 */
import type { Cause } from '../failure.ts';

export const EXIT = {
  ok: 0,
  /** A validation step failed, or this machine is not (uniquely) in NetBox. */
  failed: 1,
  /** Bad arguments or config. */
  usage: 2,
  /** NetBox unreachable, or it refused our token or a write. */
  netbox: 3,
  /** A bug, a tool missing or broken, a time limit, or the run was aborted. */
  internal: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What each exit code means, as printed in --help and the docs. */
export const EXIT_CODE_MEANINGS: Record<ExitCode, string> = {
  0: 'success (bm-agent: the machine passed and was staged)',
  1: 'a check failed (bm-agent: a step failed, or this machine is not uniquely in NetBox)',
  2: 'bad arguments or config (the message names the key)',
  3: 'NetBox unreachable, or it refused the token or a write',
  4: 'internal error, a tool missing or failing, a time limit hit, or the run aborted',
};

/** The one mapping from a failure cause to an exit code. */
export const EXIT_CODE_OF_CAUSE: Record<Cause, ExitCode> = {
  'check-failed': EXIT.failed,
  'device-not-found': EXIT.failed,
  'device-ambiguous': EXIT.failed,
  config: EXIT.usage,
  /** bm-harden: the BMC did not answer (refused, timed out, TLS): try again later, like a failing tool. */
  'bmc-unreachable': EXIT.internal,
  /** bm-harden: the BMC refused the configured credentials: the credentials file is config. */
  'bmc-refused': EXIT.usage,
  'netbox-unreachable': EXIT.netbox,
  'netbox-refused': EXIT.netbox,
  'tool-missing': EXIT.internal,
  'tool-failed': EXIT.internal,
  timeout: EXIT.internal,
  aborted: EXIT.internal,
  internal: EXIT.internal,
};

export function exitCodeOfCause(cause: Cause): ExitCode {
  return EXIT_CODE_OF_CAUSE[cause];
}

/** The exit-code table as text for --help epilogues and docs. */
export function exitCodesText(indent = '  '): string {
  return ['Exit codes:', ...Object.entries(EXIT_CODE_MEANINGS).map(([code, meaning]) => `${indent}${code}  ${meaning}`)].join('\n');
}
