/**
 * 01-init: inventory the machine, find its NetBox device (serial, else MACs),
 * and compare it with what NetBox plans (device type, bm_expect, interface
 * MACs). Hands `{inventory, device}` to the later steps through
 * `result.details` (see InitDetails); the runner puts them on the context.
 */
import { isNetboxError, type Device, getDevice, listDeviceInterfaces } from '../../shared/netbox/index.ts';
import type { Inventory } from '../inventory-types.ts';
import { type Collected, type CollectOptions, collectInventory } from '../inventory/collect.ts';
import { type Expectations, type ExpectationSource, type Mismatch, diffExpectations, expectationsOf, installedMemoryBytes } from '../inventory/expectations.ts';
import { DeviceLookupError, type DeviceMatch, findDeviceForInventory } from '../inventory/find-device.ts';
import type { EvidenceRef, Step, StepContext, StepResult } from '../step.ts';

/** What 01-init puts in `result.details`; `inventory` and `device` go on the context of later steps. */
export interface InitDetails {
  inventory: Inventory;
  /** The NetBox device (with config context); absent without NetBox, or when not found. */
  device?: Device;
  match?: { by: DeviceMatch['by']; value: string };
  /** Where bm_expect came from, general first (merged key by key, later winning). */
  expectationSources?: ExpectationSource['sources'];
  expectations?: Expectations;
  mismatches?: Mismatch[];
  /** What was not available (no SMBIOS table, no BMC…). */
  notes: string[];
}

/** Typed access to 01-init's hand-over, for the runner. */
export function initOutputsOf(result: StepResult | undefined): { inventory?: Inventory; device?: Device } {
  const details = result?.details as Partial<InitDetails> | undefined;
  return { inventory: details?.inventory, device: details?.device };
}

export interface InitStepDeps {
  collect?: (options: CollectOptions) => Promise<Collected>;
}

const GiB = 2 ** 30;

function inventoryMetrics(inventory: Inventory): StepResult['metrics'] {
  return {
    manufacturer: inventory.system.manufacturer || null,
    model: inventory.system.model || null,
    serial: inventory.system.serial || null,
    cpuSockets: inventory.cpus.sockets,
    cpuCores: inventory.cpus.cores,
    cpuThreads: inventory.cpus.threads,
    cpuModel: inventory.cpus.model,
    memoryGiB: Math.round((installedMemoryBytes(inventory).bytes / GiB) * 10) / 10,
    dimmCount: inventory.memory.dimms.length,
    diskCount: inventory.disks.length,
    physicalNicCount: inventory.nics.filter((n) => n.physical).length,
    bmcIp: inventory.bmc?.ip ?? null,
  };
}

/** The machine in one table: the 01-init journal entry and `bm-agent inventory` print it. */
export function inventoryTable(inventory: Inventory): NonNullable<StepResult['table']> {
  const physical = inventory.nics.filter((n) => n.physical);
  return {
    columns: ['item', 'value'],
    rows: [
      ['system', [inventory.system.manufacturer, inventory.system.model].filter(Boolean).join(' ') || 'unknown'],
      ['serial', inventory.system.serial || 'unknown'],
      ['BIOS', [inventory.bios.vendor, inventory.bios.version].filter(Boolean).join(' ') || 'unknown'],
      ['CPU', `${inventory.cpus.sockets} × ${inventory.cpus.model} (${inventory.cpus.cores} cores, ${inventory.cpus.threads} threads)`],
      ['memory', `${Math.round((installedMemoryBytes(inventory).bytes / GiB) * 10) / 10} GiB in ${inventory.memory.dimms.length || 'unknown'} DIMMs`],
      ['disks', inventory.disks.map((d) => `${d.name} ${Math.round(d.sizeBytes / 1e9)} GB ${d.mediaClass}`).join(', ') || 'none'],
      ['NICs', physical.map((n) => `${n.name} ${n.mac}`).join(', ') || 'none'],
      ['BMC', inventory.bmc ? `${inventory.bmc.ip ?? 'no IP'} ${inventory.bmc.mac ?? ''}`.trim() : 'not visible'],
    ],
  };
}

