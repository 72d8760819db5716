/**
 * The NetBox simulator over HTTP: every test starts its own simulator on port 0 and closes it.
 */
// biome-ignore-all lint/suspicious/noExplicitAny: raw JSON response bodies of many shapes, asserted field by field
import { afterEach, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { featuresOf, startSimulator } from '../../index.ts';
import type { Flavour, SeedData, SimOptions, Simulator } from '../../index.ts';
import { componentSchema, responseValidator } from '../../schema-validator.ts';

const REPO = join(import.meta.dir, '..', '..', '..', '..');

let sims: Simulator[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});

async function sim(opts: SimOptions = {}): Promise<Simulator> {
  const s = await startSimulator({ port: 0, ...opts });
  sims.push(s);
  return s;
}

interface Res {
  status: number;
  body: any;
  headers: Headers;
  text: string;
}

async function api(s: Simulator, method: string, path: string, body?: unknown, auth: string | null = authHeader(s)): Promise<Res> {
  const headers: Record<string, string> = {};
  if (auth !== null) headers.Authorization = auth;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(`${s.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    redirect: 'manual',
  });
  const text = await r.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: r.status, body: parsed, headers: r.headers, text };
}

function authHeader(s: Simulator): string {
  return s.v2Token ? `Bearer ${s.v2Token}` : `Token ${s.v1Token}`;
}

/** Validates against the extract's response component and checks no undeclared top-level keys. */
function expectShape(component: string, body: unknown): void {
  const validate = responseValidator(component);
  const ok = validate(body);
  if (!ok) throw new Error(`${component}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
  const declared = Object.keys(componentSchema(component).properties as object);
  const extra = Object.keys(body as object).filter((k) => !declared.includes(k));
  expect(extra).toEqual([]);
}

function seed(flavour: Flavour, extra: Partial<SeedData> = {}): SeedData {
  const macs = featuresOf(flavour).macObjects;
  return {
    sites: [
      { name: 'DC1', slug: 'dc1' },
      { name: 'DC2', slug: 'dc2' },
    ],
    manufacturers: [{ name: 'Dell', slug: 'dell' }],
    'device-types': [{ manufacturer: 1, model: 'R650', slug: 'r650' }],
    'device-roles': [{ name: 'Server', slug: 'server' }],
    devices: [
      { name: 'srv1', site: 1, role: 1, device_type: 1, serial: 'ABC123', status: 'offline' },
      { name: 'srv2', site: 1, role: 1, device_type: 1, serial: 'XYZ789', status: 'active' },
    ],
    interfaces: [
      { device: 1, name: 'bmc', type: '1000base-t', mgmt_only: true, ...(macs ? {} : { mac_address: 'aa:bb:cc:00:00:01' }) },
      { device: 1, name: 'eth0', type: '10gbase-x-sfpp' },
      { device: 2, name: 'bmc', type: '1000base-t', mgmt_only: true, ...(macs ? {} : { mac_address: 'aa:bb:cc:00:00:02' }) },
    ],
    ...(macs
      ? {
          'mac-addresses': [
            { mac_address: 'AA:BB:CC:00:00:01', assigned_object_type: 'dcim.interface', assigned_object_id: 1 },
            { mac_address: 'aa:bb:cc:00:00:02', assigned_object_type: 'dcim.interface', assigned_object_id: 3 },
            { mac_address: 'aa:bb:cc:00:00:99', assigned_object_type: 'dcim.interface', assigned_object_id: 1 },
          ],
        }
      : {}),
    ...extra,
  };
}

describe('flavours and /api/status/', () => {
  test.each([
    ['3.7', '3.7.8'],
    ['4.1', '4.1.11'],
    ['4.6', '4.6.0'],
  ] as const)('NetBox %s reports netbox-version %s and an API-Version header', async (flavour, version) => {
    const s = await sim({ flavour });
    const r = await api(s, 'GET', '/api/status/');
    expect(r.status).toBe(200);
    expect(r.body['netbox-version']).toBe(version);
    expect(r.body['python-version']).toBe('3.12.3');
    expect(r.body['rq-workers-running']).toBe(1);
    expect(r.headers.get('API-Version')).toBe(flavour);
    expect(s.version).toBe(version);
  });

  test('4.6 serves a v2 token as its preferred token, older flavours a v1 token', async () => {
    const s46 = await sim({ flavour: '4.6' });
    const s41 = await sim({ flavour: '4.1' });
    expect(s46.token).toBe(s46.v2Token as string);
    expect(s46.token).toMatch(/^nbt_[A-Za-z0-9]+\.[A-Za-z0-9]+$/);
    expect(s41.v2Token).toBeUndefined();
    expect(s41.token).toMatch(/^[0-9a-f]{40}$/);
    expect(s46.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

describe('auth', () => {
  test('a request without Authorization is refused with 403 and logged as auth none', async () => {
    const s = await sim();
    const r = await api(s, 'GET', '/api/status/', undefined, null);
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ detail: 'Authentication credentials were not provided.' });
    expect(s.requests()[0]?.auth).toBe('none');
  });

  test('a wrong v1 token is refused with "Invalid v1 token" (4.5+) or "Invalid token" (before)', async () => {
    const s = await sim();
    const r = await api(s, 'GET', '/api/dcim/devices/', undefined, `Token ${'0'.repeat(40)}`);
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ detail: 'Invalid v1 token' });
    expect(s.requests()[0]?.auth).toBe('invalid');
    const old = await sim({ flavour: '4.1' });
    const r2 = await api(old, 'GET', '/api/dcim/devices/', undefined, `Token ${'0'.repeat(40)}`);
    expect(r2.body).toEqual({ detail: 'Invalid token' });
  });

  test('the v1 token is accepted on 4.6 too', async () => {
    const s = await sim({ flavour: '4.6' });
    const r = await api(s, 'GET', '/api/status/', undefined, `Token ${s.v1Token}`);
    expect(r.status).toBe(200);
    expect(s.requests()[0]?.auth).toBe('v1');
  });

  test('a v2 Bearer token is accepted on 4.6 and logged as v2', async () => {
    const s = await sim({ flavour: '4.6', v2Token: 'nbt_abc123.secret456' });
    const r = await api(s, 'GET', '/api/status/', undefined, 'Bearer nbt_abc123.secret456');
    expect(r.status).toBe(200);
    expect(s.requests()[0]?.auth).toBe('v2');
  });

  test('a malformed or wrong v2 token is refused with "Invalid v2 token"', async () => {
    const s = await sim({ flavour: '4.6' });
    expect((await api(s, 'GET', '/api/status/', undefined, 'Bearer not-a-v2-token')).body).toEqual({ detail: 'Invalid v2 token' });
    const wrong = await api(s, 'GET', '/api/status/', undefined, 'Bearer nbt_abc.def');
    expect(wrong.status).toBe(403);
    expect(wrong.body).toEqual({ detail: 'Invalid v2 token' });
  });

  test.each(['3.7', '4.1'] as const)('a Bearer token is refused on %s (only the Token keyword exists there)', async (flavour) => {
    const s = await sim({ flavour });
    const r = await api(s, 'GET', '/api/status/', undefined, 'Bearer nbt_abc123.secret456');
    expect(r.status).toBe(403);
    expect(s.requests()[0]?.auth).toBe('invalid');
  });
});

describe('errors', () => {
  test('an unknown path is 404 {"detail":"Not found."}', async () => {
    const s = await sim();
    const r = await api(s, 'GET', '/api/dcim/racks-that-do-not-exist/');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ detail: 'Not found.' });
  });

  test('a body that is not JSON is 400 with a JSON parse error', async () => {
    const s = await sim();
    const r = await api(s, 'POST', '/api/dcim/sites/', '{"name": ');
    expect(r.status).toBe(400);
    expect(r.body.detail).toStartWith('JSON parse error - ');
  });

  test('a method the endpoint does not allow is 405', async () => {
    const s = await sim();
    const r = await api(s, 'POST', '/api/status/', {});
    expect(r.status).toBe(405);
    expect(r.body).toEqual({ detail: 'Method "POST" not allowed.' });
  });

  test('a missing object is 404 naming the model on 4.x and "Not found." on 3.7', async () => {
    const s46 = await sim({ flavour: '4.6' });
    expect((await api(s46, 'GET', '/api/dcim/devices/99/')).body).toEqual({ detail: 'No Device matches the given query.' });
    const s37 = await sim({ flavour: '3.7' });
    expect((await api(s37, 'GET', '/api/dcim/devices/99/')).body).toEqual({ detail: 'Not found.' });
  });

  test('a path without its trailing slash is redirected like Django APPEND_SLASH', async () => {
    const s = await sim();
    const r = await api(s, 'GET', '/api/dcim/devices?name=x');
    expect(r.status).toBe(301);
    expect(r.headers.get('Location')).toBe('/api/dcim/devices/?name=x');
  });

  test('a JSON array body (bulk create) is rejected with 400', async () => {
    const s = await sim();
    const r = await api(s, 'POST', '/api/dcim/sites/', [{ name: 'a', slug: 'a' }]);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] });
  });
});

