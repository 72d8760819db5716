/**
 * harden/serve.ts without a socket: the decisions (agent callback, NetBox webhook → device or
 * not), --listen parsing, the secret sources, and the handler's answers (401 / 413 / 400 / 202 /
 * 200 / 404 / 405 / 503) with a recording queue.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallbackEvent } from '../../../agent/report.ts';
import type { EnqueueResult } from '../../../harden/queue.ts';
import { callbackDecision, createServeHandler, loadSecret, parseListen, readBodyLimited, webhookDecision } from '../../../harden/serve.ts';
import { NETBOX_SIGNATURE, signBody, signWith } from '../../../shared/hmac.ts';
import { createMemoryLogger } from '../../../shared/log.ts';

const SECRET = 'callback-secret-0123456789';
const HOOK_SECRET = 'webhook-secret-0123456789';

/** The agent's callback event for device 12, typed as agent/report.ts makes it (a change there breaks this test's build). */
function agentEvent(overrides: Record<string, unknown> = {}) {
  const event: CallbackEvent = {
    event: 'bm.validation.finished',
    runId: 'run-1',
    verdict: 'pass',
    device: { id: 12, name: 'srv-12', url: 'https://netbox/api/dcim/devices/12/' },
    serial: 'ABC',
    profile: 'full',
    finishedAt: '2025-01-01T00:00:00Z',
    durationMs: 1000,
    steps: { '01-init': 'pass' },
    reasons: [],
    status: 'staged',
  };
  return { ...event, ...overrides };
}

/** The callback's signature header for `body` with the configured secret. */
const signed = (body: string) => ({ 'X-BM-Signature-256': signBody(body, SECRET) });

/** NetBox's default webhook body for a device update from `from` to `to` (snapshots carry bare values). */
function netboxEvent(from: string | null, to: string, overrides: Record<string, unknown> = {}) {
  return {
    event: from === null ? 'created' : 'updated',
    timestamp: '2025-01-01 00:00:00.000000+00:00',
    model: 'device',
    username: 'admin',
    request_id: '5c0c1f4e-0000-4000-8000-000000000000',
    data: { id: 34, name: 'srv-34', status: { value: to, label: to } },
    snapshots: { prechange: from === null ? null : { status: from, name: 'srv-34' }, postchange: { status: to, name: 'srv-34' } },
    ...overrides,
  };
}

/** NetBox 4.7's default body for the same change (as its RQ worker sent it): `object_type` for `model`, `request.user` for `username`. */
function netbox47Event(from: string | null, to: string, overrides: Record<string, unknown> = {}) {
  const { model: _model, username: _username, request_id: _requestId, ...rest } = netboxEvent(from, to);
  const request = {
    id: '5c0c1f4e-0000-4000-8000-000000000000',
    path: '/api/dcim/devices/34/',
    path_info: '/api/dcim/devices/34/',
    method: 'PATCH',
    GET: {},
    user: 'admin',
  };
  return { ...rest, object_type: 'dcim.device', request, ...overrides };
}

describe('callbackDecision', () => {
  test('a passed validation that staged its device runs that device', () => {
    expect(callbackDecision(agentEvent(), 'bm.validation.finished')).toEqual({ kind: 'run', device: 12, why: 'agent run run-1 passed and staged it' });
  });

  test('fail, a pass that did not stage, no device, another event: ignored, each saying why', () => {
    expect(callbackDecision(agentEvent({ verdict: 'fail' }))).toMatchObject({ kind: 'ignore', why: expect.stringContaining('ended fail') });
    expect(callbackDecision(agentEvent({ status: null }))).toMatchObject({ kind: 'ignore', why: expect.stringContaining('set status null, not staged') });
    expect(callbackDecision(agentEvent({ device: null }))).toMatchObject({ kind: 'ignore', why: expect.stringContaining('found no device') });
    expect(callbackDecision(agentEvent({ event: 'other' }))).toMatchObject({ kind: 'ignore' });
    expect(callbackDecision(agentEvent(), 'bm.other')).toMatchObject({ kind: 'ignore', why: expect.stringContaining('X-BM-Event bm.other') });
  });

  test('not an object, a bad verdict or device id: malformed', () => {
    for (const body of [null, [], 'x', agentEvent({ verdict: 'maybe' }), agentEvent({ device: { id: '12' } }), agentEvent({ device: { id: -1 } })]) {
      expect(callbackDecision(body).kind).toBe('malformed');
    }
  });
});

