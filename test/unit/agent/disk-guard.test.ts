/**
 * The disk guard's decisions that issue 11 found wrong: data found beyond
 * wipefs's offset 0, explicit "no" beating NetBox's "yes", a dry run writing,
 * a disk in use in another mount namespace. Pure functions only.
 */
import { describe, expect, test } from 'bun:test';
import { assertReadOnlyFioArgs, DiskWriteRefused, fioArgs, fioJobsFor } from '../../../agent/disk/fio-jobs.ts';
import { guardDecision, planDisks, type DiskPlan, type ProbeFacts } from '../../../agent/disk/plan.ts';
import { diskSettingsFrom, netboxWriteSays, writePermission, type DiskSettings } from '../../../agent/disk/settings.ts';
import type { UsageFinding } from '../../../agent/disk/usage.ts';
import { diskStep } from '../../../agent/steps/03-disk.ts';
import { resolveTunables } from '../../../agent/tunables.ts';
import { blockDevice, probeFacts } from '../../helpers/disk-facts.ts';

const GIB = 1024 ** 3;

const dev = blockDevice;

const blank = probeFacts();
const lostTable: ProbeFacts = { ...blank, dataFound: ['has non-zero bytes in 1 MiB at 1 MiB', 'holds ext4 at 1 MiB'] };
const mountedElsewhere: UsageFinding = {
  kind: 'mounted',
  node: 'sda',
  text: 'mounted at /srv in another mount namespace (pid 42, sleep)',
};
const busy: UsageFinding = { kind: 'busy', node: 'sda', text: 'the kernel refuses an exclusive open of /dev/sda (EBUSY): something has it claimed' };

/** Settings from layers as the runner resolves them, plus NetBox's device and the dry-run flag. */
function settingsFrom(layers: Record<string, unknown>[], device?: Parameters<typeof netboxWriteSays>[0], dryRun = false): DiskSettings {
  const tunables = resolveTunables(
    diskStep,
    'quick',
    layers.map((values, i) => ({ source: i === 0 ? 'config file or kernel command line' : '--set', values: { disk: values } })),
  );
  return diskSettingsFrom({ tunables, device, dryRun });
}

const planOf = (probe: ProbeFacts, settings: DiskSettings, device = dev('sda')): DiskPlan => planDisks([device], { [device.path]: probe }, settings).disks[0]!;
const netboxAllows = { custom_fields: { bm_disk_allow_write: true } };

describe('data beyond the partition table', () => {
  test('a disk whose partition table was lost but whose ext4 at 1 MiB is intact holds data: read tests only', () => {
    const plan = planOf(lostTable, settingsFrom([]));
    expect(plan.decision).toBe('read-only');
    expect(plan.why).toBe(
      'read tests only: has non-zero bytes in 1 MiB at 1 MiB; holds ext4 at 1 MiB (writing needs bm.disk.allow_write=1 or NetBox bm_disk_allow_write)',
    );
    expect(plan.fioArgs).toContain('--readonly');
  });

  test('any non-zero byte sampled is data, even without a signature', () => {
    const plan = planOf({ ...blank, dataFound: ['has non-zero bytes in the last MiB'] }, settingsFrom([]));
    expect(plan.decision).toBe('read-only');
    expect(plan.guardReasons).toEqual(['has non-zero bytes in the last MiB']);
  });

  test('a blank disk (every sample zeros, no signature anywhere) is still written', () => {
    expect(planOf(blank, settingsFrom([])).decision).toBe('read-write');
  });
});

describe('the most restrictive explicit setting wins', () => {
  test('precedence table', () => {
    const yes = (by: string) => ({ by, allows: true });
    const no = (by: string) => ({ by, allows: false });
    expect(writePermission([])).toEqual({ allowWriteBy: null, writeForbiddenBy: [] });
    expect(writePermission([yes('NetBox')])).toEqual({ allowWriteBy: 'NetBox', writeForbiddenBy: [] });
    expect(writePermission([no('cmdline'), yes('NetBox')])).toEqual({ allowWriteBy: null, writeForbiddenBy: ['cmdline'] });
    expect(writePermission([yes('cmdline'), no('NetBox')])).toEqual({ allowWriteBy: null, writeForbiddenBy: ['NetBox'] });
  });

  test('an explicit bm.disk.allow_write=0 vetoes NetBox allowing writes', () => {
    const settings = settingsFrom([{ allow_write: '0' }], netboxAllows);
    expect(settings).toMatchObject({ allowWriteBy: null, writeForbiddenBy: ['bm.disk.allow_write=0 (from config file or kernel command line)'] });
    const plan = planOf(lostTable, settings);
    expect(plan.decision).toBe('read-only');
    expect(plan.why).toContain('writing forbidden by bm.disk.allow_write=0 (from config file or kernel command line) (the most restrictive setting wins)');
  });

  test('a 0 in any layer vetoes a 1 in another, whichever layer is higher', () => {
    expect(settingsFrom([{ allow_write: '1' }, { allow_write: '0' }]).writeForbiddenBy).toEqual(['bm.disk.allow_write=0 (from --set)']);
    expect(settingsFrom([{ allow_write: '0' }, { allow_write: '1' }])).toMatchObject({
      allowWriteBy: null,
      writeForbiddenBy: ['bm.disk.allow_write=0 (from config file or kernel command line)'],
    });
  });

  test('the default false is no say: NetBox alone may allow', () => {
    const settings = settingsFrom([], netboxAllows);
    expect(settings).toMatchObject({ allowWriteBy: 'NetBox custom field bm_disk_allow_write', writeForbiddenBy: [] });
    expect(planOf(lostTable, settings).decision).toBe('read-write');
  });

  test('NetBox false (custom field or local context) vetoes an allow from the command line; anything but a literal true is a no', () => {
    expect(settingsFrom([{ allow_write: '1' }], { custom_fields: { bm_disk_allow_write: false } }).writeForbiddenBy).toEqual([
      'NetBox custom field bm_disk_allow_write = false',
    ]);
    expect(netboxWriteSays({ custom_fields: { bm_disk_allow_write: null }, local_context_data: { bm: { disk: { allow_write: 'yes' } } } })).toEqual([
      { by: 'NetBox local context bm.disk.allow_write = "yes" (only a literal true allows)', allows: false },
    ]);
  });

  test('write_blank=0 means no disk is written, even one writing is allowed on', () => {
    const plan = planOf(lostTable, settingsFrom([{ allow_write: '1', write_blank: '0' }]));
    expect(plan.decision).toBe('read-only');
    expect(plan.why).toEndWith('(bm.disk.write_blank=0: no disk is written)');
  });
});

