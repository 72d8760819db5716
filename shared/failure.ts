/**
 * The one failure vocabulary of every binary (issue 9): whether a failure is worth
 * trying again, and when (`classifyFailure`), and what went wrong for machines
 * (`causeOf`: `StepResult.cause`, exit codes). Every retry decision in the code base
 * (the NetBox client, the hook's drainer, the agent's delivery) asks `classifyFailure`;
 * the loops themselves are in shared/retry.ts. Pure.
 */
import { ConfigError } from './config.ts';
import { BmError } from './errors.ts';
import { InvalidMacError } from './mac.ts';
import {
  AmbiguousMatchError,
  isCertificateCode,
  isPermissionDenial,
  NetboxAbortedError,
  NetboxHttpError,
  NetboxNetworkError,
  NetboxResponseError,
  NetboxTimeoutError,
} from './netbox/errors.ts';

/**
 * - `retry-now`: the same request may pass in a moment; a loop may repeat it after a short backoff.
 * - `retry-later`: keep the work and try on a later run or after a longer wait; something must change first
 *   (NetBox recovers, an operator fixes the token or config), but nothing says the work itself is wrong.
 * - `permanent`: the work itself is wrong, or nobody is waiting for it; repeating it cannot help.
 */
export type FailureClass = 'retry-now' | 'retry-later' | 'permanent';

/** What went wrong, machine-readable. Exit codes map from these in shared/cli/exit-codes.ts only. */
export type Cause =
  | 'netbox-unreachable'
  | 'netbox-refused'
  | 'device-not-found'
  | 'device-ambiguous'
  | 'config'
  | 'bmc-unreachable'
  | 'bmc-refused'
  | 'tool-missing'
  | 'tool-failed'
  | 'timeout'
  | 'aborted'
  | 'check-failed'
  | 'internal';

/** Statuses that say "not now" about a request that may pass unchanged in a moment. */
const RETRY_NOW_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/**
 * The one HTTP status table, shared by NetBox's answers and the callback receiver's:
 * 429/502/503/504 → retry-now; 500 and other 5xx (a bug on the server; repeating at
 * once will not help, a fixed server will) → retry-later; 401, and 403 unless it is a
 * permission denial (a bad, expired or disabled token: an operator fixes it) →
 * retry-later; any other status (400, 404, 409, a 403 naming a missing object
 * permission, …) → permanent. Pure.
 */
export function classifyHttpStatus(status: number, permissionDenied = false): FailureClass {
  if (RETRY_NOW_STATUSES.has(status)) return 'retry-now';
  if (status >= 500) return 'retry-later';
  if (status === 401 || (status === 403 && !permissionDenied)) return 'retry-later';
  return 'permanent';
}

/** errno codes (node) and Bun's fetch codes that say "no conversation with the server happened". */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EPIPE',
  'ConnectionRefused',
  'ConnectionClosed',
  'FailedToOpenSocket',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function codeOf(value: unknown): string | undefined {
  const code = value instanceof Error ? (value as NodeJS.ErrnoException).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/**
 * A network failure raised by fetch, ky or node rather than by our NetBox client (the
 * callback's POST): an errno or TLS code on the error or its cause, or a timeout
 * (ky's `TimeoutError`, `AbortSignal.timeout()`'s DOMException). Pure.
 */
export function isNetworkFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TimeoutError') return true;
  const code = codeOf(error) ?? codeOf(error.cause);
  return code !== undefined && (NETWORK_CODES.has(code) || isCertificateCode(code));
}

/** The caller cancelled: our NetboxAbortedError, or fetch's `AbortError`. */
function isAbort(error: unknown): boolean {
  return error instanceof NetboxAbortedError || (error instanceof Error && error.name === 'AbortError');
}

