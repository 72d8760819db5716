/**
 * Getting results out: journal entries, the status change and the callback.
 * NetBox or the receiver being down must not lose the result: the report is on
 * disk already, and each delivery is retried (shared/retry.ts, BACKOFF.delivery)
 * while classifyFailure says retry-now or retry-later, until it lands or the
 * delivery deadline passes. Permanent refusals (4xx, a missing permission, a bug)
 * are not retried.
 */
import ky from 'ky';
import { BmError, serialiseError } from '../shared/errors.ts';
import { type Cause, causeOf, classifyHttpStatus, type FailureClass } from '../shared/failure.ts';
import type { Logger } from '../shared/log.ts';
import { createJournalEntryOnce, setDeviceStatus, type JournalKind, type NetboxClient } from '../shared/netbox/index.ts';
import { redact } from '../shared/redact.ts';
import { BACKOFF, type BackoffPolicy, type GiveUpReason, type RetryClock, retryUntil } from '../shared/retry.ts';
import { signBody } from '../shared/hmac.ts';

export interface RetryOptions {
  /** Give up after this (absolute epoch ms). */
  deadline: number;
  signal?: AbortSignal;
  log: Logger;
  what: string;
  /** Overrides BACKOFF.delivery's base and cap (tests). */
  backoff?: { baseMs: number; maxMs: number };
  /** Injectable time for tests. */
  clock?: Partial<RetryClock>;
}

/** Why a delivery gave up: the deadline passed, the far end refused for good, or the run was aborted. */
export type DeliveryGaveUp = 'deadline' | 'refused' | 'aborted';

export class DeliveryError extends BmError {
  override readonly name = 'DeliveryError';
  readonly lastError: string;
  constructor(
    readonly what: string,
    lastError: unknown,
    readonly gaveUp: DeliveryGaveUp,
  ) {
    const message = lastError instanceof Error ? lastError.message : String(lastError);
    super(`${what} not delivered (${gaveUp}): ${redact(message)}`, { cause: lastError });
    this.lastError = redact(message);
  }

  /** A missed deadline may pass on a later run; a refusal or an abort will not be retried. */
  override get failureClass(): FailureClass {
    return this.gaveUp === 'deadline' ? 'retry-later' : 'permanent';
  }

  override get failureCause(): Cause {
    return this.gaveUp === 'aborted' ? 'aborted' : causeOf(this.cause);
  }

  override details(): Record<string, unknown> {
    return { what: this.what, gaveUp: this.gaveUp, lastError: serialiseError(this.cause) };
  }
}

const GAVE_UP_TEXT: Record<DeliveryGaveUp, string> = { deadline: 'still failing at the delivery deadline', refused: 'refused', aborted: 'aborted' };

/**
 * Why a delivery did not happen, for people (console, journal, report.json): how it gave
 * up and the last failure (`refused: callback receiver answered 401 to POST …`). Redacted.
 */
export function whyNotDelivered(error: unknown): string {
  if (error instanceof DeliveryError) return `${GAVE_UP_TEXT[error.gaveUp]}: ${error.lastError}`;
  return redact(error instanceof Error ? error.message : String(error));
}

const GAVE_UP: Record<GiveUpReason, DeliveryGaveUp> = { aborted: 'aborted', 'not-retryable': 'refused', retries: 'deadline', deadline: 'deadline' };

/**
 * Runs `attempt(n)` (n = 0 first) until it succeeds, a failure is permanent, the
 * run is aborted or the delivery deadline passes; gives up with a DeliveryError.
 */
export function retryDelivery<T>(attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const backoff: BackoffPolicy = { ...BACKOFF.delivery, ...options.backoff };
  return retryUntil(attempt, {
    what: options.what,
    deadline: options.deadline,
    signal: options.signal,
    backoff,
    retryOn: ['retry-now', 'retry-later'],
    giveUp: (error, why) => new DeliveryError(options.what, error, GAVE_UP[why]),
    log: options.log,
    clock: options.clock,
  });
}

/** The callback receiver answered non-2xx; judged by the same HTTP status table as NetBox's answers. */
export class CallbackHttpError extends BmError {
  override readonly name = 'CallbackHttpError';
  constructor(
    readonly url: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(redact(`callback receiver answered ${status} to POST ${url}${body ? `: ${body.slice(0, 200)}` : ''}`));
  }

  override get failureClass(): FailureClass {
    return classifyHttpStatus(this.status);
  }

  override details(): Record<string, unknown> {
    return { url: redact(this.url), status: this.status, body: redact(this.body.slice(0, 2000)) };
  }
}

export interface CallbackTarget {
  url: string;
  secret?: string;
  timeoutMs: number;
}

/**
 * POSTs the event. Headers: `X-BM-Event`, `X-BM-Delivery` (the run id: receivers
 * deduplicate retries with it) and, with a secret, `X-BM-Signature-256: sha256=<hmac>`.
 */
export async function postCallback(target: CallbackTarget, event: { event: string; runId: string }, options: RetryOptions): Promise<void> {
  const body = JSON.stringify(event);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'X-BM-Event': event.event,
    'X-BM-Delivery': event.runId,
  };
  if (target.secret) headers['X-BM-Signature-256'] = signBody(body, target.secret);
  await retryDelivery(async () => {
    const response = await ky.post(target.url, { body, headers, timeout: target.timeoutMs, retry: 0, throwHttpErrors: false, signal: options.signal });
    if (!response.ok) throw new CallbackHttpError(target.url, response.status, await response.text().catch(() => ''));
  }, options);
}

/** Posts a journal entry at most once (createJournalEntryOnce: a retry first looks for `marker`), retried like any delivery. */
export async function deliverJournal(
  client: NetboxClient,
  deviceId: number,
  entry: { kind: JournalKind; comments: string },
  marker: string,
  options: RetryOptions,
): Promise<void> {
  await retryDelivery((n) => createJournalEntryOnce(client, { deviceId, ...entry }, marker, { retried: n > 0 }), options);
}

export async function deliverStatus(client: NetboxClient, deviceId: number, status: string, options: RetryOptions): Promise<void> {
  await retryDelivery(() => setDeviceStatus(client, deviceId, status), options);
}
