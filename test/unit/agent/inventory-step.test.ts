import { afterEach, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { createInitStep, type InitDetails } from '../../../agent/steps/01-init.ts';
import { createTestContext, type TestStepContext } from '../../helpers/agent-context.ts';
import { capturedKvmGuest } from '../../helpers/captured-machine.ts';

const dmidecodeResult = {
  tool: 'dmidecode',
  command: ['dmidecode'],
  exitCode: 1,
  signal: null,
  stdout: '# dmidecode 3.4\n',
  stderr: '/dev/mem: No such file or directory\n',
  durationMs: 3,
  timedOut: false,
  aborted: false,
  missing: false,
};

const collected = capturedKvmGuest({ tools: [dmidecodeResult], notes: ['no SMBIOS/DMI table on this machine: system serial, model and DIMMs are unknown'] });

let ctx: TestStepContext | undefined;
afterEach(() => ctx?.cleanup());

describe('01-init step without NetBox', () => {
  test('passes with the inventory only, saves it as evidence and hands it over', async () => {
    ctx = createTestContext();
    const step = createInitStep({ collect: async () => collected });
    const result = await step.run(ctx, () => {});
    expect(result.status).toBe('pass');
    expect(result.summary).toBe('inventory collected; NetBox not consulted (no NetBox configured)');
    expect(result.outputs?.inventory).toEqual(collected.inventory);
    expect(result.outputs?.device).toBeUndefined();
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
