/**
 * `bm-harden serve`: an HTTP receiver (Bun.serve) that turns two kinds of notification into
 * hardening runs of staged devices:
 *
 * - `POST /callback`: bm-agent's callback (`X-BM-Event: bm.validation.finished`), signed with
 *   `X-BM-Signature-256` by shared/hmac.ts — the same code verifies it here. Enabled only with a
 *   callback secret. A passed validation that staged its device starts a run for that device.
 * - `POST /netbox`: NetBox event-rule webhooks (default body `{event, timestamp, object_type, data,
 *   request, snapshots}` on NetBox 4.7; `model` instead of `object_type` before 4.5, `username` and
 *   `request_id` before 4.7), checked against `X-Hook-Signature` (HMAC-SHA512) when a webhook secret
 *   is configured. A device whose status changed to `staged` starts a run.
 * - `GET /healthz`: what runs and waits.
 *
 * Answers: 202 accepted (run started, queued or coalesced into the one already running), 200
 * ignored (well-formed, authentic, nothing to do — said why), 400 malformed, 401 bad or missing
 * signature, 404 / 405 wrong endpoint or method, 413 body over the limit, 503 the queue is full
 * or shutting down (senders retry). The body is read up to the limit and the signature checked
 * before the JSON is parsed. Every request is one log line saying what happened. Runs go through
 * harden/queue.ts (bounded concurrency, one run per device) and harden/trigger.ts, which hardens
 * the device only when NetBox says it is `staged` at that moment: a replayed trigger is harmless.
 *
 * The decisions (`callbackDecision`, `webhookDecision`, `parseListen`) are pure; the handler takes
 * a plain Request, so it is tested without a socket.
 */
import { statSync } from 'node:fs';
import { BodyTooLargeError, readBodyCapped } from '../shared/http-body.ts';
import { ConfigError, readSecretFile } from '../shared/config.ts';
import { BM_SIGNATURE, NETBOX_SIGNATURE, type SignatureScheme, verifySignature } from '../shared/hmac.ts';
import { isJsonObject } from '../shared/json.ts';
import type { Logger } from '../shared/log.ts';
import { registerSecret } from '../shared/redact.ts';
import { secretFileModeProblem } from './credentials.ts';
import { STAGED_STATUS } from './device.ts';
import type { EnqueueResult, RunQueue } from './queue.ts';

export const CALLBACK_PATH = '/callback';
export const WEBHOOK_PATH = '/netbox';
export const HEALTH_PATH = '/healthz';
/** Largest body read; NetBox's device payload with both snapshots is a few KiB, the agent's callback less. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;
/** The event bm-agent's callback carries (agent/report.ts CallbackEvent). */
export const AGENT_EVENT = 'bm.validation.finished';

/** What a notification asks for: a run of one device, nothing (and why), or it is malformed (and why). */
export type Decision = { kind: 'run'; device: number; why: string } | { kind: 'ignore'; why: string } | { kind: 'malformed'; why: string };

const isDeviceId = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value > 0;

/**
 * What bm-agent's callback event asks for. Pure. A run when the validation passed and the agent
 * set the device `staged` (its `status` field is the status it applied; null when it staged
 * nothing: a dry or partial run, or NetBox refused).
 */
export function callbackDecision(body: unknown, eventHeader: string | null = null): Decision {
  if (eventHeader !== null && eventHeader !== AGENT_EVENT) return { kind: 'ignore', why: `X-BM-Event ${eventHeader} is not ${AGENT_EVENT}` };
  if (!isJsonObject(body)) return { kind: 'malformed', why: 'the body is not a JSON object' };
  if (body.event !== AGENT_EVENT) return { kind: 'ignore', why: `event ${JSON.stringify(body.event)} is not ${AGENT_EVENT}` };
  if (!['pass', 'fail', 'error'].includes(body.verdict as string)) return { kind: 'malformed', why: 'verdict is not pass, fail or error' };
  const run = typeof body.runId === 'string' ? ` ${body.runId}` : '';
  if (body.device === null || body.device === undefined) return { kind: 'ignore', why: `agent run${run} found no device in NetBox` };
  if (!isJsonObject(body.device) || !isDeviceId(body.device.id)) return { kind: 'malformed', why: 'device.id is not a positive integer' };
  const device = body.device.id;
  if (body.verdict !== 'pass') return { kind: 'ignore', why: `agent run${run} ended ${body.verdict}: only a passed validation is hardened` };
  if (body.status !== STAGED_STATUS) {
    return { kind: 'ignore', why: `agent run${run} passed but set status ${JSON.stringify(body.status ?? null)}, not staged (a dry or partial run?)` };
  }
  return { kind: 'run', device, why: `agent run${run} passed and staged it` };
}

/** A status as NetBox serialises it: `{value, label}` in `data`, the bare value in snapshots. */
function statusValue(status: unknown): string | undefined {
  if (typeof status === 'string') return status;
  if (isJsonObject(status) && typeof status.value === 'string') return status.value;
  return undefined;
}

/** NetBox's event names: `created`/`updated` (webhook payload), `object_created`/`object_updated` (event types, 4.1+). */
const RUN_EVENTS = new Set(['created', 'updated', 'object_created', 'object_updated']);

