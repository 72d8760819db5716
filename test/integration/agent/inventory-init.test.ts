/**
 * 01-init on this machine (real systeminformation, dmidecode, sysfs) against
 * the NetBox simulator in every flavour and the real NetBox, state set up through
 * the REST API. This VM may have no SMBIOS table (placeholder serial): the device
 * is then found by the MAC of a physical NIC. Every test deletes what it created:
 * the real NetBox is shared by the whole run, and this machine's MAC must match
 * only the device the test made.
 *
 * Identity (issue 11): the captured KVM guest (test/helpers/captured-machine.ts) given a
 * fresh random MAC and each firmware placeholder serial, run through the pipeline with
 * stand-in steps 02–04 against NetBox holding decoy devices: the decoys are never chosen
 * nor written (no journal entry, status unchanged); a serial on several devices yields to
 * the MACs; a serial whose device carries none of the machine's MACs is a conflict.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { collectInventory } from '../../../agent/inventory/collect.ts';
import type { Inventory } from '../../../agent/inventory-types.ts';
import { createInitStep, initStep, type InitDetails } from '../../../agent/steps/01-init.ts';
import { createToolRunner } from '../../../agent/tools/run-tool.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Collected } from '../../../agent/inventory/collect.ts';
import { runPipeline, type PipelineResult } from '../../../agent/pipeline.ts';
import type { Step, StepId } from '../../../agent/step.ts';
import { runExitCode } from '../../../agent/commands/run.ts';
import { createMemoryLogger } from '../../../shared/log.ts';
import { normaliseMac } from '../../../shared/mac.ts';
import {
  clearVersionCache,
  createNetboxClient,
  getDevice,
  isPlaceholderSerial,
  listDeviceJournal,
  type Device,
  type NetboxClient,
} from '../../../shared/netbox/index.ts';
import { createTestContext, type TestStepContext } from '../../helpers/agent-context.ts';
import { capturedKvmGuest } from '../../helpers/captured-machine.ts';
import { createFixtures, randomMac, type Fixtures } from '../../helpers/netbox-fixtures.ts';
import { startNetboxTarget, TARGETS, targetAvailable, type NetboxTarget, type TargetName } from '../../helpers/netbox-target.ts';
import { requirementsMet } from '../../helpers/requirements.ts';

const runnable = requirementsMet('01-init against the NetBox simulator', { root: true, tools: ['dmidecode'] });

describe.skipIf(!runnable)('01-init', () => {
  let inventory: Inventory;
  let nicMac: string;
  let serialUsable: boolean;

  beforeAll(async () => {
    ({ inventory } = await collectInventory({ run: createToolRunner() }));
    const physical = inventory.nics.find((n) => n.physical);
    if (!physical) throw new Error('this machine has no physical NIC to look the device up by');
    nicMac = physical.mac;
    serialUsable = !isPlaceholderSerial(inventory.system.serial);
  });

  for (const flavour of TARGETS) {
    describe.skipIf(!targetAvailable(flavour))(`NetBox ${flavour}`, () => {
      let target: NetboxTarget;
      let fx: Fixtures;
      let client: NetboxClient;
      let ctx: TestStepContext | undefined;

      beforeEach(async () => {
        clearVersionCache();
        target = await startNetboxTarget({ flavour });
        fx = await createFixtures(target.url, target.token);
        client = createNetboxClient({ url: target.url, token: target.token, retries: 0 });
      });
      afterEach(async () => {
        ctx?.cleanup();
        await fx.cleanup();
        await target.close();
      });

      /** This machine as NetBox would plan it: its serial, its NIC's MAC, its DMI identity in bm_expect. */
      async function createThisMachine(bmExpect: Record<string, unknown> = {}) {
        const device = await fx.createDevice({ serial: serialUsable ? inventory.system.serial : '' });
        await fx.createInterface(device.id, { name: 'nic0', mac: nicMac });
        const identity = {
          ...(inventory.system.manufacturer ? { manufacturer: inventory.system.manufacturer } : {}),
          ...(inventory.system.model ? { model: inventory.system.model } : {}),
        };
        await client.patch(`/api/dcim/devices/${device.id}/`, { local_context_data: { bm_expect: { ...identity, ...bmExpect } } });
        return device;
      }

      const runInit = async () => {
        ctx = createTestContext({ netbox: client });
        ctx.run = createToolRunner({ evidence: ctx.evidence });
        return initStep.run(ctx, () => {});
      };

      test('the machine is found (by serial, else by a physical NIC MAC) and matches its plan', async () => {
        const device = await createThisMachine({ nics: { count: inventory.nics.filter((n) => n.physical).length } });
        target.sim?.clearRequests();
        const result = await runInit();
        expect(result.status).toBe('pass');
        const details = result.details as InitDetails;
        expect(details.device?.id).toBe(device.id);
        expect(details.match?.by).toBe(serialUsable ? 'serial' : 'mac');
        expect(result.outputs?.inventory?.nics.map((n) => n.mac)).toContain(nicMac);
        expect(result.outputs?.device?.id).toBe(device.id);
        if (!serialUsable && target.sim) {
          expect(target.sim.requests().filter((r) => r.path === '/api/dcim/devices/' && r.query.serial)).toEqual([]);
        }
        expect(existsSync(ctx!.evidence.pathOf('01-init/inventory.json'))).toBe(true);
        expect(existsSync(ctx!.evidence.pathOf('01-init/systeminformation.json'))).toBe(true);
        expect(result.evidence.map((e) => e.file)).toContain('01-init/dmidecode.txt');
        expect(existsSync(ctx!.evidence.pathOf('01-init/dmidecode.txt'))).toBe(true);
      });

      test('a wrong bm_expect memory size fails the step naming memory', async () => {
        await createThisMachine({ memoryGB: 4096 });
        const result = await runInit();
        expect(result.status).toBe('fail');
        expect(result.summary).toContain('memoryGB');
        expect(result.table?.rows.map((r) => r[0])).toEqual(['memoryGB']);
        expect(result.table?.rows[0]?.[1]).toBe('4096 GiB ±5 %');
      });

      test('with strict off, differences are reported but the step passes', async () => {
        await createThisMachine({ memoryGB: 4096 });
        ctx = createTestContext({ netbox: client, tunables: { strict: false, check_interfaces: true } });
        ctx.run = createToolRunner({ evidence: ctx.evidence });
        const result = await initStep.run(ctx, () => {});
        expect(result.status).toBe('pass');
        expect(result.reasons[0]).toStartWith('memoryGB: NetBox expects 4096 GiB');
      });

      test('an invalid bm_expect is an error that says what to fix', async () => {
        await createThisMachine({ memoryGB: 'lots' });
        const result = await runInit();
        expect(result.status).toBe('error');
        expect(result.reasons).toEqual(['bm_expect.memoryGB must be a number or {min, max}; fix bm_expect in NetBox']);
        expect(result.outputs?.device).toBeDefined();
      });

      test("two devices carrying this machine's MAC is an error naming both", async () => {
        const a = await fx.createDevice({ name: `twin-a-${flavour}` });
        const b = await fx.createDevice({ name: `twin-b-${flavour}` });
        await fx.createInterface(a.id, { name: 'nic0', mac: nicMac });
        await fx.createInterface(b.id, { name: 'nic0', mac: nicMac });
        const result = await runInit();
        expect(result.status).toBe('error');
        expect(result.summary).toContain(`#${a.id}`);
        expect(result.summary).toContain(`#${b.id}`);
        expect(result.summary).toContain(`twin-a-${flavour}`);
        expect(result.summary).toContain(`twin-b-${flavour}`);
      });

      test('a machine NetBox does not know is an error naming its serial and MACs', async () => {
        const result = await runInit();
        expect(result.status).toBe('error');
        expect(result.summary).toStartWith('device not found in NetBox');
        expect(result.summary).toContain(nicMac);
        expect((result.details as InitDetails).inventory.nics.length).toBeGreaterThan(0);
      });

      test('a dry run still finds the device in NetBox but writes nothing', async () => {
        const device = await createThisMachine();
        target.sim?.clearRequests();
        ctx = createTestContext({ run: createToolRunner(), netbox: client, dryRun: true });
        const result = await initStep.run(ctx, () => {});
        expect(result.status).toBe('pass');
        expect(result.outputs?.device?.id).toBe(device.id);
        expect((target.sim?.requests() ?? []).filter((r) => r.method !== 'GET')).toEqual([]);
      });
    });
  }

  /** bm_expect from NetBox's config data, and serials NetBox trims: the newest simulator flavour and the real NetBox. */
  const CONFIG_TARGETS: readonly TargetName[] = ['4.7', 'real'];
  for (const flavour of CONFIG_TARGETS) {
    describe.skipIf(!targetAvailable(flavour))(`NetBox ${flavour}: bm_expect and serials`, () => {
      let target: NetboxTarget;
      let fx: Fixtures;
      let ctx: TestStepContext | undefined;

      beforeEach(async () => {
        clearVersionCache();
        target = await startNetboxTarget({ flavour });
        fx = await createFixtures(target.url, target.token);
      });
      afterEach(async () => {
        ctx?.cleanup();
        await fx.cleanup();
        await target.close();
      }, 60_000);

      /** This machine in NetBox with no local context data: its expectations come from elsewhere. */
      async function createBareMachine(serial = '') {
        const device = await fx.createDevice({ serial });
        await fx.createInterface(device.id, { name: 'nic0', mac: nicMac });
        return device;
      }

      const runInit = async (step = initStep) => {
        ctx = createTestContext({ netbox: fx.client });
        ctx.run = createToolRunner({ evidence: ctx.evidence });
        return step.run(ctx, () => {});
      };

      test('bm_expect from a config context assigned by device type reaches the comparison', async () => {
        await fx.createConfigContext({ bm_expect: { memoryGB: 4096 } }, { deviceTypes: [fx.deviceType.id] });
        await createBareMachine();
        const result = await runInit();
        expect(result.status).toBe('fail');
        expect(result.reasons).toEqual([expect.stringMatching(/^memoryGB: NetBox expects 4096 GiB ±5 %/)]);
        expect((result.details as InitDetails).expectationSources).toEqual(['config_context']);
      });

      test('a JSON custom field bm_expect beats the config context assigned by role', async () => {
        await fx.createConfigContext({ bm_expect: { memoryGB: 4096, nics: { count: 99 } } }, { roles: [fx.role.id] });
        await fx.createDeviceCustomField('bm_expect', 'json');
        const device = await createBareMachine();
        await fx.client.patch(`/api/dcim/devices/${device.id}/`, { custom_fields: { bm_expect: { memoryGB: { min: 0.1 } } } });
        const result = await runInit();
        const details = result.details as InitDetails;
        expect(details.expectationSources).toEqual(['config_context', 'custom_field']);
        expect(details.expectations).toEqual({ memoryGB: { min: 0.1 }, nics: { count: 99 } });
        expect(result.reasons).toEqual([expect.stringMatching(/^nics\.count: NetBox expects 99/)]);
      });

      test('local context data beats the JSON custom field', async () => {
        await fx.createDeviceCustomField('bm_expect', 'json');
        const device = await createBareMachine();
        await fx.client.patch(`/api/dcim/devices/${device.id}/`, {
          custom_fields: { bm_expect: { memoryGB: 4096 } },
          local_context_data: { bm_expect: { memoryGB: { min: 0.1 } } },
        });
        const result = await runInit();
        expect(result.status).toBe('pass');
        expect((result.details as InitDetails).expectationSources).toEqual(['custom_field', 'local_context_data']);
        expect((result.details as InitDetails).expectations).toEqual({ memoryGB: { min: 0.1 } });
      });

      test('a serial entered with surrounding spaces is stored trimmed and still finds the device', async () => {
        const serial = `SN-${process.pid}-${Date.now().toString(36)}`.toUpperCase();
        const device = await createBareMachine(`  ${serial}  `);
        expect(device.serial).toBe(serial);
        // DMI pads serials too: the agent's look-up trims its side.
        const padded = createInitStep({
          collect: async (options) => {
            const collected = await collectInventory(options);
            collected.inventory.system.serial = ` ${serial}   `;
            return collected;
          },
        });
        const result = await runInit(padded);
        expect(result.status).toBe('pass');
        expect((result.details as InitDetails).match).toEqual({ by: 'serial', value: serial });
        expect(result.outputs?.device?.id).toBe(device.id);
      });
    });
  }
});

