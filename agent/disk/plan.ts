/**
 * Which disks `03-disk` tests and how — the destructive guard. Pure.
 *
 * 1. Candidates (`candidateDevices`): with `bm.disk.devices` exactly those
 *    devices (loop devices allowed); otherwise every whole disk except loop,
 *    RAM-backed, empty, removable, read-only, USB-attached and mounted ones
 *    (the boot medium is mounted), and the firmware's RAM disk of a UEFI HTTP boot.
 * 2. The guard (`planDisks`), given the probe of each candidate (agent/disk/probe.ts):
 *    - never write when the disk or anything on it (partition, LVM volume) is
 *      mounted — in any mount namespace — or used as swap, when something holds
 *      it (LVM, RAID, dm-crypt), when the kernel refuses an exclusive open, when
 *      its use could not be checked, or when the device is read-only — whatever
 *      is allowed;
 *    - a dry run writes no disk;
 *    - a disk holding data (partition table, a signature at the start or at a
 *      usual partition offset, any non-zero byte in the regions sampled,
 *      partitions known to the kernel) or whose probe was inconclusive gets
 *      read tests only, unless writing is explicitly allowed (`bm.disk.allow_write`
 *      or NetBox) and nobody explicitly forbids it (the most restrictive
 *      explicit setting wins, agent/disk/settings.ts) and `write_blank` is on;
 *    - a blank disk gets read and write tests (unless `bm.disk.write_blank=0`).
 * 3. Each tested disk's fio jobs and argv (agent/disk/fio-jobs.ts) and time
 *    limit (agent/disk/budget.ts) go into its plan.
 */
import { flattenBlockDevices, mountpointsBelow, type BlockDevice } from '../tools/lsblk.parse.ts';
import { signatureTypes, type Signature } from '../tools/wipefs.parse.ts';
import { MiB } from '../../shared/units.ts';
import { fioTimeoutMs } from './budget.ts';
import { fioArgs, fioJobsFor, type FioJobPlan } from './fio-jobs.ts';
import type { DiskSettings, MediaClass } from './settings.ts';
import type { UsageFinding } from './usage.ts';

export type GuardDecision = 'read-write' | 'read-only' | 'skip';
/** What the probe found on one device (see agent/disk/probe.ts). */
export interface ProbeFacts {
  /** wipefs's signatures at the start of the device; null when the probe failed. */
  signatures: Signature[] | null;
  readable: boolean;
  /** Why the probe is inconclusive; each counts as data. */
  problems: string[];
  /** Data found besides wipefs's signatures, each a verb phrase: `holds ext4 at 1 MiB`, `has non-zero bytes in the last MiB`. */
  dataFound: string[];
  /** Why the device is in use (agent/disk/usage.ts); any of them and it is never written. */
  usage: UsageFinding[];
}

export interface DiskPlan {
  name: string;
  path: string;
  type: string;
  sizeBytes: number;
  model: string | null;
  serial: string | null;
  mediaClass: MediaClass;
  decision: GuardDecision;
  /** One sentence an operator reads in `bm-agent plan` and the journal: why skipped, why read-only, why written. */
  why: string;
  /** The guard's findings behind `decision`, each short (`holds gpt, PMBR`, `mounted at /srv`); empty for a plain blank disk. */
  guardReasons: string[];
  /** Listed in `bm.disk.devices`. */
  explicit: boolean;
  /** Signature types found (`gpt`, `PMBR`, `ext4`); null when not probed or the probe failed. */
  signatures: string[] | null;
  /** Mount points on the disk and below it. */
  mountpoints: string[];
  /** Bytes at the start of the disk the jobs touch (0 when skipped). */
  regionBytes: number;
  jobs: FioJobPlan[];
  /** fio's argv (without `fio`); empty when skipped. */
  fioArgs: string[];
  /** Limit for this disk's fio process. */
  fioTimeoutMs: number;
}

export interface DiskPlanSet {
  disks: DiskPlan[];
  /** Entries of `bm.disk.devices` that are not block devices here. */
  missing: string[];
}