export function createInitStep(deps: InitStepDeps = {}): Step {
  return {
    id: '01-init',
    title: 'Inventory and NetBox device',
    needs: [],
    timeoutMs: () => 180_000,
    abortable: true,
    tunables: {
      strict: { description: 'Fail the step when the machine differs from what NetBox plans (0 = report the differences and pass)', default: true },
      check_interfaces: { description: "Require every MAC of the device's NetBox interfaces to be on this machine", default: true },
    },
    async run(ctx: StepContext, progress): Promise<StepResult> {
      progress({ fraction: 0, message: 'collecting inventory' });
      const collected = await (deps.collect ?? collectInventory)({ run: ctx.run, signal: ctx.signal });
      const { inventory } = collected;
      const evidence: EvidenceRef[] = [
        { file: ctx.evidence.save('01-init/inventory.json', `${JSON.stringify(inventory, null, 2)}\n`) },
        { file: ctx.evidence.save('01-init/systeminformation.json', `${JSON.stringify({ systeminformation: collected.si, sysfs: collected.sysfs }, null, 2)}\n`) },
        ...collected.tools.map((t) => ({
          // The runner saves outputs when it has the evidence store; otherwise keep them here.
          file: t.evidence ?? ctx.evidence.save(`01-init/${t.tool}.txt`, t.stdout + (t.stderr ? `\n--- stderr ---\n${t.stderr}` : '')),
          command: t.command,
          exitCode: t.exitCode,
          durationMs: t.durationMs,
        })),
      ];
      const metrics = inventoryMetrics(inventory);
      const details: InitDetails = { inventory, notes: collected.notes };
      const base = { metrics, evidence, details };

      // A dry run still reads NetBox (it only never writes); without NetBox there is nothing to compare.
      if (!ctx.netbox) {
        return { ...base, status: 'pass', summary: 'inventory collected; NetBox not consulted (no NetBox configured)', reasons: [], table: inventoryTable(inventory) };
      }

      progress({ fraction: 0.5, message: 'finding the device in NetBox' });
      let match: DeviceMatch;
      let device: Device;
      let interfaces;
      try {
        match = await findDeviceForInventory(ctx.netbox, inventory);
        details.match = { by: match.by, value: match.value };
        device = await getDevice(ctx.netbox, match.device.id, { withConfigContext: true });
        details.device = device;
        interfaces = await listDeviceInterfaces(ctx.netbox, device.id);
      } catch (error) {
        if (error instanceof DeviceLookupError) {
          return { ...base, status: 'error', summary: error.message, reasons: [error.message], table: inventoryTable(inventory) };
        }
        if (isNetboxError(error) || ctx.signal.aborted) {
          const message = ctx.signal.aborted ? 'cancelled while querying NetBox' : `NetBox query failed: ${(error as Error).message}`;
          return { ...base, status: 'error', summary: message, reasons: [message], table: inventoryTable(inventory) };
        }
        throw error;
      }

      const found = `${device.display} (#${device.id}) found by ${match.by} ${match.value}`;
      const source = expectationsOf(device);
      const sourcesText = source.sources.map((s) => s.replace(/_/g, ' ')).join(' + ');
      details.expectationSources = source.sources;
      details.expectations = source.expectations;
      const mismatches = diffExpectations({
        inventory,
        device,
        interfaces,
        expectations: source.expectations,
        checkInterfaces: ctx.tunables.check_interfaces !== false,
      });
      details.mismatches = mismatches;
      metrics.netboxDeviceId = device.id;
      metrics.mismatchCount = mismatches.length;
      progress({ fraction: 1 });

      if (source.issues.length) {
        return {
          ...base,
          status: 'error',
          summary: `${found}; its bm_expect (${sourcesText || 'none'}) is invalid`,
          reasons: source.issues.map((i) => `${i}; fix bm_expect in NetBox`),
          table: inventoryTable(inventory),
        };
      }
      if (mismatches.length) {
        const table = { columns: ['field', 'expected (NetBox)', 'actual'], rows: mismatches.map((m) => [m.field, m.expected, m.actual]) };
        const reasons = mismatches.map((m) => `${m.field}: NetBox expects ${m.expected}, machine has ${m.actual}`);
        if (ctx.tunables.strict === false) {
          return { ...base, status: 'pass', summary: `${found}; ${mismatches.length} differences from NetBox's plan (not strict)`, reasons, table };
        }
        return { ...base, status: 'fail', summary: `${found} but differs from NetBox's plan: ${mismatches.map((m) => m.field).join(', ')}`, reasons, table };
      }
      const checked = source.sources.length ? `device type, interfaces and bm_expect (${sourcesText})` : 'device type and interfaces (no bm_expect)';
      return { ...base, status: 'pass', summary: `${found}; matches NetBox (${checked})`, reasons: [], table: inventoryTable(inventory) };
    },
  };
}

export const initStep: Step = createInitStep();
