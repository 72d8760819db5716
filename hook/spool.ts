/**
 * The durable lease spool. `commit` appends an event (write to tmp/, fsync,
 * rename into new/, fsync the directory), so a crash at any point leaves either
 * no event or a whole one. The drainer reads new/ in order, rewrites an event
 * atomically to record progress, deletes it when applied, or moves it to
 * failed/ with the reason when NetBox will never accept it.
 *
 *   <dir>/tmp/      half-written events (ignored, cleaned when stale)
 *   <dir>/new/      events waiting, named <epoch ms>-<monotonic ns>-<pid>.json
 *   <dir>/failed/   permanent failures, each with its reason
 *   <dir>/drain.lock, <dir>/status.json
 *
 * Nothing here follows a symlink: the spool is checked (and a root drainer becomes
 * its owner) by spool-trust.ts before use, files are opened with O_NOFOLLOW, and
 * what is not a regular file is moved aside, never read or deleted through.
 */
import {
  type Stats,
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { validateSpooledEvent, type LeaseEvent } from './lease.ts';
import { SPOOL_SUBDIRS, trustSpool } from './spool-trust.ts';

export interface SpooledEvent {
  name: string;
  event: LeaseEvent;
  /** Set by the drainer: what was decided and which actions are done, so a restart neither repeats nor skips. */
  progress?: EventProgress;
}

export interface EventProgress {
  /** The FSM row chosen on the first attempt and the actions done so far; absent until decided. */
  plan?: { rowNote: string; actions: string[]; done: string[]; fails?: boolean; reason?: string };
  attempts: number;
  lastError?: string;
  /** Epoch ms before which the drainer should not retry. */
  notBefore?: number;
}

/** Largest event file read (events are well under 1 KiB; a planted huge file is not loaded). */
export const MAX_EVENT_BYTES = 64 * 1024;

/**
 * Makes the spool usable: checks it may be trusted (spool-trust.ts: a root process
 * becomes the spool's owner first; an unsafe spool throws SpoolUntrustedError and
 * nothing is touched), then creates missing subdirectories, private to the owner.
 */
export function ensureSpool(dir: string): void {
  trustSpool(dir);
  for (const sub of SPOOL_SUBDIRS) mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
}

/** Opens an existing file for reading without following a symlink or blocking on a FIFO. */
function openNoFollow(path: string): number {
  return openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
}

/**
 * Reads a regular file of at most `maxBytes` without following symlinks; anything
 * else (symlink, directory, FIFO, device, too big) is an error saying what it is.
 */
export function readRegularFile(path: string, maxBytes: number): string {
  let fd: number;
  try {
    fd = openNoFollow(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new Error('is a symlink (not followed)');
    throw error;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new Error(`is not a regular file (${stats.isDirectory() ? 'a directory' : 'a special file'})`);
    if (stats.size > maxBytes) throw new Error(`is ${stats.size} bytes, over the ${maxBytes}-byte limit`);
    const buffer = Buffer.alloc(stats.size);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function fsyncDir(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `content` to `finalPath` atomically and durably via `tmpPath`. */
function writeDurably(tmpPath: string, finalPath: string, content: string, beforeRename?: () => void): void {
  // O_EXCL: never opens an existing path, so a planted symlink is not followed.
  const fd = openSync(tmpPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  beforeRename?.();
  renameSync(tmpPath, finalPath);
  fsyncDir(join(finalPath, '..'));
}

let sequence = 0;

export function eventFileName(now: number = Date.now()): string {
  const monotonic = process.hrtime.bigint().toString().padStart(20, '0');
  return `${String(now).padStart(13, '0')}-${monotonic}-${process.pid}-${sequence++}.json`;
}

/** Appends one event durably; returns its file name. `beforeRename` lets crash tests stop it mid-way. */
export function appendEvent(dir: string, event: LeaseEvent, beforeRename?: () => void): string {
  const name = eventFileName();
  writeDurably(join(dir, 'tmp', name), join(dir, 'new', name), `${JSON.stringify({ event })}\n`, beforeRename);
  return name;
}

/** Rewrites a spooled event (progress) atomically. */
export function rewriteEvent(dir: string, spooled: SpooledEvent): void {
  const tmp = join(dir, 'tmp', `${spooled.name}.${process.pid}.${sequence++}`);
  writeDurably(tmp, join(dir, 'new', spooled.name), `${JSON.stringify({ event: spooled.event, progress: spooled.progress })}\n`);
}

/** Deletes an applied event: unlinks the entry itself (a symlink is removed, never followed). */
export function removeEvent(dir: string, name: string): void {
  try {
    unlinkSync(join(dir, 'new', name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

export interface FailureRecord {
  event: unknown;
  reason: string;
  failedAt: string;
}

/**
 * Moves an event aside with its reason: the record goes to failed/<name>; a regular
 * file or symlink in new/ is then unlinked, anything else (a directory, a FIFO) is
 * renamed to failed/<name>.entry as it is. Throws (and leaves new/ as it was) when the
 * record cannot be written, e.g. on a full disk. Returns what happened, for the log.
 */
export function failEvent(dir: string, name: string, event: unknown, reason: string): string {
  const record: FailureRecord = { event, reason, failedAt: new Date().toISOString() };
  writeDurably(join(dir, 'tmp', `failed-${name}.${process.pid}.${sequence++}`), join(dir, 'failed', name), `${JSON.stringify(record, null, 2)}\n`);
  const entry = join(dir, 'new', name);
  let stats: Stats;
  try {
    stats = lstatSync(entry);
  } catch {
    return `reason recorded in failed/${name}`;
  }
  if (stats.isFile() || stats.isSymbolicLink()) {
    removeEvent(dir, name);
    return `moved to failed/${name}`;
  }
  renameSync(entry, join(dir, 'failed', `${name}.entry`));
  fsyncDir(join(dir, 'new'));
  return `moved to failed/${name}.entry, reason in failed/${name}`;
}

export function pendingNames(dir: string): string[] {
  try {
    return readdirSync(join(dir, 'new'))
      .filter((n) => n.endsWith('.json'))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export function failedNames(dir: string): string[] {
  try {
    return readdirSync(join(dir, 'failed'))
      .filter((n) => n.endsWith('.json'))
      .sort();
  } catch {
    return [];
  }
}

export type ReadResult = { ok: true; spooled: SpooledEvent } | { ok: false; name: string; reason: string; raw: string };

/** Parses one event file; anything not a valid event is reported, never thrown. */
export function readEvent(dir: string, name: string): ReadResult {
  let raw = '';
  try {
    raw = readRegularFile(join(dir, 'new', name), MAX_EVENT_BYTES);
    const parsed = JSON.parse(raw) as { event?: unknown; progress?: EventProgress };
    // The same rules as a lease from dhcpd (lease.ts): a planted event gets no further than a hostile client.
    const valid = validateSpooledEvent(parsed.event);
    if (!valid.ok) return { ok: false, name, reason: valid.reason, raw };
    return { ok: true, spooled: { name, event: valid.event, progress: parsed.progress } };
  } catch (error) {
    return { ok: false, name, reason: `unreadable: ${(error as Error).message}`, raw };
  }
}

/**
 * Keeps the spool bounded: when more than `max` events wait, drop all but the
 * newest event of each MAC (the FSM converges on the newest lease). Events already
 * in progress are kept. Returns how many were removed.
 */
export function coalesceByMac(dir: string, max: number): number {
  const names = pendingNames(dir);
  if (names.length < max) return 0;
  const newestByMac = new Map<string, string>();
  const keep = new Set<string>();
  for (const name of names) {
    const read = readEvent(dir, name);
    if (!read.ok) continue;
    if (read.spooled.progress?.plan) keep.add(name);
    newestByMac.set(read.spooled.event.mac, name);
  }
  for (const name of newestByMac.values()) keep.add(name);
  let removed = 0;
  for (const name of names) {
    if (keep.has(name) || !readEvent(dir, name).ok) continue;
    removeEvent(dir, name);
    removed++;
  }
  return removed;
}

/** Removes half-written files left in tmp/ by a crash, older than `olderThanMs`. */
export function cleanTmp(dir: string, olderThanMs = 60_000, now = Date.now()): number {
  let removed = 0;
  for (const name of readdirSync(join(dir, 'tmp'))) {
    const path = join(dir, 'tmp', name);
    try {
      // lstat: the entry itself; a symlink is unlinked, its target never touched.
      const stats = lstatSync(path);
      if ((stats.isFile() || stats.isSymbolicLink()) && now - stats.mtimeMs > olderThanMs) {
        unlinkSync(path);
        removed++;
      }
    } catch {
      // raced with another cleaner
    }
  }
  return removed;
}

export interface DrainStatus {
  lastRunAt?: string;
  /** How the last run ended: all applied, leases waiting on NetBox, an event failed or stuck, or the run itself failed. */
  lastRunResult?: 'ok' | 'waiting' | 'failed' | 'error';
  /** The last run's counts (hook/drain.ts DrainSummary). */
  lastRun?: { applied: number; failed: number; stuck: number; waiting: number; coalesced: number };
  lastSuccessAt?: string;
  lastError?: string;
  lastErrorAt?: string;
  applied?: number;
  /** NetBox's version per base URL, remembered across drainers (hook/version-cache.ts). */
  netboxVersions?: Record<string, { text: string; major: number; minor: number; patch: number; at: string }>;
  /** When the token's view permissions behind the GraphQL lease query were last checked by REST, per base URL (hook/version-cache.ts). */
  graphqlViewsCheckedAt?: Record<string, string>;
}

export function readStatus(dir: string): DrainStatus {
  try {
    return JSON.parse(readRegularFile(join(dir, 'status.json'), MAX_EVENT_BYTES)) as DrainStatus;
  } catch {
    return {};
  }
}

export function writeStatus(dir: string, status: DrainStatus): void {
  writeDurably(join(dir, 'tmp', `status.${process.pid}.${sequence++}`), join(dir, 'status.json'), `${JSON.stringify(status, null, 2)}\n`);
}