/** Who made the change: `username` (NetBox < 4.7) or `request.user` (4.7+). */
function webhookUser(body: Record<string, unknown>): string | undefined {
  if (typeof body.username === 'string') return body.username;
  return isJsonObject(body.request) && typeof body.request.user === 'string' ? body.request.user : undefined;
}

/**
 * What a NetBox webhook asks for. Pure. A run when a device was created in or changed to
 * `staged`; an update that leaves a staged device staged (another field changed) is ignored,
 * so an event rule without a condition does not re-harden on every edit. The object's type is
 * `object_type` (`dcim.device`, NetBox 4.5+) or `model` (`device`, before 4.5).
 */
export function webhookDecision(body: unknown): Decision {
  if (!isJsonObject(body)) return { kind: 'malformed', why: 'the body is not a JSON object' };
  const objectType = typeof body.object_type === 'string' ? body.object_type : undefined;
  if (typeof body.event !== 'string' || (objectType === undefined && typeof body.model !== 'string')) {
    return { kind: 'malformed', why: 'not a NetBox webhook: no "event" and "model" or "object_type" (use the default body, no body template)' };
  }
  if (objectType !== undefined && objectType !== 'dcim.device') return { kind: 'ignore', why: `object type ${objectType}, not dcim.device` };
  if (objectType === undefined && body.model !== 'device') return { kind: 'ignore', why: `model ${body.model}, not device` };
  if (!RUN_EVENTS.has(body.event)) return { kind: 'ignore', why: `event ${body.event}: only created and updated devices are hardened` };
  if (!isJsonObject(body.data) || !isDeviceId(body.data.id)) return { kind: 'malformed', why: 'data.id is not a positive integer' };
  const device = body.data.id;
  const status = statusValue(body.data.status);
  if (status === undefined) return { kind: 'malformed', why: 'data.status has no value' };
  const user = webhookUser(body);
  const who = user === undefined ? '' : ` by ${user}`;
  if (status !== STAGED_STATUS) return { kind: 'ignore', why: `device #${device} is ${status}, not staged` };
  const snapshots = isJsonObject(body.snapshots) ? body.snapshots : {};
  const before = isJsonObject(snapshots.prechange) ? statusValue(snapshots.prechange.status) : undefined;
  if (before === STAGED_STATUS) return { kind: 'ignore', why: `device #${device} was already staged (${body.event}${who} changed something else)` };
  return { kind: 'run', device, why: `NetBox: device ${body.event}${who}, status ${before ?? '(new)'} → staged` };
}

/** `HOST:PORT` or `[IPv6]:PORT` → Bun.serve's hostname and port (0: any free port, said in the log). Pure. */
export function parseListen(text: string): { hostname: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65_535) {
    throw new ConfigError('--listen', [{ key: 'listen', message: `${JSON.stringify(text)} is not HOST:PORT (e.g. 127.0.0.1:8470, [::1]:8470, 0.0.0.0:8470)` }]);
  }
  return { hostname: (match[1] ?? match[2])!, port };
}

/**
 * A secret from the environment variable or a file (first line) that only its owner may read:
 * never from argv, where `ps` shows it. Registered for redaction. Undefined when neither is given.
 */
export function loadSecret(file: string | undefined, envValue: string | undefined, key: string): string | undefined {
  if (file && envValue) throw new ConfigError(key, [{ key, message: 'given both as a file and in the environment: keep one' }]);
  let secret = envValue;
  if (file) {
    let mode: number;
    try {
      mode = statSync(file).mode;
    } catch (error) {
      throw new ConfigError(file, [{ key, message: `cannot read: ${(error as NodeJS.ErrnoException).code ?? 'error'}` }]);
    }
    const problem = secretFileModeProblem(mode);
    if (problem) throw new ConfigError(file, [{ key, message: `refused: ${problem}` }]);
    secret = readSecretFile(file, key);
  }
  if (secret !== undefined && secret.length < 16) throw new ConfigError(key, [{ key, message: 'is shorter than 16 characters: use a long random secret' }]);
  registerSecret(secret);
  return secret;
}

/**
 * The body, or null when it is longer than `limit` bytes: a Content-Length over it is refused
 * unread, else the stream is read by shared/http-body.ts's readBodyCapped (the one capped reader),
 * which stops one chunk past the cap.
 */
export async function readBodyLimited(request: Request, limit: number): Promise<Uint8Array | null> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) return null;
  try {
    return await readBodyCapped(request.body, limit);
  } catch (error) {
    if (error instanceof BodyTooLargeError) return null;
    throw error;
  }
}

export interface ServeOptions {
  /** Secret of the agent's `X-BM-Signature-256`; without it /callback is disabled. */
  callbackSecret?: string;
  /** Secret of NetBox's `X-Hook-Signature`; without it webhooks are accepted unsigned (warned at start). */
  webhookSecret?: string;
  maxBodyBytes: number;
  queue: Pick<RunQueue<number>, 'enqueue' | 'running' | 'queued'>;
  logger: Logger;
}

