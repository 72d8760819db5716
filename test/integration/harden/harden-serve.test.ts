/**
 * `bm-harden serve` as a real process (bun harden/main.ts) in front of the harden lab (NetBox
 * simulator + sushy-emulator + the real ansible-playbook): unsigned, forged, oversized and
 * malformed callbacks are refused (401/413/400) and change nothing; a signed NetBox webhook for a
 * staged device without an oob_ip is accepted and its run says why it did nothing; a signed agent
 * callback hardens the lab device to `ready` (journalled), a repeat while it runs is coalesced;
 * SIGTERM stops it cleanly. Then `bm-harden watch --once`: only the staged devices its filter
 * matches are run, and its exit code is the worst run's.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NETBOX_SIGNATURE, signBody, signWith } from '../../../shared/hmac.ts';
import { getDevice, listDeviceJournal } from '../../../shared/netbox/index.ts';
import { waitUntil } from '../../helpers/wait.ts';
import { LAB_PROFILE, type Lab, labMissing, type ServeProcess, startLab, startServe } from './harden-lab.ts';

const missing = labMissing('bm-harden serve against sushy-emulator and Ansible', true);
const CALLBACK_SECRET = 'agent-callback-secret-4f9a1c2e7b';
const WEBHOOK_SECRET = 'netbox-webhook-secret-8d3e6a0b5c';

/** The callback bm-agent posts after a passed run that staged the device (agent/report.ts callbackEventOf). */
function agentCallback(deviceId: number, name: string, runId: string) {
  return JSON.stringify({
    event: 'bm.validation.finished',
    runId,
    verdict: 'pass',
    device: { id: deviceId, name, url: `http://netbox/api/dcim/devices/${deviceId}/` },
    serial: 'LAB-1',
    profile: 'quick',
    finishedAt: new Date().toISOString(),
    durationMs: 1000,
    steps: { '01-init': 'pass', '05-report': 'pass' },
    reasons: [],
    status: 'staged',
  });
}

/** NetBox's default webhook body for a device changed from discovered to staged. */
function netboxWebhook(deviceId: number, name: string) {
  return JSON.stringify({
    event: 'updated',
    timestamp: new Date().toISOString(),
    model: 'device',
    username: 'admin',
    request_id: crypto.randomUUID(),
    data: { id: deviceId, name, status: { value: 'staged', label: 'Staged' } },
    snapshots: { prechange: { status: 'discovered', name }, postchange: { status: 'staged', name } },
  });
}

let lab: Lab | undefined;
let serve: ServeProcess | undefined;
let url = '';
let bare: { id: number; name: string } | undefined;

beforeAll(async () => {
  if (missing) return;
  // Triggered runs choose the profile by the device (no --profile): the lab's profile replaces the built-in fallback.
  lab = await startLab({ profile: { ...LAB_PROFILE, name: 'generic' } });
  const device = await lab.fx.createDevice({ status: 'staged' });
  bare = { id: device.id, name: device.name! };
  const secretFile = join(lab.dir, 'callback-secret');
  writeFileSync(secretFile, `${CALLBACK_SECRET}\n`, { mode: 0o600 });
  chmodSync(secretFile, 0o600);
  serve = await startServe(lab, ['--callback-secret-file', secretFile, '--concurrency', '2'], { BM_HARDEN_WEBHOOK_SECRET: WEBHOOK_SECRET });
  url = serve.url;
}, 60_000);

afterAll(async () => {
  await serve?.kill();
  await lab?.close();
});

const post = async (path: string, body: string | Uint8Array, headers: Record<string, string> = {}) => {
  const response = await fetch(`${url}${path}`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...headers } });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
};

