/** /proc/meminfo and CPU-list parsing. Pure. */

/** `/proc/meminfo` → field → bytes (`kB` values ×1024; unitless counters such as HugePages_Total as-is). */
export function parseMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z0-9_()]+):\s+(\d+)(?:\s+(kB))?\s*$/.exec(line);
    if (!match) continue;
    const value = Number(match[2]);
    out[match[1]!] = match[3] ? value * 1024 : value;
  }
  return out;
}

/** A kernel CPU list (`/sys/devices/system/cpu/online`, e.g. `0-3,8,10-11`) → how many CPUs it names. */
export function countCpuList(text: string): number {
  let count = 0;
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const range = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!range) throw new TypeError(`not a CPU list: ${JSON.stringify(text.slice(0, 80))}`);
    const first = Number(range[1]);
    const last = range[2] === undefined ? first : Number(range[2]);
    count += Math.max(0, last - first + 1);
  }
  return count;
}
