/**
 * The guard's probe of one disk with a fake ToolRunner: which regions dd
 * samples, that any non-zero byte is data, blkid at the partition offsets
 * (hand-made outputs in the shape of blkid 2.38.1's `--output export`), and the
 * usage checks asked before any tool.
 */
import { describe, expect, test } from 'bun:test';
import { partitionOffsetsFor, probeDisk } from '../../../agent/disk/probe.ts';
import { offsetProbeOf, parseBlkidExport } from '../../../agent/tools/blkid.parse.ts';
import { blkidOffsetArgs } from '../../../agent/tools/blkid.ts';
import type { BlockDevice } from '../../../agent/tools/lsblk.parse.ts';
import type { ToolInvocation } from '../../../agent/tools/run-tool.ts';
import { sampleRegions, sampleVerdict } from '../../../agent/tools/wipefs.ts';
import { MiB } from '../../../shared/units.ts';
import { fakeUsage, idleUsage } from '../../helpers/disk-facts.ts';
import { fakeToolRunner, type FakeAnswer } from '../../helpers/fake-tools.ts';

const SIZE = 64 * MiB;
const device: Pick<BlockDevice, 'path' | 'kname' | 'sizeBytes' | 'name' | 'children'> = {
  path: '/dev/loop9',
  kname: 'loop9',
  name: 'loop9',
  sizeBytes: SIZE,
  children: [],
};
const EXT4_AT_1MIB = 'DEVNAME=/dev/loop9\nUUID=f0972483-4674-4136-8241-2413be987965\nVERSION=1.0\nBLOCK_SIZE=1024\nTYPE=ext4\nUSAGE=filesystem\n';

const arg = (inv: ToolInvocation, name: string) => Number(inv.args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1));

/** A disk of zeros, but for `data` (byte offset → a non-zero byte) and what blkid finds at `signatures` (offset → stdout). */
function disk(data: number[] = [], signatures: Record<number, string> = {}) {
  return (inv: ToolInvocation): FakeAnswer => {
    if (inv.tool === 'wipefs') return { stdout: '{"signatures": []}' };
    if (inv.tool === 'blkid') {
      const offset = Number(inv.args[inv.args.indexOf('--offset') + 1]);
      return signatures[offset] ? { stdout: signatures[offset] } : { exitCode: 2 };
    }
    if (inv.tool === 'dd') {
      const start = arg(inv, 'skip') * arg(inv, 'bs');
      const length = arg(inv, 'count') * arg(inv, 'bs');
      const bytes = Buffer.alloc(length);
      for (const at of data) if (at >= start && at < start + length) bytes[at - start] = 0x53;
      return { stdout: bytes.toString('latin1') };
    }
    throw new Error(`unexpected ${inv.tool}`);
  };
}

describe('what is sampled', () => {
  test('the first 4 MiB in 1 MiB reads after the first, then a 256 KiB window at each far partition start, before the last MiB', () => {
    expect(sampleRegions(64 * MiB).map((r) => r.where)).toEqual([
      '1 MiB at 1 MiB',
      '1 MiB at 2 MiB',
      '1 MiB at 3 MiB',
      '256 KiB at 8 MiB',
      '256 KiB at 16 MiB',
      '256 KiB at 32 MiB',
    ]);
    expect(sampleRegions(2 * MiB)).toEqual([]);
    expect(partitionOffsetsFor(64 * MiB)).toEqual([17408, 32256, MiB, 2 * MiB, 3 * MiB, 8 * MiB, 16 * MiB, 32 * MiB]);
  });

  test('a sample is data when any byte is not zero, short when fewer bytes came back', () => {
    expect(sampleVerdict('\0\0\0', 3)).toBe('zeros');
    expect(sampleVerdict('\0\0S', 3)).toBe('data');
    expect(sampleVerdict('\0\uFFFD', 3)).toBe('data');
    expect(sampleVerdict('\0', 3)).toBe('short');
  });

  test('blkid at an offset: found, nothing, conflicting, failed', () => {
    expect(blkidOffsetArgs('/dev/sdb', MiB)).toEqual(['--probe', '--offset', '1048576', '--output', 'export', '/dev/sdb']);
    expect(parseBlkidExport('LABEL=my\\ disk\nTYPE=xfs\n')).toEqual({ LABEL: 'my disk', TYPE: 'xfs' });
    expect(offsetProbeOf(0, EXT4_AT_1MIB)).toEqual({ kind: 'found', type: 'ext4', usage: 'filesystem' });
    expect(offsetProbeOf(0, 'PTTYPE=dos\n')).toEqual({ kind: 'found', type: 'dos', usage: 'partition table' });
    expect(offsetProbeOf(2, '')).toEqual({ kind: 'nothing' });
    expect(offsetProbeOf(8, '')).toEqual({ kind: 'ambivalent' });
    expect(offsetProbeOf(4, '')).toEqual({ kind: 'failed', exitCode: 4 });
  });
});

