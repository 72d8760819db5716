/**
 * Whether a disk is in use anywhere (agent/disk/usage.ts), from hand-made
 * mountinfo, /proc/swaps and sysfs answers: the mount namespace, holder, swap
 * and exclusive-open checks, and the real sources on a fake /proc and /sys.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diskUsage, nodesOf, parseMountinfo, parseSwaps, systemUsageSources } from '../../../agent/disk/usage.ts';
import { fakeUsage } from '../../helpers/disk-facts.ts';

/** Two lines of a real mountinfo (Debian 12), the second a loop device mounted under a path with a space. */
const MOUNTINFO = [
  '24 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro',
  '312 24 7:3 / /srv/my\\040data rw,relatime - ext4 /dev/loop3 rw',
].join('\n');

describe('parsers', () => {
  test('mountinfo: device number, mount point (unescaped), type and source', () => {
    expect(parseMountinfo(MOUNTINFO)).toEqual([
      { deviceNumber: '254:1', mountPoint: '/', fsType: 'ext4', source: '/dev/vda1' },
      { deviceNumber: '7:3', mountPoint: '/srv/my data', fsType: 'ext4', source: '/dev/loop3' },
    ]);
    expect(parseMountinfo('garbage\n\n')).toEqual([]);
  });

  test('/proc/swaps: the file names after the header', () => {
    expect(parseSwaps('Filename\tType\tSize\tUsed\tPriority\n/dev/sdb2                               partition\t1048572\t0\t-2\n')).toEqual(['/dev/sdb2']);
    expect(parseSwaps('Filename\tType\tSize\tUsed\tPriority\n')).toEqual([]);
  });
});

describe('diskUsage', () => {
  const disk = { kname: 'loop3', path: '/dev/loop3' };

  test('nothing anywhere: not in use', () => {
    expect(diskUsage(disk, fakeUsage({ numbers: { loop3: '7:3' } }))).toEqual([]);
  });

  test('a mount in another namespace is found by device number, naming the process', () => {
    const usage = fakeUsage({ numbers: { loop3: '7:3' }, mountTables: [{ pid: 4242, command: 'sleep', mountinfo: MOUNTINFO }] });
    expect(diskUsage(disk, usage)).toEqual([{ kind: 'mounted', node: 'loop3', text: 'mounted at /srv/my data in another mount namespace (pid 4242, sleep)' }]);
  });

  test('a partition mounted elsewhere, and a btrfs-style mount matched by its source only', () => {
    const mountinfo = '40 1 0:52 / /data rw - btrfs /dev/sdb1 rw\n41 1 8:18 / /x rw - xfs /dev/sdb2 rw';
    const usage = fakeUsage({
      numbers: { sdb: '8:16', sdb1: '8:17', sdb2: '8:18' },
      partitions: { sdb: ['sdb1', 'sdb2'] },
      mountTables: [{ pid: 7, command: 'containerd', mountinfo }],
    });
    expect(diskUsage({ kname: 'sdb', path: '/dev/sdb' }, usage).map((f) => f.text)).toEqual([
      'mounted at /data, /x in another mount namespace (pid 7, containerd)',
    ]);
  });

  test('holders of the disk or of its partitions, recursively, and swap on a partition', () => {
    const usage = fakeUsage({
      partitions: { sdc: ['sdc1', 'sdc2'] },
      holders: { sdc1: ['md0'], md0: ['dm-1'] },
      swaps: 'Filename Type Size Used Priority\n/dev/sdc2 partition 1 0 -2\n',
    });
    expect(nodesOf('sdc', usage)).toEqual(['sdc', 'sdc1', 'md0', 'dm-1', 'sdc2']);
    expect(diskUsage({ kname: 'sdc', path: '/dev/sdc' }, usage).map((f) => [f.kind, f.text])).toEqual([
      ['held', 'sdc1 is held by md0 (LVM, RAID, dm-crypt or multipath)'],
      ['held', 'md0 is held by dm-1 (LVM, RAID, dm-crypt or multipath)'],
      ['swap', '/dev/sdc2 is in use as swap'],
    ]);
  });

  test('EBUSY on an exclusive open is in use; an open that fails otherwise, or namespaces not inspected, cannot rule it out', () => {
    expect(diskUsage(disk, fakeUsage({ exclusive: { '/dev/loop3': { state: 'busy' } } }))).toEqual([
      { kind: 'busy', node: 'loop3', text: 'the kernel refuses an exclusive open of /dev/loop3 (EBUSY): something has it claimed' },
    ]);
    const unknown = diskUsage(disk, fakeUsage({ exclusive: { '/dev/loop3': { state: 'unknown', why: 'opening it failed with EACCES' } }, uninspected: 3 }));
    expect(unknown.map((f) => [f.kind, f.text])).toEqual([
      ['unchecked', 'could not check whether /dev/loop3 is in use: opening it failed with EACCES'],
      ['unchecked', 'could not inspect the mount namespaces of 3 process(es): a mount there cannot be ruled out'],
    ]);
    // A free exclusive open answers for the namespaces that could not be read (a mount claims its device).
    expect(diskUsage(disk, fakeUsage({ uninspected: 1 }))).toEqual([]);
    expect(diskUsage(disk, fakeUsage({ swaps: null })).map((f) => f.text)).toEqual(['could not read /proc/swaps']);
  });
});

