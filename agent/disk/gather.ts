/**
 * Lists and probes the disks and returns the guard's plan without running fio:
 * read-only tools only (lsblk, wipefs --no-act, dd reads, blkid --probe)
 * through the injected ToolRunner, and the usage checks (agent/disk/usage.ts)
 * through the injected UsageSources. 03-disk calls it before fio; `bm-agent
 * plan` calls it alone, with the same settings (NetBox's device and the dry-run
 * flag included), so the plan shows the decision the run takes.
 */
import { realpathSync } from 'node:fs';
import type { StepContext } from '../step.ts';
import { listBlockDevices } from '../tools/lsblk.ts';
import { flattenBlockDevices, type BlockDevice } from '../tools/lsblk.parse.ts';
import type { ToolResult } from '../tools/run-tool.ts';
import { LSBLK_EVIDENCE, wipefsEvidence } from './evidence-names.ts';
import { candidateDevices, planDisks, type DiskPlanSet, type ProbeFacts } from './plan.ts';
import { probeDisk } from './probe.ts';
import { diskSettingsFrom, type DiskSettings, type DiskTunableValues } from './settings.ts';
import { systemUsageSources, type UsageSources } from './usage.ts';

export interface DiskPlanning {
  settings: DiskSettings;
  /** Null when lsblk failed (see `problem`). */
  planSet: DiskPlanSet | null;
  devices: BlockDevice[];
  /** lsblk, wipefs, dd and blkid runs. */
  results: ToolResult[];
  problem: string | null;
}

/** `/dev/disk/by-id/…` and other symlinks → the kernel device; unknown paths stay as given. */
function resolveDevicePaths(devices: readonly string[]): string[] {
  return devices.map((device) => {
    try {
      return realpathSync(device);
    } catch {
      return device;
    }
  });
}

/** lsblk, then a probe of every candidate disk (in parallel), then the guard's plan. */
export async function gatherDiskPlan(
  ctx: Pick<StepContext<DiskTunableValues>, 'run' | 'tunables' | 'profile' | 'device' | 'signal' | 'dryRun'>,
  usage: UsageSources = systemUsageSources(),
): Promise<DiskPlanning> {
  const configured = diskSettingsFrom(ctx);
  const settings: DiskSettings = { ...configured, devices: resolveDevicePaths(configured.devices) };
  const listing = await listBlockDevices(ctx.run, { signal: ctx.signal, evidenceAs: LSBLK_EVIDENCE });
  const results: ToolResult[] = [listing.result];
  if (!listing.devices) return { settings, planSet: null, devices: [], results, problem: `lsblk: ${listing.problem}` };
  const devices = listing.devices;
  const { candidates } = candidateDevices(devices, settings);
  const probes: Record<string, ProbeFacts> = {};
  await Promise.all(
    candidates.map(async ({ device }) => {
      const disk = devices.find((top) => top === device || flattenBlockDevices(top.children).includes(device)) ?? device;
      const { results: runs, ...facts } = await probeDisk(ctx.run, device, { usage, disk, signal: ctx.signal, evidenceAs: wipefsEvidence(device.kname) });
      results.push(...runs);
      probes[device.path] = facts;
    }),
  );
  return { settings, planSet: planDisks(devices, probes, settings), devices, results, problem: null };
}
