/**
 * The signature probe of the disk guard: `wipefs --no-act --json` (never
 * erases: --no-act) plus a direct read of the device's first and last MiB with
 * dd, where partition tables and filesystem superblocks live (GPT keeps a
 * backup at the end; so do md 1.0 and ZFS). libblkid reports "no signature"
 * when it cannot read, so a device only counts as blank when both reads
 * succeed. Never throws for a tool failure.
 */
import { parseWipefsJson, type Signature } from './wipefs.parse.ts';
import { MiB } from '../units.ts';
import { describeToolFailure, type ToolResult, type ToolRunner } from './run-tool.ts';
import { outputProblem } from './tool-output-error.ts';

export interface SignatureProbe {
  /** Signatures found; null when wipefs failed or its output did not parse. */
  signatures: Signature[] | null;
  /** The first and last MiB could be read (O_DIRECT). */
  readable: boolean;
  /** Why the probe is inconclusive (each a short sentence); empty when conclusive. */
  problems: string[];
  results: ToolResult[];
}

const READ_BLOCK = 4096;

export function wipefsArgs(path: string): string[] {
  return ['--no-act', '--json', path];
}

/** dd argv reading `[offset, offset+length)` of `path` with O_DIRECT, discarding the data. */
export function readRegionArgs(path: string, offsetBytes: number, lengthBytes: number): string[] {
  const skip = Math.floor(offsetBytes / READ_BLOCK);
  const count = Math.max(1, Math.floor(lengthBytes / READ_BLOCK));
  return [`if=${path}`, 'of=/dev/null', `bs=${READ_BLOCK}`, `skip=${skip}`, `count=${count}`, 'iflag=direct', 'status=none'];
}

/** The regions read: the first MiB and the last MiB (4 KiB-aligned), or the whole device when smaller. */
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

export async function probeSignatures(
  run: ToolRunner,
  device: { path: string; sizeBytes: number },
  options: { timeoutMs?: number; signal?: AbortSignal; evidenceAs?: string } = {},
): Promise<SignatureProbe> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const common = { timeoutMs, ...(options.signal ? { signal: options.signal } : {}) };
  const problems: string[] = [];
  const results: ToolResult[] = [];

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

  const regions = probeRegions(device.sizeBytes);
  const unreadable: { where: string; result: ToolResult }[] = [];
  for (const region of regions) {
    const dd = await run({ tool: 'dd', args: readRegionArgs(device.path, region.offsetBytes, region.lengthBytes), ...common });
    results.push(dd);
    if (dd.exitCode !== 0) unreadable.push({ where: region.offsetBytes === 0 ? 'first' : 'last', result: dd });
  }
  const [firstFailure] = unreadable;
  if (firstFailure) problems.push(`could not read the ${unreadable.map((u) => u.where).join(' and ')} MiB: ${describeToolFailure(firstFailure.result)}`);
  const readable = regions.length > 0 && unreadable.length === 0;
  return { signatures, readable, problems, results };
}