describe('request validation', () => {
  test('missing required fields are each reported as "This field is required."', async () => {
    const s = await sim({ data: seed('4.6') });
    const r = await api(s, 'POST', '/api/dcim/devices/', { name: 'x', role: 1 });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ device_type: ['This field is required.'], site: ['This field is required.'] });
  });

  test('a numeric string for a related object is rejected as the wrong type', async () => {
    const s = await sim({ data: seed('4.6') });
    const r = await api(s, 'POST', '/api/dcim/interfaces/', { device: '1', name: 'eth9', type: '1000base-t' });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ device: ['Incorrect type. Expected pk value, received str.'] });
  });

  test("a non-numeric string for a related object gets NetBox's related-object message", async () => {
    const s = await sim({ data: seed('4.6') });
    const r = await api(s, 'POST', '/api/dcim/interfaces/', { device: 'srv1', name: 'eth9', type: '1000base-t' });
    expect(r.body).toEqual({
      device: ['Related objects must be referenced by numeric ID or by dictionary of attributes. Received an unrecognized value: srv1'],
    });
  });

  test('a related object can be referenced by a dictionary of attributes', async () => {
    const s = await sim({ data: seed('4.6') });
    const r = await api(s, 'POST', '/api/dcim/interfaces/', { device: { name: 'srv2' }, name: 'eth9', type: '1000base-t' });
    expect(r.status).toBe(201);
    expect(r.body.device.id).toBe(2);
  });

  test('a string for an integer field is "A valid integer is required."', async () => {
    const s = await sim({ data: seed('4.6') });
    const r = await api(s, 'PATCH', '/api/dcim/interfaces/1/', { mtu: 'jumbo' });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ mtu: ['A valid integer is required.'] });
  });

  test('an unknown device status is "bogus is not a valid choice." (NetBox\'s ChoiceField: no quotes)', async () => {
    const s = await sim({ data: seed('4.6') });
    const r = await api(s, 'PATCH', '/api/dcim/devices/1/', { status: 'bogus' });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ status: ['bogus is not a valid choice.'] });
  });

  test('the configured statuses discovered and ready are accepted and labelled', async () => {
    const s = await sim({ data: seed('4.6') });
    const r = await api(s, 'PATCH', '/api/dcim/devices/1/', { status: 'discovered' });
    expect(r.status).toBe(200);
    expect(r.body.status).toEqual({ value: 'discovered', label: 'Discovered' });
    expect((await api(s, 'PATCH', '/api/dcim/devices/1/', { status: 'ready' })).status).toBe(200);
  });

  test('without configured statuses "discovered" is rejected like on a stock NetBox', async () => {
    const s = await sim({ data: seed('4.6'), statusChoices: [] });
    const r = await api(s, 'PATCH', '/api/dcim/devices/1/', { status: 'discovered' });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ status: ['discovered is not a valid choice.'] });
  });

  test('a related id that does not exist is rejected', async () => {
    const s = await sim({ data: seed('4.6') });
    const r = await api(s, 'POST', '/api/dcim/devices/', { name: 'x', site: 99, role: 1, device_type: 1 });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ site: ['Related object not found using the provided numeric ID: 99'] });
  });

  test('a duplicate device name in the same site is rejected', async () => {
    const s = await sim({ data: seed('4.6') });
    const r = await api(s, 'POST', '/api/dcim/devices/', { name: 'SRV1', site: 1, role: 1, device_type: 1 });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ non_field_errors: ['Device name must be unique per site.'] });
    expect((await api(s, 'POST', '/api/dcim/devices/', { name: 'srv1', site: 2, role: 1, device_type: 1 })).status).toBe(201);
  });

  test('a duplicate interface name on one device is rejected', async () => {
    const s = await sim({ data: seed('4.6') });
    const r = await api(s, 'POST', '/api/dcim/interfaces/', { device: 1, name: 'bmc', type: '1000base-t' });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ non_field_errors: ['The fields device, name must make a unique set.'] });
  });

  test('a duplicate site slug is rejected', async () => {
    const s = await sim({ data: seed('4.6') });
    const r = await api(s, 'POST', '/api/dcim/sites/', { name: 'Other', slug: 'dc1' });
    expect(r.body).toEqual({ slug: ['site with this slug already exists.'] });
  });

  test('an invalid IP address is rejected', async () => {
    const s = await sim();
    const r = await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '10.1.2.300/24' });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ address: ['Invalid IP address format: 10.1.2.300/24'] });
  });

  test('an IP address without a prefix length is rejected', async () => {
    const s = await sim();
    const r = await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '10.1.2.3' });
    expect(r.status).toBe(400);
    expect(r.body.address[0]).toStartWith('Invalid IP address format: 10.1.2.3');
  });

  test('an IPv6 address with a prefix length is accepted', async () => {
    const s = await sim();
    const r = await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '2001:DB8:0:0::1/64' });
    expect(r.status).toBe(201);
    expect(r.body.address).toBe('2001:db8::1/64');
    expect(r.body.family).toEqual({ value: 6, label: 'IPv6' });
  });

  test('a duplicate IP in the global table is rejected whatever its mask (ENFORCE_GLOBAL_UNIQUE)', async () => {
    const s = await sim();
    expect((await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '10.1.2.3/24' })).status).toBe(201);
    const r = await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '10.1.2.3/16' });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ address: ['Duplicate IP address found in global table: 10.1.2.3/24'] });
  });

  test('duplicate IPs are allowed when enforceGlobalUnique is off', async () => {
    const s = await sim({ enforceGlobalUnique: false });
    await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '10.1.2.3/24' });
    expect((await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '10.1.2.3/24' })).status).toBe(201);
  });

  test('an unknown IP status is rejected', async () => {
    const s = await sim();
    const r = await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '10.1.2.3/24', status: 'online' });
    expect(r.body).toEqual({ status: ['online is not a valid choice.'] });
  });

  test('an IP can only be assigned to an existing dcim.interface', async () => {
    const s = await sim({ data: seed('4.6') });
    const wrongType = await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '10.1.2.3/24', assigned_object_type: 'dcim.device', assigned_object_id: 1 });
    expect(wrongType.body).toEqual({ assigned_object_type: ['Invalid content type: dcim.device'] });
    const missing = await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '10.1.2.3/24', assigned_object_type: 'dcim.interface', assigned_object_id: 99 });
    expect(missing.status).toBe(400);
    expect(Object.keys(missing.body)).toEqual(['assigned_object_id']);
  });

  test('a journal entry defaults to kind info and rejects unknown kinds and objects', async () => {
    const s = await sim({ data: seed('4.6') });
    const ok = await api(s, 'POST', '/api/extras/journal-entries/', { assigned_object_type: 'dcim.device', assigned_object_id: 1, comments: '**hello**' });
    expect(ok.status).toBe(201);
    expect(ok.body.kind).toEqual({ value: 'info', label: 'Info' });
    expect(ok.body.assigned_object.id).toBe(1);
    const badKind = await api(s, 'POST', '/api/extras/journal-entries/', {
      assigned_object_type: 'dcim.device',
      assigned_object_id: 1,
      comments: 'x',
      kind: 'fatal',
    });
    expect(badKind.body).toEqual({ kind: ['fatal is not a valid choice.'] });
    const noObject = await api(s, 'POST', '/api/extras/journal-entries/', { assigned_object_type: 'dcim.device', assigned_object_id: 99, comments: 'x' });
    expect(noObject.body).toEqual({ non_field_errors: ['Invalid assigned_object: dcim | device ID 99'] });
  });

  test('unknown body fields are ignored and recorded as ignoredFields', async () => {
    const s = await sim({ data: seed('4.6') });
    const r = await api(s, 'PATCH', '/api/dcim/devices/1/', { serial: 'NEW', colour: 'blue' });
    expect(r.status).toBe(200);
    expect(r.body.serial).toBe('NEW');
    expect(s.requests().at(-1)?.ignoredFields).toEqual(['colour']);
  });

  test('seed data is validated through the create path', async () => {
    await expect(startSimulator({ port: 0, data: { sites: [{ name: 'x' }] } })).rejects.toThrow(/slug/);
  });
});

