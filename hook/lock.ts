/**
 * One drainer at a time: an exclusive flock(2) on <spool>/drain.lock. The kernel
 * releases it when the holder dies, even by kill -9, so there is no stale-lock
 * clean-up to get wrong. flock comes from libc through bun:ffi.
 */
import { dlopen, FFIType } from 'bun:ffi';
import { closeSync, constants, openSync } from 'node:fs';
import { join } from 'node:path';

const LOCK_EX = 2;
const LOCK_NB = 4;

let libc: { symbols: { flock: (fd: number, operation: number) => number } } | undefined;

function flock(fd: number, operation: number): number {
  libc ??= dlopen('libc.so.6', { flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 } });
  return libc.symbols.flock(fd, operation);
}

export interface DrainLock {
  release(): void;
}

/** The lock when free, null when another drainer holds it. Never waits. */
export function tryLockDrain(spoolDir: string): DrainLock | null {
  // O_NOFOLLOW: a drain.lock planted as a symlink is refused (ELOOP), never created through.
  let fd: number;
  try {
    fd = openSync(join(spoolDir, 'drain.lock'), constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new Error(`${join(spoolDir, 'drain.lock')} is a symlink; refusing to follow it (remove it)`);
    throw error;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) !== 0) {
    closeSync(fd);
    return null;
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      closeSync(fd);
    },
  };
}