export interface Candidate {
  device: BlockDevice;
  explicit: boolean;
}

export interface Screening {
  candidates: Candidate[];
  skipped: { device: BlockDevice; why: string; explicit: boolean }[];
  missing: string[];
}

const BOOT_MOUNTS = ['/', '/boot', '/boot/efi', '/efi', '/run/initramfs/live', '/run/archiso/bootmnt', '/usr'];

export function mediaClassOf(device: Pick<BlockDevice, 'name' | 'kname' | 'type' | 'transport' | 'rotational'>): MediaClass {
  const kname = device.kname || device.name;
  if (device.type === 'loop' || /^(loop|vd|xvd|zram|ram|nbd|md|dm-)/.test(kname)) return 'unknown';
  if (device.transport === 'nvme' || /^nvme/.test(kname)) return 'nvme';
  if (device.type !== 'disk' && device.type !== 'part') return 'unknown';
  return device.rotational ? 'hdd' : 'ssd';
}

function describeMounts(mounts: readonly string[]): string {
  const boot = mounts.filter((m) => BOOT_MOUNTS.includes(m));
  const list = mounts.slice(0, 3).join(', ') + (mounts.length > 3 ? ', …' : '');
  return boot.length ? `boot medium (mounted at ${list})` : mounts.includes('[SWAP]') ? `in use as swap` : `mounted at ${list}`;
}

/** Why an enumerated (not explicitly listed) top-level device is not tested, or null. */
function enumerationSkipReason(device: BlockDevice): string | null {
  if (device.type === 'loop') return 'loop device (list it in bm.disk.devices to test it)';
  if (device.type === 'rom') return 'optical drive';
  if (device.type !== 'disk') return `${device.type} device, not a disk`;
  if (/^(zram|ram)\d/.test(device.kname)) return 'RAM-backed device';
  if (device.sizeBytes <= 0) return 'no medium (0 bytes)';
  if (device.removable) return 'removable medium';
  if (device.readOnly) return 'read-only device';
  if (device.transport === 'usb') return 'USB-attached (boot stick or virtual media)';
  // UEFI HTTP boot's RAM disk (dist/image/boot.img): the firmware hands it to the OS as an NFIT virtual disk → pmemN.
  if (/^pmem\d/.test(device.kname) && device.fsType === 'vfat') return 'firmware RAM disk with a FAT file system (the UEFI HTTP boot image)';
  const mounts = mountpointsBelow(device);
  if (mounts.length) return describeMounts(mounts);
  return null;
}

