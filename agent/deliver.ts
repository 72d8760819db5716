/**
 * Getting results out: journal entries, the status change and the callback.
 * NetBox or the receiver being down must not lose the result: the report is on
 * disk already, and each delivery is retried with backoff until it lands or
 * the delivery deadline passes. Non-transient refusals (4xx) are not retried.
 */
import ky from 'ky';
import type { Logger } from '../shared/log.ts';
import { pause } from '../shared/pause.ts';
import { backoffDelayMs, createJournalEntry, isNetboxError, listDeviceJournal, mayPassLater, setDeviceStatus, type JournalKind, type NetboxClient } from '../shared/netbox/index.ts';
import { signBody } from './report.ts';

export interface RetryOptions {
  /** Give up after this (absolute epoch ms). */
  deadline: number;
  signal?: AbortSignal;
  log: Logger;
  what: string;
  backoff?: { baseMs: number; maxMs: number };
}

export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(readonly what: string, readonly lastError: string, readonly gaveUp: 'deadline' | 'refused' | 'aborted') {
    super(`${what} not delivered (${gaveUp}): ${lastError}`);
  }
}

function isTransient(error: unknown): boolean {
  if (error instanceof CallbackHttpError) return error.status === 429 || error.status >= 500;
  if (isNetboxError(error)) return mayPassLater(error);
  return true;
}

/** Runs `attempt` until it succeeds, a failure is not transient, or the deadline passes. */
export async function retryUntil<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  const backoff = options.backoff ?? { baseMs: 1000, maxMs: 60_000 };
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (options.signal?.aborted) throw new DeliveryError(options.what, message, 'aborted');
      if (!isTransient(error)) throw new DeliveryError(options.what, message, 'refused');
      const delayMs = backoffDelayMs(n, backoff) + 200;
      if (Date.now() + delayMs > options.deadline) throw new DeliveryError(options.what, message, 'deadline');
      options.log.warning(`${options.what} failed; retrying`, { attempt: n + 1, retryInMs: delayMs, error: message });
      await pause(delayMs, options.signal);
    }
  }
}

export class CallbackHttpError extends Error {
  override readonly name = 'CallbackHttpError';
  constructor(readonly url: string, readonly status: number, readonly body: string) {
    super(`callback receiver answered ${status} to POST ${url}${body ? `: ${body.slice(0, 200)}` : ''}`);
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
  await retryUntil(async () => {
    const response = await ky.post(target.url, { body, headers, timeout: target.timeoutMs, retry: 0, throwHttpErrors: false, signal: options.signal });
    if (!response.ok) throw new CallbackHttpError(target.url, response.status, await response.text().catch(() => ''));
  }, options);
}

/**
 * Posts a journal entry at most once: a POST that timed out may have landed, so a
 * retry first looks for `marker` (unique per run and entry) in the device's journal.
 */
export async function deliverJournal(client: NetboxClient, deviceId: number, entry: { kind: JournalKind; comments: string }, marker: string, options: RetryOptions): Promise<void> {
  let attempted = false;
  await retryUntil(async () => {
    if (attempted && (await listDeviceJournal(client, deviceId)).some((j) => j.comments.includes(marker))) return;
    attempted = true;
    await createJournalEntry(client, { deviceId, ...entry });
  }, options);
}

export async function deliverStatus(client: NetboxClient, deviceId: number, status: string, options: RetryOptions): Promise<void> {
  await retryUntil(() => setDeviceStatus(client, deviceId, status), options);
}
