/**
 * The pure parts of issue 10's drain robustness, BMC identification and request economy:
 * list pages judged, lists bounded by a deadline, how a run is reported, which interface is
 * a BMC's, when a renewal needs nothing more, the remembered NetBox version, the config.
 */
import { describe, expect, test } from 'bun:test';
import { lastRunText } from '../../../hook/commands/status.ts';
import { validateHookConfig } from '../../../hook/config.ts';
import { runResultOf, type DrainSummary } from '../../../hook/drain.ts';
import { bmcNamePatterns, isBmcInterface, pickBmcInterface, unchangedRenewalIp } from '../../../hook/observe.ts';
import { freshVersion, VERSION_TTL_MS } from '../../../hook/version-cache.ts';
import { classifyFailure } from '../../../shared/failure.ts';
import {
  type Device,
  type Interface,
  type IpAddress,
  listAll,
  LIST_CAP,
  type NetboxClient,
  NetboxResponseError,
  NetboxTimeoutError,
  pageProblem,
  type RequestOptions,
  withDeadline,
} from '../../../shared/netbox/index.ts';

/** A client whose GET answers `pages(offset)` (after `delayMs`, a slow NetBox), counting calls. */
function fakeClient(pages: (offset: number) => unknown, delayMs = 0) {
  const calls: { path: string; options?: RequestOptions }[] = [];
  const request = async <T>(method: string, path: string, options: RequestOptions = {}): Promise<T> => {
    calls.push({ path, options });
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (options.deadlineAt !== undefined && options.deadlineAt <= Date.now()) throw new NetboxTimeoutError(method, path, 0, 'deadline');
    return pages(Number(options.searchParams?.offset ?? 0)) as T;
  };
  const client = {
    baseUrl: 'http://netbox',
    authScheme: 'Token',
    request,
    get: (path: string, searchParams?: Record<string, unknown>, options?: RequestOptions) =>
      request('GET', path, { ...options, searchParams } as RequestOptions),
    post: (path: string) => request('POST', path),
    patch: (path: string) => request('PATCH', path),
    delete: async () => {},
    version: async () => ({ major: 4, minor: 6, patch: 0, text: '4.6.0' }),
    capabilities: async () => ({ macAddressModel: true, fieldsParameter: true, oobIp: true, v2Tokens: true }),
  } as unknown as NetboxClient;
  return { client, calls };
}

describe('NetBox lists', () => {
  test('a page that is not a NetBox list page is named', () => {
    expect(pageProblem({ count: 1, next: null, results: [1] }, 250)).toBeNull();
    expect(pageProblem({ detail: 'x' }, 250)).toBe('a list without a "results" array');
    expect(pageProblem([], 250)).toBe('not a NetBox list (a bare array)');
    expect(pageProblem('<html>', 250)).toBe('not a NetBox list (string)');
    expect(pageProblem({ results: [] }, 250)).toBe('a list without a numeric "count"');
    expect(pageProblem({ count: 2, next: 7, results: [] }, 250)).toBe('a list whose "next" is neither a URL nor null');
    expect(pageProblem({ count: 300, next: null, results: Array(300).fill(0) }, 250)).toBe('a page of 300 objects when at most 250 were asked for');
  });

  test('junk and lists over the cap are NetboxResponseErrors ("NetBox answered something unexpected"), which keep the work', async () => {
    for (const page of [{ detail: 'x' }, { count: LIST_CAP + 1, next: 'more', results: [1] }]) {
      const { client } = fakeClient(() => page);
      const error = await listAll(client, '/api/dcim/devices/').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetboxResponseError);
      expect((error as Error).message).toContain('NetBox answered something unexpected to GET /api/dcim/devices/');
      expect(classifyFailure(error)).not.toBe('permanent');
    }
  });

  test('a list growing past the cap page by page stops at the cap', async () => {
    const { client, calls } = fakeClient(() => ({ count: 25, next: 'more', results: Array(10).fill(0) }));
    await expect(listAll(client, '/api/x/', {}, { pageSize: 10, maxObjects: 25 })).rejects.toThrow('a list of 30 objects, over the cap of 25');
    expect(calls.length).toBe(3);
  });

  test('a `next` that never ends is bounded by the deadline of the whole walk', async () => {
    const { client, calls } = fakeClient(() => ({ count: 9000, next: 'more', results: [0] }), 1);
    const bounded = withDeadline(client, Date.now() + 20);
    const error = await listAll(bounded, '/api/x/').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetboxTimeoutError);
    expect((error as NetboxTimeoutError).kind).toBe('deadline');
    expect(classifyFailure(error)).toBe('retry-later');
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.length).toBeLessThan(9000);
  });

  test('withDeadline keeps the earlier of two deadlines', async () => {
    const { client, calls } = fakeClient(() => ({}));
    const at = Date.now() + 60_000;
    await withDeadline(client, at).get('/x', {}, { deadlineAt: at - 1000 });
    await withDeadline(client, at).get('/x', {}, { deadlineAt: at + 1000 });
    expect(calls.map((c) => c.options?.deadlineAt)).toEqual([at - 1000, at]);
  });
});

