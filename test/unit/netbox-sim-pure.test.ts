/** Pure parts of the NetBox simulator: MAC/IP parsing, filters, request validation, faults, extract. */
import { describe, expect, test } from 'bun:test';
import { parseFaultArg, parseFaults } from '../netbox-sim/faults.ts';
import { applyFilters } from '../netbox-sim/filters.ts';
import { formatAddr, parseIp } from '../netbox-sim/ip.ts';
import { normaliseMac } from '../netbox-sim/mac.ts';
import { RESOURCES } from '../netbox-sim/models.ts';
import { loadExtract, RequestValidator } from '../netbox-sim/schema-validator.ts';
import { Store } from '../netbox-sim/store.ts';

describe('MAC parsing', () => {
  test.each([
    ['aa:bb:cc:dd:ee:ff', 'AA:BB:CC:DD:EE:FF'],
    ['AA-BB-CC-DD-EE-FF', 'AA:BB:CC:DD:EE:FF'],
    ['aabb.ccdd.eeff', 'AA:BB:CC:DD:EE:FF'],
    ['aabbccddeeff', 'AA:BB:CC:DD:EE:FF'],
    ['a0:36:9f:1:2:3', 'A0:36:9F:01:02:03'],
  ])('%s normalises to %s', (input, out) => {
    expect(normaliseMac(input)).toBe(out);
  });

  test.each(['', 'zz:bb:cc:dd:ee:ff', 'aa:bb:cc:dd:ee', 'aa:bb-cc:dd:ee:ff', 'aabbccddeeff00'])('%p is not a MAC', (input) => {
    expect(normaliseMac(input)).toBeUndefined();
  });
});

describe('IP parsing', () => {
  test('IPv4 with and without a mask', () => {
    expect(parseIp('10.1.2.3/24')).toEqual({ family: 4, value: 0x0a010203n, prefixLen: 24 });
    expect(parseIp('10.1.2.3')?.prefixLen).toBeUndefined();
  });

  test('IPv6 compresses like netaddr prints it', () => {
    const p = parseIp('2001:0db8:0000:0000:0000:0000:0000:0001/64');
    expect(p && formatAddr(p.family, p.value)).toBe('2001:db8::1');
    expect(parseIp('::ffff:10.1.2.3')?.family).toBe(6);
  });

  test.each(['10.1.2.256/24', '10.1.2/24', '10.1.2.3/33', 'foo', '1::2::3', '10.1.2.3/24/1'])('%p is rejected', (t) => {
    expect(parseIp(t)).toBeUndefined();
  });
});

describe('filters', () => {
  const store = new Store();
  store.insert('device', { name: 'a', serial: 'S1', status: 'active', site: 1 });
  store.insert('device', { name: 'b', serial: 's1', status: 'offline', site: 1 });
  const ctx = { store, flavour: '4.6' as const, deviceStatuses: ['active', 'offline'] };

  test('different parameters AND together, repeated ones OR together', () => {
    const r = applyFilters('device', store.all('device'), new URLSearchParams('serial=S1&status=active&status=offline&name=b'), ctx);
    expect('rows' in r && r.rows.map((d) => d.name)).toEqual(['b']);
  });

  test('an invalid id filter is "Enter a number."', () => {
    expect(applyFilters('device', store.all('device'), new URLSearchParams('id=x'), ctx)).toEqual({ errors: { id: ['Enter a number.'] } });
  });

  test('an invalid MAC filter matches nothing on 4.1 (no 400)', () => {
    const r = applyFilters('interface', [], new URLSearchParams('mac_address=zz'), { ...ctx, flavour: '4.1' });
    expect(r).toEqual({ rows: [] });
  });
});

describe('request validation', () => {
  const v = new RequestValidator('4.6', ['discovered', 'ready']);

  test('configured statuses are added to the device status enum', () => {
    expect(v.validate('PatchedWritableDeviceWithConfigContextRequest', { status: 'ready' }, true).errors).toBeUndefined();
  });

  test('null for a non-nullable field is "This field may not be null."', () => {
    expect(v.validate('PatchedWritableDeviceWithConfigContextRequest', { serial: null }, true).errors).toEqual({ serial: ['This field may not be null.'] });
  });

  test('too long strings, blank required strings and bad slugs get DRF messages', () => {
    const r = v.validate('WritableSiteRequest', { name: '', slug: 'has space', description: 'x'.repeat(201) }, false);
    expect(r.errors).toEqual({
      name: ['This field may not be blank.'],
      slug: ['Enter a valid “slug” consisting of letters, numbers, underscores or hyphens.'],
      description: ['Ensure this field has no more than 200 characters.'],
    });
  });

  test('out-of-range integers get DRF messages', () => {
    expect(v.validate('PatchedWritableInterfaceRequest', { mtu: 0 }, true).errors).toEqual({ mtu: ['Ensure this value is greater than or equal to 1.'] });
  });

  test('a boolean field rejects a string', () => {
    expect(v.validate('PatchedWritableInterfaceRequest', { mgmt_only: 'yes' }, true).errors).toEqual({ mgmt_only: ['Must be a valid boolean.'] });
  });

  test('unknown fields are returned as ignoredFields, not errors', () => {
    const r = v.validate('PatchedWritableInterfaceRequest', { mac_address: 'aa:bb:cc:dd:ee:ff', enabled: true }, true);
    expect(r.errors).toBeUndefined();
    expect(r.ignoredFields).toEqual(['mac_address']);
  });

  test('before 4.2 the interface mac_address is writable and primary_mac_address unknown', () => {
    const old = new RequestValidator('4.1', []);
    const r = old.validate('PatchedWritableInterfaceRequest', { mac_address: 'aa:bb:cc:dd:ee:ff', primary_mac_address: 1 }, true);
    expect(r.ignoredFields).toEqual(['primary_mac_address']);
    expect(r.data).toEqual({ mac_address: 'aa:bb:cc:dd:ee:ff' });
  });
});

describe('faults', () => {
  test('the CLI fault form parses into a FaultSpec', () => {
    expect(parseFaultArg('status:status=503,times=2,pathPrefix=/api/dcim/')).toEqual([{ kind: 'status', status: 503, times: 2, pathPrefix: '/api/dcim/' }]);
    expect(parseFaultArg('[{"kind":"hang"}]')).toEqual([{ kind: 'hang' }]);
  });

  test('invalid fault specs are rejected with a reason', () => {
    expect(() => parseFaults([{ kind: 'status', status: 418 }])).toThrow(/status must be one of/);
    expect(() => parseFaults([{ kind: 'boom' }])).toThrow(/kind must be one of/);
  });
});

describe('schema extract', () => {
  test('covers the request and response components of every simulated endpoint', () => {
    const ex = loadExtract();
    expect(ex.info.version).toStartWith('4.6.0');
    for (const r of RESOURCES) {
      expect(ex.paths[r.path]?.post?.request).toBe(r.create);
      expect(ex.paths[`${r.path}{id}/`]?.patch?.request).toBe(r.patch);
      expect(ex.paths[`${r.path}{id}/`]?.put?.request).toBe(r.put);
      for (const c of [r.create, r.put, r.patch, ex.paths[r.path]?.get?.response as string]) {
        expect(ex.components.schemas[c]).toBeDefined();
      }
    }
  });
});
