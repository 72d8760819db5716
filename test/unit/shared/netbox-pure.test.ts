import { describe, expect, test } from 'bun:test';
import {
  AmbiguousMatchError,
  authScheme,
  capabilitiesOf,
  devicesOfInterfaces,
  farEndOf,
  hintFor,
  interfaceIdsOf,
  isIdempotentMethod,
  isPlaceholderSerial,
  isUnknownChoice,
  mostSpecificPrefixes,
  mostSpecificPrefixLength,
  permissionFor,
  populatedRangeOf,
  NetboxHttpError,
  NetboxNetworkError,
  NetboxTimeoutError,
  normaliseBaseUrl,
  parseNetboxVersion,
  retryAfterMs,
  toSearchParams,
  withBounds,
  NetboxAbortedError,
  type MacAddress,
  type NetboxClient,
  type NetboxVersion,
  type RequestOptions,
} from '../../../shared/netbox/index.ts';
import { classifyFailure } from '../../../shared/failure.ts';
import { backoffDelayMs } from '../../../shared/retry.ts';

describe('auth', () => {
  test('v2 tokens go as Bearer, v1 tokens as Token', () => {
    expect(authScheme('nbt_abc123.secretsecret')).toBe('Bearer');
    expect(authScheme('0123456789abcdef0123456789abcdef01234567')).toBe('Token');
  });
});

describe('urls and queries', () => {
  test('base URL tolerates a trailing slash and /api', () => {
    expect(normaliseBaseUrl('https://nb.example/')).toBe('https://nb.example');
    expect(normaliseBaseUrl('https://nb.example/api/')).toBe('https://nb.example');
    expect(normaliseBaseUrl('https://nb.example/netbox')).toBe('https://nb.example/netbox');
  });
  test('arrays become repeated parameters and undefined is dropped', () => {
    expect(toSearchParams({ mac_address: ['A', 'B'], limit: 5, x: undefined }).toString()).toBe('mac_address=A&mac_address=B&limit=5');
  });
});