describe('how a run is reported (bm-hook status)', () => {
  const summary = (over: Partial<DrainSummary>): DrainSummary => ({ locked: false, applied: 0, failed: 0, stuck: 0, coalesced: 0, remaining: 0, ...over });
  test('ok only when nothing failed, stuck or waits; an error wins', () => {
    expect(runResultOf(summary({ applied: 3 }))).toBe('ok');
    expect(runResultOf(summary({ remaining: 1 }))).toBe('waiting');
    expect(runResultOf(summary({ applied: 3, failed: 1 }))).toBe('failed');
    expect(runResultOf(summary({ stuck: 1, remaining: 1 }))).toBe('failed');
    expect(runResultOf(summary({ error: 'EIO', applied: 1 }))).toBe('error');
  });
  test('the last run says how it ended, never passing a failure off as a success', () => {
    expect(lastRunText({})).toBe('never');
    const text = lastRunText({
      lastRunAt: '2026-01-01T00:00:00.000Z',
      lastRunResult: 'failed',
      lastRun: { applied: 1, failed: 1, stuck: 2, waiting: 0, coalesced: 0 },
      lastSuccessAt: '2025-12-31T00:00:00.000Z',
    });
    expect(text).toBe('2026-01-01T00:00:00.000Z, FAILED (events moved to failed/, or stuck in new/) (1 applied, 1 failed, 2 stuck, 0 waiting)');
  });
});

describe('only the BMC is a BMC', () => {
  const iface = (id: number, name: string, mgmt = false) => ({ id, name, mgmt_only: mgmt }) as Interface;
  const names = bmcNamePatterns();
  test('mgmt-only, or named like a BMC (case-insensitive); a data NIC is not', () => {
    expect(['bmc', 'iDRAC', 'iLO 5', 'IPMI', 'mgmt0', 'oob', 'XCC'].map((n) => isBmcInterface(iface(1, n), names))).toEqual(Array(7).fill(true));
    expect(['eth0', 'eno1', 'ens3f0', 'lom1', 'nic-mgmt'].map((n) => isBmcInterface(iface(1, n), names))).toEqual(Array(5).fill(false));
    expect(isBmcInterface(iface(1, 'eth9', true), names)).toBe(true);
  });
  test('mgmt-only first, then by name, lowest id; none when only data NICs carry the MAC', () => {
    expect(pickBmcInterface([iface(1, 'bmc'), iface(2, 'port9', true)], names)?.id).toBe(2);
    expect(pickBmcInterface([iface(5, 'eth0'), iface(4, 'idrac')], names)?.id).toBe(4);
    expect(pickBmcInterface([iface(5, 'eth0'), iface(6, 'eno1')], names)).toBeNull();
  });
  test('the patterns come from the config, checked as regular expressions', () => {
    expect(validateHookConfig({}, 't').bmc.interfaceNames).toEqual(['^(bmc|idrac|ilo|ipmi|imm|xcc|irmc|cimc|mgmt|oob)']);
    expect(validateHookConfig({ bmc: { interfaceNames: ['^ipmi$'] } }, 't').bmc.interfaceNames).toEqual(['^ipmi$']);
    expect(() => validateHookConfig({ bmc: { interfaceNames: ['(bmc'] } }, 't')).toThrow('bmc.interfaceNames.0');
  });
});

describe('an unchanged renewal needs two reads', () => {
  const device = (status: string, oob: number | null) =>
    ({ id: 1, status: { value: status, label: status }, oob_ip: oob ? { id: oob } : null }) as unknown as Device;
  const ip = (id: number, deviceId: number | null, vrf: { id: number; name: string } | null = null) =>
    ({
      id,
      address: '10.0.0.5/24',
      vrf,
      assigned_object_type: deviceId === null ? null : 'dcim.interface',
      assigned_object_id: deviceId === null ? null : 100 + deviceId,
      assigned_object: deviceId === null ? null : { id: 100 + deviceId, name: 'bmc', device: { id: deviceId, display: `d${deviceId}` } },
    }) as unknown as IpAddress;
  test('the lease is the oob_ip of a discovered or active device, on its interface, and nobody else holds it', () => {
    expect(unchangedRenewalIp(device('discovered', 7), [ip(7, 1)])?.id).toBe(7);
    expect(unchangedRenewalIp(device('active', 7), [ip(7, 1), ip(8, null)])?.id).toBe(7);
  });
  test('anything else is decided by the full observation', () => {
    expect(unchangedRenewalIp(device('offline', 7), [ip(7, 1)])).toBeNull();
    expect(unchangedRenewalIp(device('discovered', null), [ip(7, 1)])).toBeNull();
    expect(unchangedRenewalIp(device('discovered', 7), [ip(7, 2)])).toBeNull();
    expect(unchangedRenewalIp(device('discovered', 7), [ip(7, 1), ip(9, 2)])).toBeNull();
    expect(unchangedRenewalIp(device('discovered', 7), [ip(7, 1), ip(9, 2, { id: 3, name: 'other' })])?.id).toBe(7);
    expect(unchangedRenewalIp(device('discovered', 7), [ip(7, 1)], 'oob')).toBeNull();
    expect(unchangedRenewalIp(device('discovered', 7), [ip(7, 1, { id: 3, name: 'oob' })], 'oob')?.id).toBe(7);
  });
});

describe("NetBox's version remembered in the spool", () => {
  const entry = (at: number) => ({ text: '4.6.1', major: 4, minor: 6, patch: 1, at: new Date(at).toISOString() });
  test('trusted for VERSION_TTL_MS, not after, not from the future, not when malformed', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(freshVersion(entry(now - 1000), now)?.text).toBe('4.6.1');
    expect(freshVersion(entry(now - VERSION_TTL_MS), now)).toBeUndefined();
    expect(freshVersion(entry(now + 60_000), now)).toBeUndefined();
    expect(freshVersion({ ...entry(now), major: Number.NaN }, now)).toBeUndefined();
    expect(freshVersion(undefined, now)).toBeUndefined();
  });
});
