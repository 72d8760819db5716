import { afterEach, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Collected } from '../../../agent/inventory/collect.ts';
import { mapInventory, type SiSnapshot, type SysfsFacts } from '../../../agent/inventory/map.ts';
import { createInitStep, initOutputsOf, type InitDetails } from '../../../agent/steps/01-init.ts';
import { createTestContext, type TestStepContext } from '../../helpers/agent-context.ts';

const captured = JSON.parse(readFileSync(join(import.meta.dir, '../../fixtures/systeminformation/debian12-kvm.json'), 'utf8')) as { systeminformation: SiSnapshot; sysfs: SysfsFacts };
const dmidecodeResult = { tool: 'dmidecode', command: ['dmidecode'], exitCode: 1, signal: null, stdout: '# dmidecode 3.4\n', stderr: '/dev/mem: No such file or directory\n', durationMs: 3, timedOut: false, aborted: false, missing: false };

const collected: Collected = {
  inventory: mapInventory({ si: captured.systeminformation, sysfs: captured.sysfs, dmi: null, bmc: null, dmiTableAbsent: true }),
  si: captured.systeminformation,
  sysfs: captured.sysfs,
  dmi: null,
  bmc: null,
  tools: [dmidecodeResult],
  notes: ['no SMBIOS/DMI table on this machine: system serial, model and DIMMs are unknown'],
};

let ctx: TestStepContext | undefined;
afterEach(() => ctx?.cleanup());

describe('01-init step without NetBox', () => {
  test('passes with the inventory only, saves it as evidence and hands it over', async () => {
    ctx = createTestContext();
    const step = createInitStep({ collect: async () => collected });
    const result = await step.run(ctx, () => {});
    expect(result.status).toBe('pass');
    expect(result.summary).toBe('inventory collected; NetBox not consulted (no NetBox configured)');
    expect(initOutputsOf(result).inventory).toEqual(collected.inventory);
    expect(initOutputsOf(result).device).toBeUndefined();
    expect((result.details as InitDetails).notes).toEqual(collected.notes);
    expect(result.evidence.map((e) => e.file)).toEqual(['01-init/inventory.json', '01-init/systeminformation.json', '01-init/dmidecode.txt']);
    expect(JSON.parse(readFileSync(ctx.evidence.pathOf('01-init/inventory.json'), 'utf8'))).toEqual(collected.inventory);
    expect(result.metrics).toMatchObject({ cpuCores: 2, physicalNicCount: 1, diskCount: 1, serial: null, bmcIp: null });
  });

  test('a dry run without NetBox collects the inventory only (a dry run with NetBox still reads it: agent-run.test.ts)', async () => {
    ctx = createTestContext({ dryRun: true });
    const result = await createInitStep({ collect: async () => collected }).run(ctx, () => {});
    expect(result.status).toBe('pass');
    expect(result.summary).toContain('(no NetBox configured)');
  });

  test('declares its tunables with defaults', () => {
    const step = createInitStep();
    expect(step.tunables.strict?.default).toBe(true);
    expect(step.tunables.check_interfaces?.default).toBe(true);
    expect(step.needs).toEqual([]);
  });
});
