/**
 * The one failure vocabulary of every binary (issue 9). SKELETON: the types and
 * names below are fixed; the implementation is being filled in.
 *
 * - `classifyFailure(error)` answers "is this worth trying again, and when?":
 *   `retry-now` (the same request may pass in a moment: network error, request
 *   timeout, 429/502/503/504, a malformed 2xx body), `retry-later` (keep the work and
 *   try on a later run or after a longer wait: 500, NetBox refusing the token, our
 *   config naming something NetBox lacks, a deadline spent), `permanent` (the request
 *   itself is wrong: other 4xx, a missing object permission, a bug).
 * - `causeOf(error)` names what went wrong for machines (`StepResult.cause`, exit codes).
 */

export type FailureClass = 'retry-now' | 'retry-later' | 'permanent';

/** What went wrong, machine-readable. Exit codes map from these in shared/cli/exit-codes.ts only. */
export type Cause =
  | 'netbox-unreachable'
  | 'netbox-refused'
  | 'device-not-found'
  | 'device-ambiguous'
  | 'config'
  | 'tool-missing'
  | 'tool-failed'
  | 'timeout'
  | 'aborted'
  | 'check-failed'
  | 'internal';
