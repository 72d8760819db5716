/**
 * Which disks `03-disk` tests and how — the destructive guard. Pure.
 *
 * 1. Candidates (`candidateDevices`): with `bm.disk.devices` exactly those
 *    devices (loop devices allowed); otherwise every whole disk except loop,
 *    RAM-backed, empty, removable, read-only, USB-attached and mounted ones
 *    (the boot medium is mounted).
 * 2. The guard (`planDisks`), given a signature probe of each candidate:
 *    - never write when the disk or anything on it (partition, LVM volume) is
 *      mounted or used as swap, when something holds it (LVM, RAID, dm-crypt),
 *      or when the device is read-only — whatever is allowed;
 *    - a disk holding data (partition table, filesystem/RAID/LVM signature,
 *      partitions known to the kernel) or whose probe was inconclusive gets
 *      read tests only, unless writing is explicitly allowed (`bm.disk.allow_write`
 *      or NetBox);
 *    - a blank disk gets read and write tests (unless `bm.disk.write_blank=0`).
 * 3. The fio jobs of each tested disk (`fioArgs`): O_DIRECT, time-based,
 *    confined to `size_mb`, run one after another (stonewall); read-only plans
 *    add fio's own `--readonly`, and fio refuses writes on mounted devices
 *    (`--allow_mounted_write=0`) as further guards.
 */
import { flattenBlockDevices, mountpointsBelow, type BlockDevice } from '../tools/lsblk.parse.ts';
import { signatureTypes, type Signature } from '../tools/wipefs.parse.ts';
import type { DiskSettings, MediaClass } from './settings.ts';

export type GuardDecision = 'read-write' | 'read-only' | 'skip';
export type FioJobName = 'seq-write' | 'seq-read' | 'rand-write' | 'rand-read';

export interface FioJobPlan {
  name: FioJobName;
  /** fio `rw`. */
  rw: 'read' | 'write' | 'randread' | 'randwrite';
  blockBytes: number;
  iodepth: number;
}

/** What the probe found on one device (see agent/tools/wipefs.ts). */
export interface ProbeFacts {
  signatures: Signature[] | null;
  readable: boolean;
  problems: string[];
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

const MIB = 1024 * 1024;
/** Per job: fio start-up, ramp and the kernel draining queued I/O after the runtime. */
const JOB_SLACK_S = 15;
const PROCESS_SLACK_S = 30;
/** fio's own memory besides I/O buffers (binary, shared-memory job state, stats). */
const FIO_PROCESS_OVERHEAD_BYTES = 64 * MIB;
/** Probes (lsblk, wipefs, dd) before the jobs. */
const PROBE_BUDGET_S = 60;

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

/** Reasons writing is impossible whatever is allowed. */
function neverWriteReasons(devices: readonly BlockDevice[], device: BlockDevice): string[] {
  const reasons: string[] = [];
  const mounts = [...new Set([...mountpointsBelow(device), ...mountpointsBelow(rootOf(devices, device))])];
  if (mounts.length) reasons.push(describeMounts(mounts));
  const holders = flattenBlockDevices(device.children).filter((child) => child.type !== 'part');
  if (holders.length) reasons.push(`in use by ${holders.slice(0, 3).map((h) => `${h.name} (${h.type})`).join(', ')}`);
  if (device.readOnly) reasons.push('read-only device');
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
    reasons.push(...probe.problems);
    if (!probe.readable && !probe.problems.length) reasons.push('its first and last MiB could not be read');
  }
  const partitions = device.children.filter((child) => child.type === 'part');
  if (partitions.length) reasons.push(`has partitions ${partitions.slice(0, 4).map((p) => p.name).join(', ')}${partitions.length > 4 ? ', …' : ''}`);
  const udev = [device.partitionTableType, device.fsType].filter((t): t is string => t !== null);
  if (udev.length && !probe?.signatures?.length) reasons.push(`udev reports ${udev.join(', ')}`);
  return reasons;
}

export function fioJobsFor(decision: GuardDecision, settings: Pick<DiskSettings, 'seqIodepth' | 'randIodepth'>): FioJobPlan[] {
  if (decision === 'skip') return [];
  const seq = (name: FioJobName, rw: FioJobPlan['rw']): FioJobPlan => ({ name, rw, blockBytes: MIB, iodepth: settings.seqIodepth });
  const rand = (name: FioJobName, rw: FioJobPlan['rw']): FioJobPlan => ({ name, rw, blockBytes: 4096, iodepth: settings.randIodepth });
  // Writes first, so the reads that follow read written blocks, not unmapped
  // ones that thin-provisioned and flash devices answer without touching media.
  return decision === 'read-write'
    ? [seq('seq-write', 'write'), seq('seq-read', 'read'), rand('rand-write', 'randwrite'), rand('rand-read', 'randread')]
    : [seq('seq-read', 'read'), rand('rand-read', 'randread')];
}