const json = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  new Response(`${JSON.stringify(body)}\n`, { status, headers: { 'Content-Type': 'application/json', ...headers } });

/** The HTTP answer to an enqueue: 202, or 503 when the queue cannot take it. Pure. */
function accepted(result: EnqueueResult, device: number): { status: number; body: Record<string, unknown>; headers?: Record<string, string> } {
  if (result === 'full') return { status: 503, body: { error: 'too many devices waiting; retry later', device }, headers: { 'Retry-After': '60' } };
  if (result === 'closed') return { status: 503, body: { error: 'shutting down; retry later', device }, headers: { 'Retry-After': '30' } };
  return { status: 202, body: { accepted: true, device, run: result } };
}

const RUN_WORDS: Record<EnqueueResult, string> = {
  started: 'run started',
  queued: 'run queued',
  coalesced: 'already running or queued: coalesced',
  full: 'refused: queue full',
  closed: 'refused: shutting down',
};

/** The request handler (no socket: tests call it with a Request). `remote` is the peer address, for the log. */
export function createServeHandler(options: ServeOptions): (request: Request, remote?: string) => Promise<Response> {
  const { logger } = options;
  return async (request, remote = '-') => {
    const path = new URL(request.url).pathname;
    const what = `${request.method} ${path}`;
    const reply = (status: number, body: Record<string, unknown>, message: string, headers?: Record<string, string>) => {
      const level = status >= 500 || status === 401 ? 'warning' : status >= 400 ? 'notice' : 'info';
      const delivery = request.headers.get('X-BM-Delivery') ?? undefined;
      logger[level](`${what} ${status}: ${message}`, { remote, ...(delivery ? { delivery } : {}) });
      return json(status, body, headers);
    };

    if (path === HEALTH_PATH && (request.method === 'GET' || request.method === 'HEAD')) {
      return json(200, { running: options.queue.running(), queued: options.queue.queued() });
    }
    const endpoint = path === CALLBACK_PATH ? 'callback' : path === WEBHOOK_PATH ? 'webhook' : undefined;
    if (!endpoint) {
      return reply(404, { error: `no such endpoint; POST ${CALLBACK_PATH} (bm-agent) or ${WEBHOOK_PATH} (NetBox webhooks)` }, 'no such endpoint');
    }
    if (request.method !== 'POST') return reply(405, { error: 'use POST' }, 'method not allowed', { Allow: 'POST' });
    if (endpoint === 'callback' && !options.callbackSecret) {
      const why = 'the callback endpoint is disabled: bm-harden serve has no callback secret (--callback-secret-file or BM_HARDEN_CALLBACK_SECRET)';
      return reply(404, { error: why }, why);
    }

    const body = await readBodyLimited(request, options.maxBodyBytes);
    if (body === null) return reply(413, { error: `body over ${options.maxBodyBytes} bytes` }, `body over the limit of ${options.maxBodyBytes} bytes`);

    const check: [SignatureScheme, string, string | undefined] =
      endpoint === 'callback' ? [BM_SIGNATURE, 'X-BM-Signature-256', options.callbackSecret] : [NETBOX_SIGNATURE, 'X-Hook-Signature', options.webhookSecret];
    const [scheme, header, secret] = check;
    if (secret !== undefined) {
      const given = request.headers.get(header);
      if (!verifySignature(scheme, body, given, secret)) {
        const why = given ? `${header} does not match the body (wrong secret, or the body was changed)` : `no ${header} header`;
        return reply(401, { error: `bad signature: ${why}` }, `refused: ${why}`);
      }
    }

    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
    } catch (error) {
      return reply(400, { error: `not JSON: ${(error as Error).message}` }, 'malformed: the body is not JSON');
    }
    const decision = endpoint === 'callback' ? callbackDecision(parsed, request.headers.get('X-BM-Event')) : webhookDecision(parsed);
    if (decision.kind === 'malformed') return reply(400, { error: decision.why }, `malformed: ${decision.why}`);
    if (decision.kind === 'ignore') return reply(200, { ignored: decision.why }, `ignored: ${decision.why}`);
    const result = options.queue.enqueue(decision.device);
    const answer = accepted(result, decision.device);
    return reply(answer.status, answer.body, `device #${decision.device}: ${RUN_WORDS[result]} (${decision.why})`, answer.headers);
  };
}

export interface Listening {
  /** `http://host:port` actually bound (port 0 resolved). */
  url: string;
  /** Stops accepting connections (requests in flight finish). */
  stop(): Promise<void>;
}

/** Binds the handler with Bun.serve. Bun's own body cap is a backstop above ours, so ours answers the 413. */
export function listen(handler: ReturnType<typeof createServeHandler>, address: { hostname: string; port: number }, maxBodyBytes: number): Listening {
  const server = Bun.serve({
    hostname: address.hostname,
    port: address.port,
    maxRequestBodySize: Math.max(4 * maxBodyBytes, 1024 * 1024),
    fetch: (request, srv) => handler(request, srv.requestIP(request)?.address),
  });
  const host = server.hostname?.includes(':') ? `[${server.hostname}]` : server.hostname;
  return { url: `http://${host}:${server.port}`, stop: () => server.stop() };
}
