/**
 * The knobs of `03-disk` (`bm.disk.<knob>` on the kernel command line), declared
 * once with their defaults and ranges, and the step's settings object made from
 * their resolved values plus NetBox's say on writing (the most restrictive
 * explicit say wins: see `writePermission`). Pure.
 */
import type { Device } from '../../shared/netbox/index.ts';
import type { DiskInfo } from '../inventory-types.ts';
import { defineTunables, explicitSettings, type Tunable, type TunableValues } from '../tunables.ts';
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

const THRESHOLD_KNOBS = {
  seqReadMBps: { knob: 'min_seq_read_mbps', what: 'sequential read (1 MiB, QD16)', unit: 'MB/s' },
  seqWriteMBps: { knob: 'min_seq_write_mbps', what: 'sequential write (1 MiB, QD16)', unit: 'MB/s' },
  randReadIops: { knob: 'min_rand_read_iops', what: 'random 4 KiB read (QD32)', unit: 'IOPS' },
  randWriteIops: { knob: 'min_rand_write_iops', what: 'random 4 KiB write (QD32)', unit: 'IOPS' },
} as const satisfies Record<keyof Thresholds, { knob: string; what: string; unit: string }>;

const CLASSES_WITH_THRESHOLDS = ['nvme', 'ssd', 'hdd'] as const;
type ClassWithThresholds = (typeof CLASSES_WITH_THRESHOLDS)[number];
type ThresholdKnob = `${(typeof THRESHOLD_KNOBS)[keyof Thresholds]['knob']}_${ClassWithThresholds}`;

const thresholdKnob = (key: keyof Thresholds, mediaClass: ClassWithThresholds): ThresholdKnob => `${THRESHOLD_KNOBS[key].knob}_${mediaClass}`;

/** The per-class minimums as knobs (`min_seq_read_mbps_nvme`…), their defaults from DEFAULT_THRESHOLDS. */
function thresholdTunables(): Record<ThresholdKnob, Tunable<number>> {
  const out = {} as Record<ThresholdKnob, Tunable<number>>;
  for (const mediaClass of CLASSES_WITH_THRESHOLDS) {
    for (const key of Object.keys(THRESHOLD_KNOBS) as (keyof Thresholds)[]) {
      const { what, unit } = THRESHOLD_KNOBS[key];
      out[thresholdKnob(key, mediaClass)] = {
        default: DEFAULT_THRESHOLDS[mediaClass][key],
        min: 0,
        unit,
        description: `Minimum ${what}, ${unit}, of a ${mediaClass.toUpperCase()} disk; below it the disk is degraded, below fail_ratio times it the disk fails; 0 = not checked.`,
      };
    }
  }
  return out;
}

export const DISK_TUNABLES = defineTunables({
  allow_write: {
    default: false,
    description:
      'Also write-test disks that hold data (a partition table, a filesystem/RAID/LVM signature at the start or at a usual partition offset, or any non-zero byte in the regions sampled) — destroys it. NetBox can allow it too (device custom field bm_disk_allow_write = true, or local context {"bm":{"disk":{"allow_write":true}}}). The most restrictive explicit setting wins: an explicit 0 here, or false in NetBox, forbids it whoever allows it. A disk in use (mounted in any mount namespace, swap, held by LVM/RAID/dm-crypt) is never written, nor is any disk in a dry run.',
  },
  write_blank: {
    default: true,
    description:
      'Write-test disks that carry no partition table, signature or data (blank disks); 0 = read tests only on every disk, including disks allow_write would let be written.',
  },
  devices: {
    default: '',
    description:
      'Comma-separated block devices to test instead of enumerating (e.g. /dev/nvme0n1,/dev/sdb; loop devices allowed). A listed device that does not exist fails the step. Mounted ones get read tests only.',
  },
  runtime_s: {
    default: 60,
    profiles: { quick: 3, full: 60 },
    min: 1,
    max: 86_400,
    integer: true,
    unit: 's',
    description: 'Seconds each fio job runs (time-based); a disk runs 2 (read-only) or 4 jobs one after another, all disks at once.',
  },
  size_mb: {
    default: 0,
    profiles: { quick: 1024, full: 0 },
    min: 0,
    integer: true,
    unit: 'MiB',
    description: 'MiB at the start of each disk the jobs are confined to; 0 = the whole disk.',
  },
  ioengine: { default: 'libaio', choices: ['libaio', 'io_uring'], description: 'fio ioengine (libaio or io_uring); I/O is always O_DIRECT.' },
  seq_iodepth: { default: 16, min: 1, integer: true, description: 'Queue depth of the sequential 1 MiB jobs.' },
  rand_iodepth: { default: 32, min: 1, integer: true, description: 'Queue depth of the random 4 KiB jobs.' },
  fail_ratio: {
    default: 0.5,
    min: 0,
    max: 1,
    description: 'A result below this fraction of its class minimum fails the disk; between it and the minimum the disk is degraded (a pass, reported).',
  },
  ...thresholdTunables(),
});

/** The disk step's resolved tunables. */
export type DiskTunableValues = TunableValues<typeof DISK_TUNABLES>;

