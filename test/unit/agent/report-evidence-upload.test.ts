/**
 * Shipping the evidence tarball (bm.evidence_url) against a local HTTP server that
 * stores PUT bodies and can be told to fail: the bytes received are the tarball's, with
 * Content-Length and no invented auth header; a 503 is retried; a 401 is permanent and its
 * reason is shown without the URL's secrets; a tarball over the cap is never sent. And why a
 * delivery failed reaches people: the callback receiver's 401 in words, the banner.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderBanner } from '../../../agent/console.ts';
import { DeliveryError, postCallback, whyNotDelivered } from '../../../agent/deliver.ts';
import { attemptTimeoutMs, EvidenceTooLargeError, publicUrl, registerUrlSecrets, uploadEvidence, urlSecrets } from '../../../agent/evidence-upload.ts';
import { VERDICT_FIELDS, verdictCustomFields } from '../../../agent/netbox-verdict.ts';
import { createMemoryLogger } from '../../../shared/log.ts';
import { redact } from '../../../shared/redact.ts';
import { startCallbackReceiver, type CallbackReceiver } from '../../helpers/callback-receiver.ts';

interface Put {
  path: string;
  search: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** A PUT sink: answers `statuses` in turn (then 201), records every request. */
function startPutServer() {
  const puts: Put[] = [];
  let statuses: { status: number; body: string }[] = [];
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      puts.push({ path: url.pathname, search: url.search, headers: Object.fromEntries(request.headers), body: new Uint8Array(await request.arrayBuffer()) });
      const next = statuses.shift();
      return next ? new Response(next.body, { status: next.status }) : new Response(null, { status: 201 });
    },
  });
  return {
    base: `http://127.0.0.1:${server.port}`,
    puts,
    answer(...next: { status: number; body: string }[]) {
      statuses = next;
    },
    close: () => server.stop(true),
  };
}

/** A real tarball of a small bundle with a report.json. */
function makeTarball(): string {
  const root = mkdtempSync(join(tmpdir(), 'bmt-upload-'));
  const dir = join(root, 'run-1');
  mkdirSync(dir);
  writeFileSync(join(dir, 'report.json'), JSON.stringify({ runId: 'run-1', verdict: 'pass' }));
  writeFileSync(join(dir, 'noise.bin'), crypto.getRandomValues(new Uint8Array(50_000)));
  const result = Bun.spawnSync(['tar', '-C', root, '-czf', `${dir}.tar.gz`, 'run-1']);
  if (result.exitCode !== 0) throw new Error(`tar failed: ${result.stderr.toString()}`);
  return `${dir}.tar.gz`;
}

const retry = () => ({ deadline: Date.now() + 5000, log: createMemoryLogger('debug'), what: 'evidence upload', backoff: { baseMs: 10, maxMs: 20 } });