describe('filters', () => {
  test.each(['aa:bb:cc:00:00:01', 'AA-BB-CC-00-00-01', 'aabb.cc00.0001', 'aabbcc000001', 'AA:BB:CC:0:0:1'])(
    'interfaces ?mac_address=%s finds the BMC on 4.6',
    async (mac) => {
      const s = await sim({ flavour: '4.6', data: seed('4.6') });
      const r = await api(s, 'GET', `/api/dcim/interfaces/?mac_address=${encodeURIComponent(mac)}`);
      expect(r.status).toBe(200);
      expect(r.body.results.map((i: any) => i.id)).toEqual([1]);
    },
  );

  test.each(['3.7', '4.1'] as const)('interfaces ?mac_address= matches the interface mac_address on %s', async (flavour) => {
    const s = await sim({ flavour, data: seed(flavour) });
    const r = await api(s, 'GET', '/api/dcim/interfaces/?mac_address=AABB.CC00.0002');
    expect(r.body.results.map((i: any) => [i.id, i.mac_address])).toEqual([[3, 'AA:BB:CC:00:00:02']]);
  });

  test('on 4.6 the interface MAC filter matches any MAC assigned, not only the primary', async () => {
    const s = await sim({ data: seed('4.6') });
    const r = await api(s, 'GET', '/api/dcim/interfaces/?mac_address=aa:bb:cc:00:00:99');
    expect(r.body.results.map((i: any) => i.id)).toEqual([1]);
  });

  test('repeated mac_address parameters OR together', async () => {
    const s = await sim({ data: seed('4.6') });
    const r = await api(s, 'GET', '/api/dcim/interfaces/?mac_address=aa:bb:cc:00:00:01&mac_address=aa:bb:cc:00:00:02');
    expect(r.body.count).toBe(2);
  });

  test('an invalid MAC filter value is 400 on 4.6', async () => {
    const s = await sim({ data: seed('4.6') });
    const r = await api(s, 'GET', '/api/dcim/interfaces/?mac_address=zz:zz');
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ mac_address: ['Invalid value: zz:zz'] });
  });

  test('mac-addresses can be found by MAC, interface and device', async () => {
    const s = await sim({ data: seed('4.6') });
    expect((await api(s, 'GET', '/api/dcim/mac-addresses/?mac_address=aabbcc000002')).body.results.map((m: any) => m.id)).toEqual([2]);
    expect((await api(s, 'GET', '/api/dcim/mac-addresses/?interface_id=1')).body.count).toBe(2);
    expect((await api(s, 'GET', '/api/dcim/mac-addresses/?device_id=2')).body.count).toBe(1);
    expect((await api(s, 'GET', '/api/dcim/mac-addresses/?assigned_object_type=dcim.interface&assigned_object_id=3')).body.count).toBe(1);
  });

  test('devices ?mac_address= finds the device owning the MAC', async () => {
    const s = await sim({ data: seed('4.6') });
    expect((await api(s, 'GET', '/api/dcim/devices/?mac_address=AA-BB-CC-00-00-02')).body.results.map((d: any) => d.name)).toEqual(['srv2']);
  });

  test('ip-addresses ?address= without a mask matches any mask, with a mask only that mask', async () => {
    const s = await sim();
    await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '10.1.2.3/24' });
    await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '10.1.2.4/24' });
    expect((await api(s, 'GET', '/api/ipam/ip-addresses/?address=10.1.2.3')).body.results.map((i: any) => i.address)).toEqual(['10.1.2.3/24']);
    expect((await api(s, 'GET', '/api/ipam/ip-addresses/?address=10.1.2.3/24')).body.count).toBe(1);
    expect((await api(s, 'GET', '/api/ipam/ip-addresses/?address=10.1.2.3/32')).body.count).toBe(0);
    expect((await api(s, 'GET', '/api/ipam/ip-addresses/?address=10.1.2.3&address=10.1.2.4')).body.count).toBe(2);
  });

  test('ip-addresses can be found by interface_id and device_id', async () => {
    const s = await sim({ data: seed('4.6') });
    await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '10.1.2.3/24', assigned_object_type: 'dcim.interface', assigned_object_id: 3 });
    expect((await api(s, 'GET', '/api/ipam/ip-addresses/?interface_id=3')).body.count).toBe(1);
    expect((await api(s, 'GET', '/api/ipam/ip-addresses/?device_id=2')).body.count).toBe(1);
    expect((await api(s, 'GET', '/api/ipam/ip-addresses/?device_id=1')).body.count).toBe(0);
  });

  test('prefixes ?contains= finds the prefixes containing an IP or a prefix', async () => {
    const s = await sim();
    for (const p of ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '192.168.0.0/16'])
      await api(s, 'POST', '/api/ipam/prefixes/', { prefix: p, status: 'active' });
    const byIp = await api(s, 'GET', '/api/ipam/prefixes/?contains=10.1.2.3');
    expect(byIp.body.results.map((p: any) => p.prefix)).toEqual(['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24']);
    const byPrefix = await api(s, 'GET', '/api/ipam/prefixes/?contains=10.1.0.0/16');
    expect(byPrefix.body.results.map((p: any) => p.prefix)).toEqual(['10.0.0.0/8', '10.1.0.0/16']);
  });

  test('interfaces ?device_id= filters, and an unknown device id is a 400', async () => {
    const s = await sim({ data: seed('4.6') });
    expect((await api(s, 'GET', '/api/dcim/interfaces/?device_id=1')).body.count).toBe(2);
    const missing = await api(s, 'GET', '/api/dcim/interfaces/?device_id=99');
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ device_id: ['Select a valid choice. 99 is not one of the available choices.'] });
  });

  test('a non-integer device_id filter is 400', async () => {
    const s = await sim({ data: seed('4.6') });
    const r = await api(s, 'GET', '/api/dcim/interfaces/?device_id=x');
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ device_id: ['Select a valid choice. x is not one of the available choices.'] });
  });

  test('devices ?serial= is case-insensitive exact, like NetBox (iexact)', async () => {
    const s = await sim({ data: seed('4.6') });
    expect((await api(s, 'GET', '/api/dcim/devices/?serial=abc123')).body.results.map((d: any) => d.id)).toEqual([1]);
    expect((await api(s, 'GET', '/api/dcim/devices/?serial=ABC')).body.count).toBe(0);
  });

  test('an unknown device status filter value is 400', async () => {
    const s = await sim({ data: seed('4.6') });
    expect((await api(s, 'GET', '/api/dcim/devices/?status=offline')).body.count).toBe(1);
    const r = await api(s, 'GET', '/api/dcim/devices/?status=bogus');
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ status: ['Select a valid choice. bogus is not one of the available choices.'] });
  });

  test('unknown query parameters are ignored', async () => {
    const s = await sim({ data: seed('4.6') });
    const r = await api(s, 'GET', '/api/dcim/devices/?no_such_filter=1');
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(2);
  });

  test('interfaces ?cabled= and ?mgmt_only= filter booleans', async () => {
    const s = await sim({ data: seed('4.6') });
    expect((await api(s, 'GET', '/api/dcim/interfaces/?mgmt_only=true')).body.count).toBe(2);
    await api(s, 'POST', '/api/dcim/cables/', {
      a_terminations: [{ object_type: 'dcim.interface', object_id: 2 }],
      b_terminations: [{ object_type: 'dcim.interface', object_id: 3 }],
    });
    expect((await api(s, 'GET', '/api/dcim/interfaces/?cabled=true')).body.results.map((i: any) => i.id)).toEqual([2, 3]);
    expect((await api(s, 'GET', '/api/dcim/interfaces/?cabled=false')).body.results.map((i: any) => i.id)).toEqual([1]);
  });
});

