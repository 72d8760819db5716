/**
 * Parses `blkid --probe --offset <bytes> --output export <dev>`: what libblkid
 * finds when it probes a device as if it began at that offset — how the disk
 * guard finds a filesystem whose partition table is gone (ext4 at 1 MiB). Pure.
 *
 * blkid exits 0 when it found something, 2 when nothing (also when it could
 * not read: the guard reads the same regions itself), 8 when low-level probing
 * found several conflicting signatures, 4 on usage and other errors.
 */

/** What a probe at one offset says. */
export type OffsetProbe =
  | { kind: 'found'; type: string; usage: string | null }
  | { kind: 'nothing' }
  | { kind: 'ambivalent' }
  | { kind: 'failed'; exitCode: number | null };

/** `KEY=value` lines → a record (blkid quotes nothing in `export` output but escapes spaces with a backslash). */
export function parseBlkidExport(output: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) out[match[1]!] = match[2]!.replace(/\\(.)/g, '$1');
  }
  return out;
}

/** A blkid run's exit code and output → what it found at that offset. */
export function offsetProbeOf(exitCode: number | null, stdout: string): OffsetProbe {
  if (exitCode === 2) return { kind: 'nothing' };
  if (exitCode === 8) return { kind: 'ambivalent' };
  if (exitCode !== 0) return { kind: 'failed', exitCode };
  const values = parseBlkidExport(stdout);
  const type = values.TYPE ?? values.PTTYPE;
  // Exit 0 without a type: blkid saw something it cannot name; that is still data.
  return { kind: 'found', type: type ?? 'unnamed signature', usage: values.USAGE ?? (values.PTTYPE ? 'partition table' : null) };
}
