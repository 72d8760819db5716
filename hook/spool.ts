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
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseMac } from '../shared/mac.ts';
import type { LeaseEvent } from './lease.ts';

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

const SUBDIRS = ['tmp', 'new', 'failed'] as const;

export function ensureSpool(dir: string): void {
  for (const sub of SUBDIRS) mkdirSync(join(dir, sub), { recursive: true, mode: 0o750 });
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
  const fd = openSync(tmpPath, 'wx', 0o640);
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

export function removeEvent(dir: string, name: string): void {
  rmSync(join(dir, 'new', name), { force: true });
}

export interface FailureRecord {
  event: unknown;
  reason: string;
  failedAt: string;
}

/** Moves an event aside with its reason (one JSON file in failed/). */
export function failEvent(dir: string, name: string, event: unknown, reason: string): void {
  const record: FailureRecord = { event, reason, failedAt: new Date().toISOString() };
  writeDurably(join(dir, 'tmp', `failed-${name}`), join(dir, 'failed', name), `${JSON.stringify(record, null, 2)}\n`);
  removeEvent(dir, name);
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
    return readdirSync(join(dir, 'failed')).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return [];
  }
}

export type ReadResult = { ok: true; spooled: SpooledEvent } | { ok: false; name: string; reason: string; raw: string };

/** Parses one event file; anything not a valid event is reported, never thrown. */
export function readEvent(dir: string, name: string): ReadResult {
  let raw = '';
  try {
    raw = readFileSync(join(dir, 'new', name), 'utf8');
    const parsed = JSON.parse(raw) as { event?: Partial<LeaseEvent>; progress?: EventProgress };
    const event = parsed.event;
    if (!event || event.v !== 1 || typeof event.ip !== 'string' || typeof event.mac !== 'string' || !parseMac(event.mac)) {
      return { ok: false, name, reason: 'not a version-1 lease event', raw };
    }
    return { ok: true, spooled: { name, event: event as LeaseEvent, progress: parsed.progress } };
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
      if (now - statSync(path).mtimeMs > olderThanMs) {
        rmSync(path, { force: true });
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
  lastSuccessAt?: string;
  lastError?: string;
  lastErrorAt?: string;
  applied?: number;
}

export function readStatus(dir: string): DrainStatus {
  try {
    return JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as DrainStatus;
  } catch {
    return {};
  }
}

export function writeStatus(dir: string, status: DrainStatus): void {
  writeDurably(join(dir, 'tmp', `status.${process.pid}.${sequence++}`), join(dir, 'status.json'), `${JSON.stringify(status, null, 2)}\n`);
}
