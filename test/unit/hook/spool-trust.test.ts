import { describe, expect, test } from 'bun:test';
import { judgeSpool, type PathFacts, type SpoolFacts } from '../../../hook/spool-trust.ts';

const dir = (path: string, uid = 0, mode = 0o755): PathFacts => ({ path, kind: 'directory', uid, gid: uid, mode });
const link = (path: string, uid = 0): PathFacts => ({ path, kind: 'symlink', uid, gid: uid, mode: 0o777 });
const missing = (path: string): PathFacts => ({ path, kind: 'missing', uid: -1, gid: -1, mode: 0 });

/** /var/spool/bm-hook owned by `owner` with its three subdirectories. */
function facts(owner: number, overrides: Partial<SpoolFacts> = {}): SpoolFacts {
  return {
    ancestors: [dir('/'), dir('/var'), dir('/var/spool')],
    spool: dir('/var/spool/bm-hook', owner, 0o700),
    subdirs: ['tmp', 'new', 'failed'].map((s) => dir(`/var/spool/bm-hook/${s}`, owner, 0o700)),
    ...overrides,
  };
}

describe('judgeSpool: whether a spool may be used, and as whom', () => {
  test('root drains a spool dhcpd (uid 101) owns by becoming uid 101', () => {
    expect(judgeSpool(facts(101), 0)).toEqual({ ok: true, owner: { uid: 101, gid: 101 } });
  });

  test('the owner itself, or root on a root spool, stays as it is', () => {
    expect(judgeSpool(facts(101), 101)).toEqual({ ok: true, owner: null });
    expect(judgeSpool(facts(0), 0)).toEqual({ ok: true, owner: null });
  });

  test('a missing spool is created by whoever runs (the parents are checked)', () => {
    expect(judgeSpool(facts(0, { spool: missing('/var/spool/bm-hook'), subdirs: [] }), 0)).toEqual({ ok: true, owner: null });
  });

  test.each([
    ['the spool is a symlink', { spool: link('/var/spool/bm-hook', 101) }, /bm-hook is a symlink/],
    ['tmp/ is a symlink (root would clean another directory)', { subdirs: [link('/var/spool/bm-hook/tmp', 101)] }, /tmp is a symlink/],
    ['failed/ is a symlink (root would write elsewhere)', { subdirs: [link('/var/spool/bm-hook/failed', 101)] }, /failed is a symlink/],
    ['new/ is a file', { subdirs: [{ ...dir('/var/spool/bm-hook/new', 101), kind: 'file' as const }] }, /new is not a directory/],
    ['a subdirectory belongs to someone else', { subdirs: [dir('/var/spool/bm-hook/new', 102, 0o700)] }, /owned by uid 102, the spool by uid 101/],
    ['the spool is world-writable without the sticky bit', { spool: dir('/var/spool/bm-hook', 101, 0o777) }, /writable by group or others \(mode 0777\)/],
    ['the spool is group-writable', { spool: dir('/var/spool/bm-hook', 101, 0o770) }, /mode 0770/],
    ['new/ is world-writable', { subdirs: [dir('/var/spool/bm-hook/new', 101, 0o777)] }, /new is writable/],
    [
      'a parent belongs to an unprivileged user (it could swap the spool)',
      { ancestors: [dir('/'), dir('/var'), dir('/var/spool', 101)] },
      /\/var\/spool is owned by uid 101/,
    ],
    ['a parent is world-writable without the sticky bit', { ancestors: [dir('/'), dir('/var', 0, 0o777), dir('/var/spool')] }, /\/var is writable by others/],
    ['a parent is a symlink an unprivileged user made', { ancestors: [dir('/'), dir('/var'), link('/var/spool', 101)] }, /symlink owned by uid 101/],
  ] as const)('refused when %s', (_what, overrides, message) => {
    const verdict = judgeSpool(facts(101, overrides as Partial<SpoolFacts>), 0);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.problems.join('; ')).toMatch(message);
  });

  test('sticky world-writable parents (/tmp) and root-owned symlinked parents (/var/run) are fine', () => {
    const ancestors = [dir('/'), dir('/tmp', 0, 0o1777), link('/tmp/run', 0)];
    expect(judgeSpool(facts(101, { ancestors }), 0)).toEqual({ ok: true, owner: { uid: 101, gid: 101 } });
  });

  test('an unprivileged process cannot use a spool someone else owns', () => {
    const verdict = judgeSpool(facts(101), 102);
    expect(verdict).toMatchObject({ ok: false });
  });
});