describe('pagination', () => {
  const many = (n: number): SeedData => ({ sites: Array.from({ length: n }, (_, i) => ({ name: `S${i}`, slug: `s${i}` })) });

  test('lists default to 50 per page with absolute next/previous links that keep the other parameters', async () => {
    const s = await sim({ data: many(120) });
    const first = await api(s, 'GET', '/api/dcim/sites/?brief=1');
    expect(first.body.count).toBe(120);
    expect(first.body.results.length).toBe(50);
    expect(first.body.previous).toBeNull();
    const next = new URL(first.body.next);
    expect(`${next.origin}${next.pathname}`).toBe(`${s.url}/api/dcim/sites/`);
    expect(next.searchParams.get('brief')).toBe('1');
    expect(next.searchParams.get('limit')).toBe('50');
    expect(next.searchParams.get('offset')).toBe('50');
    const second = await api(s, 'GET', `${next.pathname}${next.search}`);
    expect(second.body.results[0].id).toBe(51);
    expect(new URL(second.body.previous).searchParams.get('offset')).toBeNull();
    const last = await api(s, 'GET', '/api/dcim/sites/?limit=50&offset=100');
    expect(last.body.results.length).toBe(20);
    expect(last.body.next).toBeNull();
  });

  test('limit is capped at maxPageSize and limit=0 means maxPageSize', async () => {
    const s = await sim({ data: many(30), maxPageSize: 25 });
    expect((await api(s, 'GET', '/api/dcim/sites/?limit=100')).body.results.length).toBe(25);
    expect((await api(s, 'GET', '/api/dcim/sites/?limit=0')).body.results.length).toBe(25);
  });
});

