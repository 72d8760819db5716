/**
 * Is a disk in use anywhere on this machine? The disk guard never writes a disk
 * in use, and lsblk alone cannot say: its mount points come from the agent's
 * own mount namespace, so a disk mounted by a container or a service with a
 * private namespace (systemd PrivateMounts, `unshare --mount`) looks free.
 *
 * Asked here, independently of lsblk, for the disk and everything on it
 * (partitions the kernel knows, their holders, recursively):
 * - every mount namespace: each process's `/proc/<pid>/mountinfo`, read once
 *   per namespace (deduplicated by the namespace's inode), matched by device
 *   number and by mount source;
 * - holders (`/sys/class/block/<dev>/holders`: LVM, md RAID, dm-crypt, multipath);
 * - swap (`/proc/swaps`);
 * - the kernel itself: an exclusive open (O_EXCL) of a block device fails with
 *   EBUSY while anything has it claimed — a mount in any namespace, swap, a
 *   holder — so it answers even for what the lists above miss.
 * What cannot be checked counts as in use: an exclusive open that fails other
 * than with EBUSY, and then also namespaces that could not be read (root
 * cannot read every process's in a container: the open answers for them). Pure functions here; the I/O is behind
 * `UsageSources` (systemUsageSources reads /proc and /sys).
 */
import { closeSync, constants, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';

/** One mount namespace's mount table, seen through one of its processes. */
export interface MountTable {
  pid: number;
  /** The process's name (`/proc/<pid>/comm`), for messages. */
  command: string;
  mountinfo: string;
}

/** What the checks read; injected so tests need no real disk, process or namespace. */
export interface UsageSources {
  /** The mount tables of every mount namespace other than the agent's own, and how many processes could not be inspected. */
  otherMountTables(): { tables: MountTable[]; uninspected: number };
  /** `/proc/swaps`; null when unreadable. */
  swaps(): string | null;
  /** `MAJ:MIN` of a kernel block device name; null when unknown. */
  deviceNumber(kname: string): string | null;
  /** Kernel names of the devices holding `kname` (dm, md…). */
  holders(kname: string): string[];
  /** Kernel names of the partitions of disk `kname`. */
  partitions(kname: string): string[];
  /** Opens `path` read-only with O_EXCL and closes it: free, busy (EBUSY), or why it could not be tried. */
  exclusiveOpen(path: string): { state: 'free' } | { state: 'busy' } | { state: 'unknown'; why: string };
}

/** One reason a disk counts as in use. */
export interface UsageFinding {
  kind: 'mounted' | 'held' | 'swap' | 'busy' | 'unchecked';
  /** The kernel name concerned (`sda1`, `dm-0`), or the disk's. */
  node: string;
  text: string;
}

export interface MountEntry {
  deviceNumber: string;
  mountPoint: string;
  fsType: string;
  source: string;
}

/** `\040`-style escapes of mountinfo fields (space, tab, newline, backslash). */
const unescapeOctal = (field: string) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));

/** Parses `/proc/<pid>/mountinfo` (proc(5)): device number, mount point, filesystem type and source of each mount. Pure. */
export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || right === undefined) continue;
    const fields = left.split(' ');
    const [fsType, source] = right.split(' ');
    if (fields.length < 5 || !fsType) continue;
    entries.push({ deviceNumber: fields[2]!, mountPoint: unescapeOctal(fields[4]!), fsType, source: unescapeOctal(source ?? '') });
  }
  return entries;
}

/** The swap areas in `/proc/swaps` (first column, after the header). Pure. */
export function parseSwaps(text: string): string[] {
  return text
    .split('\n')
    .slice(1)
    .map((line) => unescapeOctal(line.trim().split(/\s+/)[0] ?? ''))
    .filter(Boolean);
}

/** Every kernel name of the disk, its partitions and their holders, recursively (the disk first). */
export function nodesOf(kname: string, sources: Pick<UsageSources, 'holders' | 'partitions'>): string[] {
  const seen: string[] = [];
  const visit = (name: string) => {
    if (seen.includes(name) || seen.length > 256) return;
    seen.push(name);
    for (const next of [...sources.partitions(name), ...sources.holders(name)]) visit(next);
  };
  visit(kname);
  return seen;
}

/** Names a mount source may use for one of `nodes` (`/dev/sda1`, `/dev/mapper/vg-lv` by its dm name). */
function matchesSource(source: string, names: ReadonlySet<string>): boolean {
  return source.startsWith('/dev/') && names.has(basename(source));
}

const list = (items: readonly string[], max = 3) => items.slice(0, max).join(', ') + (items.length > max ? ', …' : '');

/**
 * Why the disk `kname` (at `path`) is in use, from what `sources` say. `names` adds other names of its nodes (lsblk's
 * `vg0-data` for `dm-0`) for matching mount sources. Empty = not in use anywhere the kernel can tell.
 */
