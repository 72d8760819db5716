/**
 * The signature and data probe of the disk guard, read-only: `wipefs --no-act
 * --json` (never erases: --no-act) plus direct reads (dd, O_DIRECT, to stdout)
 * of the regions where partition tables, filesystem superblocks and RAID/LVM
 * labels live: the first 4 MiB (partitions at sector 34, 63, 2048, 4096…), a
 * window at each usual partition start further in (8 MiB … 1 GiB), and the last
 * MiB (GPT's backup, md 1.0, ZFS and DDF labels).
 *
 * Any non-zero byte read counts as data: wipefs probes offset 0 only, so a disk
 * whose partition table was lost but whose ext4 at 1 MiB is intact has no
 * signature and would look blank. libblkid also reports "no signature" when it
 * cannot read, so a device only counts as blank when every read succeeded and
 * returned zeros. Never throws for a tool failure.
 */
import { formatBytes, KiB, MiB } from '../../shared/units.ts';
import { describeToolFailure, type ToolResult, type ToolRunner } from './run-tool.ts';
import { outputProblem } from './tool-output-error.ts';
import { parseWipefsJson, type Signature } from './wipefs.parse.ts';

export interface SignatureProbe {
  /** Signatures found; null when wipefs failed or its output did not parse. */
  signatures: Signature[] | null;
  /** The first and last MiB could be read (O_DIRECT). */
  readable: boolean;
  /** Where non-zero bytes were read (`the first MiB`, `256 KiB at 8 MiB`); empty when every region read was all zeros. */
  dataRegions: string[];
  /** Why the probe is inconclusive (each a short sentence); empty when conclusive. */
  problems: string[];
  results: ToolResult[];
}

export interface Region {
  offsetBytes: number;
  lengthBytes: number;
  /** For messages: `the first MiB`, `the last MiB`, `1 MiB at 3 MiB`. */
  where: string;
}

const READ_BLOCK = 4096;
/** Sampled from the start in 1 MiB reads: every partition start below it (sectors 34, 63, 2048, 4096, 6144). */
const HEAD_BYTES = 4 * MiB;
/** Partition starts beyond the head that partitioners and installers use; a window is read at each. */
export const FAR_PARTITION_STARTS = [8, 16, 32, 64, 128, 256, 512, 1024].map((m) => m * MiB);
/** Enough for every superblock near a partition's start (ext 1 KiB, btrfs 64 KiB, ZFS labels 0 and 256 KiB…). */
const WINDOW_BYTES = 256 * KiB;

export function wipefsArgs(path: string): string[] {
  return ['--no-act', '--json', path];
}

/** dd argv reading `[offset, offset+length)` of `path` with O_DIRECT to stdout. */
export function readRegionArgs(path: string, offsetBytes: number, lengthBytes: number): string[] {
  const skip = Math.floor(offsetBytes / READ_BLOCK);
  const count = Math.max(1, Math.floor(lengthBytes / READ_BLOCK));
  return [`if=${path}`, `bs=${READ_BLOCK}`, `skip=${skip}`, `count=${count}`, 'iflag=direct', 'status=none'];
}

/** The first MiB and the last MiB (4 KiB-aligned), or the whole device when smaller: read first, they decide readability. */
export function probeRegions(sizeBytes: number): { offsetBytes: number; lengthBytes: number }[] {
  const length = Math.min(MiB, Math.floor(sizeBytes / READ_BLOCK) * READ_BLOCK);
  if (length <= 0) return [];
  const tail = Math.floor(sizeBytes / READ_BLOCK) * READ_BLOCK - length;
  return tail > 0
    ? [
        { offsetBytes: 0, lengthBytes: length },
        { offsetBytes: tail, lengthBytes: length },
      ]
    : [{ offsetBytes: 0, lengthBytes: length }];
}