describe('retry policy', () => {
  test('only GET/HEAD/OPTIONS/PUT/DELETE are idempotent by default', () => {
    expect(['GET', 'head', 'PUT', 'DELETE', 'OPTIONS'].every(isIdempotentMethod)).toBe(true);
    expect(isIdempotentMethod('POST')).toBe(false);
    expect(isIdempotentMethod('PATCH')).toBe(false);
  });
  test('network errors, timeouts, 429 and 502-504 are retried at once; 500 and 4xx are not', () => {
    expect(classifyFailure(new NetboxNetworkError('GET', '/', new Error('ECONNREFUSED')))).toBe('retry-now');
    expect(classifyFailure(new NetboxTimeoutError('GET', '/', 10, 'request'))).toBe('retry-now');
    for (const status of [429, 502, 503, 504]) expect(classifyFailure(new NetboxHttpError('GET', '/', status, ''))).toBe('retry-now');
    for (const status of [400, 403, 404, 500]) expect(classifyFailure(new NetboxHttpError('GET', '/', status, ''))).not.toBe('retry-now');
    expect(classifyFailure(new Error('x'))).not.toBe('retry-now');
  });
  test('backoff grows exponentially, is capped and jittered', () => {
    const policy = { baseMs: 100, maxMs: 1000 };
    expect(backoffDelayMs(0, policy, () => 1)).toBe(100);
    expect(backoffDelayMs(3, policy, () => 1)).toBe(800);
    expect(backoffDelayMs(10, policy, () => 1)).toBe(1000);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(400);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
  });
  test('Retry-After is read in seconds or as an HTTP date', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs('Thu, 01 Jan 1970 00:00:05 GMT', 1000)).toBe(4000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});

describe('versions', () => {
  test('parses NetBox version strings, docker suffix included', () => {
    expect(parseNetboxVersion('4.6.0-Docker-5.0.1')).toEqual({ major: 4, minor: 6, patch: 0, text: '4.6.0-Docker-5.0.1' });
    expect(parseNetboxVersion('3.7.8')).toMatchObject({ major: 3, minor: 7, patch: 8 });
    expect(parseNetboxVersion('v4.1')).toMatchObject({ major: 4, minor: 1, patch: 0 });
    expect(parseNetboxVersion('banana')).toBeNull();
  });
  test('capabilities follow the version', () => {
    expect(capabilitiesOf(parseNetboxVersion('3.7.8')!)).toEqual({
      macAddressModel: false,
      fieldsParameter: false,
      oobIp: true,
      v2Tokens: false,
      graphqlLeaseQuery: false,
      graphqlIdLookups: false,
    });
    expect(capabilitiesOf(parseNetboxVersion('4.1.11')!)).toEqual({
      macAddressModel: false,
      fieldsParameter: true,
      oobIp: true,
      v2Tokens: false,
      graphqlLeaseQuery: false,
      graphqlIdLookups: false,
    });
    expect(capabilitiesOf(parseNetboxVersion('4.6.0')!)).toEqual({
      macAddressModel: true,
      fieldsParameter: true,
      oobIp: true,
      v2Tokens: true,
      graphqlLeaseQuery: true,
      graphqlIdLookups: true,
    });
    // GraphQL's prefix `contains` filter came with 4.3.6; id lookups (`id: {exact: …}`) with 4.5.
    expect(capabilitiesOf(parseNetboxVersion('4.3.5')!).graphqlLeaseQuery).toBe(false);
    expect(capabilitiesOf(parseNetboxVersion('4.3.6')!).graphqlLeaseQuery).toBe(true);
    expect(capabilitiesOf(parseNetboxVersion('4.4.10')!)).toMatchObject({ graphqlLeaseQuery: true, graphqlIdLookups: false });
  });
});

describe('hints', () => {
  test('an unknown device status tells the operator to add it with FIELD_CHOICES', () => {
    const hint = hintFor('PATCH', '/api/dcim/devices/1/', 400, { status: ['"discovered" is not a valid choice.'] }, { status: 'discovered' });
    expect(hint).toContain('FIELD_CHOICES');
    expect(hint).toContain('"discovered"');
  });
  test('auth failures point at the token', () => {
    expect(hintFor('GET', '/api/status/', 403, { detail: 'Invalid token' })).toContain('token');
  });
  test('a duplicate IP points at reassigning it', () => {
    expect(hintFor('POST', '/api/ipam/ip-addresses/', 400, { address: ['Duplicate IP address found in global table: 10.0.0.1/24'] })).toContain(
      'ENFORCE_GLOBAL_UNIQUE',
    );
  });
});

describe('error shapes', () => {
  test('NetboxHttpError carries method, path, status, body and serialises', () => {
    const error = new NetboxHttpError('PATCH', '/api/dcim/devices/1/', 400, { status: ['x'] }, 'fix it');
    expect(error.fieldErrors).toEqual({ status: ['x'] });
    expect(error.toJSON()).toEqual({
      type: 'NetboxHttpError',
      message: error.message,
      details: { method: 'PATCH', path: '/api/dcim/devices/1/', status: 400, body: { status: ['x'] }, hint: 'fix it' },
    });
    expect(error.message).toMatch(/^NetBox answered 400 to PATCH \/api\/dcim\/devices\/1\/: .* — fix it$/);
  });
  test('a token echoed in an error body is redacted', () => {
    const error = new NetboxHttpError('GET', '/x', 403, { detail: 'bad Token 0123456789abcdef0123456789abcdef01234567' });
    expect(JSON.stringify(error.toJSON())).not.toContain('0123456789abcdef');
    expect(error.message).not.toContain('0123456789abcdef');
  });
  test('AmbiguousMatchError lists every device', () => {
    const error = new AmbiguousMatchError('MAC', '94:40:C9:01:0A:56', [
      { id: 1, display: 'a' },
      { id: 2, display: 'b' },
    ]);
    expect(error.message).toBe('MAC 94:40:C9:01:0A:56 matches 2 devices in NetBox (#1 a, #2 b); fix the duplicates in NetBox');
  });
});

describe('pure helpers', () => {
  test('placeholder serials are recognised', () => {
    for (const s of ['', '-', '0123456789', 'To Be Filled By O.E.M.', 'Default string', 'Not Specified', 'System Serial Number', 'None', '000000', ' 0 '])
      expect(isPlaceholderSerial(s)).toBe(true);
    for (const s of ['CZ20340ABC', 'J30012345', '7X06CTO1WW']) expect(isPlaceholderSerial(s)).toBe(false);
  });
  test('the most specific prefix wins; fallback when none', () => {
    expect(mostSpecificPrefixLength([{ prefix: '10.0.0.0/8' }, { prefix: '10.1.2.0/24' }, { prefix: '10.1.0.0/16' }], 32)).toBe(24);
    expect(mostSpecificPrefixLength([], 32)).toBe(32);
  });
  test('devices of interfaces are distinct and ordered', () => {
    const d = (id: number) => ({ id, url: '', display: `d${id}`, name: `d${id}` });
    expect(devicesOfInterfaces([{ device: d(2) }, { device: d(1) }, { device: d(2) }]).map((x) => x.id)).toEqual([1, 2]);
  });
  test('interface ids come only from MACs assigned to interfaces', () => {
    const m = (type: string | null, id: number | null) => ({ assigned_object_type: type, assigned_object_id: id }) as MacAddress;
    expect(interfaceIdsOf([m('dcim.interface', 5), m(null, null), m('virtualization.vminterface', 7), m('dcim.interface', 5)])).toEqual([5]);
  });
  test('the far end of a cable is the first connected interface endpoint', () => {
    expect(
      farEndOf({
        connected_endpoints_type: 'dcim.interface',
        connected_endpoints: [{ id: 9, name: 'Ethernet1/7', device: { id: 3, name: 'leaf1' } }],
      }),
    ).toEqual({ deviceId: 3, deviceName: 'leaf1', interfaceId: 9, interfaceName: 'Ethernet1/7' });
    expect(farEndOf({ connected_endpoints_type: null, connected_endpoints: null })).toBeNull();
    expect(farEndOf({ connected_endpoints_type: 'dcim.consoleport', connected_endpoints: [{ id: 1 }] })).toBeNull();
  });
});

describe('permissions, populated ranges and whole-object validation (messages of NetBox 4.7.3)', () => {
  const DENIED = { detail: 'You do not have permission to perform this action.' };
  test('the permission a call needs is derived from method and path', () => {
    expect(permissionFor('GET', '/api/extras/journal-entries/')).toBe('view extras.journalentry');
    expect(permissionFor('PATCH', '/api/dcim/devices/7/')).toBe('change dcim.device');
    expect(permissionFor('POST', '/api/ipam/ip-addresses/')).toBe('add ipam.ipaddress');
    expect(permissionFor('GET', '/api/dcim/mac-addresses/')).toBe('view dcim.macaddress');
    expect(permissionFor('GET', '/api/ipam/prefixes/')).toBe('view ipam.prefix');
    expect(permissionFor('GET', '/api/ipam/ip-ranges/')).toBe('view ipam.iprange');
    expect(permissionFor('GET', '/api/ipam/vrfs/')).toBe('view ipam.vrf');
    expect(permissionFor('GET', '/api/dcim/front-ports/')).toBe('view dcim.frontport');
    expect(permissionFor('DELETE', '/api/dcim/interfaces/3/')).toBe('delete dcim.interface');
    expect(permissionFor('GET', '/api/virtualization/interfaces/')).toBe('view virtualization.vminterface');
  });
  test("only NetBox's permission denial is a missing permission; token refusals are not", () => {
    expect(new NetboxHttpError('GET', '/api/extras/journal-entries/', 403, DENIED).missingPermission).toBe('view extras.journalentry');
    for (const detail of ['Invalid v1 token', 'Invalid v2 token', 'Token expired', 'Token disabled', 'Authentication credentials were not provided.']) {
      expect(new NetboxHttpError('GET', '/api/dcim/devices/', 403, { detail }).missingPermission).toBeUndefined();
    }
    expect(new NetboxHttpError('GET', '/api/dcim/devices/', 404, DENIED).missingPermission).toBeUndefined();
  });
  test('a missing permission is permanent, a refused token may pass later', () => {
    expect(classifyFailure(new NetboxHttpError('GET', '/api/extras/journal-entries/', 403, DENIED))).toBe('permanent');
    expect(classifyFailure(new NetboxHttpError('GET', '/api/dcim/devices/', 403, { detail: 'Invalid v1 token' }))).toBe('retry-later');
    expect(classifyFailure(new NetboxHttpError('GET', '/api/dcim/devices/', 401, ''))).toBe('retry-later');
  });
  test('hints: a permission denial names the permission, a token refusal the token', () => {
    expect(hintFor('POST', '/api/extras/journal-entries/', 403, DENIED)).toContain('"add extras.journalentry"');
    expect(hintFor('GET', '/api/dcim/devices/', 403, { detail: 'Invalid v2 token' })).toContain('refused the token');
  });
  test('a populated range is recognised and named, with the fix', () => {
    const messages = ['Cannot create IP address 10.1.2.150/24 inside range 10.1.2.100-200/24.'];
    expect(populatedRangeOf(messages)).toBe('10.1.2.100-200/24');
    expect(populatedRangeOf(['Duplicate IP address found in global table: 10.0.0.1/24'])).toBeUndefined();
    expect(hintFor('POST', '/api/ipam/ip-addresses/', 400, { address: messages })).toContain('Mark populated');
  });
  test('only "is not a valid choice" on status means a missing status choice', () => {
    expect(isUnknownChoice(['"discovered" is not a valid choice.'])).toBe(true);
    expect(isUnknownChoice(['Status may not change during a maintenance window.'])).toBe(false);
    expect(isUnknownChoice(undefined)).toBe(false);
  });
  test("a whole-object validation error keeps NetBox's fields and messages, __all__ included", () => {
    const error = new NetboxHttpError('PATCH', '/api/dcim/devices/1/', 400, {
      __all__: ["Missing required custom field 'owner'."],
      asset_tag: ['Needs a tag.'],
    });
    expect(error.validationSummary).toBe("__all__: Missing required custom field 'owner'.; asset_tag: Needs a tag.");
  });
  test('the most specific prefixes: ties across VRFs are all returned', () => {
    const p = (prefix: string, vrf: number | null) => ({ prefix, vrf });
    expect(mostSpecificPrefixes([p('10.0.0.0/16', null), p('10.0.1.0/24', 1), p('10.0.1.0/24', null)])).toEqual([p('10.0.1.0/24', 1), p('10.0.1.0/24', null)]);
    expect(mostSpecificPrefixes([])).toEqual([]);
  });
});

describe('withBounds: every call of a client bounded by a deadline and a signal', () => {
  /** A client recording each call's options; its version probe answers when `answerVersion` is called. */
  function recordingClient() {
    const calls: RequestOptions[] = [];
    let answerVersion = () => {};
    const version = new Promise<NetboxVersion>((resolve) => {
      answerVersion = () => resolve({ major: 4, minor: 6, patch: 0, text: '4.6.0' });
    });
    const client = {
      baseUrl: 'http://nb',
      authScheme: 'Token',
      request: async (_method: string, _path: string, options: RequestOptions = {}) => (calls.push(options), {}),
      version: () => version,
    } as unknown as NetboxClient;
    return { client, calls, answerVersion };
  }

  test('the signal reaches every verb, and either a caller’s signal or the bound one cancels', async () => {
    const { client, calls } = recordingClient();
    const bound = new AbortController();
    const own = new AbortController();
    const b = withBounds(client, { signal: bound.signal, deadlineAt: 5_000 });
    await b.get('/a/');
    await b.post('/b/', {});
    await b.patch('/c/', {});
    await b.delete('/d/');
    await b.get('/e/', {}, { signal: own.signal, deadlineAt: 4_000 });
    expect(calls.map((c) => c.signal === bound.signal)).toEqual([true, true, true, true, false]);
    expect(calls.map((c) => c.deadlineAt)).toEqual([5_000, 5_000, 5_000, 5_000, 4_000]);
    own.abort();
    expect(calls[4]!.signal!.aborted).toBe(true);
    expect(calls[0]!.signal!.aborted).toBe(false);
  });

  test('a pending version probe stops being waited for when the signal aborts', async () => {
    const { client, answerVersion } = recordingClient();
    const controller = new AbortController();
    const waiting = withBounds(client, { signal: controller.signal })
      .capabilities()
      .catch((e: unknown) => e);
    controller.abort();
    expect(await waiting).toBeInstanceOf(NetboxAbortedError);
    answerVersion();
    expect((await withBounds(client, {}).version()).text).toBe('4.6.0');
  });
});
