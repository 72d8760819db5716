/**
 * The knobs of `03-disk` (`bm.disk.<knob>` on the kernel command line) and
 * their resolution, with NetBox's say on writing, into one typed settings
 * object. Pure.
 */
import type { Device } from '../../shared/netbox/index.ts';
import type { DiskInfo } from '../inventory-types.ts';
import type { StepContext, Tunable } from '../step.ts';
import { isJsonObject } from '../../shared/json.ts';

export type MediaClass = DiskInfo['mediaClass'];

/** Minimums per media class; 0 = not checked. Bandwidth in MB/s (10^6 bytes/s), random 4 KiB in IOPS. */
export interface Thresholds {
  seqReadMBps: number;
  seqWriteMBps: number;
  randReadIops: number;
  randWriteIops: number;
}

/**
 * Defaults: well below what healthy drives of the class do with this job mix
 * (1 MiB QD16 sequential, 4 KiB QD32 random, one job), so a pass says "works
 * like a drive of its kind" and a miss points at a sick or mis-cabled drive
 * (SATA SSD on a 1.5 Gb/s link, NVMe on one PCIe lane, HDD retrying sectors).
 * `unknown` (loop, virtio, anything unclassified) has no performance minimums:
 * only errors fail it.
 */
export const DEFAULT_THRESHOLDS: Readonly<Record<MediaClass, Thresholds>> = {
  nvme: { seqReadMBps: 1000, seqWriteMBps: 400, randReadIops: 50_000, randWriteIops: 20_000 },
  ssd: { seqReadMBps: 300, seqWriteMBps: 150, randReadIops: 20_000, randWriteIops: 5_000 },
  hdd: { seqReadMBps: 80, seqWriteMBps: 80, randReadIops: 80, randWriteIops: 80 },
  unknown: { seqReadMBps: 0, seqWriteMBps: 0, randReadIops: 0, randWriteIops: 0 },
};

const THRESHOLD_KNOBS: Record<keyof Thresholds, { knob: string; what: string }> = {
  seqReadMBps: { knob: 'min_seq_read_mbps', what: 'sequential read (1 MiB, QD16), MB/s' },
  seqWriteMBps: { knob: 'min_seq_write_mbps', what: 'sequential write (1 MiB, QD16), MB/s' },
  randReadIops: { knob: 'min_rand_read_iops', what: 'random 4 KiB read (QD32), IOPS' },
  randWriteIops: { knob: 'min_rand_write_iops', what: 'random 4 KiB write (QD32), IOPS' },
};

const CLASSES_WITH_THRESHOLDS = ['nvme', 'ssd', 'hdd'] as const;

function thresholdTunables(): Record<string, Tunable> {
  const out: Record<string, Tunable> = {};
  for (const mediaClass of CLASSES_WITH_THRESHOLDS) {
    for (const [key, { knob, what }] of Object.entries(THRESHOLD_KNOBS) as [keyof Thresholds, { knob: string; what: string }][]) {
      out[`${knob}_${mediaClass}`] = {
        default: DEFAULT_THRESHOLDS[mediaClass][key],
        description: `Minimum ${what} of a ${mediaClass.toUpperCase()} disk; below it the disk is degraded, below fail_ratio times it the disk fails; 0 = not checked.`,
      };
    }
  }
  return out;
}

export const DISK_TUNABLES: Record<string, Tunable> = {
  allow_write: {
    default: false,
    description:
      'Also write-test disks that hold a partition table or a filesystem/RAID/LVM signature — destroys their data. NetBox can allow it too (device custom field bm_disk_allow_write = true, or local context {"bm":{"disk":{"allow_write":true}}}). A mounted disk, or one with a mounted partition or in use by LVM/RAID, is never written.',
  },
  write_blank: {
    default: true,
    description: 'Write-test disks that carry no partition table or signature (blank disks); 0 = read tests only on every disk.',
  },
  devices: {
    default: '',
    description: 'Comma-separated block devices to test instead of enumerating (e.g. /dev/nvme0n1,/dev/sdb; loop devices allowed). A listed device that does not exist fails the step. Mounted ones get read tests only.',
  },
  runtime_s: { default: 60, profiles: { quick: 3, full: 60 }, description: 'Seconds each fio job runs (time-based); a disk runs 2 (read-only) or 4 jobs one after another, all disks at once.' },
  size_mb: { default: 0, profiles: { quick: 1024, full: 0 }, description: 'MiB at the start of each disk the jobs are confined to; 0 = the whole disk.' },
  ioengine: { default: 'libaio', description: 'fio ioengine (libaio or io_uring); I/O is always O_DIRECT.' },
  seq_iodepth: { default: 16, description: 'Queue depth of the sequential 1 MiB jobs.' },
  rand_iodepth: { default: 32, description: 'Queue depth of the random 4 KiB jobs.' },
  fail_ratio: { default: 0.5, description: 'A result below this fraction of its class minimum fails the disk; between it and the minimum the disk is degraded (a pass, reported).' },
  ...thresholdTunables(),
};

