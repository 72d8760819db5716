/**
 * The NetBox client under faults injected by the simulator: timeouts, deadline,
 * retries (only idempotent, only retry-now failures), auth failures, cancellation,
 * and the token kept out of every error. Simulator-only: a real NetBox cannot be
 * told to fail. Also: TLS with a self-signed certificate, refused unless insecureTls.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { causeOf, classifyFailure } from '../../shared/failure.ts';
import {
  clearVersionCache,
  createJournalEntry,
  createNetboxClient,
  findDevicesBySerial,
  getDevice,
  traceInterface,
  withBounds,
  NetboxAbortedError,
  NetboxHttpError,
  NetboxNetworkError,
  NetboxResponseError,
  NetboxTimeoutError,
  setDeviceStatus,
  type NetboxClientOptions,
} from '../../shared/netbox/index.ts';
import { startSimulator, type Flavour, type Simulator } from '../netbox-sim/index.ts';
import { rejectionOf } from '../helpers/rejection.ts';
import { createFixtures, type Fixtures } from '../helpers/netbox-fixtures.ts';
import { FLAVOURS } from '../helpers/netbox-target.ts';
import { waitUntil } from '../helpers/wait.ts';

const FAST_BACKOFF = { baseMs: 1, maxMs: 5 };
const DEVICES = '/api/dcim/devices/';

for (const flavour of FLAVOURS) {
  describe(`client faults against simulator ${flavour}`, () => {
    let sim: Simulator;
    let fx: Fixtures;
    const client = (options: Partial<NetboxClientOptions> = {}) =>
      createNetboxClient({ url: sim.url, token: sim.token, timeoutMs: 300, deadlineMs: 3000, retries: 3, backoff: FAST_BACKOFF, ...options });
    const deviceRequests = () => sim.requests().filter((r) => r.path === DEVICES);

    beforeEach(async () => {
      clearVersionCache();
      sim = await startSimulator({ port: 0, flavour: flavour as Flavour });
      fx = await createFixtures(sim.url, sim.token);
      sim.clearRequests();
    });
    afterEach(() => sim.close());

    test('a hanging NetBox times out per request and is retried', async () => {
      sim.setFaults([{ kind: 'hang', pathPrefix: DEVICES, times: 2 }]);
      const page = await client().get<{ count: number }>(DEVICES);
      expect(page.count).toBe(0);
      expect(deviceRequests().length).toBe(3);
    });

    test('a NetBox that keeps hanging ends in a timeout error, not a hang', async () => {
      sim.setFaults([{ kind: 'hang', pathPrefix: DEVICES }]);
      const error = await rejectionOf(client({ retries: 1 }).get(DEVICES));
      expect(error).toBeInstanceOf(NetboxTimeoutError);
      expect(error.kind).toBe('request');
      expect(error.message).toMatch(/within 300 ms/);
    });

    test('the overall deadline bounds retries', async () => {
      sim.setFaults([{ kind: 'hang', pathPrefix: DEVICES }]);
      const error = await rejectionOf(client({ timeoutMs: 200, deadlineMs: 500, retries: 20 }).get(DEVICES));
      expect(error).toBeInstanceOf(NetboxTimeoutError);
      expect(error.kind).toBe('deadline');
      expect(deviceRequests().length).toBeLessThan(5);
    });

    for (const status of [502, 503, 504, 429]) {
      test(`${status} is retried for idempotent requests`, async () => {
        sim.setFaults([{ kind: 'status', status, pathPrefix: DEVICES, times: 2 }]);
        await client().get(DEVICES);
        expect(deviceRequests().map((r) => r.status)).toEqual([status, status, 200]);
      });
    }

    test('Retry-After of a 429 is honoured', async () => {
      sim.setFaults([{ kind: 'status', status: 429, retryAfterS: 0.2, pathPrefix: DEVICES, times: 1 }]);
      const waits: number[] = [];
      const started = performance.now();
      await client({ backoff: { baseMs: 1, maxMs: 1000 } }).get(DEVICES);
      waits.push(performance.now() - started);
      expect(waits[0]).toBeGreaterThanOrEqual(190);
    });

    test("a 500 is not retried and carries NetBox's body", async () => {
      sim.setFaults([{ kind: 'status', status: 500, pathPrefix: DEVICES }]);
      const error = await rejectionOf(client().get(DEVICES));
      expect(error).toBeInstanceOf(NetboxHttpError);
      expect(error.status).toBe(500);
      expect(error.hint).toMatch(/NetBox failed internally/);
      expect(deviceRequests().length).toBe(1);
    });

    test('a non-idempotent POST is never retried', async () => {
      const device = await fx.createDevice();
      sim.clearRequests();
      sim.setFaults([{ kind: 'status', status: 503, pathPrefix: '/api/extras/journal-entries/' }]);
      const error = await rejectionOf(createJournalEntry(client(), { deviceId: device.id, kind: 'info', comments: 'x' }));
      expect(error).toBeInstanceOf(NetboxHttpError);
      expect(sim.requests().filter((r) => r.path === '/api/extras/journal-entries/').length).toBe(1);
    });

    test('a dropped connection is a network error and is retried', async () => {
      sim.setFaults([{ kind: 'drop', pathPrefix: DEVICES, times: 1 }]);
      await client().get(DEVICES);
      sim.setFaults([{ kind: 'drop', pathPrefix: DEVICES }]);
      const error = await rejectionOf(client({ retries: 0 }).get(DEVICES));
      expect(error).toBeInstanceOf(NetboxNetworkError);
    });

    test('malformed JSON is a response error and is retried', async () => {
      sim.setFaults([{ kind: 'malformed', pathPrefix: DEVICES, times: 1 }]);
      await client().get(DEVICES);
      sim.setFaults([{ kind: 'malformed', pathPrefix: DEVICES }]);
      const error = await rejectionOf(client({ retries: 0 }).get(DEVICES));
      expect(error).toBeInstanceOf(NetboxResponseError);
      expect(error.message).toMatch(/malformed JSON/);
    });

    test('latency within the timeout is just slower', async () => {
      sim.setFaults([{ kind: 'latency', ms: 50, pathPrefix: DEVICES }]);
      expect(await client().get<{ count: number }>(DEVICES)).toMatchObject({ count: 0 });
    });

    test('NetBox being down is a network error', async () => {
      const url = sim.url;
      await sim.close();
      const error = await rejectionOf(createNetboxClient({ url, token: 'x'.repeat(40), retries: 1, backoff: FAST_BACKOFF }).get(DEVICES));
      expect(error).toBeInstanceOf(NetboxNetworkError);
      sim = await startSimulator({ port: 0, flavour: flavour as Flavour });
    });

    test('a wrong token is a 403 with a hint, not retried, and the token is never shown', async () => {
      const token = flavour === '4.6' ? 'nbt_wrongkey1234.wrongsecretwrongsecret' : '0123456789abcdef0123456789abcdef01234567';
      const error = await rejectionOf(createNetboxClient({ url: sim.url, token, backoff: FAST_BACKOFF }).get(DEVICES));
      expect(error).toBeInstanceOf(NetboxHttpError);
      expect(error.status).toBe(403);
      expect(error.hint).toMatch(/token/);
      expect(sim.requests().filter((r) => r.path === DEVICES).length).toBe(1);
      const shown = `${error.message} ${JSON.stringify(error.toJSON())} ${String(error.stack)}`;
      expect(shown).not.toContain(token);
      expect(shown).not.toContain(token.slice(4, 20));
    });

    if (flavour !== '4.6') {
      test('a v2 token is refused before 4.5', async () => {
        const error = await rejectionOf(createNetboxClient({ url: sim.url, token: 'nbt_abcdefabcdef.abcdefabcdefabcdef', retries: 0 }).get('/api/status/'));
        expect(error).toBeInstanceOf(NetboxHttpError);
        expect(error.status).toBe(403);
      });
    }

    test('cancellation aborts a hanging request promptly', async () => {
      sim.setFaults([{ kind: 'hang', pathPrefix: DEVICES }]);
      const controller = new AbortController();
      const pending = rejectionOf(client({ timeoutMs: 60_000, deadlineMs: 60_000, signal: controller.signal }).get(DEVICES));
      await waitUntil(() => sim.requests().some((r) => r.path === DEVICES));
      controller.abort();
      expect(await pending).toBeInstanceOf(NetboxAbortedError);
    });

    test('an unconfigured status is refused with the FIELD_CHOICES fix', async () => {
      await sim.close();
      sim = await startSimulator({ port: 0, flavour: flavour as Flavour, statusChoices: [] });
      fx = await createFixtures(sim.url, sim.token);
      const device = await fx.createDevice();
      const error = await rejectionOf(setDeviceStatus(client(), device.id, 'discovered'));
      expect(error).toBeInstanceOf(NetboxHttpError);
      expect(error.fieldErrors.status?.[0]).toMatch(/is not a valid choice/);
      expect(error.message).toContain("FIELD_CHOICES = {'dcim.Device.status+'");
    });

    test('a list whose `next` never ends is stopped by the signal of a bound client, page in flight included', async () => {
      sim.setFaults([{ kind: 'endless-next', pathPrefix: DEVICES }]);
      const controller = new AbortController();
      const bound = withBounds(client({ deadlineMs: 60_000 }), { signal: controller.signal });
      const pending = rejectionOf(findDevicesBySerial(bound, 'ENDLESS-1'));
      await waitUntil(() => deviceRequests().length > 5, { what: 'several pages to be asked for' });
      controller.abort();
      const error = await pending;
      expect(error).toBeInstanceOf(NetboxAbortedError);
      expect(classifyFailure(error)).toBe('permanent');
      const asked = deviceRequests().length;
      // Nothing is asked for after the abort (a request already on the wire may still land).
      expect(deviceRequests().length).toBeLessThanOrEqual(asked + 1);
    });

    test('a bound deadline stops a list whose `next` never ends, with the earlier deadline', async () => {
      sim.setFaults([{ kind: 'endless-next', pathPrefix: DEVICES }]);
      const started = performance.now();
      const error = await rejectionOf(findDevicesBySerial(withBounds(client({ deadlineMs: 60_000 }), { deadlineAt: Date.now() + 300 }), 'ENDLESS-2'));
      expect(error).toBeInstanceOf(NetboxTimeoutError);
      expect(error.kind).toBe('deadline');
      expect(performance.now() - started).toBeLessThan(300 + 250);
    });

    for (const [kind, says] of [
      ['not-a-list', 'a list without a "results" array'],
      ['html', 'expected JSON, got text/html'],
      ['no-results', 'a list without a "results" array'],
    ] as const) {
      test(`a 200 with ${kind} is "NetBox answered something unexpected" for a list, an object and a trace`, async () => {
        const device = await fx.createDevice();
        const iface = await fx.createInterface(device.id, { name: 'eth0' });
        sim.setFaults([{ kind, pathPrefix: '/api/dcim/' }]);
        const list = await rejectionOf(findDevicesBySerial(client({ retries: 0 }), 'JUNK-1'));
        expect(list).toBeInstanceOf(NetboxResponseError);
        expect(list.message).toStartWith(`NetBox answered something unexpected to GET ${DEVICES}: ${says}`);
        const object = await rejectionOf(getDevice(client({ retries: 0 }), device.id));
        expect(object).toBeInstanceOf(NetboxResponseError);
        const trace = await rejectionOf(traceInterface(client({ retries: 0 }), iface.id));
        expect(trace).toBeInstanceOf(NetboxResponseError);
        expect(trace.message).toContain('NetBox answered something unexpected to GET /api/dcim/interfaces/');
        for (const error of [list, object, trace]) expect(causeOf(error)).toBe('netbox-unreachable');
      });
    }
  });
}

describe('TLS with a self-signed certificate', () => {
  let dir: string;
  let server: ReturnType<typeof Bun.serve>;
  const token = '0123456789abcdef0123456789abcdef01234567';
  const client = (insecureTls?: boolean) =>
    createNetboxClient({
      url: `https://127.0.0.1:${server.port}`,
      token,
      retries: 0,
      backoff: FAST_BACKOFF,
      ...(insecureTls === undefined ? {} : { insecureTls }),
    });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bm-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    server = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      tls: { cert: Bun.file(join(dir, 'cert.pem')), key: Bun.file(join(dir, 'key.pem')) },
      fetch: (request) =>
        new URL(request.url).pathname === '/api/status/' ? Response.json({ 'netbox-version': '4.4.1' }) : new Response('not found', { status: 404 }),
    });
  });
  afterAll(() => {
    server?.stop(true);
    rmSync(dir, { recursive: true, force: true });
  });

  test('is refused by default, with a NetboxNetworkError naming the certificate problem and the fix', async () => {
    for (const insecureTls of [undefined, false]) {
      const error = await rejectionOf(client(insecureTls).get('/api/status/'));
      expect(error).toBeInstanceOf(NetboxNetworkError);
      expect(error.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
      expect(error.message).toMatch(/self[- ]signed certificate/i);
      expect(error.message).toContain('NODE_EXTRA_CA_CERTS');
      expect(error.message).toContain('netbox.insecureTls');
    }
  });

  test('passes with insecureTls', async () => {
    expect(await client(true).get<Record<string, unknown>>('/api/status/')).toEqual({ 'netbox-version': '4.4.1' });
    clearVersionCache();
    expect((await client(true).version()).text).toBe('4.4.1');
    clearVersionCache();
  });
});