describe('probeDisk', () => {
  test('a disk of zeros with no signature anywhere is blank', async () => {
    const probe = await probeDisk(fakeToolRunner(disk()), device, { usage: idleUsage });
    expect(probe).toMatchObject({ signatures: [], readable: true, problems: [], dataFound: [], usage: [] });
  });

  test('a lost partition table over an ext4 at 1 MiB: the superblock bytes and blkid both say data', async () => {
    const run = fakeToolRunner(disk([MiB + 0x438], { [MiB]: EXT4_AT_1MIB }));
    const probe = await probeDisk(run, device, { usage: idleUsage });
    expect(probe.dataFound).toEqual(['has non-zero bytes in 1 MiB at 1 MiB', 'holds ext4 at 1 MiB']);
    // Every read only reads: wipefs --no-act, dd without of=, blkid --probe.
    expect(run.calls.find((c) => c.tool === 'wipefs')!.args).toContain('--no-act');
    expect(run.calls.filter((c) => c.tool === 'dd').every((c) => !c.args.some((a) => a.startsWith('of=')))).toBe(true);
  });

  test('one non-zero byte in the last MiB, or at a far partition start, is data', async () => {
    expect((await probeDisk(fakeToolRunner(disk([SIZE - 1])), device, { usage: idleUsage })).dataFound).toEqual(['has non-zero bytes in the last MiB']);
    expect((await probeDisk(fakeToolRunner(disk([16 * MiB + 100])), device, { usage: idleUsage })).dataFound).toEqual([
      'has non-zero bytes in 256 KiB at 16 MiB',
    ]);
  });

  test('blkid missing makes the probe inconclusive, said once', async () => {
    const answer = disk();
    const probe = await probeDisk(
      fakeToolRunner((inv) => (inv.tool === 'blkid' ? { missing: true } : answer(inv))),
      device,
      { usage: idleUsage },
    );
    expect(probe.problems).toEqual(['signature probe at 17 KiB (sector 34) failed: blkid is not installed']);
  });

  test('the usage checks go into the probe, with lsblk names for mount sources', async () => {
    const mountinfo = '99 1 253:0 / /mnt rw - ext4 /dev/mapper/vg-data rw';
    const usage = fakeUsage({ mountTables: [{ pid: 9, command: 'sleep', mountinfo }] });
    const withVolume = { ...device, children: [{ ...device, name: 'vg-data', kname: 'dm-0', children: [] } as unknown as BlockDevice] };
    const probe = await probeDisk(fakeToolRunner(disk()), withVolume, { usage });
    expect(probe.usage.map((f) => f.text)).toEqual(['mounted at /mnt in another mount namespace (pid 9, sleep)']);
  });

  test('a partition listed on its own is in use when a sibling on its disk is mounted elsewhere', async () => {
    const usage = fakeUsage({
      numbers: { sdb1: '8:17' },
      partitions: { sdb: ['sdb1', 'sdb2'] },
      mountTables: [{ pid: 9, command: 'sleep', mountinfo: '1 1 8:17 / /a rw - ext4 /dev/sdb1 rw' }],
    });
    const sdb = { path: '/dev/sdb', kname: 'sdb', name: 'sdb', children: [] };
    const sdb2 = { ...device, path: '/dev/sdb2', kname: 'sdb2', name: 'sdb2' };
    expect((await probeDisk(fakeToolRunner(disk()), sdb2, { usage })).usage).toEqual([]);
    expect((await probeDisk(fakeToolRunner(disk()), sdb2, { usage, disk: sdb })).usage.map((f) => f.text)).toEqual([
      'mounted at /a in another mount namespace (pid 9, sleep)',
    ]);
  });
});
