/**
 * `bm-harden serve` triggered by a real NetBox event rule, not by a body we made: the real NetBox
 * of the test level (test/netbox-real, whose RQ worker delivers webhooks) gets, through its REST
 * API, a webhook to serve's `/netbox` with serve's secret and an event rule on device updates to
 * `staged` (docs/harden.md's condition, scoped to the test's device: the instance is shared).
 * Setting the lab device `staged` makes NetBox sign and POST its own default body: serve verifies
 * it, starts the run, and the sushy-emulator BMC is hardened to `ready`; NetBox records its job as
 * finished. A webhook whose secret is wrong is refused (401), starts nothing, and NetBox records
 * its job as failed. Real NetBox only: without BM_NETBOX_REAL_STATE the suite says so (an error in CI).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNetboxClient, getDevice, listDeviceJournal, type NetboxClient } from '../../../shared/netbox/index.ts';
import { realNetbox, targetAvailable } from '../../helpers/netbox-target.ts';
import { waitUntil } from '../../helpers/wait.ts';
import { LAB_PROFILE, type Lab, labMissing, type ServeProcess, startLab, startServe } from './harden-lab.ts';

const skip = Boolean(labMissing('bm-harden serve triggered by a real NetBox event rule', true)) || !targetAvailable('real');
const WEBHOOK_SECRET = `netbox-webhook-${randomBytes(12).toString('hex')}`;

let lab: Lab | undefined;
let serve: ServeProcess | undefined;
let admin: NetboxClient | undefined;
/** Webhooks and event rules this file made in the shared NetBox, deleted newest first. */
const made: string[] = [];

beforeAll(async () => {
  if (skip) return;
  admin = createNetboxClient({ url: realNetbox!.url, token: realNetbox!.admin.tokens.v2, retries: 0 });
  // Triggered runs choose the profile by the device: the lab's profile replaces the built-in fallback.
  lab = await startLab({ profile: { ...LAB_PROFILE, name: 'generic' }, status: 'discovered', netbox: { flavour: 'real' } });
  serve = await startServe(lab, [], { BM_HARDEN_WEBHOOK_SECRET: WEBHOOK_SECRET });
}, 120_000);

afterAll(async () => {
  for (const path of made.reverse()) await admin?.delete(path);
  await serve?.kill();
  await lab?.close();
});

/**
 * A webhook to serve's `/netbox` signed with `secret`, and an event rule sending it when the device
 * named `device` is updated to `staged` (status.value; `changed`: NetBox 4.7's snapshot operator,
 * so an edit of a staged device fires nothing). Returns the rule's name.
 */
async function ruleToServe(device: string, secret: string): Promise<string> {
  const name = `bm-harden-serve-${device}`;
  const webhook = await admin!.post<{ id: number }>('/api/extras/webhooks/', {
    name,
    payload_url: `${serve!.url}/netbox`,
    http_method: 'POST',
    http_content_type: 'application/json',
    secret,
  });
  made.push(`/api/extras/webhooks/${webhook.id}/`);
  const rule = await admin!.post<{ id: number }>('/api/extras/event-rules/', {
    name,
    object_types: ['dcim.device'],
    event_types: ['object_updated'],
    action_type: 'webhook',
    action_object_type: 'extras.webhook',
    action_object_id: webhook.id,
    conditions: {
      and: [
        { attr: 'status.value', value: 'staged' },
        { attr: 'status', op: 'changed' },
        { attr: 'name', value: device },
      ],
    },
  });
  made.push(`/api/extras/event-rules/${rule.id}/`);
  return name;
}

interface BackgroundTask {
  id: string;
  func_name: string;
  status: string;
  result: string | null;
}

/**
 * NetBox's webhook job for `rule` once it ended: its id from the RQ worker's log (the job's
 * description names the rule), its state from NetBox's background-tasks API.
 */
