/**
 * The pipeline end to end with stand-in steps (the real ones have their own
 * suites) against NetBox (the simulator, and the real one with both token forms)
 * and a callback receiver: one journal entry per step as it ends, the final
 * entry, the status change (staged, failed), the signed callback, dry runs;
 * delivery retried while NetBox or the receiver is down (simulator faults).
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type PipelineOptions } from '../../../agent/pipeline.ts';
import type { Step } from '../../../agent/step.ts';
import { createMemoryLogger } from '../../../shared/log.ts';
import { createNetboxClient, getDevice, listDeviceJournal, type Device } from '../../../shared/netbox/index.ts';
import { capturedKvmGuest } from '../../helpers/captured-machine.ts';
import { fakeStep } from '../../helpers/fake-steps.ts';
import { startCallbackReceiver, type CallbackReceiver } from '../../helpers/callback-receiver.ts';
import { createFixtures, type Fixtures } from '../../helpers/netbox-fixtures.ts';
import { startNetboxTarget, targetAvailable, type NetboxTarget, type TargetOptions } from '../../helpers/netbox-target.ts';
import { reportProblems } from '../../../agent/report.ts';
import { runExitCode } from '../../../agent/commands/run.ts';
import { createInitStep } from '../../../agent/steps/01-init.ts';

const SECRET = 'callback-shared-secret';

/** The simulator, and the real NetBox with each token form. */
const PIPELINE_TARGETS: TargetOptions[] = [{ flavour: '4.6' }, { flavour: 'real', tokenScheme: 'v1' }, { flavour: 'real', tokenScheme: 'v2' }];