describe('systemUsageSources on a fake /proc and /sys', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test('reads each other mount namespace once, sysfs numbers, holders and partitions', () => {
    root = mkdtempSync(join(tmpdir(), 'bmt-usage-'));
    const proc = join(root, 'proc');
    const sys = join(root, 'sys');
    const processDir = (pid: string, ns: string, comm: string, mountinfo: string) => {
      mkdirSync(join(proc, pid, 'ns'), { recursive: true });
      symlinkSync(ns, join(proc, pid, 'ns/mnt'));
      writeFileSync(join(proc, pid, 'comm'), `${comm}\n`);
      writeFileSync(join(proc, pid, 'mountinfo'), mountinfo);
      writeFileSync(join(proc, pid, 'stat'), '');
    };
    processDir('1', 'mnt:[1]', 'init', 'own namespace');
    processDir('50', 'mnt:[2]', 'sleep', MOUNTINFO);
    processDir('51', 'mnt:[2]', 'sh', MOUNTINFO);
    mkdirSync(join(proc, 'self/ns'), { recursive: true });
    symlinkSync('mnt:[1]', join(proc, 'self/ns/mnt'));
    writeFileSync(join(proc, 'swaps'), 'Filename Type Size Used Priority\n');
    mkdirSync(join(sys, 'class/block/sdb/sdb1'), { recursive: true });
    mkdirSync(join(sys, 'class/block/sdb/holders/dm-0'), { recursive: true });
    mkdirSync(join(sys, 'class/block/sdb/queue'), { recursive: true });
    writeFileSync(join(sys, 'class/block/sdb/dev'), '8:16\n');
    writeFileSync(join(sys, 'class/block/sdb/sdb1/partition'), '1\n');

    const sources = systemUsageSources({ procRoot: proc, sysRoot: sys });
    expect(sources.otherMountTables()).toEqual({ tables: [{ pid: 50, command: 'sleep', mountinfo: MOUNTINFO }], uninspected: 0 });
    expect(sources.deviceNumber('sdb')).toBe('8:16');
    expect(sources.deviceNumber('nope')).toBeNull();
    expect(sources.partitions('sdb')).toEqual(['sdb1']);
    expect(sources.holders('sdb')).toEqual(['dm-0']);
    expect(sources.swaps()).toStartWith('Filename');
    expect(sources.exclusiveOpen(join(root, 'no-such-device'))).toEqual({ state: 'unknown', why: 'opening it failed with ENOENT' });
  });
});