async function webhookJob(rule: string): Promise<BackgroundTask> {
  const workerLog = join(realNetbox!.runDir, 'rqworker.log');
  const line = new RegExp(`send_webhook\\(.*<EventRule: ${rule}>.*\\) \\(([0-9a-f-]{36})\\)$`, 'm');
  let id: string | undefined;
  await waitUntil(() => (id = line.exec(readFileSync(workerLog, 'utf8'))?.[1]) !== undefined, {
    timeoutMs: 60_000,
    intervalMs: 200,
    what: `NetBox's RQ worker to run the webhook of ${rule} (${workerLog})`,
  });
  let task: BackgroundTask | undefined;
  await waitUntil(async () => ['finished', 'failed'].includes((task = await admin!.get<BackgroundTask>(`/api/core/background-tasks/${id}/`)).status), {
    timeoutMs: 30_000,
    intervalMs: 200,
    what: `webhook job ${id} to end`,
  });
  return task!;
}

describe.skipIf(skip)('bm-harden serve triggered by a real NetBox event rule and webhook', () => {
  test("a device set to staged: NetBox's signed webhook is verified, the run hardens it to ready, NetBox's job finished", async () => {
    const { deviceId, deviceName } = lab!;
    const rule = await ruleToServe(deviceName, WEBHOOK_SECRET);
    const started = Date.now();
    await lab!.fx.client.patch(`/api/dcim/devices/${deviceId}/`, { status: 'staged' });

    const job = await webhookJob(rule);
    expect(job).toMatchObject({ func_name: 'extras.webhooks.send_webhook', status: 'finished', result: expect.stringMatching(/^Status 202 returned/) });
    // 202 from a serve that requires a signature: X-Hook-Signature matched NetBox's own body.
    expect(serve!.log).toContain('POST /netbox (signature required)');
    expect(serve!.log).toMatch(
      new RegExp(`POST /netbox 202: device #${deviceId}: run started \\(NetBox: device updated by \\S+, status discovered → staged\\)`),
    );
    expect(serve!.log).not.toContain('POST /netbox 401');

    await waitUntil(() => serve!.log.includes(`hardened ${deviceName} (#${deviceId})`), { timeoutMs: 240_000, intervalMs: 250, what: 'the run to end' });
    const ms = Date.now() - started;
    expect(serve!.log).toContain(`hardened ${deviceName} (#${deviceId}): compliant; applied with Ansible`);
    expect(await lab!.status()).toBe('ready');
    const journal = await lab!.journal();
    expect(journal.map((entry) => entry.kind.value)).toEqual(['success']);
    // staged → ready is an update too; the rule's condition keeps NetBox from sending it.
    expect(serve!.log.match(/POST \/netbox \d{3}:/g)).toHaveLength(1);
    process.stderr.write(`bm-harden serve: NetBox event rule → webhook → ready in ${ms} ms\n`);
  }, 300_000);

  test('a webhook whose secret is wrong: serve answers 401 and starts nothing; NetBox records the job as failed', async () => {
    const device = await lab!.fx.createDevice({ status: 'discovered' });
    const rule = await ruleToServe(device.name!, `not-serve-secret-${randomBytes(8).toString('hex')}`);
    await lab!.fx.client.patch(`/api/dcim/devices/${device.id}/`, { status: 'staged' });

    const job = await webhookJob(rule);
    expect(job).toMatchObject({ func_name: 'extras.webhooks.send_webhook', status: 'failed' });
    expect(readFileSync(join(realNetbox!.runDir, 'rqworker.log'), 'utf8')).toMatch(
      /Status 401 returned with content .*bad signature: X-Hook-Signature does not match/,
    );
    expect(serve!.log).toContain('POST /netbox 401: refused: X-Hook-Signature does not match the body');
    expect(serve!.log).not.toMatch(new RegExp(`#${device.id}\\b`));
    expect(serve!.log).not.toContain(WEBHOOK_SECRET);
    expect((await getDevice(lab!.fx.client, device.id)).status.value).toBe('staged');
    expect(await listDeviceJournal(lab!.fx.client, device.id)).toHaveLength(0);
  }, 120_000);
});
