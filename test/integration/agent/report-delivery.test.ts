/**
 * 05-report's deliveries through the pipeline (stand-in steps 01–04), against NetBox (the
 * simulator and the real one; the agent holds the least-privilege token of docs/netbox.md),
 * a callback receiver and a local HTTP server storing PUT bodies:
 * - why a delivery failed (the receiver answering 401) is in the step's summary (what the
 *   console prints), in report.json's `delivery` and in a journal entry;
 * - the evidence tarball is PUT to bm.evidence_url; the final journal entry and report.json
 *   link it without the presigned query;
 * - the verdict custom fields (docs/netbox.md), where the operator created them, are written
 *   with the status change and read back, and NetBox's filter finds "failed this week";
 *   a NetBox refusal of them (400) is reported, never fatal.
 * On the real NetBox the fields are created with their documented names and types when
 * absent (idempotent) and left there: every device of that NetBox has them.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { runPipeline, type PipelineOptions } from '../../../agent/pipeline.ts';
import { reportProblems } from '../../../agent/report.ts';
import { formatBytes } from '../../../shared/units.ts';
import { createMemoryLogger } from '../../../shared/log.ts';
import { createNetboxClient, getDevice, listDeviceJournal, type Device, type NetboxClient } from '../../../shared/netbox/index.ts';
import { fakeStep } from '../../helpers/fake-steps.ts';
import { startCallbackReceiver, type CallbackReceiver } from '../../helpers/callback-receiver.ts';
import { createFixtures, type Fixtures } from '../../helpers/netbox-fixtures.ts';
import { realNetbox, startNetboxTarget, targetAvailable, type NetboxTarget, type TargetOptions } from '../../helpers/netbox-target.ts';

const SECRET = 'callback-shared-secret-xyz';

/** Packs like bm-agent's context.archive: `<dir>.tar.gz` beside the run directory. */
async function archive(dir: string): Promise<string | null> {
  const tar = Bun.spawn(['tar', '-C', dirname(dir), '-czf', `${dir}.tar.gz`, basename(dir)], { stdout: 'ignore', stderr: 'pipe' });
  return (await tar.exited) === 0 ? `${dir}.tar.gz` : null;
}

/** A PUT sink: stores each body by path. */
function startPutServer() {
  const stored = new Map<string, Uint8Array>();
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      stored.set(new URL(request.url).pathname, new Uint8Array(await request.arrayBuffer()));
      return new Response(null, { status: 201 });
    },
  });
  return { base: `http://127.0.0.1:${server.port}`, stored, close: () => server.stop(true) };
}

/** The files in a .tar.gz body. */
async function tarEntries(body: Uint8Array): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bmt-tar-'));
  await Bun.write(join(dir, 'b.tar.gz'), body);
  const list = Bun.spawnSync(['tar', '-tzf', join(dir, 'b.tar.gz')]);
  if (list.exitCode !== 0) throw new Error(`not a tarball: ${list.stderr.toString()}`);
  return list.stdout.toString().split('\n').filter(Boolean);
}

/** Creates a custom field on devices unless one of that name exists (the real NetBox keeps them). */
async function ensureDeviceField(client: NetboxClient, name: string, body: Record<string, unknown>): Promise<void> {
  const found = await client.get<{ results: { type: { value: string } }[] }>('/api/extras/custom-fields/', { name });
  if (found.results.length) return;
  await client.post('/api/extras/custom-fields/', { name, object_types: ['dcim.device'], ...body });
}

/** The verdict fields as docs/netbox.md says to create them (real NetBox: a selection with its choice set). */
async function ensureVerdictFields(client: NetboxClient): Promise<void> {
  const sets = await client.get<{ results: { id: number }[] }>('/api/extras/custom-field-choice-sets/', { name: 'bm_validation_results' });
  const choiceSet =
    sets.results[0] ??
    (await client.post<{ id: number }>('/api/extras/custom-field-choice-sets/', {
      name: 'bm_validation_results',
      extra_choices: [
        ['pass', 'pass'],
        ['fail', 'fail'],
        ['error', 'error'],
      ],
    }));
  await ensureDeviceField(client, 'bm_last_validated', { type: 'datetime', label: 'Last validated' });
  await ensureDeviceField(client, 'bm_validation_result', { type: 'select', choice_set: choiceSet.id, label: 'Validation result' });
  await ensureDeviceField(client, 'bm_report_url', { type: 'url', label: 'Validation evidence' });
}

