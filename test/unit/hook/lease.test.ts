import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { isValidHostname, parseLease, parseLeaseIp, sanitiseHostname, validateSpooledEvent } from '../../../hook/lease.ts';

const NOW = new Date('2026-11-24T10:00:00Z');
const octet = fc.integer({ min: 0, max: 255 });
const hex = (n: number, pad: boolean) => (pad ? n.toString(16).padStart(2, '0') : n.toString(16));

describe('commit arguments', () => {
  test("dhcpd's zero-padded and naive MAC forms give the same event", () => {
    const padded = parseLease('10.1.2.3', '94:40:c9:01:0a:56', 'srv1', 'dhcpd', NOW);
    const naive = parseLease('10.1.2.3', '94:40:c9:1:a:56', 'srv1', 'dhcpd', NOW);
    expect(padded).toEqual(naive);
    expect(padded as unknown).toEqual({
      ok: true,
      event: { v: 1, ip: '10.1.2.3', mac: '94:40:C9:01:0A:56', hostname: 'srv1', source: 'dhcpd', receivedAt: '2026-11-24T10:00:00.000Z' },
    });
  });

  test('missing arguments are a reason, not an exception', () => {
    expect(parseLease(undefined, undefined, undefined, 'dhcpd', NOW)).toEqual({ ok: false, reason: 'missing IP or MAC argument' });
  });

  test.each(['10.1.2', '10.1.2.256', '010.1.2.3', '0.0.0.0', '255.255.255.255', '::1', '10.1.2.3/24', ' ', 'a.b.c.d'])('IP %j is refused', (ip) => {
    expect(parseLeaseIp(ip)).toBeNull();
  });

  test('hostnames are kept when sane and dropped (not fatal) otherwise', () => {
    expect(sanitiseHostname('ilo-cz2034abcd.example.net.')).toBe('ilo-cz2034abcd.example.net');
    expect(sanitiseHostname('"quoted"')).toBe('quoted');
    expect(sanitiseHostname('')).toBeNull();
    expect(sanitiseHostname('bad name; rm -rf /')).toBeNull();
    expect(sanitiseHostname('x'.repeat(300))).toBeNull();
    expect(parseLease('10.1.2.3', '94:40:c9:01:0a:56', '$(reboot)', 'dhcpd', NOW)).toMatchObject({ ok: true, event: { hostname: null } });
  });

  test('a dropped hostname is reported for the log, escaped and cut to 64 characters', () => {
    expect(parseLease('10.1.2.3', '94:40:c9:01:0a:56', '--no-drain', 'dhcpd', NOW)).toMatchObject({ ok: true, droppedHostname: '--no-drain' });
    expect(parseLease('10.1.2.3', '94:40:c9:01:0a:56', '\u001b[2Jx\n', 'dhcpd', NOW)).toMatchObject({ droppedHostname: '\\u001b[2Jx\\n' });
    expect(parseLease('10.1.2.3', '94:40:c9:01:0a:56', 'x'.repeat(300), 'dhcpd', NOW)).toMatchObject({ droppedHostname: 'x'.repeat(64) });
    for (const absent of [undefined, '', 'ilo-1'])
      expect(parseLease('10.1.2.3', '94:40:c9:01:0a:56', absent, 'dhcpd', NOW)).not.toHaveProperty('droppedHostname');
  });
});