describe('webhookDecision', () => {
  test('a device changed to staged, or created staged, runs it', () => {
    expect(webhookDecision(netboxEvent('discovered', 'staged'))).toEqual({
      kind: 'run',
      device: 34,
      why: 'NetBox: device updated by admin, status discovered → staged',
    });
    expect(webhookDecision(netboxEvent(null, 'staged'))).toMatchObject({ kind: 'run', device: 34, why: expect.stringContaining('(new) → staged') });
    expect(webhookDecision(netboxEvent('discovered', 'staged', { event: 'object_updated' }))).toMatchObject({ kind: 'run', device: 34 });
  });

  test("NetBox 4.7's body (object_type, request.user; no model, username): the same decisions", () => {
    expect(webhookDecision(netbox47Event('discovered', 'staged'))).toEqual({
      kind: 'run',
      device: 34,
      why: 'NetBox: device updated by admin, status discovered → staged',
    });
    expect(webhookDecision(netbox47Event('staged', 'staged'))).toMatchObject({ kind: 'ignore', why: expect.stringContaining('already staged') });
    expect(webhookDecision(netbox47Event('a', 'staged', { object_type: 'dcim.site' }))).toEqual({
      kind: 'ignore',
      why: 'object type dcim.site, not dcim.device',
    });
    expect(webhookDecision(netbox47Event('a', 'staged', { request: null }))).toMatchObject({ kind: 'run', why: 'NetBox: device updated, status a → staged' });
  });

  test('staged → staged (another field changed), another status, another model or a delete: ignored', () => {
    expect(webhookDecision(netboxEvent('staged', 'staged'))).toMatchObject({ kind: 'ignore', why: expect.stringContaining('already staged') });
    expect(webhookDecision(netboxEvent('staged', 'ready'))).toMatchObject({ kind: 'ignore', why: 'device #34 is ready, not staged' });
    expect(webhookDecision(netboxEvent('staged', 'staged', { model: 'site' }))).toMatchObject({ kind: 'ignore', why: 'model site, not device' });
    expect(webhookDecision(netboxEvent('discovered', 'staged', { event: 'deleted' }))).toMatchObject({ kind: 'ignore' });
  });

  test('no event/model (a body template), no data.id or status: malformed, naming what is missing', () => {
    expect(webhookDecision({ text: 'hi' })).toMatchObject({ kind: 'malformed', why: expect.stringContaining('no "event" and "model"') });
    expect(webhookDecision(netboxEvent('a', 'staged', { data: { status: 'staged' } }))).toMatchObject({
      kind: 'malformed',
      why: expect.stringContaining('data.id'),
    });
    expect(webhookDecision(netboxEvent('a', 'staged', { data: { id: 3 } }))).toMatchObject({ kind: 'malformed', why: expect.stringContaining('data.status') });
  });
});

describe('parseListen', () => {
  test('HOST:PORT, [IPv6]:PORT, port 0', () => {
    expect(parseListen('127.0.0.1:8470')).toEqual({ hostname: '127.0.0.1', port: 8470 });
    expect(parseListen('[::1]:0')).toEqual({ hostname: '::1', port: 0 });
    expect(parseListen('harden.example.net:80')).toEqual({ hostname: 'harden.example.net', port: 80 });
  });

  test('no port, a bare IPv6, a port over 65535: a config error showing the form', () => {
    for (const bad of ['127.0.0.1', '::1:80', ':8080', 'host:70000', 'host:port']) expect(() => parseListen(bad)).toThrow('is not HOST:PORT');
  });
});