describe('representations', () => {
  test('brief=1 returns the BriefDevice fields', async () => {
    const s = await sim({ data: seed('4.6') });
    const r = await api(s, 'GET', '/api/dcim/devices/1/?brief=1');
    expect(Object.keys(r.body).sort()).toEqual(['description', 'display', 'id', 'name', 'url']);
    expectShape('BriefDevice', r.body);
  });

  test('brief interfaces include device, cable and _occupied', async () => {
    const s = await sim({ data: seed('4.6') });
    const r = await api(s, 'GET', '/api/dcim/interfaces/?brief=true');
    for (const i of r.body.results) expectShape('BriefInterface', i);
    expect(r.body.results[0]).toMatchObject({ name: 'bmc', cable: null, _occupied: false, device: { id: 1, name: 'srv1' } });
  });

  test.each(['4.1', '4.6'] as const)('fields= selects top-level fields on %s', async (flavour) => {
    const s = await sim({ flavour, data: seed(flavour) });
    const r = await api(s, 'GET', '/api/dcim/devices/1/?fields=id,name,status');
    expect(r.body).toEqual({ id: 1, name: 'srv1', status: { value: 'offline', label: 'Offline' } });
  });

  test('fields= is ignored on 3.7', async () => {
    const s = await sim({ flavour: '3.7', data: seed('3.7') });
    const r = await api(s, 'GET', '/api/dcim/devices/1/?fields=id,name');
    expect(Object.keys(r.body).length).toBeGreaterThan(10);
    expect(r.body.device_role).toEqual(r.body.role);
  });

  test('devices include config_context (local context merged) unless exclude=config_context', async () => {
    const s = await sim({ data: seed('4.6') });
    await api(s, 'PATCH', '/api/dcim/devices/1/', { local_context_data: { bmc: { vendor: 'dell' } } });
    expect((await api(s, 'GET', '/api/dcim/devices/1/')).body.config_context).toEqual({ bmc: { vendor: 'dell' } });
    const r = await api(s, 'GET', '/api/dcim/devices/1/?exclude=config_context');
    expect('config_context' in r.body).toBe(false);
    expect(r.body.local_context_data).toEqual({ bmc: { vendor: 'dell' } });
  });

  test('3.7 accepts the old device_role name on create', async () => {
    const s = await sim({ flavour: '3.7', data: seed('3.7') });
    const r = await api(s, 'POST', '/api/dcim/devices/', { name: 'old', site: 1, device_role: 1, device_type: 1 });
    expect(r.status).toBe(201);
    expect(r.body.role.id).toBe(1);
    expect(r.body.device_role.id).toBe(1);
  });
});

describe('MAC address model', () => {
  test('on 4.6 the interface shows its primary MAC as mac_address and lists all mac_addresses', async () => {
    const s = await sim({ data: seed('4.6') });
    const before = await api(s, 'GET', '/api/dcim/interfaces/1/');
    expect(before.body.mac_address).toBeNull();
    expect(before.body.mac_addresses.map((m: any) => m.mac_address)).toEqual(['AA:BB:CC:00:00:01', 'AA:BB:CC:00:00:99']);
    const r = await api(s, 'PATCH', '/api/dcim/interfaces/1/', { primary_mac_address: 1 });
    expect(r.status).toBe(200);
    expect(r.body.mac_address).toBe('AA:BB:CC:00:00:01');
    expect(r.body.primary_mac_address).toMatchObject({ id: 1, mac_address: 'AA:BB:CC:00:00:01' });
  });

  test('on 4.6 a primary MAC must be assigned to that interface', async () => {
    const s = await sim({ data: seed('4.6') });
    const r = await api(s, 'PATCH', '/api/dcim/interfaces/1/', { primary_mac_address: 2 });
    expect(r.status).toBe(400);
    expect(Object.keys(r.body)).toEqual(['primary_mac_address']);
  });

  test('on 4.6 writing mac_address on an interface is ignored (read-only) and logged', async () => {
    const s = await sim({ data: seed('4.6') });
    const r = await api(s, 'PATCH', '/api/dcim/interfaces/2/', { mac_address: '00:11:22:33:44:55' });
    expect(r.status).toBe(200);
    expect(r.body.mac_address).toBeNull();
    expect(s.requests().at(-1)?.ignoredFields).toEqual(['mac_address']);
  });

  test('on 4.6 an invalid MAC address object is rejected', async () => {
    const s = await sim({ data: seed('4.6') });
    const r = await api(s, 'POST', '/api/dcim/mac-addresses/', { mac_address: 'not-a-mac' });
    expect(r.status).toBe(400);
    expect(Object.keys(r.body)).toEqual(['mac_address']);
  });

  test.each(['3.7', '4.1'] as const)('%s has no /mac-addresses/ endpoint and a writable interface mac_address', async (flavour) => {
    const s = await sim({ flavour, data: seed(flavour) });
    expect((await api(s, 'GET', '/api/dcim/mac-addresses/')).status).toBe(404);
    const r = await api(s, 'PATCH', '/api/dcim/interfaces/2/', { mac_address: '00-11-22-33-44-5a' });
    expect(r.status).toBe(200);
    expect(r.body.mac_address).toBe('00:11:22:33:44:5A');
    expect('mac_addresses' in r.body).toBe(false);
    expect('primary_mac_address' in r.body).toBe(false);
  });
});

