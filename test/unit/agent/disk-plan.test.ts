import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diskStepTimeoutMs, fioMemoryReserveBytes } from '../../../agent/disk/budget.ts';
import { candidateDevices, mediaClassOf, planDisks, type DiskPlan, type ProbeFacts } from '../../../agent/disk/plan.ts';
import { formatBytes } from '../../../shared/units.ts';
import { DEFAULT_THRESHOLDS, DISK_TUNABLES, diskSettingsFrom, netboxWriteAllowance, type DiskSettings } from '../../../agent/disk/settings.ts';
import { diskStep } from '../../../agent/steps/03-disk.ts';
import { parseLsblkJson, type BlockDevice } from '../../../agent/tools/lsblk.parse.ts';
import { resolveTunables } from '../../../agent/tunables.ts';
import { probeRegions, readRegionArgs } from '../../../agent/tools/wipefs.ts';
import { blockDevice, gptProbe, probeFacts } from '../../helpers/disk-facts.ts';

const GIB = 1024 ** 3;
const fixtureDevices = parseLsblkJson(readFileSync(join(import.meta.dir, '../../fixtures/lsblk/loops-gpt-mounted-partition.json'), 'utf8'));

/** A 480 GiB SATA SSD, as lsblk lists it. */
const dev = (name: string, overrides: Partial<BlockDevice> = {}): BlockDevice =>
  blockDevice(name, { model: 'SAMSUNG MZ7LH480', serial: `S-${name}`, ...overrides });

const part = (name: string, overrides: Partial<BlockDevice> = {}) => dev(name, { type: 'part', sizeBytes: GIB, ...overrides });
const blank = probeFacts();
const gpt = gptProbe;
const settings = (overrides: Partial<DiskSettings> = {}): DiskSettings => ({
  ...diskSettingsFrom({ tunables: resolveTunables(diskStep, 'quick', []) }),
  ...overrides,
});
const only = (devices: BlockDevice[], probes: Record<string, ProbeFacts>, s = settings()): DiskPlan => {
  const [disk] = planDisks(devices, probes, s).disks;
  if (!disk) throw new Error('no plan');
  return disk;
};

describe('enumeration', () => {
  test('loop devices, RAM-backed devices and mounted disks on this machine are not tested', () => {
    const { disks } = planDisks(fixtureDevices, {}, settings());
    expect(disks.every((d) => d.decision === 'skip')).toBe(true);
    expect(disks.find((d) => d.name === 'loop0')!.why).toBe('loop device (list it in bm.disk.devices to test it)');
    expect(disks.find((d) => d.name === 'zram0')!.why).toBe('RAM-backed device');
    expect(disks.find((d) => d.name === 'vda')!.why).toBe('boot medium (mounted at /run/netns, /)');
  });

  test('removable, read-only, empty and USB-attached disks are skipped with their reason', () => {
    const { skipped, candidates } = candidateDevices(
      [
        dev('sda'),
        dev('sdb', { removable: true }),
        dev('sdc', { readOnly: true }),
        dev('sdd', { sizeBytes: 0 }),
        dev('sde', { transport: 'usb' }),
        dev('sr0', { type: 'rom' }),
        dev('pmem0', { fsType: 'vfat' }),
        dev('pmem1'),
      ],
      { devices: [] },
    );
    expect(candidates.map((c) => c.device.name)).toEqual(['sda', 'pmem1']);
    expect(skipped.map((s) => [s.device.name, s.why])).toEqual([
      ['sdb', 'removable medium'],
      ['sdc', 'read-only device'],
      ['sdd', 'no medium (0 bytes)'],
      ['sde', 'USB-attached (boot stick or virtual media)'],
      ['sr0', 'optical drive'],
      ['pmem0', 'firmware RAM disk with a FAT file system (the UEFI HTTP boot image)'],
    ]);
  });

  test('a disk with a mounted partition is skipped as in use', () => {
    const { skipped } = candidateDevices([dev('sda', { children: [part('sda1', { mountpoints: ['/srv'] })] })], { devices: [] });
    expect(skipped[0]!.why).toBe('mounted at /srv');
  });

  test('listed devices are tested even when they are loop devices, and missing ones are reported', () => {
    const { candidates, missing } = candidateDevices(fixtureDevices, { devices: ['/dev/loop0', 'loop2', '/dev/loop0', '/dev/sdz'] });
    expect(candidates.map((c) => c.device.name)).toEqual(['loop0', 'loop2']);
    expect(missing).toEqual(['/dev/sdz']);
  });
});

