/**
 * Loop devices on sparse files in a temp directory, for the disk tests (root).
 * Every device, mount and file a lab creates is undone by `cleanup()` (last
 * made, first undone; each undo runs even when an earlier one fails), so call
 * it from afterAll.
 *
 * A failing disk: this kernel family may lack device-mapper (no dm `error` or
 * `flakey` target), so `createFailing` builds the same thing from parts every
 * kernel has — a loop device over a file on a small ext4 that is then shut
 * down (EXT4_IOC_SHUTDOWN): from then on every read and write of the loop
 * device fails with EIO, like dm's `error` target.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

const MIB = 1024 * 1024;
/** `_IOR('X', 125, __u32)`: EXT4_IOC_SHUTDOWN (same number as XFS_IOC_GOINGDOWN). */
const EXT4_IOC_SHUTDOWN = 0x8004587dn;
/** Do not flush the journal: the filesystem just stops. */
const EXT4_GOING_FLAGS_NOLOGFLUSH = 2;

export interface LoopLab {
  dir: string;
  /** A loop device over a sparse file of zeros. */
  createBlank(name: string, sizeMiB: number): Promise<string>;
  /** A loop device with a partition table (sfdisk) and random bytes in its first partition. */
  createPartitioned(name: string, sizeMiB: number, label?: 'gpt' | 'dos'): Promise<string>;
  /** A loop device whose whole content is an ext4 filesystem, mounted under the lab directory. */
  createMounted(name: string, sizeMiB: number): Promise<{ device: string; mountpoint: string }>;
  /** A loop device on which every I/O fails with EIO (see the note above). */
  createFailing(name: string, sizeMiB: number): Promise<string>;
  cleanup(): Promise<void>;
}

async function sh(tool: string, args: string[], input?: string): Promise<string> {
  const result = await execa(tool, args, { input, reject: false, stripFinalNewline: true });
  if (result.exitCode !== 0) throw new Error(`${tool} ${args.join(' ')} exited ${result.exitCode}: ${String(result.stderr).trim()}`);
  return String(result.stdout);
}

function sparseFile(path: string, sizeMiB: number): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, Buffer.alloc(1), 0, 1, sizeMiB * MIB - 1);
  } finally {
    closeSync(fd);
  }
}

/** Stops an ext4 filesystem: every later I/O on it fails with EIO. */
async function shutdownFilesystem(mountpoint: string): Promise<void> {
  const { dlopen, FFIType, ptr } = await import('bun:ffi');
  const libc = dlopen('libc.so.6', { ioctl: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 } });
  const fd = openSync(mountpoint, 'r');
  try {
    const flags = new Uint32Array([EXT4_GOING_FLAGS_NOLOGFLUSH]);
    const rc = libc.symbols.ioctl(fd, EXT4_IOC_SHUTDOWN, ptr(flags));
    if (rc !== 0) throw new Error(`EXT4_IOC_SHUTDOWN on ${mountpoint} failed (${rc})`);
  } finally {
    closeSync(fd);
    libc.close();
  }
}

export function createLoopLab(prefix = 'bmt-disk-'): LoopLab {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const undo: (() => Promise<unknown>)[] = [];
  const attach = async (file: string): Promise<string> => {
    const device = await sh('losetup', ['--find', '--show', file]);
    undo.push(() => sh('losetup', ['--detach', device]));
    return device;
  };
  const mount = async (device: string, mountpoint: string): Promise<void> => {
    mkdirSync(mountpoint, { recursive: true });
    await sh('mount', [device, mountpoint]);
    undo.push(() => sh('umount', [mountpoint]));
  };

  return {
    dir,
    async createBlank(name, sizeMiB) {
      const file = join(dir, `${name}.img`);
      sparseFile(file, sizeMiB);
      return attach(file);
    },
    async createPartitioned(name, sizeMiB, label = 'gpt') {
      const file = join(dir, `${name}.img`);
      sparseFile(file, sizeMiB);
      const half = Math.floor(sizeMiB / 2);
      await sh('sfdisk', ['--quiet', file], `label: ${label}\n,${half}M,L\n,,L\n`);
      const fd = openSync(file, 'r+');
      try {
        writeSync(fd, crypto.getRandomValues(new Uint8Array(4 * MIB)), 0, 4 * MIB, MIB);
      } finally {
        closeSync(fd);
      }
      return attach(file);
    },
    async createMounted(name, sizeMiB) {
      const file = join(dir, `${name}.img`);
      sparseFile(file, sizeMiB);
      const device = await attach(file);
      await sh('mkfs.ext4', ['-q', '-F', device]);
      const mountpoint = join(dir, `${name}.mnt`);
      await mount(device, mountpoint);
      return { device, mountpoint };
    },
    async createFailing(name, sizeMiB) {
      const fsFile = join(dir, `${name}-fs.img`);
      sparseFile(fsFile, sizeMiB + 32);
      await sh('mkfs.ext4', ['-q', '-F', fsFile]);
      const fsDevice = await attach(fsFile);
      const mountpoint = join(dir, `${name}-fs.mnt`);
      await mount(fsDevice, mountpoint);
      const backing = join(mountpoint, 'disk.img');
      sparseFile(backing, sizeMiB);
      const device = await attach(backing);
      await shutdownFilesystem(mountpoint);
      return device;
    },
    async cleanup() {
      const failures: string[] = [];
      for (const step of undo.reverse()) {
        try {
          await step();
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
      undo.length = 0;
      rmSync(dir, { recursive: true, force: true });
      if (failures.length) throw new Error(`loop lab cleanup: ${failures.join('; ')}`);
    },
  };
}

/** sha256 of a whole block device (or file), read from the start to the end. */
export async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * MIB })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