/**
 * Whether a failure is worth trying again, and when. The whole table:
 *
 * | failure                                                                       | class       |
 * |-------------------------------------------------------------------------------|-------------|
 * | an error declaring `failureClass` (BmError; see shared/errors.ts), e.g. the   | as declared |
 * |   hook's NetboxNotConfiguredError and VrfNotFoundError (retry-later), the     |             |
 * |   callback's CallbackHttpError (its status, by the table below)               |             |
 * | NetboxNetworkError (refused, reset, DNS, TLS), or a fetch/ky/errno network     | retry-now   |
 * |   error (ECONNREFUSED, ENOTFOUND, certificate codes, ky's TimeoutError, …)    |             |
 * | NetboxTimeoutError `request` (no answer within the per-request timeout)       | retry-now   |
 * | HTTP 429, 502, 503, 504                                                       | retry-now   |
 * | NetboxResponseError (a 2xx whose body is not NetBox's: truncated, HTML)       | retry-now   |
 * | HTTP 500 and any other 5xx                                                    | retry-later |
 * | HTTP 401; 403 that is not a permission denial (invalid/expired/disabled token)| retry-later |
 * | NetboxTimeoutError `deadline` (the call's whole deadline, retries included)   | retry-later |
 * | HTTP 403 "You do not have permission…" (missing object permission)            | permanent   |
 * | any other HTTP status (400, 404, 405, 409, …)                                 | permanent   |
 * | aborted (NetboxAbortedError, fetch's AbortError)                              | permanent   |
 * | anything else (a TypeError, a bug, an unknown library error)                  | permanent   |
 *
 * Aborted is permanent: the work is not wrong, but nobody is waiting for the answer
 * and trying again would defy the cancellation. Loops that own a signal check it
 * before classifying (shared/retry.ts), so a stopped loop gives up as "aborted".
 * Unknown errors are permanent: a bug does not heal by repetition, and a loop that
 * retried it would hide it until its deadline. Pure.
 */
export function classifyFailure(error: unknown): FailureClass {
  if (error instanceof BmError && error.failureClass !== undefined) return error.failureClass;
  if (error instanceof NetboxHttpError) return classifyHttpStatus(error.status, isPermissionDenial(error.status, error.body));
  if (error instanceof NetboxTimeoutError) return error.kind === 'deadline' ? 'retry-later' : 'retry-now';
  if (error instanceof NetboxNetworkError || error instanceof NetboxResponseError) return 'retry-now';
  if (isAbort(error)) return 'permanent';
  if (isNetworkFailure(error)) return 'retry-now';
  return 'permanent';
}

/**
 * What went wrong, for machines (step results, exit codes):
 *
 * | failure                                                                 | cause              |
 * |-------------------------------------------------------------------------|--------------------|
 * | an error declaring `failureCause` (BmError)                             | as declared        |
 * | aborted (NetboxAbortedError, fetch's AbortError)                        | aborted            |
 * | NetboxNetworkError, NetboxTimeoutError, NetboxResponseError, HTTP 5xx   | netbox-unreachable |
 * | any other NetBox HTTP status (4xx: 400, 401, 403, 404, 429, …)          | netbox-refused     |
 * | AmbiguousMatchError (a MAC or serial on several devices)                | device-ambiguous   |
 * | ConfigError, InvalidMacError                                            | config             |
 * | anything else                                                           | internal           |
 *
 * Pure.
 */
export function causeOf(error: unknown): Cause {
  if (error instanceof BmError && error.failureCause !== undefined) return error.failureCause;
  if (isAbort(error)) return 'aborted';
  if (error instanceof NetboxHttpError) return error.status >= 500 ? 'netbox-unreachable' : 'netbox-refused';
  if (error instanceof NetboxNetworkError || error instanceof NetboxTimeoutError || error instanceof NetboxResponseError) return 'netbox-unreachable';
  if (error instanceof AmbiguousMatchError) return 'device-ambiguous';
  if (error instanceof ConfigError || error instanceof InvalidMacError) return 'config';
  return 'internal';
}
