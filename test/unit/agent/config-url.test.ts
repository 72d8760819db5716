/**
 * `bm.config_url` is fetched within a time limit and a size limit (issue 11: 52 bytes at 1 B/s
 * took 51 s, and nothing capped the body). A local HTTP server (loopback only) trickles, sends
 * too much, refuses or answers; each failure is a ConfigError (exit 2) on bm.config_url naming
 * the URL (credentials redacted) and the limit it hit.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CONFIG_URL_LIMITS, fetchConfigUrl } from '../../../agent/config-url.ts';
import { readBodyCapped } from '../../../shared/http-body.ts';
import { EXIT_CODE_OF_CAUSE } from '../../../shared/cli/exit-codes.ts';
import { causeOf } from '../../../shared/failure.ts';
import { configErrorOf } from '../../helpers/config-error.ts';

const LIMITS = { deadlineMs: 500, attemptMs: 10_000, maxBytes: 64 * 1024 };
/** How far past its deadline a fetch may end. */
const MARGIN_MS = 250;

let server: ReturnType<typeof Bun.serve>;
let servedBytes = 0;
let refusals = 0;

/** A body that never ends: `chunk` bytes every `everyMs` until the reader goes away. */
function endless(chunk: number, everyMs: number): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async pull(controller) {
      await Bun.sleep(everyMs);
      servedBytes += chunk;
      controller.enqueue(new Uint8Array(chunk).fill(0x20));
    },
  });
}

beforeAll(() => {
  server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch(request) {
      const path = new URL(request.url).pathname;
      if (path === '/ok.json') return Response.json({ profile: 'quick' });
      if (path === '/trickle.json') return new Response(endless(1, 100), { headers: { 'Content-Type': 'application/json' } });
      if (path === '/flood.json') return new Response(endless(16 * 1024, 1), { headers: { 'Content-Type': 'application/json' } });
      if (path === '/declared-big.json') return new Response('x'.repeat(LIMITS.maxBytes + 1));
      if (path === '/busy-twice.json') return ++refusals <= 2 ? new Response('busy', { status: 503 }) : Response.json({ profile: 'full' });
      if (path === '/not-json') return new Response('<html>login</html>', { headers: { 'Content-Type': 'text/html' } });
      return new Response('no such config', { status: 404 });
    },
  });
});
afterAll(() => server.stop(true));

const url = (path: string, userinfo = '') => `http://${userinfo}127.0.0.1:${server.port}${path}`;

describe('bm.config_url within limits', () => {
  test('the defaults: 30 s for the whole fetch, 1 MiB of body', () => {
    expect(CONFIG_URL_LIMITS).toMatchObject({ deadlineMs: 30_000, maxBytes: 1024 * 1024 });
  });

  test('a config is fetched and parsed', async () => {
    expect(await fetchConfigUrl(url('/ok.json'), { limits: LIMITS })).toEqual({ profile: 'quick' });
  });

  test('a server that trickles is given up at the deadline, naming the URL (credentials redacted) and the limit', async () => {
    const started = performance.now();
    const error = await configErrorOf(() => fetchConfigUrl(url('/trickle.json', 'ops:s3cret@'), { limits: LIMITS }));
    const elapsed = performance.now() - started;
    console.log(`trickling bm.config_url given up after ${Math.round(elapsed)} ms (limit ${LIMITS.deadlineMs} ms)`);
    expect(elapsed).toBeLessThan(LIMITS.deadlineMs + MARGIN_MS);
    expect(error.issues).toEqual([
      {
        key: 'bm.config_url',
        message: `${url('/trickle.json', 'ops:[REDACTED]@')}: no complete answer within 0.5 s (the time limit of bm.config_url, retries included)`,
      },
    ]);
    expect(error.message).not.toContain('s3cret');
    expect(EXIT_CODE_OF_CAUSE[causeOf(error)]).toBe(2);
  });

  test('a body past the size cap is dropped at the cap, not read to its end', async () => {
    servedBytes = 0;
    const started = performance.now();
    const error = await configErrorOf(() => fetchConfigUrl(url('/flood.json'), { limits: { ...LIMITS, deadlineMs: 10_000 } }));
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(error.issues[0]?.key).toBe('bm.config_url');
    expect(error.issues[0]?.message).toContain('the answer is larger than 64 KiB');
    expect(error.issues[0]?.message).toContain('64 KiB is the size limit of bm.config_url');
    // The server's stream is endless: the fetch ended because the reader stopped.
    expect(servedBytes).toBeLessThan(1024 * 1024);
  });

  test('a declared Content-Length over the cap is refused before reading', async () => {
    const error = await configErrorOf(() => fetchConfigUrl(url('/declared-big.json'), { limits: LIMITS }));
    expect(error.issues[0]?.message).toContain(`stopped reading at ${LIMITS.maxBytes + 1} bytes`);
  });

  test('503 is tried again within the deadline; 404 and a page that is not JSON are not', async () => {
    refusals = 0;
    expect(await fetchConfigUrl(url('/busy-twice.json'), { limits: { ...LIMITS, deadlineMs: 20_000 } })).toEqual({ profile: 'full' });
    expect(refusals).toBe(3);
    expect((await configErrorOf(() => fetchConfigUrl(url('/missing.json'), { limits: LIMITS }))).issues[0]?.message).toBe(
      `${url('/missing.json')}: cannot fetch: answered HTTP 404`,
    );
    expect((await configErrorOf(() => fetchConfigUrl(url('/not-json'), { limits: LIMITS }))).issues[0]?.message).toStartWith(
      `${url('/not-json')}: not valid JSON`,
    );
  });

  test('readBodyCapped keeps a body at the cap and refuses one byte more', async () => {
    const body = (bytes: number) => new Response(new Uint8Array(bytes)).body;
    expect((await readBodyCapped(body(100), 100)).byteLength).toBe(100);
    await expect(readBodyCapped(body(101), 100)).rejects.toThrow('the answer is larger than 100 B');
    expect((await readBodyCapped(null, 100)).byteLength).toBe(0);
  });
});
