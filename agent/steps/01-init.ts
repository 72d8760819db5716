/**
 * 01-init: inventory the machine, find its NetBox device (a DMI serial its
 * MACs agree with, else MACs: inventory/find-device.ts), and compare it with
 * what NetBox plans (device type, bm_expect, interface MACs). Hands
 * `{inventory, device}` to the later steps as `result.outputs` (typed
 * StepOutputs); the runner puts them on their context.
 */
import { causeOf } from '../../shared/failure.ts';
import { isNetboxError, type Device, getDevice, listDeviceInterfaces } from '../../shared/netbox/index.ts';
import type { Inventory } from '../inventory-types.ts';
import { type Collected, type CollectOptions, collectInventory } from '../inventory/collect.ts';
import { type Expectations, type ExpectationSource, type Mismatch, compareWithPlan, expectationsOf } from '../inventory/expectations.ts';
import { DeviceLookupError, type DeviceMatch, findDeviceForInventory } from '../inventory/find-device.ts';
import { installedMemoryGiB, inventoryTable } from '../inventory/table.ts';
import { installedMemory } from '../memory/installed.ts';
import type { EvidenceRef, StepDefinition, StepResult } from '../step.ts';
import { defineTunables } from '../tunables.ts';
import { toGiB } from '../../shared/units.ts';

/** What 01-init puts in `result.details` (for tests and debugging; later steps get `result.outputs`). */
export interface InitDetails {
  inventory: Inventory;
  /** The NetBox device (with config context); absent without NetBox, or when not found. */
  device?: Device;
  match?: { by: DeviceMatch['by']; value: string };
  /** How the device was identified: the DMI serial used, the MACs that agree, serials set aside as placeholders, warnings. */
  identity?: Pick<DeviceMatch, 'serialSource' | 'macs' | 'skippedSerials' | 'warnings'>;
  /** Where bm_expect came from, general first (merged key by key, later winning). */
  expectationSources?: ExpectationSource['sources'];
  expectations?: Expectations;
  mismatches?: Mismatch[];
  /** What could not be compared with the plan (`model not identifiable: …`): said, never a failure. */
  planWarnings?: string[];
  /** What was not available (no SMBIOS table, no BMC…). */
  notes: string[];
}

export interface InitStepDeps {
  collect?: (options: CollectOptions) => Promise<Collected>;
}

function inventoryMetrics(inventory: Inventory): StepResult['metrics'] {
  const memory = installedMemory(inventory.memory);
  return {
    manufacturer: inventory.system.manufacturer || null,
    model: inventory.system.model || null,
    serial: inventory.system.serial || null,
    cpuSockets: inventory.cpus.sockets,
    cpuCores: inventory.cpus.cores,
    cpuThreads: inventory.cpus.threads,
    cpuModel: inventory.cpus.model,
    memoryGiB: installedMemoryGiB(inventory),
    dimmCount: inventory.memory.dimms.length,
    // Persistent memory (Optane PMem, NVDIMM) apart from the RAM: agent/memory/installed.ts.
    persistentMemoryModules: memory.persistentModules,
    persistentMemoryGiB: toGiB(memory.persistentBytes),
    diskCount: inventory.disks.length,
    physicalNicCount: inventory.nics.filter((n) => n.physical).length,
    bmcIp: inventory.bmc?.ip ?? null,
  };
}

/**
 * UEFI, Secure Boot, kernel lockdown and where dmidecode read SMBIOS (agent/lockdown.ts): the
 * Secure Boot e2e asserts these from the report (`uefi`, `secureBoot`, `kernelLockdown`, `smbiosSource`).
 */
function bootMetrics(collected: Pick<Collected, 'boot' | 'smbiosSource'>): StepResult['metrics'] {
  return { uefi: collected.boot.uefi, secureBoot: collected.boot.secureBoot, kernelLockdown: collected.boot.lockdown, smbiosSource: collected.smbiosSource };
}

/** `serial ABC (baseboard; MAC aa:… on it too)` / `mac aa:…`, plus any look-up warning, for the summary. Pure. */
export function foundBy(match: Pick<DeviceMatch, 'by' | 'value' | 'serialSource' | 'macs' | 'warnings'>): string {
  const how =
    match.by === 'serial'
      ? `serial ${match.value} (${match.serialSource ?? 'system'}; ${match.macs.length > 1 ? 'MACs' : 'MAC'} ${match.macs.join(', ')} on it too)`
      : `mac ${match.value}`;
  return `${how}${match.warnings.length ? ` [warning: ${match.warnings.join('; ')}]` : ''}`;
}

export const INIT_TUNABLES = defineTunables({
  strict: { description: 'Fail the step when the machine differs from what NetBox plans (0 = report the differences and pass)', default: true },
  check_interfaces: { description: "Require every MAC of the device's NetBox interfaces to be on this machine", default: true },
});