describe('uploadEvidence', () => {
  let server: ReturnType<typeof startPutServer>;
  let tarball: string;
  beforeAll(() => {
    server = startPutServer();
    tarball = makeTarball();
  });
  afterEach(() => {
    server.puts.length = 0;
    server.answer();
  });
  afterAll(() => server.close());

  test('one plain PUT: the bytes received are the tarball, with Content-Length and no auth header of ours', async () => {
    const { bytes } = await uploadEvidence({ url: `${server.base}/evidence/run-1.tar.gz`, maxBytes: 10 * 2 ** 20 }, tarball, retry());
    const sent = readFileSync(tarball);
    expect(bytes).toBe(sent.length);
    expect(server.puts).toHaveLength(1);
    const [put] = server.puts;
    expect(put!.path).toBe('/evidence/run-1.tar.gz');
    expect(Buffer.from(put!.body).equals(sent)).toBe(true);
    expect(put!.headers['content-length']).toBe(String(sent.length));
    expect(put!.headers['content-type']).toBe('application/gzip');
    expect(put!.headers.authorization).toBeUndefined();
  });

  test('credentials in the URL go as HTTP Basic; a presigned query is sent as given', async () => {
    const url = `${server.base.replace('http://', 'http://uploader:s3cr3t-pass@')}/evidence/x.tar.gz?X-Amz-Signature=${'ab'.repeat(32)}`;
    await uploadEvidence({ url, maxBytes: 10 * 2 ** 20 }, tarball, retry());
    expect(server.puts[0]!.headers.authorization).toBe(`Basic ${btoa('uploader:s3cr3t-pass')}`);
    expect(server.puts[0]!.search).toBe(`?X-Amz-Signature=${'ab'.repeat(32)}`);
  });

  test('a 503 is retried: the second attempt lands', async () => {
    server.answer({ status: 503, body: 'busy' });
    const log = createMemoryLogger('debug');
    await uploadEvidence({ url: `${server.base}/evidence/r.tar.gz`, maxBytes: 10 * 2 ** 20 }, tarball, { ...retry(), log });
    expect(server.puts).toHaveLength(2);
    expect(Buffer.from(server.puts[1]!.body).equals(readFileSync(tarball))).toBe(true);
    expect(log.lines.join('\n')).toContain('evidence server answered 503 to PUT');
  });

  test('a 401 is permanent: one attempt, the reason shown, no secret of the URL in it', async () => {
    const signature = 'f'.repeat(64);
    const url = `${server.base.replace('http://', 'http://uploader:hunter2-pass@')}/evidence/r.tar.gz?X-Amz-Signature=${signature}&X-Amz-Expires=60`;
    server.answer({ status: 401, body: `<Error><Code>SignatureDoesNotMatch</Code><SignatureProvided>${signature}</SignatureProvided></Error>` });
    const error = await uploadEvidence({ url, maxBytes: 10 * 2 ** 20 }, tarball, retry()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect(server.puts).toHaveLength(1);
    const why = whyNotDelivered(error);
    expect(why).toStartWith(`refused: evidence server answered 401 to PUT ${server.base}/evidence/r.tar.gz: <Error><Code>SignatureDoesNotMatch</Code>`);
    for (const secret of [signature, 'hunter2-pass', 'X-Amz-Expires']) expect(why).not.toContain(secret);
    expect(JSON.stringify((error as DeliveryError).toJSON())).not.toContain(signature);
  });

  test('a refused connection is retried until the deadline, then said with the public URL only', async () => {
    const url = `http://127.0.0.1:9/evidence/r.tar.gz?X-Amz-Signature=${'e'.repeat(64)}`;
    const error = await uploadEvidence({ url, maxBytes: 10 * 2 ** 20 }, tarball, { ...retry(), deadline: Date.now() + 300 }).catch((e: unknown) => e);
    const why = whyNotDelivered(error);
    expect(why).toStartWith('still failing at the delivery deadline: PUT http://127.0.0.1:9/evidence/r.tar.gz failed:');
    expect(why).toMatch(/ECONNREFUSED|Unable to connect/);
    expect(why).not.toContain('e'.repeat(64));
  });

  test('over the size cap: nothing is sent, and it says so', async () => {
    const error = await uploadEvidence({ url: `${server.base}/evidence/big.tar.gz`, maxBytes: 1000 }, tarball, retry()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EvidenceTooLargeError);
    expect((error as Error).message).toMatch(/over the cap of 1000 B .*not uploaded/);
    expect(server.puts).toHaveLength(0);
  });
});

describe('the upload URL is shown without its secrets', () => {
  const presigned = `https://bucket.s3.example/ev/run-1.tar.gz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20261124%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Signature=${'9'.repeat(64)}`;
  test('publicUrl drops userinfo, query and fragment', () => {
    expect(publicUrl(presigned)).toBe('https://bucket.s3.example/ev/run-1.tar.gz');
    expect(publicUrl('http://user:pw@dav.example:8080/e/x.tar.gz#f')).toBe('http://dav.example:8080/e/x.tar.gz');
  });
  test('the password and long query values are secrets; registered, they are redacted anywhere', () => {
    expect(urlSecrets(presigned)).toEqual(['AKIAEXAMPLE/20261124/eu-west-1/s3/aws4_request', '9'.repeat(64)]);
    expect(urlSecrets('http://u:pw%21x@dav/e')).toEqual(['pw!x', 'pw%21x']);
    registerUrlSecrets(presigned);
    expect(redact(`PUT failed: ${presigned}`)).not.toContain('9'.repeat(64));
  });
  test('an attempt gets 60 s plus 1 s per MiB, never past the deadline', () => {
    expect(attemptTimeoutMs(10 * 2 ** 20, 1e9)).toBe(70_000);
    expect(attemptTimeoutMs(10 * 2 ** 20, 5000)).toBe(5000);
  });
});

describe('why a delivery failed reaches people', () => {
  let receiver: CallbackReceiver;
  beforeAll(() => {
    receiver = startCallbackReceiver('secret');
  });
  afterAll(() => receiver.close());

  test('the callback receiver answering 401: retried to the deadline, then the status and its body in words', async () => {
    receiver.failNext(1000, 401);
    const error = await postCallback(
      { url: receiver.url, secret: 'secret', timeoutMs: 1000 },
      { event: 'bm.validation.finished', runId: 'run-1' },
      { deadline: Date.now() + 300, log: createMemoryLogger(), what: 'callback', backoff: { baseMs: 10, maxMs: 20 } },
    ).catch((e: unknown) => e);
    expect(whyNotDelivered(error)).toBe(`still failing at the delivery deadline: callback receiver answered 401 to POST ${receiver.url}: try later`);
  });

  test('the banner lists every delivery that did not happen', () => {
    const text = renderBanner(
      {
        verdict: 'pass',
        device: { id: 1, name: 'srv-1', url: '' },
        machine: { manufacturer: null, model: null, serial: null },
        reasons: [],
        durationMs: 1000,
        runId: 'run-1',
        delivery: [
          { what: 'evidence upload', outcome: 'skipped', detail: 'the bundle is 300 MiB, over the cap' },
          { what: 'status → staged', outcome: 'delivered', detail: 'set' },
          { what: 'callback', outcome: 'failed', detail: 'refused: callback receiver answered 401' },
        ],
      },
      null,
    ).join('\n');
    expect(text).toContain('! callback NOT delivered: refused: callback receiver answered 401');
    expect(text).toContain('! evidence upload skipped: the bundle is 300 MiB, over the cap');
    expect(text).not.toContain('status → staged NOT');
  });
});

describe('verdictCustomFields', () => {
  const run = { finishedAt: '2026-11-24T10:02:00.000Z', verdict: 'fail' as const, reportUrl: 'https://dav.example/e/run-1.tar.gz' };
  test('only the fields the device has (its custom_fields keys) are written', () => {
    expect(verdictCustomFields({ custom_fields: { [VERDICT_FIELDS.result]: null, other: 1 } }, run)).toEqual({ bm_validation_result: 'fail' });
    expect(verdictCustomFields({ custom_fields: {} }, run)).toEqual({});
    expect(verdictCustomFields(undefined, run)).toEqual({});
  });
  test('all three: time, verdict, link', () => {
    const all = { bm_last_validated: 'x', bm_validation_result: 'pass', bm_report_url: null };
    expect(verdictCustomFields({ custom_fields: all }, run)).toEqual({
      bm_last_validated: '2026-11-24T10:02:00.000Z',
      bm_validation_result: 'fail',
      bm_report_url: 'https://dav.example/e/run-1.tar.gz',
    });
  });
});
