/** Pure parts of the NetBox simulator: MAC/IP parsing, filters, request validation, faults, extract. */
import { describe, expect, test } from 'bun:test';
import { tracePath } from '../../cabling.ts';
import { deepmerge } from '../../config-context.ts';
import { compareShapes, shapeOf } from '../../differential.ts';
import { parseFaultArg, parseFaults } from '../../faults.ts';
import { applyFilters } from '../../filters.ts';
import { formatAddr, parseIp } from '../../ip.ts';
import { inetCmp, rangeDisplay } from '../../ipam.ts';
import { normaliseMac } from '../../mac.ts';
import { RESOURCES } from '../../models.ts';
import { loadExtract, RequestValidator } from '../../schema-validator.ts';
import { Store } from '../../store.ts';

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

describe('IPAM, config contexts, cable paths, differential shapes (checked against the real NetBox 4.7.3)', () => {
  const ip = (s: string) => parseIp(s)!;

  test('inet order: a bare address is above a /24 end address of the same network (contains= finds nothing)', () => {
    expect(inetCmp(ip('10.0.1.20/24'), ip('10.0.1.12'))).toBeLessThan(0);
    expect(inetCmp(ip('10.0.1.10/24'), ip('10.0.1.12/24'))).toBeLessThan(0);
    expect(inetCmp(ip('10.0.1.20/24'), ip('10.0.1.12/24'))).toBeGreaterThan(0);
  });

  test('an IPv4 range displays as start-lastoctet/len', () => {
    expect(rangeDisplay({ id: 1, created: '', last_updated: '', start_address: '10.24.1.10/24', end_address: '10.24.1.20/24' })).toBe('10.24.1.10-20/24');
  });

  test('config contexts merge deeply, keeping the first key order', () => {
    const merged = deepmerge(deepmerge(deepmerge({}, { b: 0, d: 1 }), { b: 2, c: [1] }), { a: { y: 2 }, b: 1 });
    expect(JSON.stringify(deepmerge(merged, { a: { x: 1 }, l: 1 }))).toBe('{"b":1,"d":1,"c":[1],"a":{"y":2,"x":1},"l":1}');
  });

  test('a path through a front port to an uncabled rear port stops incomplete; through both panels it reaches the interface', () => {
    const s = new Store();
    const i1 = s.insert('interface', { name: 'eth0' });
    const i2 = s.insert('interface', { name: 'ge0' });
    const r1 = s.insert('rearport', { name: 'R1' });
    const r2 = s.insert('rearport', { name: 'R1' });
    const f1 = s.insert('frontport', { name: 'F1', rear_ports: [{ position: 1, rear_port: r1.id, rear_port_position: 1 }] });
    const f2 = s.insert('frontport', { name: 'F1', rear_ports: [{ position: 1, rear_port: r2.id, rear_port_position: 1 }] });
    const cable = (a: [string, string, number], b: [string, string, number]) => {
      const c = s.insert('cable', {
        status: 'connected',
        a_terminations: [{ object_type: a[0], object_id: a[2] }],
        b_terminations: [{ object_type: b[0], object_id: b[2] }],
      });
      s.update(a[1], a[2], { cable: c.id, cable_end: 'A' });
      s.update(b[1], b[2], { cable: c.id, cable_end: 'B' });
    };
    expect(tracePath(s, i1.id)).toBeUndefined();
    cable(['dcim.interface', 'interface', i1.id], ['dcim.frontport', 'frontport', f1.id]);
    expect(tracePath(s, i1.id)).toEqual({ endpoints: [], complete: false, active: true });
    cable(['dcim.rearport', 'rearport', r1.id], ['dcim.rearport', 'rearport', r2.id]);
    cable(['dcim.frontport', 'frontport', f2.id], ['dcim.interface', 'interface', i2.id]);
    expect(tracePath(s, i1.id)).toEqual({ endpoints: [i2.id], complete: true, active: true });
    expect(tracePath(s, i2.id)).toEqual({ endpoints: [i1.id], complete: true, active: true });
  });

  test('shapes compare key sets and value types, not values', () => {
    expect(compareShapes(shapeOf({ id: 1, a: [{ x: 'u' }] }), shapeOf({ id: 2, a: [{ x: 'v' }] }))).toEqual([]);
    expect(compareShapes(shapeOf({ a: null, b: 1 }), shapeOf({ a: {}, c: 1 }))).toEqual([
      { path: '$.a', detail: 'real null, sim object' },
      { path: '$.b', detail: 'only on the real NetBox' },
      { path: '$.c', detail: 'only on the simulator' },
    ]);
  });
});