export function diskUsage(disk: { kname: string; path: string; names?: readonly string[] }, sources: UsageSources): UsageFinding[] {
  const findings: UsageFinding[] = [];
  const nodes = nodesOf(disk.kname, sources);
  const names = new Set([...nodes, ...(disk.names ?? [])]);
  const numbers = new Map<string, string>();
  for (const node of nodes) {
    const number = sources.deviceNumber(node);
    if (number) numbers.set(number, node);
  }

  const { tables, uninspected } = sources.otherMountTables();
  for (const table of tables) {
    const mounts = parseMountinfo(table.mountinfo).filter((m) => numbers.has(m.deviceNumber) || matchesSource(m.source, names));
    if (!mounts.length) continue;
    const node = numbers.get(mounts[0]!.deviceNumber) ?? basename(mounts[0]!.source);
    findings.push({
      kind: 'mounted',
      node,
      text: `mounted at ${list(mounts.map((m) => m.mountPoint))} in another mount namespace (pid ${table.pid}, ${table.command || 'unknown process'})`,
    });
  }

  for (const node of nodes) {
    const holders = sources.holders(node);
    if (holders.length) findings.push({ kind: 'held', node, text: `${node} is held by ${list(holders)} (LVM, RAID, dm-crypt or multipath)` });
  }

  const swaps = sources.swaps();
  if (swaps === null) findings.push({ kind: 'unchecked', node: disk.kname, text: 'could not read /proc/swaps' });
  else {
    for (const swap of parseSwaps(swaps).filter((s) => matchesSource(s, names)))
      findings.push({ kind: 'swap', node: basename(swap), text: `${swap} is in use as swap` });
  }

  const open = sources.exclusiveOpen(disk.path);
  if (open.state === 'busy')
    findings.push({ kind: 'busy', node: disk.kname, text: `the kernel refuses an exclusive open of ${disk.path} (EBUSY): something has it claimed` });
  else if (open.state === 'unknown') {
    findings.push({ kind: 'unchecked', node: disk.kname, text: `could not check whether ${disk.path} is in use: ${open.why}` });
    // A mount claims its device, so a free exclusive open rules out mounts in namespaces that could not be read; without it, nothing does.
    if (uninspected > 0)
      findings.push({
        kind: 'unchecked',
        node: disk.kname,
        text: `could not inspect the mount namespaces of ${uninspected} process(es): a mount there cannot be ruled out`,
      });
  }
  return findings;
}

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code ?? String(error);

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function listDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** The real sources: /proc and /sys (roots overridable), and the kernel's exclusive open. */
export function systemUsageSources(roots: { procRoot?: string; sysRoot?: string } = {}): UsageSources {
  const proc = roots.procRoot ?? '/proc';
  const sys = roots.sysRoot ?? '/sys';
  const blockDir = (kname: string) => join(sys, 'class/block', kname);
  return {
    otherMountTables() {
      const own = (() => {
        try {
          return readlinkSync(join(proc, 'self/ns/mnt'));
        } catch {
          return null;
        }
      })();
      const seen = new Set(own ? [own] : []);
      const tables: MountTable[] = [];
      let uninspected = 0;
      const pids = listDir(proc)
        .filter((entry) => /^\d+$/.test(entry))
        .sort((a, b) => Number(a) - Number(b));
      for (const entry of pids) {
        let namespace: string;
        try {
          namespace = readlinkSync(join(proc, entry, 'ns/mnt'));
        } catch (error) {
          // The process ended meanwhile: nothing of it to check.
          if (errorCode(error) !== 'ENOENT' && errorCode(error) !== 'ESRCH') uninspected += 1;
          continue;
        }
        if (seen.has(namespace)) continue;
        const mountinfo = readText(join(proc, entry, 'mountinfo'));
        if (mountinfo === null) {
          // Gone meanwhile, or unreadable: another process of the namespace may still show it.
          if (readText(join(proc, entry, 'stat')) !== null) uninspected += 1;
          continue;
        }
        seen.add(namespace);
        tables.push({ pid: Number(entry), command: (readText(join(proc, entry, 'comm')) ?? '').trim(), mountinfo });
      }
      return { tables, uninspected };
    },
    swaps: () => readText(join(proc, 'swaps')),
    deviceNumber: (kname) => readText(join(blockDir(kname), 'dev'))?.trim() || null,
    holders: (kname) => listDir(join(blockDir(kname), 'holders')),
    partitions: (kname) => listDir(blockDir(kname)).filter((entry) => entry.startsWith(kname) && readText(join(blockDir(kname), entry, 'partition')) !== null),
    exclusiveOpen(path) {
      try {
        closeSync(openSync(path, constants.O_RDONLY | constants.O_EXCL | constants.O_NONBLOCK));
        return { state: 'free' };
      } catch (error) {
        return errorCode(error) === 'EBUSY' ? { state: 'busy' } : { state: 'unknown', why: `opening it failed with ${errorCode(error)}` };
      }
    },
  };
}
