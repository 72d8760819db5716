/**
 * `bm-agent plan` takes the decision `run` takes: it finds the NetBox device
 * through 01-init (a stand-in here) so NetBox's say on writing counts, and
 * hands it with the dry-run flag to the same planner as 03-disk.
 */
import { describe, expect, test } from 'bun:test';
import { netboxViewForPlan, writeSummary } from '../../../agent/commands/plan.ts';
import { gatherDiskPlan } from '../../../agent/disk/gather.ts';
import { INIT_TUNABLES } from '../../../agent/steps/01-init.ts';
import { diskStep } from '../../../agent/steps/03-disk.ts';
import type { StepContext, StepDefinition, StepResult } from '../../../agent/step.ts';
import type { Device, NetboxClient } from '../../../shared/netbox/index.ts';
import { createMemoryLogger } from '../../../shared/log.ts';
import { resolveTunables } from '../../../agent/tunables.ts';
import { idleUsage } from '../../helpers/disk-facts.ts';
import { fakeToolRunner } from '../../helpers/fake-tools.ts';
import { MiB } from '../../../shared/units.ts';

const device = { id: 12, name: 'srv-12', custom_fields: { bm_disk_allow_write: true }, local_context_data: null } as unknown as Device;
const netbox = {} as NetboxClient;

function fakeInit(result: Partial<StepResult>, seen: StepContext[] = []): StepDefinition<'01-init', typeof INIT_TUNABLES> {
  return {
    id: '01-init',
    title: 'init',
    needs: [],
    abortable: true,
    tunables: INIT_TUNABLES,
    timeoutMs: () => 5000,
    run: async (ctx) => {
      seen.push(ctx as StepContext);
      return { status: 'pass', summary: 'srv-12 (#12) found by serial X', reasons: [], metrics: {}, evidence: [], ...result };
    },
  };
}

const base = { profile: 'quick' as const, tunables: resolveTunables({ id: '01-init', tunables: INIT_TUNABLES }, 'quick', []), log: createMemoryLogger() };

describe('netboxViewForPlan', () => {
  test('without NetBox only the settings decide', async () => {
    const view = await netboxViewForPlan({ ...base, netbox: null, run: fakeToolRunner(() => ({})) });
    expect(view).toEqual({ consulted: false, device: undefined, summary: 'not configured: only the settings here decide' });
  });

  test('with NetBox, 01-init runs (as a dry run, with NetBox) and its device is the plan’s', async () => {
    const seen: StepContext[] = [];
    const view = await netboxViewForPlan({ ...base, netbox, run: fakeToolRunner(() => ({})), init: fakeInit({ outputs: { device } }, seen) });
    expect(view).toEqual({ consulted: true, device, summary: 'srv-12 (#12) found by serial X' });
    expect(seen[0]).toMatchObject({ dryRun: true, netbox });
  });

  test('a device not found is said, not thrown', async () => {
    const view = await netboxViewForPlan({ ...base, netbox, run: fakeToolRunner(() => ({})), init: fakeInit({ status: 'error', summary: 'not in NetBox' }) });
    expect(view).toEqual({ consulted: true, device: undefined, summary: 'no device: not in NetBox' });
  });
});

test('the plan and the run decide the same from the same inputs: explicit 0 beats NetBox; a dry run writes nothing', async () => {
  const lsblk = JSON.stringify({ blockdevices: [{ name: 'loop7', kname: 'loop7', path: '/dev/loop7', type: 'loop', size: 64 * MiB, children: [] }] });
  const run = fakeToolRunner((inv) => {
    if (inv.tool === 'lsblk') return { stdout: lsblk };
    if (inv.tool === 'wipefs') return { stdout: '{"signatures": []}' };
    if (inv.tool === 'blkid') return inv.args.includes(String(MiB)) ? { stdout: 'TYPE=ext4\n' } : { exitCode: 2 };
    return { stdout: '\0'.repeat(Number(inv.args.find((a) => a.startsWith('count='))!.slice(6)) * 4096) };
  });
  const ctx = (values: Record<string, unknown>, dryRun = false) => ({
    run,
    profile: 'quick' as const,
    tunables: resolveTunables(diskStep, 'quick', [{ source: 'config file or kernel command line', values: { disk: { devices: '/dev/loop7', ...values } } }]),
    device,
    dryRun,
    signal: new AbortController().signal,
  });
  const decision = async (values: Record<string, unknown>, dryRun = false) => (await gatherDiskPlan(ctx(values, dryRun), idleUsage)).planSet!.disks[0]!;

  expect((await decision({})).decision).toBe('read-write');
  const vetoed = await decision({ allow_write: '0' });
  expect(vetoed.decision).toBe('read-only');
  expect(vetoed.why).toContain('holds ext4 at 1 MiB');
  expect(vetoed.why).toContain('writing forbidden by bm.disk.allow_write=0');
  expect((await decision({ allow_write: '1' }, true)).decision).toBe('read-only');
  const planning = await gatherDiskPlan(ctx({ allow_write: '0' }), idleUsage);
  expect(writeSummary({ ...planning.settings })).toBe('forbidden by bm.disk.allow_write=0 (from config file or kernel command line)');
  expect(writeSummary({ allowWriteBy: 'NetBox custom field bm_disk_allow_write', writeForbiddenBy: [], writeBlank: true, dryRun: false })).toBe(
    'allowed by NetBox custom field bm_disk_allow_write',
  );
  expect(writeSummary({ allowWriteBy: 'x', writeForbiddenBy: [], writeBlank: true, dryRun: true })).toBe('never (dry run)');
});