describe('cables', () => {
  const cable = { a_terminations: [{ object_type: 'dcim.interface', object_id: 2 }], b_terminations: [{ object_type: 'dcim.interface', object_id: 3 }] };

  test('a cable gives both interfaces cable, link_peers and connected_endpoints', async () => {
    const s = await sim({ data: seed('4.6') });
    const c = await api(s, 'POST', '/api/dcim/cables/', cable);
    expect(c.status).toBe(201);
    expectShape('Cable', c.body);
    const near = (await api(s, 'GET', '/api/dcim/interfaces/2/')).body;
    expect(near.cable.id).toBe(c.body.id);
    expect(near.cable_end).toBe('A');
    expect(near.link_peers_type).toBe('dcim.interface');
    expect(near.link_peers.map((p: any) => p.id)).toEqual([3]);
    expect(near.connected_endpoints_type).toBe('dcim.interface');
    expect(near.connected_endpoints_reachable).toBe(true);
    expect(near.connected_endpoints[0]).toMatchObject({ id: 3, name: 'bmc', device: { id: 2, name: 'srv2' } });
    expectShape('Interface', near);
    const far = (await api(s, 'GET', '/api/dcim/interfaces/3/')).body;
    expect(far.connected_endpoints[0]).toMatchObject({ id: 2, device: { id: 1 } });
  });

  test('an interface that already has a cable cannot get another', async () => {
    const s = await sim({ data: seed('4.6') });
    await api(s, 'POST', '/api/dcim/cables/', cable);
    const r = await api(s, 'POST', '/api/dcim/cables/', {
      a_terminations: [{ object_type: 'dcim.interface', object_id: 2 }],
      b_terminations: [{ object_type: 'dcim.interface', object_id: 1 }],
    });
    expect(r.status).toBe(400);
    expect(r.body.non_field_errors[0]).toContain('Duplicate termination');
  });

  test('deleting a cable clears both ends', async () => {
    const s = await sim({ data: seed('4.6') });
    const c = await api(s, 'POST', '/api/dcim/cables/', cable);
    expect((await api(s, 'DELETE', `/api/dcim/cables/${c.body.id}/`)).status).toBe(204);
    const near = (await api(s, 'GET', '/api/dcim/interfaces/2/')).body;
    expect(near).toMatchObject({ cable: null, link_peers: [], connected_endpoints: null, cable_end: null });
  });
});

describe('device IP fields', () => {
  test('oob_ip must be an IP assigned to an interface of the device', async () => {
    const s = await sim({ data: seed('4.6') });
    await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '10.1.2.3/24', assigned_object_type: 'dcim.interface', assigned_object_id: 3 });
    const r = await api(s, 'PATCH', '/api/dcim/devices/1/', { oob_ip: 1 });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ oob_ip: ['The specified IP address (10.1.2.3/24) is not assigned to this device.'] });
  });

  test('oob_ip and primary_ip4 accept an IP of the device and render it brief', async () => {
    const s = await sim({ data: seed('4.6') });
    await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '10.1.2.3/24', assigned_object_type: 'dcim.interface', assigned_object_id: 1 });
    const r = await api(s, 'PATCH', '/api/dcim/devices/1/', { oob_ip: 1, primary_ip4: 1 });
    expect(r.status).toBe(200);
    expect(r.body.oob_ip).toMatchObject({ id: 1, address: '10.1.2.3/24' });
    expect(r.body.primary_ip).toMatchObject({ id: 1 });
    expectShape('DeviceWithConfigContext', r.body);
  });

  test("an IP that is a device's OOB IP cannot be moved to another device", async () => {
    const s = await sim({ data: seed('4.6') });
    await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '10.1.2.3/24', assigned_object_type: 'dcim.interface', assigned_object_id: 1 });
    await api(s, 'PATCH', '/api/dcim/devices/1/', { oob_ip: 1 });
    const r = await api(s, 'PATCH', '/api/ipam/ip-addresses/1/', { assigned_object_id: 3 });
    expect(r.status).toBe(400);
  });
});

describe('deletion', () => {
  test('deleting a device deletes its interfaces, their MACs and (like NetBox) their IPs', async () => {
    const s = await sim({ data: seed('4.6') });
    await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '10.1.2.3/24', assigned_object_type: 'dcim.interface', assigned_object_id: 1 });
    await api(s, 'POST', '/api/extras/journal-entries/', { assigned_object_type: 'dcim.device', assigned_object_id: 1, comments: 'x' });
    const r = await api(s, 'DELETE', '/api/dcim/devices/1/');
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect((await api(s, 'GET', '/api/dcim/interfaces/?device_id=2')).body.count).toBe(1);
    expect((await api(s, 'GET', '/api/dcim/interfaces/')).body.count).toBe(1);
    expect((await api(s, 'GET', '/api/dcim/mac-addresses/')).body.count).toBe(1);
    expect((await api(s, 'GET', '/api/ipam/ip-addresses/')).body.count).toBe(0);
    expect((await api(s, 'GET', '/api/extras/journal-entries/')).body.count).toBe(0);
  });

  test('deleting an IP clears the device fields pointing at it', async () => {
    const s = await sim({ data: seed('4.6') });
    await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '10.1.2.3/24', assigned_object_type: 'dcim.interface', assigned_object_id: 1 });
    await api(s, 'PATCH', '/api/dcim/devices/1/', { oob_ip: 1 });
    await api(s, 'DELETE', '/api/ipam/ip-addresses/1/');
    expect((await api(s, 'GET', '/api/dcim/devices/1/')).body.oob_ip).toBeNull();
  });

  test('a site with devices cannot be deleted (409)', async () => {
    const s = await sim({ data: seed('4.6') });
    expect((await api(s, 'DELETE', '/api/dcim/sites/1/')).status).toBe(409);
  });
});