function findDevice(all: readonly BlockDevice[], wanted: string): BlockDevice | undefined {
  const bare = wanted.replace(/^\/dev\//, '');
  return all.find((d) => d.path === wanted || d.kname === bare || d.name === bare || `/dev/${d.kname}` === wanted);
}

/** Step 1: which devices get probed. `devices` entries should already be resolved (symlinks such as /dev/disk/by-id/…). */
export function candidateDevices(devices: readonly BlockDevice[], settings: Pick<DiskSettings, 'devices'>): Screening {
  const out: Screening = { candidates: [], skipped: [], missing: [] };
  if (settings.devices.length) {
    const all = flattenBlockDevices(devices);
    const seen = new Set<string>();
    for (const wanted of settings.devices) {
      const device = findDevice(all, wanted);
      if (!device) {
        out.missing.push(wanted);
        continue;
      }
      if (seen.has(device.kname)) continue;
      seen.add(device.kname);
      if (device.sizeBytes <= 0) out.skipped.push({ device, why: 'no medium (0 bytes)', explicit: true });
      else out.candidates.push({ device, explicit: true });
    }
    return out;
  }
  for (const device of devices) {
    const why = enumerationSkipReason(device);
    if (why) out.skipped.push({ device, why, explicit: false });
    else out.candidates.push({ device, explicit: false });
  }
  return out;
}

/** The top-level device a node belongs to (itself for a disk). */
function rootOf(devices: readonly BlockDevice[], node: BlockDevice): BlockDevice {
  return devices.find((top) => top === node || flattenBlockDevices(top.children).includes(node)) ?? node;
}

/** Reasons writing is impossible whatever is allowed: lsblk's view, then what the usage checks add to it. */
function neverWriteReasons(devices: readonly BlockDevice[], device: BlockDevice, probe: ProbeFacts | undefined): string[] {
  const reasons: string[] = [];
  const mounts = [...new Set([...mountpointsBelow(device), ...mountpointsBelow(rootOf(devices, device))])];
  if (mounts.length) reasons.push(describeMounts(mounts));
  const holders = flattenBlockDevices(device.children).filter((child) => child.type !== 'part');
  if (holders.length)
    reasons.push(
      `in use by ${holders
        .slice(0, 3)
        .map((h) => `${h.name} (${h.type})`)
        .join(', ')}`,
    );
  if (device.readOnly) reasons.push('read-only device');
  if (!probe) return [...reasons, 'not probed for signatures or use'];
  // Holders and swap lsblk already named, and the kernel's EBUSY when something else explains it, add nothing.
  const shown = (finding: UsageFinding) =>
    (finding.kind === 'held' && holders.length > 0) ||
    (finding.kind === 'swap' && mounts.includes('[SWAP]')) ||
    (finding.kind === 'busy' && (reasons.length > 0 || probe.usage.some((f) => f.kind !== 'busy')));
  reasons.push(...probe.usage.filter((finding) => !shown(finding)).map((finding) => finding.text));
  return reasons;
}

/** Evidence that the disk holds data; an inconclusive probe counts as data. */
function dataReasons(devices: readonly BlockDevice[], device: BlockDevice, probe: ProbeFacts | undefined): string[] {
  const reasons: string[] = [];
  const root = rootOf(devices, device);
  if (root !== device) reasons.push(`is ${device.type === 'part' ? 'a partition' : 'a volume'} on ${root.name}`);
  if (!probe) reasons.push('not probed for signatures');
  else {
    if (probe.signatures?.length) reasons.push(`holds ${signatureTypes(probe.signatures).join(', ')}`);
    reasons.push(...probe.dataFound);
    reasons.push(...probe.problems);
    if (!probe.readable && !probe.problems.length) reasons.push('its first and last MiB could not be read');
  }
  const partitions = device.children.filter((child) => child.type === 'part');
  if (partitions.length)
    reasons.push(
      `has partitions ${partitions
        .slice(0, 4)
        .map((p) => p.name)
        .join(', ')}${partitions.length > 4 ? ', …' : ''}`,
    );
  const udev = [device.partitionTableType, device.fsType].filter((t): t is string => t !== null);
  if (udev.length && !probe?.signatures?.length) reasons.push(`udev reports ${udev.join(', ')}`);
  return reasons;
}

/** Why a disk holding data is not written although it could be, or null when writing it is allowed. */
function dataWriteBlocker(settings: Pick<DiskSettings, 'allowWriteBy' | 'writeForbiddenBy' | 'writeBlank' | 'dryRun'>): string | null {
  if (settings.dryRun) return 'a dry run writes no disk';
  if (settings.writeForbiddenBy.length) return `writing forbidden by ${settings.writeForbiddenBy.join(', ')} (the most restrictive setting wins)`;
  if (!settings.writeBlank) return 'bm.disk.write_blank=0: no disk is written';
  if (!settings.allowWriteBy) return 'writing needs bm.disk.allow_write=1 or NetBox bm_disk_allow_write';
  return null;
}

/** The guard's decision for a candidate, given what makes writing impossible and what says it holds data. Pure. */
export function guardDecision(
  never: readonly string[],
  data: readonly string[],
  settings: Pick<DiskSettings, 'allowWriteBy' | 'writeForbiddenBy' | 'writeBlank' | 'dryRun'>,
): { decision: Exclude<GuardDecision, 'skip'>; why: string; guardReasons: string[] } {
  if (never.length) return { decision: 'read-only', why: `read tests only, never written: ${never.join('; ')}`, guardReasons: [...never] };
  if (data.length) {
    const blocker = dataWriteBlocker(settings);
    if (blocker) return { decision: 'read-only', why: `read tests only: ${data.join('; ')} (${blocker})`, guardReasons: [...data] };
    return {
      decision: 'read-write',
      why: `written although it ${data.join('; ')} — allowed by ${settings.allowWriteBy}`,
      guardReasons: [`allowed by ${settings.allowWriteBy}`, ...data],
    };
  }
  if (settings.dryRun) return { decision: 'read-only', why: 'blank, but a dry run writes no disk: read tests only', guardReasons: ['dry run'] };
  if (!settings.writeBlank) return { decision: 'read-only', why: 'blank, but bm.disk.write_blank=0: read tests only', guardReasons: ['bm.disk.write_blank=0'] };
  return { decision: 'read-write', why: 'blank (no partition table, signature or data): read and write tests', guardReasons: [] };
}

function regionBytesOf(device: BlockDevice, sizeMiB: number): number {
  const limit = sizeMiB > 0 ? Math.min(device.sizeBytes, sizeMiB * MiB) : device.sizeBytes;
  return Math.floor(limit / MiB) * MiB;
}

function basePlan(
  device: BlockDevice,
  explicit: boolean,
): Omit<DiskPlan, 'decision' | 'why' | 'guardReasons' | 'signatures' | 'regionBytes' | 'jobs' | 'fioArgs' | 'fioTimeoutMs'> {
  return {
    name: device.name,
    path: device.path,
    type: device.type,
    sizeBytes: device.sizeBytes,
    model: device.model,
    serial: device.serial,
    mediaClass: mediaClassOf(device),
    explicit,
    mountpoints: mountpointsBelow(device),
  };
}

function skippedPlan(device: BlockDevice, explicit: boolean, why: string, signatures: string[] | null = null): DiskPlan {
  return { ...basePlan(device, explicit), decision: 'skip', why, guardReasons: [why], signatures, regionBytes: 0, jobs: [], fioArgs: [], fioTimeoutMs: 0 };
}

/**
 * Step 2 and 3: the guard's decision and fio jobs for every device lsblk
 * listed (skipped ones included, with the reason), given the probes of the
 * candidates (keyed by device path).
 */
export function planDisks(devices: readonly BlockDevice[], probes: Readonly<Record<string, ProbeFacts>>, settings: DiskSettings): DiskPlanSet {
  const screening = candidateDevices(devices, settings);
  const disks: DiskPlan[] = [];
  const skippedByName = new Map(screening.skipped.map((s) => [s.device.kname, s]));
  const candidateByName = new Map(screening.candidates.map((c) => [c.device.kname, c]));
  const order = settings.devices.length ? [...screening.candidates.map((c) => c.device), ...screening.skipped.map((s) => s.device)] : devices;
  for (const device of order) {
    const skipped = skippedByName.get(device.kname);
    if (skipped) {
      disks.push(skippedPlan(device, skipped.explicit, skipped.why));
      continue;
    }
    const candidate = candidateByName.get(device.kname);
    if (!candidate) continue;
    const probe = probes[device.path];
    const signatures = probe?.signatures ? signatureTypes(probe.signatures) : null;
    const regionBytes = regionBytesOf(device, settings.sizeMiB);
    if (regionBytes < MiB) {
      disks.push(skippedPlan(device, candidate.explicit, 'smaller than 1 MiB', signatures));
      continue;
    }
    const { decision, why, guardReasons } = guardDecision(neverWriteReasons(devices, device, probe), dataReasons(devices, device, probe), settings);
    const jobs = fioJobsFor(decision, settings);
    const partial: DiskPlan = {
      ...basePlan(device, candidate.explicit),
      decision,
      why,
      guardReasons,
      signatures,
      regionBytes,
      jobs,
      fioArgs: [],
      fioTimeoutMs: fioTimeoutMs(jobs.length, settings.runtimeS),
    };
    disks.push({ ...partial, fioArgs: fioArgs(partial, settings) });
  }
  return { disks, missing: screening.missing };
}