describe.skipIf(Boolean(missing))('bm-harden serve (a real process) against the harden lab', () => {
  test('unsigned, forged, oversized and malformed callbacks are refused and change nothing; each refusal is logged', async () => {
    const { deviceId, deviceName } = lab!;
    const body = agentCallback(deviceId, deviceName, 'run-refused');
    expect((await post('/callback', body)).status).toBe(401);
    const forged = await post('/callback', body, { 'X-BM-Signature-256': signBody(body, 'not-the-secret-at-all-123') });
    expect(forged).toEqual({
      status: 401,
      json: { error: 'bad signature: X-BM-Signature-256 does not match the body (wrong secret, or the body was changed)' },
    });
    const huge = new Uint8Array(300 * 1024).fill(0x20);
    expect((await post('/callback', huge, { 'X-BM-Signature-256': signBody(huge, CALLBACK_SECRET) })).status).toBe(413);
    const notJson = '{"event": "bm.validation.finished", ';
    expect((await post('/callback', notJson, { 'X-BM-Signature-256': signBody(notJson, CALLBACK_SECRET) })).status).toBe(400);
    const webhook = netboxWebhook(deviceId, deviceName);
    expect((await post('/netbox', webhook)).status).toBe(401);
    expect((await post('/netbox', webhook, { 'X-Hook-Signature': signWith(NETBOX_SIGNATURE, webhook, 'wrong-webhook-secret-1234') })).status).toBe(401);

    await waitUntil(() => (serve!.log.match(/POST \/netbox 401/g) ?? []).length === 2, { what: 'the refusals in the log' });
    expect(serve!.log).toContain('POST /callback 401: refused: no X-BM-Signature-256 header');
    expect(serve!.log).toContain('POST /callback 413: body over the limit of 262144 bytes');
    expect(serve!.log).toContain('POST /callback 400: malformed: the body is not JSON');
    expect(serve!.log).toContain('POST /netbox 401: refused: X-Hook-Signature does not match the body');
    expect(serve!.log).not.toContain('hardening');
    expect(serve!.log).not.toContain(CALLBACK_SECRET);
    expect(serve!.log).not.toContain(WEBHOOK_SECRET);
    expect(await lab!.status()).toBe('staged');
    expect(await lab!.journal()).toHaveLength(0);
  });

  test('signed triggers for a device without oob_ip and for one not staged: 202, and each run logs why it did nothing', async () => {
    const webhook = netboxWebhook(bare!.id, bare!.name);
    const answer = await post('/netbox', webhook, { 'X-Hook-Signature': signWith(NETBOX_SIGNATURE, webhook, WEBHOOK_SECRET) });
    expect(answer).toEqual({ status: 202, json: { accepted: true, device: bare!.id, run: 'started' } });
    await waitUntil(() => serve!.log.includes('has no oob_ip in NetBox'), { timeoutMs: 20_000, what: 'the not-eligible line' });
    expect(serve!.log).toMatch(
      new RegExp(`WARNING not hardening: device ${bare!.name} \\(#${bare!.id}\\) has no oob_ip in NetBox.* device=${bare!.id} trigger=serve`),
    );
    expect((await getDevice(lab!.fx.client, bare!.id)).status.value).toBe('staged');
    expect(await listDeviceJournal(lab!.fx.client, bare!.id)).toHaveLength(0);

    // A replayed or stale callback: the agent said staged, NetBox says active now.
    const active = await lab!.fx.createDevice({ status: 'active' });
    const body = agentCallback(active.id, active.name!, 'run-stale');
    expect((await post('/callback', body, { 'X-BM-Signature-256': signBody(body, CALLBACK_SECRET) })).status).toBe(202);
    await waitUntil(() => serve!.log.includes(`not hardening ${active.name} (#${active.id}): its status is active, not staged`), {
      timeoutMs: 20_000,
      what: 'the stale trigger to be judged',
    });
    expect((await getDevice(lab!.fx.client, active.id)).status.value).toBe('active');
    expect(await listDeviceJournal(lab!.fx.client, active.id)).toHaveLength(0);
  });

  test('a signed agent callback hardens the device to ready; a repeat while it runs is coalesced; SIGTERM during the run lets it finish', async () => {
    const { deviceId, deviceName } = lab!;
    const body = agentCallback(deviceId, deviceName, 'run-pass');
    const headers = { 'X-BM-Signature-256': signBody(body, CALLBACK_SECRET), 'X-BM-Event': 'bm.validation.finished', 'X-BM-Delivery': 'run-pass' };
    const started = Date.now();
    expect(await post('/callback', body, headers)).toEqual({ status: 202, json: { accepted: true, device: deviceId, run: 'started' } });
    expect(await post('/callback', body, headers)).toEqual({ status: 202, json: { accepted: true, device: deviceId, run: 'coalesced' } });
    const health = (await (await fetch(`${url}/healthz`)).json()) as { running: number[] };
    expect(health.running).toEqual([deviceId]);

    serve!.proc.kill('SIGTERM');
    await waitUntil(() => serve!.log.includes('SIGTERM: stopping'), { what: 'serve to see SIGTERM' });
    await waitUntil(() => serve!.proc.exitCode !== null, { timeoutMs: 240_000, intervalMs: 250, what: 'serve to finish the run and exit' });
    const ms = Date.now() - started;
    expect(serve!.proc.exitCode, serve!.log).toBe(0);
    expect(serve!.log).toContain('stopped listening; waiting for 1 running run(s)');
    expect(serve!.log).toContain(`hardened ${deviceName} (#${deviceId}): compliant; applied with Ansible`);
    expect(serve!.log).toContain('status staged → ready (journalled)');
    expect(serve!.log).toMatch(/POST \/callback 202: device #\d+: already running or queued: coalesced .*delivery=run-pass/);
    expect(serve!.log.indexOf('stopped listening')).toBeLessThan(serve!.log.indexOf('hardened '));
    expect(serve!.log.indexOf('hardened ')).toBeLessThan(serve!.log.search(/NOTICE stopped$/m));
    expect(await lab!.status()).toBe('ready');
    const journal = await lab!.journal();
    expect(journal).toHaveLength(1);
    expect(journal[0]!.kind.value).toBe('success');
    process.stderr.write(`bm-harden serve: signed callback → ready in ${ms} ms (apply + reboot + verify)\n`);
  }, 300_000);

  test('watch --once runs only the staged devices its filter matches and exits with the worst run', async () => {
    const other = await lab!.fx.createDevice({ status: 'staged' });
    const { code, err } = await lab!.run(['watch', '--once', '--filter', `name=${bare!.name}`]);
    expect(err).toContain(`watching NetBox for staged devices matching name=${bare!.name}`);
    expect(err).toContain(`pass 1: 1 staged device(s) match: started ${bare!.name}`);
    expect(err).toContain(`has no oob_ip in NetBox`);
    expect(err).not.toContain(other.name!);
    expect(code).toBe(1);
    const none = await lab!.run(['watch', '--once', '--filter', 'name=no-such-device']);
    expect(none.err).toContain('pass 1: no staged device matches');
    expect(none.code).toBe(0);
  }, 60_000);
});