/** The rest of the head (after the first MiB) in 1 MiB reads and a window at each far partition start, all before the last MiB. Pure. */
export function sampleRegions(sizeBytes: number): Region[] {
  const usable = Math.floor(sizeBytes / READ_BLOCK) * READ_BLOCK;
  const tailStart = usable - MiB;
  const regions: Region[] = [];
  for (let offset = MiB; offset < Math.min(HEAD_BYTES, tailStart); offset += MiB) {
    const length = Math.min(MiB, tailStart - offset);
    regions.push({ offsetBytes: offset, lengthBytes: length, where: `${formatBytes(length)} at ${formatBytes(offset)}` });
  }
  for (const offset of FAR_PARTITION_STARTS) {
    if (offset >= tailStart) break;
    const length = Math.min(WINDOW_BYTES, tailStart - offset);
    regions.push({ offsetBytes: offset, lengthBytes: length, where: `${formatBytes(length)} at ${formatBytes(offset)}` });
  }
  return regions;
}

/** What one dd read says: data (a non-zero byte), zeros, or a short read. */
export function sampleVerdict(stdout: string, expectedBytes: number): 'data' | 'zeros' | 'short' {
  // execa decodes as UTF-8: a zero byte stays U+0000 and no non-zero byte becomes one, so any other character is data.
  if (/[^\0]/.test(stdout)) return 'data';
  return stdout.length === expectedBytes ? 'zeros' : 'short';
}

export async function probeSignatures(
  run: ToolRunner,
  device: { path: string; sizeBytes: number },
  options: { timeoutMs?: number; signal?: AbortSignal; evidenceAs?: string } = {},
): Promise<SignatureProbe> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const common = { timeoutMs, ...(options.signal ? { signal: options.signal } : {}) };
  const problems: string[] = [];
  const results: ToolResult[] = [];
  const dataRegions: string[] = [];

  const wipefs = await run({ tool: 'wipefs', args: wipefsArgs(device.path), ...common, ...(options.evidenceAs ? { evidenceAs: options.evidenceAs } : {}) });
  results.push(wipefs);
  let signatures: Signature[] | null = null;
  if (wipefs.exitCode !== 0) problems.push(`signature probe failed: ${describeToolFailure(wipefs)}`);
  else {
    try {
      signatures = parseWipefsJson(wipefs.stdout);
    } catch (error) {
      problems.push(`signature probe unreadable: ${outputProblem(error)}`);
    }
  }

  /** Reads one region; returns the failed run, or null when it was read (noting data or a short read). */
  const sample = async (region: { offsetBytes: number; lengthBytes: number }, where: string): Promise<ToolResult | null> => {
    const dd = await run({ tool: 'dd', args: readRegionArgs(device.path, region.offsetBytes, region.lengthBytes), ...common });
    results.push({ ...dd, stdout: '' });
    if (dd.exitCode !== 0) return dd;
    const verdict = sampleVerdict(dd.stdout, region.lengthBytes);
    if (verdict === 'data') dataRegions.push(where);
    else if (verdict === 'short')
      problems.push(`read only ${formatBytes(dd.stdout.length)} of ${formatBytes(region.lengthBytes)} at ${formatBytes(region.offsetBytes)}`);
    return null;
  };

  const ends = probeRegions(device.sizeBytes);
  const unreadable: { where: string; result: ToolResult }[] = [];
  for (const [i, region] of ends.entries()) {
    const failed = await sample(region, i === 0 ? 'the first MiB' : 'the last MiB');
    if (failed) unreadable.push({ where: i === 0 ? 'first' : 'last', result: failed });
  }
  const [firstFailure] = unreadable;
  if (firstFailure) problems.push(`could not read the ${unreadable.map((u) => u.where).join(' and ')} MiB: ${describeToolFailure(firstFailure.result)}`);
  const readable = ends.length > 0 && unreadable.length === 0;
  // A device that cannot be read at its ends is inconclusive already; reading further only adds errors.
  if (readable) {
    for (const region of sampleRegions(device.sizeBytes)) {
      const failed = await sample(region, region.where);
      if (failed) problems.push(`could not read ${region.where}: ${describeToolFailure(failed)}`);
    }
  }
  return { signatures, readable, dataRegions, problems, results };
}