describe('the destructive guard', () => {
  test('a blank disk gets read and write jobs', () => {
    const plan = only([dev('sda')], { '/dev/sda': blank });
    expect(plan.decision).toBe('read-write');
    expect(plan.jobs.map((j) => j.name)).toEqual(['seq-write', 'seq-read', 'rand-write', 'rand-read']);
    expect(plan.fioArgs).not.toContain('--readonly');
  });

  test('a disk with a partition table gets read jobs only, under fio --readonly', () => {
    const plan = only([dev('sda')], { '/dev/sda': gpt });
    expect(plan.decision).toBe('read-only');
    expect(plan.why).toBe('read tests only: holds gpt, PMBR (writing needs bm.disk.allow_write=1 or NetBox bm_disk_allow_write)');
    expect(plan.jobs.map((j) => j.rw)).toEqual(['read', 'randread']);
    expect(plan.fioArgs).toContain('--readonly');
    expect(plan.fioArgs.filter((a) => /^--rw=.*write/.test(a))).toEqual([]);
  });

  test('a disk with data is written when writing is explicitly allowed, and the plan says by whom', () => {
    const plan = only([dev('sda')], { '/dev/sda': gpt }, settings({ allowWriteBy: 'bm.disk.allow_write' }));
    expect(plan.decision).toBe('read-write');
    expect(plan.why).toBe('written although it holds gpt, PMBR — allowed by bm.disk.allow_write');
  });

  test('partitions the kernel knows count as data even when wipefs finds nothing', () => {
    const plan = only([dev('sda', { children: [part('sda1')] })], { '/dev/sda': blank });
    expect(plan.decision).toBe('read-only');
    expect(plan.why).toContain('has partitions sda1');
  });

  test('an unreadable or unprobed disk is treated as holding data', () => {
    const unreadable = probeFacts({ readable: false, problems: ['could not read the first MiB: dd exited 1: Input/output error'] });
    expect(only([dev('sda')], { '/dev/sda': unreadable }).decision).toBe('read-only');
    expect(only([dev('sda')], {}).why).toContain('not probed for signatures');
  });

  test('a listed disk with a mounted partition is never written, whatever is allowed', () => {
    const devices = [dev('sda', { children: [part('sda1', { mountpoints: ['/'] })] })];
    const plan = only(devices, { '/dev/sda': blank }, settings({ devices: ['/dev/sda'], allowWriteBy: 'bm.disk.allow_write' }));
    expect(plan.decision).toBe('read-only');
    expect(plan.why).toBe('read tests only, never written: boot medium (mounted at /)');
    expect(plan.fioArgs).toContain('--readonly');
  });

  test('an unmounted partition listed on its own is never written while a sibling is mounted', () => {
    const devices = [dev('sda', { children: [part('sda1', { mountpoints: ['/boot'] }), part('sda2')] })];
    const plan = only(devices, { '/dev/sda2': blank }, settings({ devices: ['/dev/sda2'], allowWriteBy: 'bm.disk.allow_write' }));
    expect(plan.name).toBe('sda2');
    expect(plan.decision).toBe('read-only');
  });

  test('a partition listed on its own counts as data on its disk', () => {
    const devices = [dev('sda', { children: [part('sda1'), part('sda2')] })];
    const plan = only(devices, { '/dev/sda2': blank }, settings({ devices: ['/dev/sda2'] }));
    expect(plan.decision).toBe('read-only');
    expect(plan.guardReasons).toEqual(['is a partition on sda']);
  });

  test('the probe reads the first and last MiB of the disk with O_DIRECT, to stdout where the guard looks at the bytes', () => {
    expect(probeRegions(2 * GIB)).toEqual([
      { offsetBytes: 0, lengthBytes: 1024 * 1024 },
      { offsetBytes: 2 * GIB - 1024 * 1024, lengthBytes: 1024 * 1024 },
    ]);
    expect(probeRegions(512 * 1024)).toEqual([{ offsetBytes: 0, lengthBytes: 512 * 1024 }]);
    expect(readRegionArgs('/dev/sda', 2 * GIB - 1024 * 1024, 1024 * 1024)).toEqual([
      'if=/dev/sda',
      'bs=4096',
      'skip=524032',
      'count=256',
      'iflag=direct',
      'status=none',
    ]);
  });

  test('a disk held by LVM or RAID is never written', () => {
    const devices = [dev('sdb', { children: [dev('vg0-data', { type: 'lvm' })] })];
    const plan = only(devices, { '/dev/sdb': blank }, settings({ allowWriteBy: 'bm.disk.allow_write' }));
    expect(plan.decision).toBe('read-only');
    expect(plan.why).toContain('in use by vg0-data (lvm)');
  });

  test('write_blank=0 keeps even blank disks read-only', () => {
    expect(only([dev('sda')], { '/dev/sda': blank }, settings({ writeBlank: false })).decision).toBe('read-only');
  });
});