describe('events read back from the spool: the same rules, strictly', () => {
  const good = { v: 1, ip: '10.1.2.3', mac: '94:40:C9:01:0A:56', hostname: 'ilo-1.example.net', source: 'dhcpd', receivedAt: '2026-11-24T10:00:00.000Z' };

  test('an event bm-hook wrote is valid as it is', () => {
    expect(validateSpooledEvent(good)).toEqual({ ok: true, event: good as never });
    expect(validateSpooledEvent({ ...good, hostname: null, source: 'kea' })).toMatchObject({ ok: true });
  });

  test('IP and MAC are normalised like a lease argument', () => {
    expect(validateSpooledEvent({ ...good, mac: '94-40-c9-1-a-56' })).toMatchObject({ ok: true, event: { mac: '94:40:C9:01:0A:56' } });
  });

  test.each([
    ['a markdown breaker', 'x` <img src=x onerror=alert(1)> `'],
    ['a table breaker', 'a|b\n|---|'],
    ['an option', '--no-drain'],
    ['a shell command', '$(reboot)'],
    ['non-ASCII', 'hôte'],
    ['300 characters', 'x'.repeat(300)],
    ['an empty string', ''],
    ['a number', 5],
  ])('a hostname that is %s refuses the event, naming the field', (_what, hostname) => {
    const result = validateSpooledEvent({ ...good, hostname });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toStartWith('event hostname is not a valid hostname: ');
  });

  test('the other fields are checked too; the reason says which', () => {
    expect(validateSpooledEvent({ ...good, ip: '10.1.2.3; rm -rf /' })).toEqual({ ok: false, reason: 'not a version-1 lease event' });
    expect(validateSpooledEvent({ ...good, mac: 'nope' })).toEqual({ ok: false, reason: 'not a version-1 lease event' });
    expect(validateSpooledEvent({ ...good, v: 2 })).toEqual({ ok: false, reason: 'not a version-1 lease event' });
    expect(validateSpooledEvent(undefined)).toEqual({ ok: false, reason: 'not a version-1 lease event' });
    expect(validateSpooledEvent({ ...good, source: 'manual' })).toMatchObject({ ok: false, reason: expect.stringContaining('source') });
    expect(validateSpooledEvent({ ...good, receivedAt: '\u001b[2Jyesterday' })).toMatchObject({ ok: false, reason: expect.stringContaining('receivedAt') });
  });

  test('one hostname rule: what parseLease keeps is exactly what the spool check accepts', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 70 }), fc.string({ unit: fc.constantFrom(...'ab9-_.`|<> '), maxLength: 30 })), (raw) => {
        const kept = sanitiseHostname(raw);
        if (kept !== null) expect(isValidHostname(kept)).toBe(true);
        expect(validateSpooledEvent({ ...good, hostname: raw }).ok).toBe(isValidHostname(raw));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('generated arguments (property-based, 10,000+ cases)', () => {
  test('every valid IPv4 and MAC in any case, separator and padding is accepted and normalised', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.integer({ min: 1, max: 254 }), octet, octet, fc.integer({ min: 1, max: 254 })),
        fc.array(octet, { minLength: 6, maxLength: 6 }),
        fc.constantFrom(':', '-'),
        fc.boolean(),
        fc.boolean(),
        (ipOctets, macOctets, sep, pad, upper) => {
          const ip = ipOctets.join('.');
          let mac = macOctets.map((o) => hex(o, pad)).join(sep);
          if (upper) mac = mac.toUpperCase();
          const result = parseLease(ip, mac, undefined, 'dhcpd', NOW);
          expect(result.ok).toBe(true);
          if (result.ok) {
            expect(result.event.ip).toBe(ip);
            expect<string>(result.event.mac).toBe(macOctets.map((o) => hex(o, true).toUpperCase()).join(':'));
          }
        },
      ),
      { numRuns: 6000 },
    );
  });

  test('arbitrary strings never throw and are accepted only when they really are an IP and a MAC', () => {
    const junk = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.-x '), maxLength: 24 }));
    fc.assert(
      fc.property(junk, junk, fc.option(fc.string({ maxLength: 80 })), (ip, mac, hostname) => {
        const result = parseLease(ip, mac, hostname ?? undefined, 'kea', NOW);
        if (result.ok) {
          expect(result.event.ip).toMatch(/^(\d{1,3}\.){3}\d{1,3}$/);
          expect(result.event.mac).toMatch(/^([0-9A-F]{2}:){5}[0-9A-F]{2}$/);
          expect(result.event.hostname === null || /^[A-Za-z0-9._-]+$/.test(result.event.hostname)).toBe(true);
        } else {
          expect(result.reason.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 6000 },
    );
  });
});
