import { describe, expect, test } from 'bun:test';
import { mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planDrain, NetboxNotConfiguredError } from '../../../hook/drain.ts';
import { classifyFailure } from '../../../shared/failure.ts';
import type { LeaseEvent } from '../../../hook/lease.ts';
import { appendEvent, cleanTmp, coalesceByMac, ensureSpool, failEvent, pendingNames, readEvent, rewriteEvent, type SpooledEvent } from '../../../hook/spool.ts';
import type { Mac } from '../../../shared/mac.ts';
import { NetboxHttpError, NetboxNetworkError, NetboxTimeoutError } from '../../../shared/netbox/errors.ts';

const lease = (mac: string, ip: string): LeaseEvent => ({ v: 1, ip, mac: mac as Mac, hostname: null, source: 'dhcpd', receivedAt: '2026-11-24T10:00:00.000Z' });
const spool = () => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-'));
  ensureSpool(dir);
  return dir;
};

describe('the spool', () => {
  test('appended events are whole, durable files read back in arrival order', () => {
    const dir = spool();
    const a = appendEvent(dir, lease('94:40:C9:00:00:01', '10.0.0.1'));
    const b = appendEvent(dir, lease('94:40:C9:00:00:02', '10.0.0.2'));
    expect(pendingNames(dir)).toEqual([a, b]);
    const read = readEvent(dir, a);
    expect(read).toEqual({ ok: true, spooled: { name: a, event: lease('94:40:C9:00:00:01', '10.0.0.1'), progress: undefined } });
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
  });

  test('progress is rewritten atomically and read back', () => {
    const dir = spool();
    const name = appendEvent(dir, lease('94:40:C9:00:00:01', '10.0.0.1'));
    const read = readEvent(dir, name);
    if (!read.ok) throw new Error('unreadable');
    rewriteEvent(dir, { ...read.spooled, progress: { plan: { rowNote: 'n', actions: ['recordBmcIp'], done: [] }, attempts: 1 } });
    expect(readEvent(dir, name)).toMatchObject({ ok: true, spooled: { progress: { plan: { actions: ['recordBmcIp'] }, attempts: 1 } } });
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
  });

  test('a failed event moves to failed/ with its reason', () => {
    const dir = spool();
    const name = appendEvent(dir, lease('94:40:C9:00:00:01', '10.0.0.1'));
    failEvent(dir, name, { some: 'event' }, 'NetBox answered 400');
    expect(pendingNames(dir)).toEqual([]);
    expect(JSON.parse(readFileSync(join(dir, 'failed', name), 'utf8'))).toMatchObject({ event: { some: 'event' }, reason: 'NetBox answered 400' });
  });

  test('garbage in new/ is reported, not thrown', () => {
    const dir = spool();
    writeFileSync(join(dir, 'new', '0-x.json'), '{"event": {"v": 1, "ip": "10.0.0.1", "mac": "nope"}}');
    writeFileSync(join(dir, 'new', '1-x.json'), '{trunc');
    expect(readEvent(dir, '0-x.json')).toMatchObject({ ok: false, reason: 'not a version-1 lease event' });
    expect(readEvent(dir, '1-x.json')).toMatchObject({ ok: false });
  });

  test('kill -9 between write and rename leaves no half event, and the leftover is cleaned', async () => {
    const dir = spool();
    const child = Bun.spawn([process.execPath, 'test/fixtures/bin/spool-append-and-stop.ts', dir], { stdout: 'pipe', stderr: 'inherit' });
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toBe('ready\n');
    child.kill('SIGKILL');
    await child.exited;
    expect(pendingNames(dir)).toEqual([]);
    const leftovers = readdirSync(join(dir, 'tmp'));
    expect(leftovers.length).toBe(1);
    expect(cleanTmp(dir, 60_000)).toBe(0);
    const old = new Date(Date.now() - 120_000);
    utimesSync(join(dir, 'tmp', leftovers[0]!), old, old);
    expect(cleanTmp(dir, 60_000)).toBe(1);
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
  });

  test('a full spool coalesces by MAC keeping the newest event of each', () => {
    const dir = spool();
    const names = [
      appendEvent(dir, lease('94:40:C9:00:00:01', '10.0.0.1')),
      appendEvent(dir, lease('94:40:C9:00:00:02', '10.0.0.2')),
      appendEvent(dir, lease('94:40:C9:00:00:01', '10.0.0.3')),
      appendEvent(dir, lease('94:40:C9:00:00:01', '10.0.0.4')),
    ];
    expect(coalesceByMac(dir, 10)).toBe(0);
    expect(coalesceByMac(dir, 4)).toBe(2);
    expect(pendingNames(dir)).toEqual([names[1]!, names[3]!]);
  });
});

describe('drain planning', () => {
  const spooled = (name: string, mac: string, ip: string, progress?: SpooledEvent['progress']): SpooledEvent => ({ name, event: lease(mac, ip), progress });

  test('consecutive renewals of one MAC+IP collapse to the newest; IP changes keep their order', () => {
    const plan = planDrain([
      spooled('1', 'A', '10.0.0.1'),
      spooled('2', 'A', '10.0.0.1'),
      spooled('3', 'B', '10.0.0.9'),
      spooled('4', 'A', '10.0.0.2'),
      spooled('5', 'A', '10.0.0.1'),
    ]);
    expect(plan.coalesced).toEqual(['1']);
    expect(plan.byMac.get('A')!.map((e) => e.name)).toEqual(['2', '4', '5']);
    expect(plan.byMac.get('B')!.map((e) => e.name)).toEqual(['3']);
  });

  test('an event that only failed to reach NetBox (no plan yet) is coalesced like any other', () => {
    const plan = planDrain([spooled('1', 'A', '10.0.0.1', { attempts: 3, lastError: 'down' }), spooled('2', 'A', '10.0.0.1')]);
    expect(plan.coalesced).toEqual(['1']);
  });

  test('an event already in progress is kept over newer duplicates', () => {
    const plan = planDrain([
      spooled('1', 'A', '10.0.0.1', { plan: { rowNote: '', actions: ['recordBmcIp'], done: [] }, attempts: 1 }),
      spooled('2', 'A', '10.0.0.1'),
    ]);
    expect(plan.coalesced).toEqual(['2']);
    expect(plan.byMac.get('A')!.map((e) => e.name)).toEqual(['1']);
  });

  test('NetBox down, slow, overloaded or refusing the token keeps the event; a bad request fails it', () => {
    expect(classifyFailure(new NetboxNetworkError('GET', '/', new Error('ECONNREFUSED')))).toBe('retry-now');
    expect(classifyFailure(new NetboxTimeoutError('GET', '/', 1, 'request'))).toBe('retry-now');
    for (const status of [429, 502, 503]) expect(classifyFailure(new NetboxHttpError('GET', '/', status, ''))).toBe('retry-now');
    for (const status of [401, 403, 500]) expect(classifyFailure(new NetboxHttpError('GET', '/', status, ''))).toBe('retry-later');
    for (const status of [400, 404, 409]) expect(classifyFailure(new NetboxHttpError('GET', '/', status, ''))).toBe('permanent');
    expect(classifyFailure(new NetboxNotConfiguredError('no URL'))).toBe('retry-later');
    expect(classifyFailure(new TypeError('bug'))).toBe('permanent');
  });
});
