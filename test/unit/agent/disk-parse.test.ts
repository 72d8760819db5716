import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeErrno, fioErrorMessages, parseFioJson } from '../../../agent/tools/fio.parse.ts';
import { flattenBlockDevices, mountpointsBelow, parseLsblkJson } from '../../../agent/tools/lsblk.parse.ts';
import { ToolOutputError } from '../../../agent/tools/tool-output-error.ts';
import { parseWipefsJson, signatureTypes } from '../../../agent/tools/wipefs.parse.ts';

const fixture = (path: string) => readFileSync(join(import.meta.dir, '../../fixtures', path), 'utf8');
const fio = (name: string) => parseFioJson(fixture(`fio/${name}.json`), fixture(`fio/${name}.stderr`));

describe('lsblk JSON', () => {
  const devices = parseLsblkJson(fixture('lsblk/loops-gpt-mounted-partition.json'));
  const byName = (name: string) => flattenBlockDevices(devices).find((d) => d.name === name);

  test('lists top-level devices with sizes in bytes, types and flags', () => {
    expect(devices.map((d) => d.name)).toEqual(['loop0', 'loop1', 'loop2', 'loop3', 'loop4', 'loop5', 'zram0', 'vda']);
    expect(byName('loop0')).toMatchObject({
      path: '/dev/loop0',
      type: 'loop',
      sizeBytes: 268435456,
      removable: false,
      readOnly: false,
      logicalSectorBytes: 512,
    });
    expect(byName('vda')).toMatchObject({ type: 'disk', sizeBytes: 274877906944, rotational: true, transport: null });
  });

  test('keeps partitions as children with their mount points', () => {
    const loop1 = byName('loop1')!;
    expect(loop1.children.map((c) => [c.name, c.type])).toEqual([
      ['loop1p1', 'part'],
      ['loop1p2', 'part'],
    ]);
    expect(loop1.mountpoints).toEqual([]);
    expect(mountpointsBelow(loop1)).toHaveLength(1);
    expect(mountpointsBelow(loop1)[0]).toEndWith('/gpt-p1.mnt');
  });

  test('drops the null entries lsblk prints for unmounted devices', () => {
    expect(byName('vda')!.mountpoints).toEqual(['/run/netns', '/']);
    expect(byName('loop2')!.mountpoints).toEqual([]);
  });

  test('accepts the older shape with strings for numbers and a single mountpoint', () => {
    const [old] = parseLsblkJson(
      '{"blockdevices":[{"name":"sda","kname":"sda","type":"disk","size":"500107862016","rm":"0","ro":"0","rota":"1","tran":"sata","mountpoint":null,"model":"ST500DM002-1BD14 "}]}',
    );
    expect(old).toMatchObject({
      name: 'sda',
      path: '/dev/sda',
      sizeBytes: 500107862016,
      removable: false,
      rotational: true,
      transport: 'sata',
      model: 'ST500DM002-1BD14',
      mountpoints: [],
    });
  });

  test('rejects output that is not lsblk JSON', () => {
    expect(() => parseLsblkJson('lsblk: unknown column: MOUNTPOINTS')).toThrow(ToolOutputError);
    expect(() => parseLsblkJson('{"devices":[]}')).toThrow(/blockdevices/);
  });
});

describe('wipefs JSON', () => {
  test('a GPT disk shows the primary and backup header and the protective MBR', () => {
    const signatures = parseWipefsJson(fixture('wipefs/gpt.json'));
    expect(signatureTypes(signatures)).toEqual(['gpt', 'PMBR']);
    expect(signatures.map((s) => s.offsetBytes)).toEqual([0x200, 0xffffe00, 0x1fe]);
  });

  test('an MBR disk shows dos and a whole-disk filesystem shows its type and UUID', () => {
    expect(signatureTypes(parseWipefsJson(fixture('wipefs/dos.json')))).toEqual(['dos']);
    const [ext4] = parseWipefsJson(fixture('wipefs/whole-disk-ext4-mounted.json'));
    expect(ext4).toMatchObject({ type: 'ext4', offsetBytes: 0x438 });
    expect(ext4!.uuid).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('a blank disk and an unreadable disk both give an empty list', () => {
    expect(parseWipefsJson(fixture('wipefs/blank.json'))).toEqual([]);
    expect(parseWipefsJson(fixture('wipefs/eio-unreadable.json'))).toEqual([]);
    expect(parseWipefsJson('')).toEqual([]);
  });

  test('rejects output that is not wipefs JSON', () => {
    expect(() => parseWipefsJson('wipefs: error: /dev/vda: probing initialization failed')).toThrow(ToolOutputError);
  });
});

describe('fio JSON', () => {
  test('a read-write run reports bandwidth, IOPS and latency per job', () => {
    const report = fio('read-write-blank-loop');
    expect(report.version).toBe('fio-3.33');
    expect(report.messages).toEqual([]);
    expect(report.jobs.map((j) => [j.name, j.rw, j.error])).toEqual([
      ['seq-write', 'write', 0],
      ['seq-read', 'read', 0],
      ['rand-write', 'randwrite', 0],
      ['rand-read', 'randread', 0],
    ]);
    const [seqWrite, seqRead, randWrite, randRead] = report.jobs;
    expect(seqWrite!.write.bandwidthMBps).toBe(4544.18);
    expect(seqWrite!.read.totalIos).toBe(0);
    expect(seqRead!.read.bandwidthMBps).toBe(6919.24);
    expect(randWrite!.write.iops).toBe(69818.1);
    expect(randRead!.read.iops).toBe(164498.3);
    expect(randRead!.read.clatP99Us).toBe(333.82);
    expect(randRead!.read.clatP50Us).toBeGreaterThan(0);
    expect(randRead!.write.clatP99Us).toBeNull();
  });

  test('a read-only run has only the read jobs', () => {
    expect(fio('read-only-gpt-loop').jobs.map((j) => j.name)).toEqual(['seq-read', 'rand-read']);
  });

  test('a run on a failing device gives the errno per job and the messages fio printed around the JSON', () => {
    const report = fio('eio-read-only');
    expect(report.jobs.map((j) => [j.name, j.error, j.errorText])).toEqual([
      ['seq-read', 5, 'Input/output error (errno 5)'],
      ['rand-read', 5, 'Input/output error (errno 5)'],
    ]);
    expect(report.messages[0]).toBe('Input/output error (errno 5)');
    expect(report.messages[1]).toMatch(/^Input\/output error on read at offset 0 \(1048576 bytes\) of \/dev\/loop\d+$/);
    expect(report.messages).toHaveLength(2);
  });

  test('fio refusing a write job under --readonly prints no report', () => {
    expect(() => fio('readonly-refuses-write')).toThrow(ToolOutputError);
    expect(fioErrorMessages(fixture('fio/readonly-refuses-write.stderr'))).toContain('job <seq-write> has write or trim bit set, but fio is in read-only mode');
  });

  test('truncated JSON is a parse error, not an empty report', () => {
    expect(() => parseFioJson(fixture('fio/read-write-blank-loop.json').slice(0, 500))).toThrow(/does not parse/);
  });

  test('errno values are named as strerror names them', () => {
    expect(describeErrno(28)).toBe('No space left on device (errno 28)');
    expect(describeErrno(999)).toBe('error (errno 999)');
  });
});