describe('response shapes (4.6) match the OpenAPI response components', () => {
  test("every endpoint's list and detail responses validate", async () => {
    const s = await sim({ data: seed('4.6', { prefixes: [{ prefix: '10.1.2.0/24' }] }) });
    await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '10.1.2.3/24', assigned_object_type: 'dcim.interface', assigned_object_id: 1, role: 'vip' });
    await api(s, 'POST', '/api/extras/journal-entries/', { assigned_object_type: 'dcim.device', assigned_object_id: 1, comments: 'x', kind: 'warning' });
    await api(s, 'POST', '/api/dcim/cables/', {
      a_terminations: [{ object_type: 'dcim.interface', object_id: 2 }],
      b_terminations: [{ object_type: 'dcim.interface', object_id: 3 }],
    });
    await api(s, 'PATCH', '/api/dcim/interfaces/1/', { primary_mac_address: 1 });
    const endpoints: [string, string, string][] = [
      ['/api/dcim/sites/', 'PaginatedSiteList', 'Site'],
      ['/api/dcim/manufacturers/', 'PaginatedManufacturerList', 'Manufacturer'],
      ['/api/dcim/device-types/', 'PaginatedDeviceTypeList', 'DeviceType'],
      ['/api/dcim/device-roles/', 'PaginatedDeviceRoleList', 'DeviceRole'],
      ['/api/dcim/devices/', 'PaginatedDeviceWithConfigContextList', 'DeviceWithConfigContext'],
      ['/api/dcim/interfaces/', 'PaginatedInterfaceList', 'Interface'],
      ['/api/dcim/mac-addresses/', 'PaginatedMACAddressList', 'MACAddress'],
      ['/api/dcim/cables/', 'PaginatedCableList', 'Cable'],
      ['/api/ipam/prefixes/', 'PaginatedPrefixList', 'Prefix'],
      ['/api/ipam/ip-addresses/', 'PaginatedIPAddressList', 'IPAddress'],
      ['/api/extras/journal-entries/', 'PaginatedJournalEntryList', 'JournalEntry'],
    ];
    for (const [path, list, item] of endpoints) {
      const l = await api(s, 'GET', path);
      expect(l.status).toBe(200);
      expect(l.body.count).toBeGreaterThan(0);
      expectShape(list, l.body);
      for (const r of l.body.results) expectShape(item, r);
      expectShape(item, (await api(s, 'GET', `${path}${l.body.results[0].id}/`)).body);
    }
  });
});