export interface DiskSettings {
  /** Writing to disks that hold data is allowed, and by whom (`bm.disk.allow_write`, NetBox…); null = not allowed. */
  allowWriteBy: string | null;
  writeBlank: boolean;
  /** Explicit device list (empty = enumerate). */
  devices: string[];
  runtimeS: number;
  /** 0 = whole disk. */
  sizeMiB: number;
  ioengine: string;
  seqIodepth: number;
  randIodepth: number;
  failRatio: number;
  thresholds: Record<MediaClass, Thresholds>;
}

type TunableValues = StepContext['tunables'];

function number(values: TunableValues, key: string, fallback: number, { min = 0 }: { min?: number } = {}): number {
  const value = values[key];
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(n) && n >= min ? n : fallback;
}

function bool(values: TunableValues, key: string, fallback: boolean): boolean {
  const value = values[key];
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string' && value.trim() !== '') return /^(1|true|yes|on)$/i.test(value.trim());
  return fallback;
}

/** Who in NetBox allows writing on this device's disks, or null. Only a literal `true` counts. */
export function netboxWriteAllowance(device: Pick<Device, 'custom_fields' | 'local_context_data'> | undefined): string | null {
  if (!device) return null;
  if (isJsonObject(device.custom_fields) && device.custom_fields.bm_disk_allow_write === true) return 'NetBox custom field bm_disk_allow_write';
  const bm = isJsonObject(device.local_context_data) ? device.local_context_data.bm : undefined;
  const disk = isJsonObject(bm) ? bm.disk : undefined;
  if (isJsonObject(disk) && disk.allow_write === true) return 'NetBox local context bm.disk.allow_write';
  return null;
}

/** Tunables (resolved by the runner; missing keys take their defaults) plus NetBox → settings. */
export function diskSettingsFrom(ctx: { tunables: TunableValues; profile?: StepContext['profile']; device?: Pick<Device, 'custom_fields' | 'local_context_data'> | undefined }): DiskSettings {
  const profile = ctx.profile ?? 'full';
  const defaults: TunableValues = {};
  for (const [knob, tunable] of Object.entries(DISK_TUNABLES)) defaults[knob] = tunable.profiles?.[profile] ?? tunable.default;
  const values: TunableValues = { ...defaults, ...ctx.tunables };
  const thresholds = { unknown: { ...DEFAULT_THRESHOLDS.unknown } } as Record<MediaClass, Thresholds>;
  for (const mediaClass of CLASSES_WITH_THRESHOLDS) {
    const own = { ...DEFAULT_THRESHOLDS[mediaClass] };
    for (const [key, { knob }] of Object.entries(THRESHOLD_KNOBS) as [keyof Thresholds, { knob: string }][]) {
      own[key] = number(values, `${knob}_${mediaClass}`, own[key]);
    }
    thresholds[mediaClass] = own;
  }
  const ioengine = String(values.ioengine ?? 'libaio').trim();
  return {
    allowWriteBy: bool(values, 'allow_write', false) ? 'bm.disk.allow_write' : netboxWriteAllowance(ctx.device),
    writeBlank: bool(values, 'write_blank', true),
    devices: [...new Set(String(values.devices ?? '').split(',').map((d) => d.trim()).filter(Boolean))],
    runtimeS: Math.max(1, Math.round(number(values, 'runtime_s', 60, { min: 1 }))),
    sizeMiB: Math.floor(number(values, 'size_mb', 0)),
    ioengine: /^[a-z0-9_]+$/.test(ioengine) ? ioengine : 'libaio',
    seqIodepth: Math.max(1, Math.round(number(values, 'seq_iodepth', 16, { min: 1 }))),
    randIodepth: Math.max(1, Math.round(number(values, 'rand_iodepth', 32, { min: 1 }))),
    failRatio: Math.min(1, number(values, 'fail_ratio', 0.5)),
    thresholds,
  };
}
