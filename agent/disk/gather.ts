/**
 * Lists and probes the disks and returns the guard's plan without running fio:
 * read-only tools only (lsblk, wipefs --no-act, dd reads), through the injected
 * ToolRunner. 03-disk calls it before fio; `bm-agent plan` calls it alone.
 */
import { realpathSync } from 'node:fs';
import type { StepContext } from '../step.ts';
import { listBlockDevices } from '../tools/lsblk.ts';
import type { BlockDevice } from '../tools/lsblk.parse.ts';
import type { ToolResult } from '../tools/run-tool.ts';
import { probeSignatures } from '../tools/wipefs.ts';
import { LSBLK_EVIDENCE, wipefsEvidence } from './evidence-names.ts';
import { candidateDevices, planDisks, type DiskPlanSet, type ProbeFacts } from './plan.ts';
import { diskSettingsFrom, type DiskSettings, type DiskTunableValues } from './settings.ts';

export interface DiskPlanning {
  settings: DiskSettings;
  /** Null when lsblk failed (see `problem`). */
  planSet: DiskPlanSet | null;
  devices: BlockDevice[];
  /** lsblk, wipefs and dd runs. */
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

/** lsblk, then a signature probe of every candidate disk (in parallel), then the guard's plan. */
export async function gatherDiskPlan(ctx: Pick<StepContext<DiskTunableValues>, 'run' | 'tunables' | 'profile' | 'device' | 'signal'>): Promise<DiskPlanning> {
  const configured = diskSettingsFrom(ctx);
  const settings: DiskSettings = { ...configured, devices: resolveDevicePaths(configured.devices) };
  const listing = await listBlockDevices(ctx.run, { signal: ctx.signal, evidenceAs: LSBLK_EVIDENCE });
  const results: ToolResult[] = [listing.result];
  if (!listing.devices) return { settings, planSet: null, devices: [], results, problem: `lsblk: ${listing.problem}` };
  const { candidates } = candidateDevices(listing.devices, settings);
  const probes: Record<string, ProbeFacts> = {};
  await Promise.all(
    candidates.map(async ({ device }) => {
      const probe = await probeSignatures(ctx.run, device, { signal: ctx.signal, evidenceAs: wipefsEvidence(device.kname) });
      results.push(...probe.results);
      probes[device.path] = probe;
    }),
  );
  return { settings, planSet: planDisks(listing.devices, probes, settings), devices: listing.devices, results, problem: null };
}