describe('a dry run never writes a disk', () => {
  test('blank and allowed disks get read tests only, under fio --readonly', () => {
    const settings = settingsFrom([{ allow_write: '1' }], netboxAllows, true);
    for (const probe of [blank, lostTable]) {
      const plan = planOf(probe, settings);
      expect(plan.decision).toBe('read-only');
      expect(plan.fioArgs).toContain('--readonly');
      expect(plan.fioArgs.filter((a) => /^--rw=.*write/.test(a))).toEqual([]);
    }
    expect(planOf(blank, settings).why).toBe('blank, but a dry run writes no disk: read tests only');
    expect(planOf(lostTable, settings).why).toEndWith('(a dry run writes no disk)');
  });

  test('building write jobs or write argv in a dry run throws, whatever the caller decided', () => {
    const depths = { seqIodepth: 16, randIodepth: 32 };
    expect(() => fioJobsFor('read-write', { ...depths, dryRun: true })).toThrow(DiskWriteRefused);
    const jobs = fioJobsFor('read-write', { ...depths, dryRun: false });
    const plan = { path: '/dev/sda', decision: 'read-write' as const, regionBytes: GIB, jobs };
    expect(() => fioArgs(plan, { runtimeS: 1, ioengine: 'libaio', dryRun: true })).toThrow('refusing to start fio on /dev/sda');
    expect(fioArgs(plan, { runtimeS: 1, ioengine: 'libaio', dryRun: false })).toContain('--rw=write');
  });

  test('the last check before fio refuses argv that could write', () => {
    expect(() => assertReadOnlyFioArgs(['--filename=/dev/sda', '--rw=read'], '/dev/sda')).toThrow('lacks --readonly');
    expect(() => assertReadOnlyFioArgs(['--readonly', '--rw=randrw'], '/dev/sda')).toThrow('has --rw=randrw');
    expect(() => assertReadOnlyFioArgs(['--readonly', '--rw=read', '--rw=randread'], '/dev/sda')).not.toThrow();
  });
});

describe('a disk in use anywhere is never written', () => {
  test('mounted in another mount namespace: never written, whoever allows it', () => {
    const plan = planOf({ ...lostTable, usage: [mountedElsewhere, busy] }, settingsFrom([{ allow_write: '1' }], netboxAllows));
    expect(plan.decision).toBe('read-only');
    // EBUSY adds nothing when the mount explains it.
    expect(plan.why).toBe('read tests only, never written: mounted at /srv in another mount namespace (pid 42, sleep)');
  });

  test('the kernel refusing an exclusive open is enough on its own, and so is a check that could not be made', () => {
    expect(planOf({ ...blank, usage: [busy] }, settingsFrom([])).why).toBe(`read tests only, never written: ${busy.text}`);
    const unchecked: UsageFinding = { kind: 'unchecked', node: 'sda', text: 'could not check whether /dev/sda is in use: opening it failed with EACCES' };
    expect(planOf({ ...blank, usage: [unchecked] }, settingsFrom([])).decision).toBe('read-only');
  });

  test('holders and swap lsblk already shows are not repeated', () => {
    const held: UsageFinding = { kind: 'held', node: 'sdb', text: 'sdb is held by dm-0 (LVM, RAID, dm-crypt or multipath)' };
    const device = dev('sdb', { children: [dev('vg0-data', { type: 'lvm', kname: 'dm-0' })] });
    expect(planOf({ ...blank, usage: [held, busy] }, settingsFrom([{ allow_write: '1' }]), device).guardReasons).toEqual(['in use by vg0-data (lvm)']);
    expect(planOf({ ...blank, usage: [held] }, settingsFrom([{ allow_write: '1' }])).guardReasons).toEqual([held.text]);
  });

  test('guardDecision: never-write reasons come before everything, data before blank', () => {
    const allowed = { allowWriteBy: 'bm.disk.allow_write', writeForbiddenBy: [], writeBlank: true, dryRun: false };
    expect(guardDecision(['in use'], ['holds gpt'], allowed).decision).toBe('read-only');
    expect(guardDecision([], ['holds gpt'], allowed)).toMatchObject({ decision: 'read-write', guardReasons: ['allowed by bm.disk.allow_write', 'holds gpt'] });
    expect(guardDecision([], [], { ...allowed, allowWriteBy: null })).toMatchObject({ decision: 'read-write', guardReasons: [] });
  });
});
