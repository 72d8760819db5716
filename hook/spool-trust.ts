/**
 * Whether the spool may be used, and as whom. The spool is written by dhcpd's
 * user and drained by whoever runs `bm-hook drain` — often root (a timer). Whoever
 * owns the spool can plant symlinks and files in it, so before touching it:
 *
 * - every ancestor directory is owned by root (or by us) and not writable by
 *   others unless sticky (like /tmp); a symlink among the ancestors must be root's;
 * - the spool and its tmp/, new/, failed/ are real directories (not symlinks),
 *   all owned by one user, not group/world-writable without the sticky bit;
 * - a root drainer then becomes that owner (setgroups/setgid/setuid) before it
 *   reads or writes anything in the spool: whatever the owner planted, root does
 *   nothing there the owner could not have done itself.
 *
 * judgeSpool() is pure (facts in, verdict out); gatherSpoolFacts() and
 * becomeOwner() are the I/O at the edges.
 */
import { lstatSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { BmError } from '../shared/errors.ts';

export type PathKind = 'directory' | 'symlink' | 'file' | 'other' | 'missing';

export interface PathFacts {
  path: string;
  kind: PathKind;
  uid: number;
  gid: number;
  /** Permission bits incl. sticky (st_mode & 0o7777). */
  mode: number;
}

export interface SpoolFacts {
  /** From `/` down to the spool's parent. */
  ancestors: PathFacts[];
  spool: PathFacts;
  /** tmp/, new/, failed/ (missing ones are created by the owner). */
  subdirs: PathFacts[];
}

export type SpoolVerdict = { ok: true; owner: { uid: number; gid: number } | null } | { ok: false; problems: string[] };

export const SPOOL_SUBDIRS = ['tmp', 'new', 'failed'] as const;

const STICKY = 0o1000;
const octal = (mode: number) => `0${(mode & 0o7777).toString(8)}`;
const writableByOthers = (facts: PathFacts) => (facts.mode & 0o022) !== 0 && (facts.mode & STICKY) === 0;

/**
 * The verdict on a spool for a process running as `euid`. `owner` is the user the
 * process must become (null: stay as it is; the spool is ours or root's, or missing
 * and will be created by us). Pure.
 */
export function judgeSpool(facts: SpoolFacts, euid: number): SpoolVerdict {
  const problems: string[] = [];
  for (const ancestor of facts.ancestors) {
    if (ancestor.kind === 'symlink') {
      if (ancestor.uid !== 0) problems.push(`${ancestor.path} is a symlink owned by uid ${ancestor.uid}, not root`);
    } else if (ancestor.kind !== 'directory') {
      problems.push(`${ancestor.path} is not a directory (${ancestor.kind})`);
    } else if (ancestor.uid !== 0 && ancestor.uid !== euid) {
      problems.push(`${ancestor.path} is owned by uid ${ancestor.uid}, not root: its owner could swap the spool`);
    } else if (writableByOthers(ancestor)) {
      problems.push(`${ancestor.path} is writable by others (mode ${octal(ancestor.mode)}) without the sticky bit`);
    }
  }
  const { spool } = facts;
  if (spool.kind === 'missing') return problems.length ? { ok: false, problems } : { ok: true, owner: null };
  if (spool.kind === 'symlink') problems.push(`${spool.path} is a symlink; the spool must be a real directory`);
  else if (spool.kind !== 'directory') problems.push(`${spool.path} is not a directory (${spool.kind})`);
  else if (writableByOthers(spool)) problems.push(`${spool.path} is writable by group or others (mode ${octal(spool.mode)}): anyone could plant events`);
  for (const sub of facts.subdirs) {
    if (sub.kind === 'missing') continue;
    if (sub.kind === 'symlink') problems.push(`${sub.path} is a symlink; spool subdirectories must be real directories`);
    else if (sub.kind !== 'directory') problems.push(`${sub.path} is not a directory (${sub.kind})`);
    else if (sub.uid !== spool.uid) problems.push(`${sub.path} is owned by uid ${sub.uid}, the spool by uid ${spool.uid}`);
    else if (writableByOthers(sub)) problems.push(`${sub.path} is writable by group or others (mode ${octal(sub.mode)})`);
  }
  if (problems.length) return { ok: false, problems };
  if (spool.uid === euid || spool.uid === 0) return { ok: true, owner: null };
  if (euid !== 0) return { ok: false, problems: [`${spool.path} is owned by uid ${spool.uid}; this process runs as uid ${euid} and cannot use it`] };
  return { ok: true, owner: { uid: spool.uid, gid: spool.gid } };
}

function kindOf(stats: Stats): PathKind {
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isDirectory()) return 'directory';
  if (stats.isFile()) return 'file';
  return 'other';
}

/** lstat without following: what is at `path` itself. */
export function pathFacts(path: string): PathFacts {
  try {
    const stats = lstatSync(path);
    return { path, kind: kindOf(stats), uid: stats.uid, gid: stats.gid, mode: stats.mode & 0o7777 };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { path, kind: 'missing', uid: -1, gid: -1, mode: 0 };
    throw error;
  }
}

export function gatherSpoolFacts(dir: string): SpoolFacts {
  const spoolPath = resolve(dir);
  const ancestors: PathFacts[] = [];
  for (let path = dirname(spoolPath); ; path = dirname(path)) {
    ancestors.unshift(pathFacts(path));
    if (path === dirname(path)) break;
  }
  return { ancestors, spool: pathFacts(spoolPath), subdirs: SPOOL_SUBDIRS.map((sub) => pathFacts(join(spoolPath, sub))) };
}

export class SpoolUntrustedError extends BmError {
  override readonly name = 'SpoolUntrustedError';
  constructor(
    readonly dir: string,
    readonly problems: readonly string[],
  ) {
    super(`refusing to use the spool ${dir}: ${problems.join('; ')} — nothing was touched (fix ownership/modes: docs/hook.md "Spool safety")`);
  }

  /** A deployment problem an operator fixes (exit 2, like bad config); leases wait meanwhile. */
  override get failureCause() {
    return 'config' as const;
  }

  override get failureClass() {
    return 'retry-later' as const;
  }

  override details() {
    return { dir: this.dir, problems: this.problems };
  }
}

/** Drops every privilege to `owner` (supplementary groups, gid, then uid). Irreversible. */
export function becomeOwner(owner: { uid: number; gid: number }): void {
  if (!process.setgroups || !process.setgid || !process.setuid) throw new Error('cannot drop privileges on this platform');
  process.setgroups([owner.gid]);
  process.setgid(owner.gid);
  process.setuid(owner.uid);
}

/**
 * Checks the spool and, when running as root on a spool another user owns, becomes
 * that user. Throws SpoolUntrustedError (nothing touched) when the spool is unsafe.
 */
export function trustSpool(dir: string, euid: number = process.geteuid?.() ?? 0): void {
  const verdict = judgeSpool(gatherSpoolFacts(dir), euid);
  if (!verdict.ok) throw new SpoolUntrustedError(dir, verdict.problems);
  if (verdict.owner) becomeOwner(verdict.owner);
}