describe('faults', () => {
  const DEVICES = '/api/dcim/devices/';

  test('latency delays the answer and then answers normally', async () => {
    const s = await sim({ faults: [{ kind: 'latency', ms: 150, pathPrefix: DEVICES }] });
    const t0 = performance.now();
    const r = await api(s, 'GET', DEVICES);
    expect(r.status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect(s.requests()[0]?.fault).toBe('latency:150');
  });

  test('hang never answers until the client aborts, and close() still finishes', async () => {
    const s = await sim({ faults: [{ kind: 'hang' }] });
    const err = await fetch(`${s.url}/api/status/`, { headers: { Authorization: authHeader(s) }, signal: AbortSignal.timeout(200) }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.name).toBe('TimeoutError');
    const pending = fetch(`${s.url}/api/status/`, { headers: { Authorization: authHeader(s) } }).then(
      () => 'answered',
      () => 'failed',
    );
    await s.waitForRequest((e) => e.fault === 'hang' && e.seq === 2);
    await s.close();
    expect(await pending).toBe('failed');
  });

  test.each([502, 503, 504])('status %i answers with an nginx-like HTML page', async (status) => {
    const s = await sim({ faults: [{ kind: 'status', status }] });
    const r = await api(s, 'GET', '/api/status/');
    expect(r.status).toBe(status);
    expect(r.headers.get('Content-Type')).toBe('text/html');
    expect(r.text).toContain(`<title>${status}`);
  });

  test("status 500 answers with NetBox's JSON server error", async () => {
    const s = await sim({ faults: [{ kind: 'status', status: 500 }] });
    const r = await api(s, 'GET', '/api/status/');
    expect(r.status).toBe(500);
    expect(r.body.netbox_version).toBe('4.6.0');
  });

  test('status 429 sends Retry-After', async () => {
    const s = await sim({ faults: [{ kind: 'status', status: 429, retryAfterS: 7 }] });
    const r = await api(s, 'GET', '/api/status/');
    expect(r.status).toBe(429);
    expect(r.headers.get('Retry-After')).toBe('7');
    expect(r.body.detail).toContain('throttled');
  });

  test('drop destroys the connection without a response', async () => {
    const s = await sim({ faults: [{ kind: 'drop' }] });
    const err = await fetch(`${s.url}/api/status/`, { headers: { Authorization: authHeader(s) } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).not.toBeNull();
    expect(s.requests()[0]?.fault).toBe('drop');
  });

  test('malformed answers 200 application/json with a truncated body', async () => {
    const s = await sim({ faults: [{ kind: 'malformed' }] });
    const r = await fetch(`${s.url}/api/dcim/devices/`, { headers: { Authorization: authHeader(s) } });
    expect(r.status).toBe(200);
    expect(r.headers.get('Content-Type')).toBe('application/json');
    await expect(r.json()).rejects.toThrow();
  });

  test('times counts down per matching request and method/pathPrefix restrict matching', async () => {
    const s = await sim({ faults: [{ kind: 'status', status: 503, times: 2, method: 'GET', pathPrefix: DEVICES }] });
    expect((await api(s, 'GET', '/api/status/')).status).toBe(200);
    expect((await api(s, 'POST', DEVICES, {})).status).toBe(400);
    expect((await api(s, 'GET', DEVICES)).status).toBe(503);
    expect((await api(s, 'GET', DEVICES)).status).toBe(503);
    expect((await api(s, 'GET', DEVICES)).status).toBe(200);
  });

  test('setFaults and clearFaults change faults at run time', async () => {
    const s = await sim();
    s.setFaults([{ kind: 'status', status: 502 }]);
    expect((await api(s, 'GET', '/api/status/')).status).toBe(502);
    s.clearFaults();
    expect((await api(s, 'GET', '/api/status/')).status).toBe(200);
  });

  test('faults can be set over HTTP with the token, and the log read back', async () => {
    const s = await sim();
    expect((await api(s, 'PUT', '/__sim/faults', [{ kind: 'status', status: 504, times: 1 }], null)).status).toBe(403);
    expect((await api(s, 'PUT', '/__sim/faults', [{ kind: 'status', status: 504, times: 1 }])).status).toBe(204);
    expect((await api(s, 'GET', '/api/status/')).status).toBe(504);
    expect((await api(s, 'GET', '/api/status/')).status).toBe(200);
    const log = await api(s, 'GET', '/__sim/requests');
    expect(log.body.map((e: any) => e.status)).toEqual([504, 200]);
    expect((await api(s, 'PUT', '/__sim/faults', [{ kind: 'explode' }])).status).toBe(400);
  });
});

describe('request log', () => {
  test('each request is logged with method, path, query, body, status and auth', async () => {
    const s = await sim({ data: seed('4.6') });
    await api(s, 'GET', '/api/dcim/interfaces/?mac_address=a&mac_address=b');
    await api(s, 'PATCH', '/api/dcim/devices/1/', { status: 'staged' });
    const [get, patch] = s.requests();
    expect(get).toMatchObject({
      seq: 1,
      method: 'GET',
      path: '/api/dcim/interfaces/',
      query: { mac_address: ['a', 'b'] },
      body: null,
      auth: 'v2',
      ignoredFields: [],
    });
    expect(patch).toMatchObject({ seq: 2, method: 'PATCH', path: '/api/dcim/devices/1/', body: { status: 'staged' }, status: 200 });
    s.clearRequests();
    expect(s.requests()).toEqual([]);
  });
});

describe('CLI', () => {
  test('main.ts prints its URL and token, serves requests and stops on SIGTERM', async () => {
    const proc = Bun.spawn([process.execPath, join(REPO, 'test/netbox-sim/main.ts'), '--port', '0', '--flavour', '4.6'], { stdout: 'pipe', stderr: 'pipe' });
    try {
      const reader = proc.stdout.getReader();
      let out = '';
      while (!out.includes('\n')) {
        const { value, done } = await reader.read();
        if (done) break;
        out += new TextDecoder().decode(value);
      }
      reader.releaseLock();
      const m = /^netbox-sim 4\.6 listening on (http:\/\/127\.0\.0\.1:\d+)\/ token: ([0-9a-f]{40}) v2-token: (nbt_\S+)$/m.exec(out);
      expect(m).not.toBeNull();
      const [, url, v1, v2] = m as RegExpExecArray;
      const r1 = await fetch(`${url}/api/status/`, { headers: { Authorization: `Token ${v1}` } });
      expect(((await r1.json()) as any)['netbox-version']).toBe('4.6.0');
      const r2 = await fetch(`${url}/api/status/`, { headers: { Authorization: `Bearer ${v2}` } });
      expect(r2.status).toBe(200);
    } finally {
      process.kill(proc.pid, 'SIGTERM');
    }
    expect(await proc.exited).toBe(0);
  });
});

describe('models the product needs beyond devices (each checked against the real NetBox 4.7.3)', () => {
  test('the least-privilege token gets 403 outside permissions.json and works inside it', async () => {
    const s = await sim({ flavour: '4.7' });
    const least = `Bearer ${s.leastPrivilegeToken}`;
    expect((await api(s, 'GET', '/api/dcim/sites/', undefined, least)).body).toEqual({ detail: 'You do not have permission to perform this action.' });
    expect((await api(s, 'GET', '/api/extras/journal-entries/', undefined, least)).status).toBe(200);
    expect((await api(s, 'GET', '/api/status/', undefined, least)).status).toBe(200);
    expect((await api(s, 'GET', '/__sim/requests', undefined, least)).status).toBe(403);
  });

  test('VRFs scope duplicates; a populated IP range refuses new IPs of its VRF', async () => {
    const s = await sim({ flavour: '4.7' });
    const vrf = (await api(s, 'POST', '/api/ipam/vrfs/', { name: 'blue' })).body;
    expect((await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '10.0.0.5/24' })).status).toBe(201);
    const inVrf = await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '10.0.0.5/24', vrf: vrf.id });
    expect(inVrf.body.vrf).toEqual({ id: vrf.id, url: expect.any(String), display: 'blue', name: 'blue', rd: null, description: '' });
    expect((await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '10.0.0.5/25', vrf: vrf.id })).body).toEqual({
      address: ['Duplicate IP address found in VRF blue: 10.0.0.5/24'],
    });
    expect((await api(s, 'GET', '/api/ipam/ip-addresses/?vrf_id=null')).body.count).toBe(1);
    await api(s, 'POST', '/api/ipam/ip-ranges/', { start_address: '10.0.1.10/24', end_address: '10.0.1.20/24', mark_populated: true });
    expect((await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '10.0.1.15/24' })).body).toEqual({
      address: ['Cannot create IP address 10.0.1.15/24 inside range 10.0.1.10-20/24.'],
    });
    expect((await api(s, 'POST', '/api/ipam/ip-addresses/', { address: '10.0.1.15/24', vrf: vrf.id })).status).toBe(201);
  });

  test('a required custom field makes every device write fail; JSON values round-trip', async () => {
    const s = await sim({ flavour: '4.7', data: seed('4.7') });
    await api(s, 'POST', '/api/extras/custom-fields/', { name: 'bm_json', type: 'json', object_types: ['dcim.device'] });
    const set = await api(s, 'PATCH', '/api/dcim/devices/1/', { custom_fields: { bm_json: { a: [1, { b: null }] } } });
    expect(set.body.custom_fields).toEqual({ bm_json: { a: [1, { b: null }] } });
    await api(s, 'POST', '/api/extras/custom-fields/', { name: 'bm_req', type: 'text', object_types: ['dcim.device'], required: true });
    expect((await api(s, 'PATCH', '/api/dcim/devices/1/', { status: 'planned' })).body).toEqual({ __all__: ["Missing required custom field 'bm_req'."] });
  });
});
