/**
 * Byte and duration units of the agent, in one place: the binary multiples the
 * tools speak (lsblk, /proc/meminfo, memtester, dmidecode count in 1024s), the
 * way sizes and durations are shown to operators, and parsing of the size texts
 * tools print. Pure.
 */

export const KiB = 2 ** 10;
export const MiB = 2 ** 20;
export const GiB = 2 ** 30;
export const TiB = 2 ** 40;

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** Bytes in binary units for tables and journals: `256 MiB`, `1.8 TiB`, `512 B`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BINARY_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 || value >= 100 || Number.isInteger(value) ? Math.round(value) : value.toFixed(1)} ${BINARY_UNITS[unit]}`;
}

/** Bytes as GiB rounded to one decimal (`24.5`), the precision memory and disk sizes are compared and shown at. */
export function toGiB(bytes: number): number {
  return Math.round((bytes / GiB) * 10) / 10;
}

/** Whole MiB in `bytes`, rounded down (what a tool asked for `n` MiB actually got). */
export function wholeMiB(bytes: number): number {
  return Math.floor(bytes / MiB);
}

/**
 * A size as firmware and tools print it with binary meaning — `16 GB`, `16384 MB`,
 * `512 kB`, `2 TB`, `4096 bytes` (dmidecode; also the `kB` of /proc/meminfo) —
 * in bytes; null when the text is no such size.
 */
export function parseBinarySize(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*(bytes|B|kB|KB|KiB|MB|MiB|GB|GiB|TB|TiB)\b/.exec(text.trim());
  if (!match) return null;
  const multiple: Record<string, number> = { bytes: 1, B: 1, kB: KiB, KB: KiB, KiB, MB: MiB, MiB, GB: GiB, GiB, TB: TiB, TiB };
  return Math.round(Number(match[1]) * multiple[match[2]!]!);
}

/** A duration in seconds for operators: `12 s`, or `12.3 s` with `digits` = 1. */
export function formatSeconds(ms: number, digits = 0): string {
  return `${(ms / 1000).toFixed(digits)} s`;
}
