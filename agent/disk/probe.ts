/**
 * Everything the destructive guard knows about one candidate disk, read-only:
 * 1. is it — or, for a partition, the disk it is on — in use anywhere
 *    (agent/disk/usage.ts: every mount namespace, holders, swap, the kernel's
 *    exclusive open), asked first, before any tool has the device open;
 * 2. wipefs's signatures at its start and direct reads of the regions where
 *    data would be (agent/tools/wipefs.ts): any non-zero byte is data;
 * 3. blkid at the usual partition offsets (sector 34, 63, 2048, 4096 and the
 *    far starts the reads sample): names what a lost partition table left
 *    behind (`ext4 at 1 MiB`).
 * The result is the guard's ProbeFacts (agent/disk/plan.ts).
 */
import { probeAtOffset } from '../tools/blkid.ts';
import { flattenBlockDevices, type BlockDevice } from '../tools/lsblk.parse.ts';
import { describeToolFailure, type ToolResult, type ToolRunner } from '../tools/run-tool.ts';
import { FAR_PARTITION_STARTS, probeSignatures } from '../tools/wipefs.ts';
import { formatBytes, MiB } from '../../shared/units.ts';
import type { ProbeFacts } from './plan.ts';
import { diskUsage, type UsageSources } from './usage.ts';

/** Where partitions start: GPT without alignment (34), DOS-era (63), 1 MiB (2048), 2 MiB (4096), then the far starts. */
export const PARTITION_OFFSETS = [34 * 512, 63 * 512, MiB, 2 * MiB, 3 * MiB, ...FAR_PARTITION_STARTS];
/** No filesystem fits in less; a probe closer to the end of the device is pointless. */
const SMALLEST_FILESYSTEM = 64 * 1024;

/** The offsets blkid probes on a device of `sizeBytes`. Pure. */
export function partitionOffsetsFor(sizeBytes: number): number[] {
  return PARTITION_OFFSETS.filter((offset) => offset + SMALLEST_FILESYSTEM <= sizeBytes);
}

/** A byte offset for messages: `1 MiB`, `31.5 KiB (sector 63)`. */
function offsetText(offset: number): string {
  return offset % MiB === 0 ? formatBytes(offset) : `${formatBytes(offset)} (sector ${offset / 512})`;
}

export interface DiskProbe extends ProbeFacts {
  /** wipefs, dd and blkid runs. */
  results: ToolResult[];
}

/** Probes one candidate. Never throws for a tool failure: failures make the probe inconclusive (the disk counts as holding data). */
export async function probeDisk(
  run: ToolRunner,
  device: Pick<BlockDevice, 'path' | 'kname' | 'sizeBytes' | 'name' | 'children'>,
  options: {
    usage: UsageSources;
    /** The whole disk a partition or volume is on (its use counts too); the device itself when it is a disk. */
    disk?: Pick<BlockDevice, 'path' | 'kname' | 'name' | 'children'>;
    signal?: AbortSignal;
    evidenceAs?: string;
  },
): Promise<DiskProbe> {
  const disk = options.disk ?? device;
  const names = [disk.name, ...flattenBlockDevices(disk.children).flatMap((node) => [node.name, node.kname])];
  const usage = diskUsage({ kname: disk.kname, path: disk.path, names }, options.usage);
  const signal = options.signal ? { signal: options.signal } : {};
  const probe = await probeSignatures(run, device, { ...signal, ...(options.evidenceAs ? { evidenceAs: options.evidenceAs } : {}) });
  const dataFound = probe.dataRegions.length
    ? [`has non-zero bytes in ${probe.dataRegions.slice(0, 4).join(', ')}${probe.dataRegions.length > 4 ? ', …' : ''}`]
    : [];
  const problems = [...probe.problems];
  const results = [...probe.results];
  for (const offset of partitionOffsetsFor(device.sizeBytes)) {
    const { probe: found, result } = await probeAtOffset(run, device.path, offset, signal);
    results.push(result);
    if (found.kind === 'found') dataFound.push(`holds ${found.type} at ${offsetText(offset)}`);
    else if (found.kind === 'ambivalent') dataFound.push(`holds conflicting signatures at ${offsetText(offset)}`);
    else if (found.kind === 'failed') {
      // The next offsets would fail the same way (blkid missing, cancelled): one message says it.
      problems.push(`signature probe at ${offsetText(offset)} failed: ${describeToolFailure(result)}`);
      break;
    }
  }
  return { signatures: probe.signatures, readable: probe.readable, problems, dataFound, usage, results };
}