describe('fio jobs', () => {
  test('jobs are direct, time-based, confined to size_mb and run one after another', () => {
    const plan = only([dev('nvme0n1', { transport: 'nvme' })], { '/dev/nvme0n1': blank }, settings({ runtimeS: 3, sizeMiB: 1024 }));
    expect(plan.regionBytes).toBe(GIB);
    expect(plan.fioArgs).toEqual([
      '--output-format=json',
      '--filename=/dev/nvme0n1',
      '--direct=1',
      '--ioengine=libaio',
      `--size=${GIB}`,
      '--time_based',
      '--runtime=3',
      '--allow_mounted_write=0',
      '--exitall_on_error=1',
      '--name=seq-write',
      '--rw=write',
      '--bs=1048576',
      '--iodepth=16',
      '--stonewall',
      '--name=seq-read',
      '--rw=read',
      '--bs=1048576',
      '--iodepth=16',
      '--stonewall',
      '--name=rand-write',
      '--rw=randwrite',
      '--bs=4096',
      '--iodepth=32',
      '--stonewall',
      '--name=rand-read',
      '--rw=randread',
      '--bs=4096',
      '--iodepth=32',
      '--stonewall',
    ]);
  });

  test('size_mb 0 tests the whole disk, rounded down to whole MiB', () => {
    const plan = only([dev('sda', { sizeBytes: 3 * 1024 * 1024 + 4096 })], { '/dev/sda': blank }, settings({ sizeMiB: 0 }));
    expect(plan.regionBytes).toBe(3 * 1024 * 1024);
  });

  test('fio is given a limit of its jobs plus slack, and the step a limit above that', () => {
    const plan = only([dev('sda')], { '/dev/sda': blank }, settings({ runtimeS: 3 }));
    expect(plan.fioTimeoutMs).toBe((4 * (3 + 15) + 30) * 1000);
    expect(diskStepTimeoutMs({ runtimeS: 3 })).toBeGreaterThan(plan.fioTimeoutMs);
    expect(diskStep.timeoutMs({ profile: 'quick', tunables: resolveTunables(diskStep, 'quick', []) })).toBe(diskStepTimeoutMs({ runtimeS: 3 }));
    expect(diskStep.timeoutMs({ profile: 'full', tunables: resolveTunables(diskStep, 'full', []) })).toBe(diskStepTimeoutMs({ runtimeS: 60 }));
  });

  test('the memory reserve counts the largest job buffer plus fio itself for every tested disk', () => {
    const set = planDisks([dev('sda'), dev('sdb'), dev('sdc', { removable: true })], { '/dev/sda': blank, '/dev/sdb': gpt }, settings());
    expect(fioMemoryReserveBytes(set)).toBe(2 * (64 + 16) * 1024 * 1024);
    expect(fioMemoryReserveBytes([])).toBe(0);
  });
});