export interface DiskSettings {
  /**
   * Who allows writing to disks that hold data (`bm.disk.allow_write`, NetBox…); null = not allowed, including when
   * an explicit "no" anywhere (`writeForbiddenBy`) overrides a "yes" elsewhere.
   */
  allowWriteBy: string | null;
  /** Every explicit "no" to writing disks that hold data (the most restrictive explicit setting wins); empty = none. */
  writeForbiddenBy: string[];
  writeBlank: boolean;
  /** `run --dry-run` (or `plan --dry-run`): no disk is written at all, whatever is allowed. */
  dryRun: boolean;
  /** Explicit device list (empty = enumerate). */
  devices: string[];
  runtimeS: number;
  /** 0 = whole disk. */
  sizeMiB: number;
  ioengine: DiskTunableValues['ioengine'];
  seqIodepth: number;
  randIodepth: number;
  failRatio: number;
  thresholds: Record<MediaClass, Thresholds>;
}

/** One explicit say on writing to disks that hold data: who said it, and yes or no. */
export interface WriteSay {
  by: string;
  allows: boolean;
}

const NETBOX_CUSTOM_FIELD = 'NetBox custom field bm_disk_allow_write';
const NETBOX_LOCAL_CONTEXT = 'NetBox local context bm.disk.allow_write';

/** A NetBox value as a say: literal true allows, absent/null says nothing, anything else (false, "true", 1…) forbids. */
function netboxSay(by: string, value: unknown): WriteSay | null {
  if (value === undefined || value === null) return null;
  if (value === true) return { by, allows: true };
  return { by: value === false ? `${by} = false` : `${by} = ${JSON.stringify(value)} (only a literal true allows)`, allows: false };
}

/** What NetBox says about writing on this device's disks: its custom field and its local context, each when present. */
export function netboxWriteSays(device: Pick<Device, 'custom_fields' | 'local_context_data'> | undefined): WriteSay[] {
  if (!device) return [];
  const custom = isJsonObject(device.custom_fields) ? device.custom_fields.bm_disk_allow_write : undefined;
  const bm = isJsonObject(device.local_context_data) ? device.local_context_data.bm : undefined;
  const disk = isJsonObject(bm) ? bm.disk : undefined;
  const local = isJsonObject(disk) ? disk.allow_write : undefined;
  return [netboxSay(NETBOX_CUSTOM_FIELD, custom), netboxSay(NETBOX_LOCAL_CONTEXT, local)].filter((say): say is WriteSay => say !== null);
}

/** Who in NetBox allows writing on this device's disks, or null. Only a literal `true` counts. */
export function netboxWriteAllowance(device: Pick<Device, 'custom_fields' | 'local_context_data'> | undefined): string | null {
  return netboxWriteSays(device).find((say) => say.allows)?.by ?? null;
}

/**
 * The decision on writing disks that hold data from every explicit say (command line, config, kernel command line,
 * NetBox): the most restrictive wins — any "no" forbids, whoever says "yes"; without a "no", the first "yes" allows;
 * without any say, writing is not allowed. Pure.
 */
export function writePermission(says: readonly WriteSay[]): { allowWriteBy: string | null; writeForbiddenBy: string[] } {
  const forbidden = says.filter((say) => !say.allows).map((say) => say.by);
  if (forbidden.length) return { allowWriteBy: null, writeForbiddenBy: forbidden };
  return { allowWriteBy: says.find((say) => say.allows)?.by ?? null, writeForbiddenBy: [] };
}

/** Each explicit `bm.disk.allow_write` (every layer that set it, not its default) as a say. */
function tunableSays(tunables: DiskTunableValues): WriteSay[] {
  return explicitSettings(tunables, 'allow_write').map(({ source, value }) =>
    value === true ? { by: 'bm.disk.allow_write', allows: true } : { by: `bm.disk.allow_write=0 (from ${source})`, allows: false },
  );
}

/** Resolved tunables (the runner resolved and checked them once) plus NetBox and the dry-run flag → settings. */
export function diskSettingsFrom(ctx: {
  tunables: DiskTunableValues;
  device?: Pick<Device, 'custom_fields' | 'local_context_data'> | undefined;
  dryRun?: boolean;
}): DiskSettings {
  const values = ctx.tunables;
  const thresholds = { unknown: { ...DEFAULT_THRESHOLDS.unknown } } as Record<MediaClass, Thresholds>;
  for (const mediaClass of CLASSES_WITH_THRESHOLDS) {
    const own = { ...DEFAULT_THRESHOLDS[mediaClass] };
    for (const key of Object.keys(THRESHOLD_KNOBS) as (keyof Thresholds)[]) own[key] = values[thresholdKnob(key, mediaClass)];
    thresholds[mediaClass] = own;
  }
  const says = [...tunableSays(values), ...netboxWriteSays(ctx.device)];
  return {
    ...writePermission(says),
    writeBlank: values.write_blank,
    dryRun: ctx.dryRun === true,
    devices: [
      ...new Set(
        values.devices
          .split(',')
          .map((d) => d.trim())
          .filter(Boolean),
      ),
    ],
    runtimeS: values.runtime_s,
    sizeMiB: values.size_mb,
    ioengine: values.ioengine,
    seqIodepth: values.seq_iodepth,
    randIodepth: values.rand_iodepth,
    failRatio: values.fail_ratio,
    thresholds,
  };
}