const TARGETS: TargetOptions[] = [{ flavour: '4.6' }, { flavour: 'real', tokenScheme: 'v2' }];

for (const targetOptions of TARGETS) {
  describe.skipIf(!targetAvailable(targetOptions.flavour!))(`05-report delivery, NetBox ${targetOptions.flavour}`, () => {
    let target: NetboxTarget;
    let fx: Fixtures;
    let device: Device;
    let receiver: CallbackReceiver;
    let dav: ReturnType<typeof startPutServer>;
    let agent: NetboxClient;

    beforeEach(async () => {
      target = await startNetboxTarget(targetOptions);
      fx = await createFixtures(target.url, target.token);
      receiver = startCallbackReceiver(SECRET);
      dav = startPutServer();
      // The agent holds the least-privilege token: the custom fields need no permission beyond the status change's.
      const token = target.sim ? target.sim.leastPrivilegeToken : realNetbox!.leastPrivilege.tokens.v2;
      agent = createNetboxClient({ url: target.url, token, timeoutMs: target.sim ? 500 : 5000, retries: 0 });
    });
    afterEach(async () => {
      await receiver.close();
      await dav.close();
      await fx.cleanup();
      await target.close();
    }, 30_000);

    /** The device as 01-init reads it (with every custom field defined for devices). */
    const freshDevice = async () => {
      device = await fx.createDevice({ status: 'discovered' });
      return getDevice(fx.client, device.id);
    };

    function options(handedOn: Device, overrides: Partial<PipelineOptions> = {}, failing = false): PipelineOptions {
      return {
        steps: [
          fakeStep('01-init', {}, () => ({ device: handedOn })),
          fakeStep('02-memory', {}),
          fakeStep('03-disk', failing ? { status: 'fail', summary: 'sdb failed', reasons: ['sdb: fio reported I/O error 5'] } : {}),
          fakeStep('04-lldp', {}),
        ],
        profile: 'quick',
        dryRun: false,
        tunableLayers: [],
        netbox: agent,
        callback: { url: receiver.url, secret: SECRET, timeoutMs: 1000 },
        onFailure: 'failed',
        deliveryDeadlineMs: 20_000,
        deliveryBackoff: { baseMs: 20, maxMs: 50 },
        evidenceRoot: mkdtempSync(join(tmpdir(), 'bm-agent-runs-')),
        log: createMemoryLogger('debug'),
        signal: new AbortController().signal,
        ...overrides,
      };
    }

    test('the callback receiver answering 401: why, on the console, in report.json and in the journal; no secret anywhere', async () => {
      receiver.failNext(10_000, 401);
      const result = await runPipeline(options(await freshDevice(), { deliveryDeadlineMs: 1500 }));
      const why = `callback receiver answered 401 to POST ${receiver.url}: try later`;
      const step = result.records.find((r) => r.id === '05-report')!.result;
      // The console prints the step's summary (plain line and live view) and the banner prints report.delivery.
      expect(step.status).toBe('error');
      expect(step.summary).toContain(`delivery incomplete (report kept in the evidence bundle): callback: still failing at the delivery deadline: ${why}`);
      expect(step.summary).toStartWith('PASS, status → staged');
      const saved = JSON.parse(readFileSync(join(result.evidenceDir, 'report.json'), 'utf8'));
      expect(reportProblems(saved)).toEqual([]);
      // The real NetBox keeps the verdict fields once the test below created them: their record may be there too.
      expect(saved.delivery.filter((d: { what: string }) => d.what !== 'verdict custom fields')).toEqual([
        { what: 'status → staged', outcome: 'delivered', detail: 'set' },
        { what: 'final journal entry', outcome: 'delivered', detail: 'posted' },
        { what: 'callback', outcome: 'failed', detail: `still failing at the delivery deadline: ${why}` },
      ]);
      expect(result.report?.delivery).toEqual(saved.delivery);
      const journal = await listDeviceJournal(fx.client, device.id);
      const last = journal.at(-1)!;
      expect(last.kind.value).toBe('warning');
      expect(last.comments).toContain('bm-agent: delivery incomplete');
      expect(last.comments).toContain('callback not delivered: still failing at the delivery deadline: callback receiver answered 401');
      const everything = JSON.stringify({ saved, journal, step });
      expect(everything).not.toContain(SECRET);
      expect(everything).not.toContain(target.token);
    });

    test('the evidence tarball is PUT to bm.evidence_url; the journal and report.json link it without the query', async () => {
      const signature = 'a1'.repeat(32);
      const url = `${dav.base}/evidence/srv.tar.gz?X-Amz-Signature=${signature}`;
      const result = await runPipeline(options(await freshDevice(), { evidenceUpload: { url, archive } }));
      expect(result.records.find((r) => r.id === '05-report')!.result.status).toBe('pass');
      const body = dav.stored.get('/evidence/srv.tar.gz');
      expect(body).toBeDefined();
      expect(await tarEntries(body!)).toContain(`${result.runId}/report.json`);
      const saved = JSON.parse(readFileSync(join(result.evidenceDir, 'report.json'), 'utf8'));
      expect(saved.evidence).toEqual({ url: `${dav.base}/evidence/srv.tar.gz` });
      expect([saved.delivery[0].what, saved.delivery[0].outcome]).toEqual(['evidence upload', 'delivered']);
      expect(saved.delivery[0].detail).toBe(`${formatBytes(body!.length)} uploaded`);
      const final = (await listDeviceJournal(fx.client, device.id)).at(-1)!.comments;
      expect(final).toContain(`**Evidence**: <${dav.base}/evidence/srv.tar.gz> (`);
      expect(JSON.stringify({ saved, final })).not.toContain(signature);
    });

    test('the verdict custom fields are written with the status change, read back and filterable ("failed this week")', async () => {
      if (target.sim) {
        await fx.createDeviceCustomField('bm_last_validated', 'datetime');
        await fx.createDeviceCustomField('bm_validation_result', 'text');
        await fx.createDeviceCustomField('bm_report_url', 'url');
      } else {
        await ensureVerdictFields(fx.client);
      }
      const handedOn = await freshDevice();
      expect(Object.keys(handedOn.custom_fields)).toEqual(expect.arrayContaining(['bm_last_validated', 'bm_validation_result', 'bm_report_url']));
      const before = Date.now();
      const url = `${dav.base}/evidence/cf.tar.gz`;
      const result = await runPipeline(options(handedOn, { evidenceUpload: { url, archive } }, true));
      expect(result.report?.verdict).toBe('fail');
      const after = await getDevice(fx.client, device.id);
      expect(after.status.value).toBe('failed');
      const fields = after.custom_fields as Record<string, unknown>;
      const result_ = fields.bm_validation_result;
      expect(typeof result_ === 'object' && result_ !== null ? (result_ as { value: string }).value : result_).toBe('fail');
      expect(fields.bm_report_url).toBe(url);
      expect(Date.parse(String(fields.bm_last_validated))).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
      expect(result.report?.delivery).toContainEqual({
        what: 'verdict custom fields',
        outcome: 'delivered',
        detail: 'bm_last_validated, bm_validation_result, bm_report_url',
      });
      if (!target.sim) {
        // What an operator's "failed this week" filter asks NetBox.
        const weekAgo = new Date(Date.now() - 7 * 86_400_000).toISOString();
        const found = await fx.client.get<{ results: { id: number }[] }>('/api/dcim/devices/', {
          cf_bm_validation_result: 'fail',
          cf_bm_last_validated__gte: weekAgo,
          id: String(device.id),
        });
        expect(found.results.map((d) => d.id)).toEqual([device.id]);
      }
    });

    if (targetOptions.flavour !== 'real')
      test('NetBox refusing the custom fields (400): the status is still set, the refusal reported, the run not failed', async () => {
        // A field of the documented name but a type our value does not fit.
        await fx.createDeviceCustomField('bm_validation_result', 'integer');
        const result = await runPipeline(options(await freshDevice()));
        const step = result.records.find((r) => r.id === '05-report')!.result;
        expect(step.status).toBe('pass');
        expect((await getDevice(fx.client, device.id)).status.value).toBe('staged');
        const refusal = result.report?.delivery?.find((d) => d.what === 'verdict custom fields');
        expect(refusal?.outcome).toBe('skipped');
        expect(refusal?.detail).toStartWith('NetBox refused them: NetBox answered 400');
        expect(refusal?.detail).toContain('Value must be an integer');
        expect(step.summary).toContain('verdict custom fields skipped: NetBox refused them');
        expect((await listDeviceJournal(fx.client, device.id)).at(-1)!.comments).toContain('verdict custom fields skipped: NetBox refused them');
      });
  });
}