describe('loadSecret', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const file = (content: string, mode: number) => {
    dir ??= mkdtempSync(join(tmpdir(), 'bmt-secret-'));
    const path = join(dir, `s-${mode.toString(8)}`);
    writeFileSync(path, content);
    chmodSync(path, mode);
    return path;
  };

  test('from a 0600 file (first line) or the environment; neither: undefined', () => {
    expect(loadSecret(file(`${SECRET}\nignored\n`, 0o600), undefined, 'callback secret')).toBe(SECRET);
    expect(loadSecret(undefined, SECRET, 'callback secret')).toBe(SECRET);
    expect(loadSecret(undefined, undefined, 'callback secret')).toBeUndefined();
  });

  test('a group/world-readable file, both sources, or a short secret are refused, never showing the secret', () => {
    expect(() => loadSecret(file(SECRET, 0o644), undefined, 'callback secret')).toThrow('chmod 600');
    expect(() => loadSecret(file(SECRET, 0o600), SECRET, 'callback secret')).toThrow('keep one');
    expect(() => loadSecret(undefined, 'short', 'webhook secret')).toThrow('shorter than 16');
    const refusal = (() => {
      try {
        loadSecret(file(SECRET, 0o640), undefined, 'callback secret');
      } catch (error) {
        return (error as Error).message;
      }
      return 'not refused';
    })();
    expect(refusal).toContain('the group');
    expect(refusal).not.toContain(SECRET);
  });
});

describe('readBodyLimited', () => {
  test('a body up to the limit is read whole; over it (declared or streamed) is null', async () => {
    expect(new TextDecoder().decode((await readBodyLimited(new Request('http://x/', { method: 'POST', body: 'abc' }), 3))!)).toBe('abc');
    expect(await readBodyLimited(new Request('http://x/', { method: 'POST', body: 'abcd' }), 3)).toBeNull();
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(new Uint8Array(100));
        controller.close();
      },
    });
    expect(await readBodyLimited(new Request('http://x/', { method: 'POST', body: stream }), 450)).toBeNull();
  });
});

