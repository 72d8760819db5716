/**
 * The spool against its owner: whoever owns the spool (dhcpd's user, or anyone when
 * it is world-writable) plants symlinks and files, then root runs `bm-hook drain`
 * (the timer does, every minute). Nothing outside the spool may be touched, read
 * or created, and an unsafe spool is refused loudly with nothing done.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { hookBinary } from '../../helpers/hook-harness.ts';
import { requirementsMet } from '../../helpers/requirements.ts';

const NOBODY = 65534;
const runnable = requirementsMet('bm-hook spool attacks (root drainer, unprivileged spool owner)', { root: true });

describe.skipIf(!runnable)('a root drainer on a spool an unprivileged user owns', () => {
  let base: string;
  beforeAll(() => {
    base = mkdtempSync('/tmp/bm-spool-attack-');
    chmodSync(base, 0o755); // the spool's parent: root's, traversable by the owner the drainer becomes
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  /** A spool owned by `owner` (0700 dirs), a victim directory root owns, and a config without NetBox (leases stay spooled). */
  function setup(name: string, owner = NOBODY) {
    const root = join(base, name);
    const spool = join(root, 'spool');
    const victim = join(root, 'victim');
    mkdirSync(victim, { recursive: true, mode: 0o755 });
    for (const sub of ['', 'tmp', 'new', 'failed']) {
      mkdirSync(join(spool, sub), { recursive: true, mode: 0o700 });
      chownSync(join(spool, sub), owner, owner);
    }
    const config = join(root, 'hook.json');
    writeFileSync(config, JSON.stringify({ spool: { dir: spool }, drain: { budgetMs: 1000 } }));
    const drain = () => {
      const result = Bun.spawnSync([hookBinary(), 'drain', '--config', config], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', BM_HOOK_NO_SYSLOG: '1' },
        stdout: 'pipe',
        stderr: 'pipe',
      });
      return { exitCode: result.exitCode, stderr: result.stderr.toString() };
    };
    return { spool, victim, drain };
  }

  const event = (mac: string) =>
    `${JSON.stringify({ event: { v: 1, ip: '10.0.0.9', mac, hostname: null, source: 'dhcpd', receivedAt: '2026-12-01T00:00:00.000Z' } })}\n`;
  const old = (path: string) => utimesSync(path, new Date(0), new Date(0));

  test('tmp -> /victim: refused, no file in the victim directory deleted', () => {
    const { spool, victim, drain } = setup('tmp-link');
    writeFileSync(join(victim, 'precious'), 'data');
    old(join(victim, 'precious'));
    rmSync(join(spool, 'tmp'), { recursive: true });
    symlinkSync(victim, join(spool, 'tmp'));
    const { exitCode, stderr } = drain();
    expect(exitCode).not.toBe(0);
    expect(stderr).toMatch(/refusing to use the spool .*tmp is a symlink/);
    expect(readFileSync(join(victim, 'precious'), 'utf8')).toBe('data');
  });

  test('drain.lock -> a file root would create: not created (spool owned by root or by the user)', () => {
    for (const owner of [0, NOBODY]) {
      const { spool, victim, drain } = setup(`lock-link-${owner}`, owner);
      symlinkSync(join(victim, 'created-by-root'), join(spool, 'drain.lock'));
      const { exitCode, stderr } = drain();
      expect(exitCode).not.toBe(0);
      expect(stderr).toMatch(/drain\.lock|permission denied|EACCES/i);
      expect(existsSync(join(victim, 'created-by-root'))).toBe(false);
    }
  });

  test('failed -> /some/dir plus new/x.json -> a root-only file: refused, nothing written there', () => {
    const { spool, victim, drain } = setup('failed-link');
    const secret = join(base, 'failed-link', 'root-only');
    writeFileSync(secret, 'TOP-SECRET', { mode: 0o600 });
    rmSync(join(spool, 'failed'), { recursive: true });
    symlinkSync(victim, join(spool, 'failed'));
    symlinkSync(secret, join(spool, 'new', '0000000000001-x.json'));
    const { exitCode, stderr } = drain();
    expect(exitCode).not.toBe(0);
    expect(stderr).toMatch(/failed is a symlink/);
    expect(readdirSync(victim)).toEqual([]);
  });

  test('new/x.json -> a root-only file: the link is moved aside, the file neither read nor touched', () => {
    const { spool, drain } = setup('event-link');
    const secret = join(base, 'event-link', 'root-only');
    writeFileSync(secret, 'TOP-SECRET', { mode: 0o600 });
    symlinkSync(secret, join(spool, 'new', '0000000000001-x.json'));
    drain();
    expect(existsSync(join(spool, 'new', '0000000000001-x.json'))).toBe(false);
    const record = readFileSync(join(spool, 'failed', '0000000000001-x.json'), 'utf8');
    expect(record).toMatch(/symlink/);
    expect(record).not.toContain('TOP-SECRET');
    expect(readFileSync(secret, 'utf8')).toBe('TOP-SECRET');
  });

  test('what the drainer creates belongs to the spool owner, private (0600/0700), not to root', () => {
    const { spool, drain } = setup('ownership');
    rmSync(join(spool, 'failed'), { recursive: true }); // recreated by the drainer
    writeFileSync(join(spool, 'new', '0000000000001-bad.json'), '{trunc');
    chownSync(join(spool, 'new', '0000000000001-bad.json'), NOBODY, NOBODY);
    drain();
    for (const path of [join(spool, 'failed'), join(spool, 'failed', '0000000000001-bad.json'), join(spool, 'status.json'), join(spool, 'drain.lock')]) {
      const stats = lstatSync(path);
      expect({ path, uid: stats.uid, mode: stats.mode & 0o777 }).toEqual({ path, uid: NOBODY, mode: stats.isDirectory() ? 0o700 : 0o600 });
    }
  });

  test('a world-writable spool (0777, no sticky bit) is refused with nothing touched', () => {
    const { spool, drain } = setup('world-writable');
    chmodSync(spool, 0o777);
    writeFileSync(join(spool, 'new', '0000000000001-planted.json'), event('94:40:c9:00:00:01'));
    const { exitCode, stderr } = drain();
    expect(exitCode).not.toBe(0);
    expect(stderr).toMatch(/writable by group or others \(mode 0777\)/);
    expect(readdirSync(join(spool, 'new'))).toEqual(['0000000000001-planted.json']);
    expect(existsSync(join(spool, 'status.json'))).toBe(false);
  });

  test('a directory named x.json in new/ is moved aside and the drain goes on', () => {
    const { spool, drain } = setup('dir-event');
    mkdirSync(join(spool, 'new', '0000000000001-dir.json'));
    chownSync(join(spool, 'new', '0000000000001-dir.json'), NOBODY, NOBODY);
    writeFileSync(join(spool, 'new', '0000000000002-ok.json'), event('94:40:c9:00:00:02'));
    chownSync(join(spool, 'new', '0000000000002-ok.json'), NOBODY, NOBODY);
    const { exitCode, stderr } = drain();
    expect(stderr).not.toMatch(/internal/i);
    expect(exitCode).toBe(3); // the valid lease waits for NetBox (not configured here)
    expect(readdirSync(join(spool, 'new'))).toEqual(['0000000000002-ok.json']);
    expect(lstatSync(join(spool, 'failed', '0000000000001-dir.json.entry')).isDirectory()).toBe(true);
    expect(readFileSync(join(spool, 'failed', '0000000000001-dir.json'), 'utf8')).toMatch(/directory/);
  });
});