/** fio argv (after `fio`) for one disk: one process, its jobs one after another. */
export function fioArgs(plan: Pick<DiskPlan, 'path' | 'decision' | 'regionBytes' | 'jobs'>, settings: Pick<DiskSettings, 'runtimeS' | 'ioengine'>): string[] {
  if (plan.decision === 'skip' || plan.jobs.length === 0) return [];
  const args = [
    '--output-format=json',
    `--filename=${plan.path}`,
    '--direct=1',
    `--ioengine=${settings.ioengine}`,
    `--size=${plan.regionBytes}`,
    '--time_based',
    `--runtime=${settings.runtimeS}`,
    '--allow_mounted_write=0',
    '--exitall_on_error=1',
  ];
  if (plan.decision === 'read-only') args.push('--readonly');
  for (const job of plan.jobs) {
    args.push(`--name=${job.name}`, `--rw=${job.rw}`, `--bs=${job.blockBytes}`, `--iodepth=${job.iodepth}`, '--stonewall');
  }
  return args;
}

export function fioTimeoutMs(jobCount: number, runtimeS: number): number {
  return (jobCount * (runtimeS + JOB_SLACK_S) + PROCESS_SLACK_S) * 1000;
}

/** The step's hard limit: probes plus the longest fio process (all disks run at once; 4 jobs at most). */
export function diskStepTimeoutMs(settings: Pick<DiskSettings, 'runtimeS'>): number {
  return PROBE_BUDGET_S * 1000 + fioTimeoutMs(4, settings.runtimeS);
}

function regionBytesOf(device: BlockDevice, sizeMiB: number): number {
  const limit = sizeMiB > 0 ? Math.min(device.sizeBytes, sizeMiB * MIB) : device.sizeBytes;
  return Math.floor(limit / MIB) * MIB;
}

function basePlan(device: BlockDevice, explicit: boolean): Omit<DiskPlan, 'decision' | 'why' | 'guardReasons' | 'signatures' | 'regionBytes' | 'jobs' | 'fioArgs' | 'fioTimeoutMs'> {
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
    if (regionBytes < MIB) {
      disks.push(skippedPlan(device, candidate.explicit, 'smaller than 1 MiB', signatures));
      continue;
    }
    const never = neverWriteReasons(devices, device);
    const data = dataReasons(devices, device, probe);
    let decision: GuardDecision;
    let why: string;
    let guardReasons: string[] = [];
    if (never.length) {
      guardReasons = never;
      decision = 'read-only';
      why = `read tests only, never written: ${never.join('; ')}`;
    } else if (data.length) {
      decision = settings.allowWriteBy ? 'read-write' : 'read-only';
      guardReasons = settings.allowWriteBy ? [`allowed by ${settings.allowWriteBy}`, ...data] : data;
      why = settings.allowWriteBy
        ? `written although it ${data.join('; ')} — allowed by ${settings.allowWriteBy}`
        : `read tests only: ${data.join('; ')} (writing needs bm.disk.allow_write=1 or NetBox bm_disk_allow_write)`;
    } else if (settings.writeBlank) {
      decision = 'read-write';
      why = 'blank (no partition table or signature): read and write tests';
    } else {
      decision = 'read-only';
      why = 'blank, but bm.disk.write_blank=0: read tests only';
      guardReasons = ['bm.disk.write_blank=0'];
    }
    const jobs = fioJobsFor(decision, settings);
    const partial: DiskPlan = { ...basePlan(device, candidate.explicit), decision, why, guardReasons, signatures, regionBytes, jobs, fioArgs: [], fioTimeoutMs: fioTimeoutMs(jobs.length, settings.runtimeS) };
    disks.push({ ...partial, fioArgs: fioArgs(partial, settings) });
  }
  return { disks, missing: screening.missing };
}

/** RAM the planned fio processes need at once (I/O buffers of the largest job plus fio's own), for memtester's sizing. */
export function fioMemoryReserveBytes(plan: DiskPlanSet | readonly DiskPlan[]): number {
  const disks = 'disks' in plan ? plan.disks : plan;
  return disks
    .filter((d) => d.decision !== 'skip')
    .reduce((sum, d) => sum + FIO_PROCESS_OVERHEAD_BYTES + Math.max(0, ...d.jobs.map((j) => j.blockBytes * j.iodepth)), 0);
}

/** Bytes in binary units for tables: `256 MiB`, `1.8 TiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 || value >= 100 || Number.isInteger(value) ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}