describe('the handler', () => {
  function harness(options: { callbackSecret?: string; webhookSecret?: string; result?: EnqueueResult } = {}) {
    const enqueued: number[] = [];
    const logger = createMemoryLogger('info');
    const handler = createServeHandler({
      maxBodyBytes: 4096,
      logger,
      ...(options.callbackSecret !== undefined ? { callbackSecret: options.callbackSecret } : {}),
      ...(options.webhookSecret !== undefined ? { webhookSecret: options.webhookSecret } : {}),
      queue: {
        enqueue: (id) => {
          enqueued.push(id);
          return options.result ?? 'started';
        },
        running: () => [...enqueued],
        queued: () => [],
      },
    });
    const post = async (path: string, body: string, headers: Record<string, string> = {}) => {
      const response = await handler(new Request(`http://127.0.0.1${path}`, { method: 'POST', body, headers }), '192.0.2.7');
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };
    return { enqueued, lines: logger.lines, handler, post };
  }

  test('a signed callback that passed and staged: 202, the device enqueued, one log line with the device and the sender', async () => {
    const h = harness({ callbackSecret: SECRET });
    const body = JSON.stringify(agentEvent());
    const answer = await h.post('/callback', body, { ...signed(body), 'X-BM-Delivery': 'run-1' });
    expect(answer).toEqual({ status: 202, json: { accepted: true, device: 12, run: 'started' } });
    expect(h.enqueued).toEqual([12]);
    expect(h.lines).toHaveLength(1);
    expect(h.lines[0]).toContain('POST /callback 202: device #12: run started (agent run run-1 passed and staged it)');
    expect(h.lines[0]).toContain('remote=192.0.2.7');
    expect(h.lines[0]).toContain('delivery=run-1');
  });

  test('unsigned, forged (other secret), or a changed body: 401, nothing enqueued, the refusal logged', async () => {
    const h = harness({ callbackSecret: SECRET });
    const body = JSON.stringify(agentEvent());
    expect((await h.post('/callback', body)).status).toBe(401);
    expect((await h.post('/callback', body, { 'X-BM-Signature-256': signBody(body, 'another-secret-0123456789') })).status).toBe(401);
    const tampered = JSON.stringify(agentEvent({ device: { id: 99, name: 'x', url: 'y' } }));
    const answer = await h.post('/callback', tampered, signed(body));
    expect(answer.status).toBe(401);
    expect(answer.json.error).toContain('does not match the body');
    expect(h.enqueued).toEqual([]);
    expect(h.lines.join('\n')).toContain('WARNING POST /callback 401: refused: no X-BM-Signature-256 header');
    expect(h.lines.join('\n')).not.toContain(SECRET);
  });

  test('the callback endpoint without a configured secret is disabled (404 saying how to enable it)', async () => {
    const h = harness();
    const body = JSON.stringify(agentEvent());
    const answer = await h.post('/callback', body, signed(body));
    expect(answer.status).toBe(404);
    expect(answer.json.error).toContain('--callback-secret-file');
    expect(h.enqueued).toEqual([]);
  });

  test('a body over the limit: 413 before any signature or JSON work', async () => {
    const h = harness({ callbackSecret: SECRET });
    const answer = await h.post('/callback', 'x'.repeat(5000), { 'X-BM-Signature-256': 'sha256=00' });
    expect(answer).toEqual({ status: 413, json: { error: 'body over 4096 bytes' } });
  });

  test('signed but not JSON or not a callback event: 400; signed but nothing to do: 200 ignored with the reason', async () => {
    const h = harness({ callbackSecret: SECRET });
    const notJson = '{"event":';
    expect((await h.post('/callback', notJson, signed(notJson))).status).toBe(400);
    const failed = JSON.stringify(agentEvent({ verdict: 'fail' }));
    const answer = await h.post('/callback', failed, signed(failed));
    expect(answer.status).toBe(200);
    expect(answer.json.ignored).toContain('only a passed validation is hardened');
    expect(h.enqueued).toEqual([]);
  });

  test('NetBox webhook: with a secret, X-Hook-Signature (HMAC-SHA512) is required; without one, unsigned is accepted', async () => {
    const hooked = harness({ webhookSecret: HOOK_SECRET });
    const body = JSON.stringify(netboxEvent('discovered', 'staged'));
    expect((await hooked.post('/netbox', body)).status).toBe(401);
    expect((await hooked.post('/netbox', body, { 'X-Hook-Signature': signWith(NETBOX_SIGNATURE, body, 'wrong-secret-0123456789') })).status).toBe(401);
    expect((await hooked.post('/netbox', body, { 'X-Hook-Signature': signWith(NETBOX_SIGNATURE, body, HOOK_SECRET) })).status).toBe(202);
    expect(hooked.enqueued).toEqual([34]);

    const unsigned = harness();
    expect((await unsigned.post('/netbox', body)).status).toBe(202);
    expect(unsigned.enqueued).toEqual([34]);
  });

  test('coalesced is still 202 (said so); a full or closing queue is 503 with Retry-After', async () => {
    const body = JSON.stringify(netboxEvent('discovered', 'staged'));
    expect((await harness({ result: 'coalesced' }).post('/netbox', body)).json).toEqual({ accepted: true, device: 34, run: 'coalesced' });
    const full = harness({ result: 'full' });
    const response = await full.handler(new Request('http://127.0.0.1/netbox', { method: 'POST', body }));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('60');
    expect((await harness({ result: 'closed' }).post('/netbox', body)).status).toBe(503);
  });

  test('other paths 404, other methods 405; /healthz lists what runs', async () => {
    const h = harness({ callbackSecret: SECRET });
    expect((await h.post('/', '{}')).status).toBe(404);
    const get = await h.handler(new Request('http://127.0.0.1/netbox'));
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const body = JSON.stringify(netboxEvent('discovered', 'staged'));
    await h.post('/netbox', body);
    const health = await h.handler(new Request('http://127.0.0.1/healthz'));
    expect(await health.json()).toEqual({ running: [34], queued: [] });
  });
});