/** The forms issue 11 saw looked up (and a decoy holding them validated), and the common vendor defaults. */
const PLACEHOLDER_FORMS = [
  '123456789',
  '$(DEFAULT_STRING)',
  'Undefined',
  'O.E.M',
  'To Be Filled By O.E.M',
  'To Be Filled By O.E.M.',
  'Default string',
  'System Serial Number',
  '0123456789',
  '987654321',
  '........',
  'FFFFFFFF',
] as const;

/** A stand-in for a validation step that passes at once (the real ones have their own suites). */
function passingStandIn(id: StepId): Step {
  return {
    id,
    title: id.slice(3),
    needs: ['01-init'],
    abortable: true,
    tunables: {},
    timeoutMs: () => 10_000,
    run: async () => ({ status: 'pass', summary: 'ok', reasons: [], metrics: {}, evidence: [] }),
  };
}

/** Identity against decoys: the simulator with each MAC model (3.7's interface field, 4.7's MAC objects) and the real NetBox. */
const IDENTITY_TARGETS: readonly TargetName[] = ['3.7', '4.7', 'real'];
for (const flavour of IDENTITY_TARGETS) {
  describe.skipIf(!targetAvailable(flavour))(`NetBox ${flavour}: which device this machine is (decoys)`, () => {
    let target: NetboxTarget;
    let fx: Fixtures;
    let evidenceRoot: string;
    let mac: string;

    beforeEach(async () => {
      clearVersionCache();
      target = await startNetboxTarget({ flavour });
      fx = await createFixtures(target.url, target.token);
      evidenceRoot = mkdtempSync(join(tmpdir(), 'bm-identity-'));
      mac = normaliseMac(randomMac());
    });
    afterEach(async () => {
      await fx.cleanup();
      await target.close();
      rmSync(evidenceRoot, { recursive: true, force: true });
    }, 60_000);

    /** The captured guest with this test's MAC on its one physical NIC and these DMI serials. */
    function machine(serials: { system?: string; baseboard?: string; chassis?: string }): Collected {
      const collected = capturedKvmGuest();
      const { inventory } = collected;
      inventory.nics = inventory.nics.map((n) => (n.physical ? { ...n, mac } : n));
      inventory.system.serial = serials.system ?? '';
      inventory.baseboard.serial = serials.baseboard ?? null;
      inventory.chassis.serial = serials.chassis ?? null;
      return collected;
    }

    /** This machine's device: found by its MAC, with a serial when given. */
    async function realDevice(serial = ''): Promise<Device> {
      const device = await fx.createDevice({ name: `real-${Date.now().toString(36)}`, serial, status: 'planned' });
      await fx.createInterface(device.id, { name: 'eth0', mac });
      return device;
    }

    /** 01-init on `collected`, stand-ins for 02–04, and 05-report writing to NetBox (not a dry run). */
    const run = (collected: Collected): Promise<PipelineResult> =>
      runPipeline({
        steps: [createInitStep({ collect: async () => collected }), ...(['02-memory', '03-disk', '04-lldp'] as const).map(passingStandIn)],
        profile: 'quick',
        dryRun: false,
        tunableLayers: [],
        netbox: createNetboxClient({ url: target.url, token: target.token, timeoutMs: 5000, retries: 0 }),
        callback: null,
        onFailure: 'failed',
        deliveryDeadlineMs: 10_000,
        deliveryBackoff: { baseMs: 50, maxMs: 200 },
        evidenceRoot,
        log: createMemoryLogger(),
        signal: new AbortController().signal,
      });

    const initOf = (result: PipelineResult) => result.records.find((r) => r.id === '01-init')!.result;

    /** Never chosen, never written: no journal entry, the status it was created with. */
    async function expectUntouched(decoy: Device) {
      expect(await listDeviceJournal(fx.client, decoy.id)).toEqual([]);
      expect((await getDevice(fx.client, decoy.id)).status.value).toBe('planned');
    }

    test.each(PLACEHOLDER_FORMS.map((f) => [f]))('a decoy holding the placeholder serial %p is never chosen; the machine is found by its MAC', async (form) => {
      const decoy = await fx.createDevice({ name: `decoy-${Date.now().toString(36)}`, serial: form, status: 'planned' });
      const device = await realDevice();
      target.sim?.clearRequests();
      const result = await run(machine({ system: form, baseboard: form, chassis: form }));
      const init = initOf(result);
      expect(init.status).toBe('pass');
      expect(init.outputs?.device?.id).toBe(device.id);
      expect((init.details as InitDetails).match).toEqual({ by: 'mac', value: mac });
      expect(init.metrics.deviceFoundBy).toBe('mac');
      expect((init.details as InitDetails).identity?.skippedSerials.map((s) => s.source)).toEqual(['system', 'baseboard', 'chassis']);
      if (target.sim) expect(target.sim.requests().filter((r) => r.path === '/api/dcim/devices/' && r.query.serial)).toEqual([]);
      await expectUntouched(decoy);
      expect((await getDevice(fx.client, device.id)).status.value).toBe('staged');
      expect((await listDeviceJournal(fx.client, device.id)).length).toBe(5);
    });

    test('a serial on two devices yields to the MACs: the MAC’s device, the duplicates named as a warning', async () => {
      const serial = `DUP-${process.pid}-${Date.now().toString(36)}`.toUpperCase();
      const decoy = await fx.createDevice({ name: `twin-${Date.now().toString(36)}`, serial, status: 'planned' });
      const device = await realDevice(serial);
      const result = await run(machine({ system: serial }));
      const init = initOf(result);
      expect(init.status).toBe('pass');
      expect(init.outputs?.device?.id).toBe(device.id);
      const details = init.details as InitDetails;
      expect(details.match).toEqual({ by: 'mac', value: mac });
      expect(details.identity?.warnings).toEqual([expect.stringContaining(`system serial ${serial} is on 2 devices in NetBox (#`)]);
      for (const d of [decoy, device]) expect(init.summary).toContain(`#${d.id} ${d.name}`);
      await expectUntouched(decoy);
      expect((await getDevice(fx.client, device.id)).status.value).toBe('staged');
    });

    test('a serial on two devices that no MAC tells apart is an error naming both', async () => {
      const serial = `DUP-${process.pid}-${Date.now().toString(36)}`.toUpperCase();
      const a = await fx.createDevice({ name: `twin-a-${Date.now().toString(36)}`, serial, status: 'planned' });
      const b = await fx.createDevice({ name: `twin-b-${Date.now().toString(36)}`, serial, status: 'planned' });
      const result = await run(machine({ system: serial }));
      const init = initOf(result);
      expect(init.status).toBe('error');
      expect(init.cause).toBe('device-ambiguous');
      for (const d of [a, b]) expect(init.summary).toContain(`#${d.id} ${d.name}`);
      expect(runExitCode(result)).toBe(1);
      for (const d of [a, b]) await expectUntouched(d);
    });

    test('a serial whose only device carries none of this machine’s MACs is a conflict: an error, nothing written', async () => {
      const serial = `SN-${process.pid}-${Date.now().toString(36)}`.toUpperCase();
      const decoy = await fx.createDevice({ name: `decoy-${Date.now().toString(36)}`, serial, status: 'planned' });
      const other = randomMac();
      await fx.createInterface(decoy.id, { name: 'eth0', mac: other });
      const device = await realDevice();
      const result = await run(machine({ system: serial }));
      const init = initOf(result);
      expect(init.status).toBe('error');
      expect(init.cause).toBe('device-ambiguous');
      expect(init.summary).toStartWith(
        `system serial ${serial} is on NetBox device #${decoy.id} ${decoy.name}, but none of its interfaces has a MAC of this machine`,
      );
      expect(init.summary).toContain(`this machine: ${mac}`);
      expect(init.summary).toContain(`#${decoy.id}: ${normaliseMac(other)}`);
      expect(init.summary).toContain(`this machine's MACs are on #${device.id} ${device.name}`);
      expect(init.outputs?.device).toBeUndefined();
      expect(runExitCode(result)).toBe(1);
      await expectUntouched(decoy);
      await expectUntouched(device);
    });

    test('a serial on a device with no interfaces at all is not trusted either', async () => {
      const serial = `SN-${process.pid}-${Date.now().toString(36)}`.toUpperCase();
      const decoy = await fx.createDevice({ name: `bare-${Date.now().toString(36)}`, serial, status: 'planned' });
      const result = await run(machine({ system: serial }));
      const init = initOf(result);
      expect(init.status).toBe('error');
      expect(init.summary).toContain(`#${decoy.id}: no MAC`);
      await expectUntouched(decoy);
    });

    test.each([
      ['baseboard', { system: '123456789', chassis: '$(DEFAULT_STRING)' }],
      ['chassis', { system: 'To Be Filled By O.E.M', baseboard: 'Undefined' }],
    ] as const)('the %s serial is used when the serials before it are placeholders (and its device has the MAC)', async (source, placeholders) => {
      const serial = `${source}-${process.pid}-${Date.now().toString(36)}`.toUpperCase();
      const decoys = [];
      for (const form of Object.values(placeholders))
        decoys.push(await fx.createDevice({ name: `decoy-${decoys.length}-${Date.now().toString(36)}`, serial: form, status: 'planned' }));
      const device = await realDevice(serial);
      const result = await run(machine({ ...placeholders, [source]: serial }));
      const init = initOf(result);
      expect(init.status).toBe('pass');
      expect(init.outputs?.device?.id).toBe(device.id);
      const details = init.details as InitDetails;
      expect(details.match).toEqual({ by: 'serial', value: serial });
      expect(details.identity).toMatchObject({ serialSource: source, macs: [mac], warnings: [] });
      expect(init.summary).toContain(`found by serial ${serial} (${source}; MAC ${mac} on it too)`);
      expect(init.metrics.deviceFoundBy).toBe(`${source} serial`);
      for (const decoy of decoys) await expectUntouched(decoy);
    });
  });
}