export function createInitStep(deps: InitStepDeps = {}): StepDefinition<'01-init', typeof INIT_TUNABLES> {
  return {
    id: '01-init',
    title: 'Inventory and NetBox device',
    needs: [],
    timeoutMs: () => 180_000,
    abortable: true,
    tunables: INIT_TUNABLES,
    async run(ctx, progress): Promise<StepResult> {
      progress({ fraction: 0, message: 'collecting inventory' });
      const collected = await (deps.collect ?? collectInventory)({ run: ctx.run, signal: ctx.signal });
      const { inventory } = collected;
      // What could not be read (no SMBIOS tables under lockdown, no BMC…): said in the log (console, journald).
      for (const note of collected.notes) ctx.log.info('inventory', { note });
      const evidence: EvidenceRef[] = [
        { file: ctx.evidence.save('01-init/inventory.json', `${JSON.stringify(inventory, null, 2)}\n`) },
        {
          file: ctx.evidence.save(
            '01-init/systeminformation.json',
            `${JSON.stringify({ systeminformation: collected.si, sysfs: collected.sysfs }, null, 2)}\n`,
          ),
        },
        ...collected.tools.map((t) => ({
          // The runner saves outputs when it has the evidence store; otherwise keep them here.
          file: t.evidence ?? ctx.evidence.save(`01-init/${t.tool}.txt`, t.stdout + (t.stderr ? `\n--- stderr ---\n${t.stderr}` : '')),
          command: t.command,
          exitCode: t.exitCode,
          durationMs: t.durationMs,
        })),
      ];
      const metrics = { ...inventoryMetrics(inventory), ...bootMetrics(collected) };
      const details: InitDetails = { inventory, notes: collected.notes };
      const outputs: NonNullable<StepResult['outputs']> = { inventory };
      const base = { metrics, evidence, details, outputs };

      // A dry run still reads NetBox (it only never writes); without NetBox there is nothing to compare.
      if (!ctx.netbox) {
        return {
          ...base,
          status: 'pass',
          summary: 'inventory collected; NetBox not consulted (no NetBox configured)',
          reasons: [],
          table: inventoryTable(inventory),
        };
      }

      progress({ fraction: 0.5, message: 'finding the device in NetBox' });
      let match: DeviceMatch;
      let device: Device;
      let interfaces: Awaited<ReturnType<typeof listDeviceInterfaces>>;
      try {
        match = await findDeviceForInventory(ctx.netbox, inventory);
        details.match = { by: match.by, value: match.value };
        details.identity = { serialSource: match.serialSource, macs: match.macs, skippedSerials: match.skippedSerials, warnings: match.warnings };
        for (const warning of match.warnings) ctx.log.warning('device look-up', { warning });
        device = await getDevice(ctx.netbox, match.device.id, { withConfigContext: true });
        details.device = device;
        outputs.device = device;
        interfaces = match.interfaces ?? (await listDeviceInterfaces(ctx.netbox, device.id));
      } catch (error) {
        if (error instanceof DeviceLookupError) {
          return { ...base, status: 'error', cause: causeOf(error), summary: error.message, reasons: [error.message], table: inventoryTable(inventory) };
        }
        if (isNetboxError(error) || ctx.signal.aborted) {
          const message = ctx.signal.aborted ? 'cancelled while querying NetBox' : `NetBox query failed: ${(error as Error).message}`;
          const cause = ctx.signal.aborted ? 'aborted' : causeOf(error);
          return { ...base, status: 'error', cause, summary: message, reasons: [message], table: inventoryTable(inventory) };
        }
        throw error;
      }

      const found = `${device.display} (#${device.id}) found by ${foundBy(match)}`;
      const source = expectationsOf(device);
      const sourcesText = source.sources.map((s) => s.replace(/_/g, ' ')).join(' + ');
      details.expectationSources = source.sources;
      details.expectations = source.expectations;
      const { mismatches, warnings } = compareWithPlan({
        inventory,
        device,
        interfaces,
        expectations: source.expectations,
        checkInterfaces: ctx.tunables.check_interfaces !== false,
      });
      details.mismatches = mismatches;
      details.planWarnings = warnings;
      for (const warning of warnings) ctx.log.warning('planned vs actual', { warning });
      const warned = warnings.length ? ` [warning: ${warnings.join('; ')}]` : '';
      metrics.netboxDeviceId = device.id;
      metrics.deviceFoundBy = match.by === 'serial' ? `${match.serialSource ?? 'system'} serial` : 'mac';
      metrics.mismatchCount = mismatches.length;
      progress({ fraction: 1 });

      if (source.issues.length) {
        return {
          ...base,
          status: 'error',
          // NetBox holds this run's configuration (bm_expect) and it is invalid.
          cause: 'config',
          summary: `${found}; its bm_expect (${sourcesText || 'none'}) is invalid`,
          reasons: source.issues.map((i) => `${i}; fix bm_expect in NetBox`),
          table: inventoryTable(inventory),
        };
      }
      if (mismatches.length) {
        const table = { columns: ['field', 'expected (NetBox)', 'actual'], rows: mismatches.map((m) => [m.field, m.expected, m.actual]) };
        const reasons = mismatches.map((m) => `${m.field}: NetBox expects ${m.expected}, machine has ${m.actual}`);
        if (ctx.tunables.strict === false) {
          const summary = `${found}; ${mismatches.length} differences from NetBox's plan (not strict)${warned}`;
          return { ...base, status: 'pass', summary, reasons: [...reasons, ...warnings], table };
        }
        return {
          ...base,
          status: 'fail',
          cause: 'check-failed',
          summary: `${found} but differs from NetBox's plan: ${mismatches.map((m) => m.field).join(', ')}`,
          reasons,
          table,
        };
      }
      const checked = source.sources.length ? `device type, interfaces and bm_expect (${sourcesText})` : 'device type and interfaces (no bm_expect)';
      return { ...base, status: 'pass', summary: `${found}; matches NetBox (${checked})${warned}`, reasons: warnings, table: inventoryTable(inventory) };
    },
  };
}

export const initStep = createInitStep();