describe('media class', () => {
  test('NVMe, SSD and HDD come from the transport and rotation; loop and virtio are unknown', () => {
    expect(mediaClassOf(dev('nvme0n1', { transport: 'nvme' }))).toBe('nvme');
    expect(mediaClassOf(dev('sda', { rotational: false }))).toBe('ssd');
    expect(mediaClassOf(dev('sdb', { rotational: true }))).toBe('hdd');
    expect(mediaClassOf(dev('loop0', { type: 'loop', rotational: true }))).toBe('unknown');
    expect(mediaClassOf(dev('vda', { rotational: true, transport: null }))).toBe('unknown');
  });
});

describe('settings', () => {
  test('tunables resolve through the runner with profile defaults', () => {
    const quick = diskSettingsFrom({ tunables: resolveTunables(diskStep, 'quick', []) });
    expect(quick).toMatchObject({ allowWriteBy: null, writeBlank: true, devices: [], runtimeS: 3, sizeMiB: 1024, ioengine: 'libaio', failRatio: 0.5 });
    expect(quick.thresholds).toEqual({ ...DEFAULT_THRESHOLDS });
    const full = diskSettingsFrom({ tunables: resolveTunables(diskStep, 'full', []) });
    expect(full).toMatchObject({ runtimeS: 60, sizeMiB: 0 });
  });

  test('kernel-command-line values override thresholds, devices and writing', () => {
    const tunables = resolveTunables(diskStep, 'quick', [
      {
        source: 'kernel command line',
        values: { disk: { allow_write: '1', devices: '/dev/sdb, /dev/sdc', min_seq_read_mbps_ssd: '450', min_rand_write_iops_hdd: '0' } },
      },
    ]);
    const s = diskSettingsFrom({ tunables });
    expect(s.allowWriteBy).toBe('bm.disk.allow_write');
    expect(s.devices).toEqual(['/dev/sdb', '/dev/sdc']);
    expect(s.thresholds.ssd.seqReadMBps).toBe(450);
    expect(s.thresholds.hdd.randWriteIops).toBe(0);
  });

  test('every tunable documents itself', () => {
    for (const [knob, tunable] of Object.entries(DISK_TUNABLES)) expect(tunable.description.length, knob).toBeGreaterThan(20);
  });

  test('NetBox allows writing through the custom field or the local context, only with a literal true', () => {
    expect(netboxWriteAllowance({ custom_fields: { bm_disk_allow_write: true } })).toBe('NetBox custom field bm_disk_allow_write');
    expect(netboxWriteAllowance({ custom_fields: {}, local_context_data: { bm: { disk: { allow_write: true } } } })).toBe(
      'NetBox local context bm.disk.allow_write',
    );
    expect(netboxWriteAllowance({ custom_fields: { bm_disk_allow_write: 'true' }, local_context_data: { bm: { disk: { allow_write: 1 } } } })).toBeNull();
    expect(netboxWriteAllowance(undefined)).toBeNull();
    expect(diskSettingsFrom({ tunables: resolveTunables(diskStep, 'full', []), device: { custom_fields: { bm_disk_allow_write: true } } }).allowWriteBy).toBe(
      'NetBox custom field bm_disk_allow_write',
    );
  });
});

test('sizes are shown in binary units', () => {
  expect(formatBytes(268435456)).toBe('256 MiB');
  expect(formatBytes(480 * GIB)).toBe('480 GiB');
  expect(formatBytes(1.92e12)).toBe('1.7 TiB');
});