for (const targetOptions of PIPELINE_TARGETS) {
  describe.skipIf(!targetAvailable(targetOptions.flavour!))(
    `NetBox ${targetOptions.flavour}${targetOptions.tokenScheme ? ` (${targetOptions.tokenScheme} token)` : ''}`,
    () => {
      let target: NetboxTarget;
      let fx: Fixtures;
      let device: Device;
      let receiver: CallbackReceiver;

      beforeEach(async () => {
        target = await startNetboxTarget(targetOptions);
        fx = await createFixtures(target.url, target.token);
        device = await fx.createDevice({ status: 'discovered' });
        receiver = startCallbackReceiver(SECRET);
      });
      afterEach(async () => {
        await receiver.close();
        target.sim?.setFaults([]);
        await fx.cleanup();
        await target.close();
      }, 30_000);

      function options(steps: Step[], overrides: Partial<PipelineOptions> = {}): PipelineOptions {
        return {
          steps,
          profile: 'quick',
          dryRun: false,
          tunableLayers: [],
          netbox: createNetboxClient({ url: target.url, token: target.token, timeoutMs: target.sim ? 500 : 5000, retries: 0 }),
          callback: { url: receiver.url, secret: SECRET, timeoutMs: 1000 },
          onFailure: 'failed',
          deliveryDeadlineMs: 20_000,
          deliveryBackoff: { baseMs: 50, maxMs: 200 },
          evidenceRoot: mkdtempSync(join(tmpdir(), 'bm-agent-runs-')),
          log: createMemoryLogger(),
          signal: new AbortController().signal,
          ...overrides,
        };
      }

      const passing = () => [
        fakeStep('01-init', {}, () => ({ device })),
        fakeStep('02-memory', { table: { columns: ['test', 'result'], rows: [['Stuck Address', 'ok']] } }),
        fakeStep('03-disk', {}),
        fakeStep('04-lldp', {}),
      ];

      describe('a passing run', () => {
        test('journals every step, stages the device and posts a signed callback', async () => {
          const result = await runPipeline(options(passing()));
          expect(result.report?.verdict).toBe('pass');
          expect((await getDevice(fx.client, device.id)).status.value).toBe('staged');
          const journal = (await listDeviceJournal(fx.client, device.id)).map((j) => j.comments.split('\n')[0]);
          expect(journal).toEqual([
            '**bm-agent 01-init init: ✅ PASS** — 01-init ok',
            '**bm-agent 02-memory memory: ✅ PASS** — 02-memory ok',
            '**bm-agent 03-disk disk: ✅ PASS** — 03-disk ok',
            '**bm-agent 04-lldp lldp: ✅ PASS** — 04-lldp ok',
            expect.stringContaining('✅ **Validation PASSED** (quick profile'),
          ]);
          expect(receiver.received.length).toBe(1);
          expect(receiver.received[0]).toMatchObject({
            signatureValid: true,
            headers: { 'x-bm-event': 'bm.validation.finished', 'x-bm-delivery': result.runId },
            json: { verdict: 'pass', status: 'staged', device: { id: device.id } },
          });
          const saved = JSON.parse(readFileSync(join(result.evidenceDir, 'report.json'), 'utf8'));
          expect(reportProblems(saved)).toEqual([]);
          expect(saved.runId).toBe(result.runId);
        });

        test('a dry run writes nothing to NetBox and posts nothing', async () => {
          target.sim?.clearRequests();
          const result = await runPipeline(options(passing(), { dryRun: true }));
          expect(result.report?.dryRun).toBe(true);
          if (target.sim) expect(target.sim.requests().filter((r) => r.method !== 'GET')).toEqual([]);
          expect(await listDeviceJournal(fx.client, device.id)).toEqual([]);
          expect((await getDevice(fx.client, device.id)).status.value).toBe('discovered');
          expect(receiver.received).toEqual([]);
        });
      });

      describe('the exit code comes from the deciding step’s cause', () => {
        // The captured guest is on no NetBox device: 01-init with it finds none.
        const realSteps = () => [createInitStep({ collect: async () => capturedKvmGuest() }), ...passing().slice(1)];

        test('a device missing from NetBox is device-not-found, exit 1 (once 3, "NetBox unreachable")', async () => {
          const result = await runPipeline(options(realSteps(), { dryRun: true }));
          const init = result.records.find((r) => r.id === '01-init')!.result;
          expect(init.status).toBe('error');
          expect(init.summary).toContain('device not found in NetBox');
          expect(init.cause).toBe('device-not-found');
          expect(result.report?.steps.find((s) => s.id === '01-init')?.cause).toBe('device-not-found');
          expect(reportProblems(result.report)).toEqual([]);
          expect(runExitCode(result)).toBe(1);
        });

        test('NetBox down is netbox-unreachable, exit 3', async () => {
          const down = createNetboxClient({ url: 'http://127.0.0.1:9', token: target.token, timeoutMs: 500, retries: 0 });
          const result = await runPipeline(options(realSteps(), { dryRun: true, netbox: down }));
          const init = result.records.find((r) => r.id === '01-init')!.result;
          expect(init.status).toBe('error');
          expect(init.cause).toBe('netbox-unreachable');
          expect(runExitCode(result)).toBe(3);
        });

        test('a failing step is check-failed, exit 1; a pass is 0', async () => {
          const failing = passing();
          failing[2] = fakeStep('03-disk', { status: 'fail', summary: 'sdb failed', reasons: ['sdb: fio reported I/O error 5'] });
          const failed = await runPipeline(options(failing, { dryRun: true }));
          expect(failed.records.find((r) => r.id === '03-disk')!.result.cause).toBe('check-failed');
          expect(runExitCode(failed)).toBe(1);
          expect(runExitCode(await runPipeline(options(passing(), { dryRun: true })))).toBe(0);
        });
      });

      describe('a failing run', () => {
        test('marks the device failed with the reason in the journal and the callback', async () => {
          const steps = passing();
          steps[2] = fakeStep('03-disk', { status: 'fail', summary: '1 of 2 disks failed', reasons: ['sdb: fio reported I/O error 5'] });
          const result = await runPipeline(options(steps));
          expect(result.report?.verdict).toBe('fail');
          expect((await getDevice(fx.client, device.id)).status.value).toBe('failed');
          const final = (await listDeviceJournal(fx.client, device.id)).at(-1)!;
          expect(final.kind.value).toBe('danger');
          expect(final.comments).toContain('- 03-disk: sdb: fio reported I/O error 5');
          expect(receiver.received[0]!.json).toMatchObject({ verdict: 'fail', status: 'failed', reasons: ['03-disk: sdb: fio reported I/O error 5'] });
        });

        test('onFailure=leave keeps the status', async () => {
          const steps = passing();
          steps[1] = fakeStep('02-memory', { status: 'fail', reasons: ['memtester: Stuck Address FAILURE'] });
          await runPipeline(options(steps, { onFailure: 'leave' }));
          expect((await getDevice(fx.client, device.id)).status.value).toBe('discovered');
        });
      });

      // Fault injection needs the simulator (registered only there: a skip is a failure in CI).
      if (targetOptions.flavour !== 'real')
        describe('delivery (simulator faults)', () => {
          test('NetBox answering 503 for a while: entries and status land once it recovers, without duplicates', async () => {
            target.sim!.setFaults([{ kind: 'status', status: 503, pathPrefix: '/api/extras/journal-entries/', times: 3 }]);
            const result = await runPipeline(options(passing()));
            expect(result.records.find((r) => r.id === '05-report')?.result.status).toBe('pass');
            expect((await listDeviceJournal(fx.client, device.id)).length).toBe(5);
            expect((await getDevice(fx.client, device.id)).status.value).toBe('staged');
          });

          test('the callback receiver failing with 503 twice still gets exactly one delivery', async () => {
            receiver.failNext(2, 503);
            await runPipeline(options(passing()));
            expect(receiver.received.length).toBe(1);
          });

          test('NetBox gone for good: the report is kept and the report step says delivery failed', async () => {
            const opts = options(passing(), { deliveryDeadlineMs: 1500 });
            target.sim!.setFaults([{ kind: 'status', status: 503 }]);
            const result = await runPipeline(opts);
            const report = result.records.find((r) => r.id === '05-report')!.result;
            expect(report.status).toBe('error');
            expect(report.summary).toContain('delivery incomplete');
            expect(JSON.parse(readFileSync(join(result.evidenceDir, 'report.json'), 'utf8')).verdict).toBe('pass');
            expect(report.cause).toBe('netbox-unreachable');
            expect(runExitCode(result)).toBe(3);
          });
        });
    },
  );
}
