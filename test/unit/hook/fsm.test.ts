import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { renderFsmDot } from '../../../hook/fsm-dot.ts';
import { CONDITIONS, decide, FSM, ipConditionOf, STATUS_GROUPS, statusGroupOf, type Condition, type StatusGroup } from '../../../hook/fsm.ts';

const row = (from: StatusGroup | 'none', when: Condition) => decide(from, when);

describe('each row of the table', () => {
  test('an offline device becomes discovered and gets the BMC IP', () => {
    for (const when of ['ip-none', 'ip-matches', 'ip-differs'] as const) {
      expect(row('offline', when)?.actions).toEqual(['recordBmcIp', 'setStatusDiscovered', 'journalDiscovered']);
      expect(row('offline', when)?.to).toBe('discovered');
    }
  });
  test('a discovered device with the same IP is left alone (renewal)', () => {
    expect(row('discovered', 'ip-matches')?.actions).toEqual([]);
  });
  test('a discovered device with another or no IP gets it refreshed', () => {
    expect(row('discovered', 'ip-differs')?.actions).toEqual(['recordBmcIp', 'journalIpChanged']);
    expect(row('discovered', 'ip-none')?.actions).toEqual(['recordBmcIp', 'journalIpChanged']);
  });
  test('an active device with no IP on record gets it recorded', () => {
    expect(row('active', 'ip-none')?.actions).toEqual(['recordBmcIp', 'journalIpRecorded']);
  });
  test('an active device whose IP matches is left alone', () => {
    expect(row('active', 'ip-matches')?.actions).toEqual([]);
  });
  test('an active device whose IP differs gets a journal warning and no change', () => {
    expect(row('active', 'ip-differs')).toMatchObject({ actions: ['journalIpMismatch'], anomaly: true });
  });
  test('any other status gets a journal warning and no change', () => {
    for (const when of ['ip-none', 'ip-matches', 'ip-differs'] as const)
      expect(row('other', when)).toMatchObject({ actions: ['journalUnexpectedStatus'], anomaly: true });
  });
  test('an unknown MAC is logged and changes nothing', () => {
    expect(row('none', 'mac-unknown')).toMatchObject({ actions: ['logUnknownMac'], anomaly: true });
  });
  test('a MAC on several devices is journaled and changes nothing', () => {
    expect(row('none', 'mac-ambiguous')).toMatchObject({ actions: ['journalAmbiguousMac'], anomaly: true });
  });
  test('a MAC on a data interface (not the BMC) is logged and changes nothing, whatever the status', () => {
    for (const from of ['offline', 'discovered', 'active', 'other'] as const) expect(row(from, 'mac-not-on-bmc')).toMatchObject({ actions: ['logNotBmc'] });
    expect(row('offline', 'mac-not-on-bmc')?.to).toBeUndefined();
    expect(row('offline', 'mac-not-on-bmc')?.anomaly).toBeUndefined();
  });
  test('an IP owned by another device is journaled and changes nothing, whatever the status', () => {
    for (const from of ['offline', 'discovered', 'active', 'other'] as const) expect(row(from, 'ip-owned-elsewhere')?.actions).toEqual(['journalIpConflict']);
  });
  test('a missing discovered status choice records the IP and journals the fix', () => {
    expect(row('offline', 'status-choice-missing')).toMatchObject({ actions: ['recordBmcIp', 'journalStatusChoiceMissing'], anomaly: true });
  });
  test('an IP inside a populated range: an offline device is still discovered, the others only journal; the event is done', () => {
    expect(row('offline', 'ip-in-populated-range')).toMatchObject({
      actions: ['setStatusDiscovered', 'journalDiscoveredWithoutIp'],
      to: 'discovered',
      anomaly: true,
    });
    expect(row('offline', 'ip-in-populated-range')?.fails).toBeUndefined();
    for (const from of ['discovered', 'active'] as const) expect(row(from, 'ip-in-populated-range')?.actions).toEqual(['journalIpNotRecorded']);
  });
  test('a device change NetBox refuses (whole-object validation) is journaled and fails the event', () => {
    for (const from of ['offline', 'discovered', 'active'] as const)
      expect(row(from, 'device-refused')).toMatchObject({ actions: ['journalDeviceRefused'], fails: true, anomaly: true });
  });
});

describe('the table as a whole', () => {
  const reachable = (from: StatusGroup | 'none', when: Condition) =>
    from === 'none'
      ? when === 'mac-unknown' || when === 'mac-ambiguous'
      : when === 'status-choice-missing'
        ? from === 'offline'
        : when === 'ip-in-populated-range' || when === 'device-refused'
          ? from !== 'other'
          : when !== 'mac-unknown' && when !== 'mac-ambiguous';

  test('every reachable status/condition pair matches exactly one row, and no other pair matches any', () => {
    for (const from of STATUS_GROUPS) {
      for (const when of CONDITIONS) {
        const matches = FSM.filter((r) => r.from.includes(from) && r.when.includes(when));
        expect({ from, when, matches: matches.length }).toEqual({ from, when, matches: reachable(from, when) ? 1 : 0 });
      }
    }
  });
  test('every row is reachable', () => {
    for (const r of FSM) expect(r.from.some((from) => r.when.some((when) => decide(from, when) === r))).toBe(true);
  });
  test('statuses group as the FSM expects', () => {
    expect(['offline', 'discovered', 'active', 'staged', 'planned', 'ready'].map(statusGroupOf)).toEqual([
      'offline',
      'discovered',
      'active',
      'other',
      'other',
      'other',
    ]);
  });
  test('IP conditions: another owner wins, then none, matches or differs', () => {
    expect(ipConditionOf('10.0.0.5', { recordedOnInterface: ['10.0.0.5'], ownedElsewhere: ['device #7'] })).toBe('ip-owned-elsewhere');
    expect(ipConditionOf('10.0.0.5', { recordedOnInterface: [], ownedElsewhere: [] })).toBe('ip-none');
    expect(ipConditionOf('10.0.0.5', { recordedOnInterface: ['10.0.0.9', '10.0.0.5'], ownedElsewhere: [] })).toBe('ip-matches');
    expect(ipConditionOf('10.0.0.5', { recordedOnInterface: ['10.0.0.9'], ownedElsewhere: [] })).toBe('ip-differs');
  });
});

describe('the diagram', () => {
  test('the committed docs/dhcp-hook2-flow.dot is generated from the current table (run make docs)', () => {
    expect(readFileSync('docs/dhcp-hook2-flow.dot', 'utf8')).toBe(renderFsmDot());
  });
  test('every row appears as an edge from each of its statuses', () => {
    const dot = renderFsmDot();
    const edges = dot.split('\n').filter((l) => l.includes(' -> '));
    expect(edges.length).toBe(FSM.reduce((n, r) => n + r.from.length, 0));
    expect(dot).toContain('"offline" -> "discovered"');
  });
});
