/**
 * Fetching `bm.config_url` (the JSON config layer a PXE menu points at), bounded: the
 * whole fetch, retries included, ends within CONFIG_URL_LIMITS.deadlineMs, and the body
 * is read as a stream and dropped at CONFIG_URL_LIMITS.maxBytes (a Content-Length over it
 * is refused before reading). A server that trickles or sends too much cannot hold the
 * agent before its first step. Refusals and network failures that may pass in a moment
 * (connection refused while the network comes up, 502/503/504/429) are retried inside the
 * deadline; anything else ends the fetch. Every failure is a ConfigError (exit 2) on
 * `bm.config_url`, naming the URL with its credentials redacted (shared/redact.ts) and,
 * when a limit was hit, the limit.
 */
import { ConfigError } from '../shared/config.ts';
import { BmError } from '../shared/errors.ts';
import { classifyHttpStatus, type FailureClass } from '../shared/failure.ts';
import type { Logger } from '../shared/log.ts';
import { redact, redactUrl } from '../shared/redact.ts';
import { BACKOFF, retryUntil } from '../shared/retry.ts';
import { BodyTooLargeError, readBodyCapped } from '../shared/http-body.ts';
import { formatBytes, formatSeconds, MiB } from '../shared/units.ts';

export interface ConfigUrlLimits {
  /** The whole fetch, every attempt and wait included. */
  deadlineMs: number;
  /** One attempt (a hung server is given up and tried again while the deadline allows). */
  attemptMs: number;
  /** The most body bytes read; a config is a few KiB. */
  maxBytes: number;
}

export const CONFIG_URL_LIMITS: Readonly<ConfigUrlLimits> = { deadlineMs: 30_000, attemptMs: 10_000, maxBytes: MiB };

/** The server answered with a non-2xx status; retry-now or not by the shared HTTP status table. */
class ConfigUrlStatusError extends BmError {
  override readonly name = 'ConfigUrlStatusError';
  constructor(readonly status: number) {
    super(`answered HTTP ${status}`);
  }

  override get failureClass(): FailureClass {
    return classifyHttpStatus(this.status);
  }
}

/** One GET within `signal`: the body as text, capped. */
async function getCapped(url: string, maxBytes: number, signal: AbortSignal): Promise<string> {
  const response = await fetch(url, { signal, headers: { Accept: 'application/json' } });
  if (!response.ok) {
    response.body?.cancel().catch(() => {});
    throw new ConfigUrlStatusError(response.status);
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    response.body?.cancel().catch(() => {});
    throw new BodyTooLargeError(maxBytes, declared);
  }
  return new TextDecoder().decode(await readBodyCapped(response.body, maxBytes));
}

/**
 * GETs `url` and parses its JSON within `limits` (default CONFIG_URL_LIMITS); any failure is a
 * ConfigError on `bm.config_url` naming the URL (credentials redacted) and the limit it hit.
 */
export async function fetchConfigUrl(url: string, options: { limits?: ConfigUrlLimits; log?: Logger } = {}): Promise<unknown> {
  const limits = options.limits ?? CONFIG_URL_LIMITS;
  const shown = redactUrl(url);
  const fail = (message: string) => new ConfigError(shown, [{ key: 'bm.config_url', message: `${shown}: ${message}` }]);
  const deadline = AbortSignal.timeout(limits.deadlineMs);
  let text: string;
  try {
    text = await retryUntil((_n) => getCapped(url, limits.maxBytes, AbortSignal.any([deadline, AbortSignal.timeout(limits.attemptMs)])), {
      what: `bm.config_url ${shown}`,
      deadline: Date.now() + limits.deadlineMs,
      signal: deadline,
      backoff: BACKOFF.configUrl,
      retryOn: ['retry-now'],
      ...(options.log ? { log: options.log } : {}),
    });
  } catch (error) {
    if (deadline.aborted) {
      throw fail(
        `no complete answer within ${formatSeconds(limits.deadlineMs, limits.deadlineMs % 1000 ? 1 : 0)} (the time limit of bm.config_url, retries included)`,
      );
    }
    if (error instanceof BodyTooLargeError) throw fail(`${error.message}; ${formatBytes(limits.maxBytes)} is the size limit of bm.config_url`);
    throw fail(`cannot fetch: ${redact(error instanceof Error ? error.message : String(error))}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw fail(`not valid JSON: ${(error as Error).message}`);
  }
}
