/**
 * The one decision (reduceObservation) and the GraphQL reader's answer parsing: an answer as the
 * real NetBox 4.7.3 gives it reduces to the same Observation as the REST reader's facts; every
 * unusable answer is a transient "NetBox answered something unexpected", never "no device".
 */
import { describe, expect, test } from 'bun:test';
import { parse, validate } from 'graphql';
import { leaseQueryOf, leaseVariablesOf, parseLeaseFacts, GRAPHQL_LIST_LIMIT } from '../../../hook/observe-graphql.ts';
import type { LeaseEvent } from '../../../hook/lease.ts';
import {
  clearGraphqlState,
  GRAPHQL_VIEW_CHECKS,
  observe,
  reduceObservation,
  VrfNotFoundError,
  type LeaseFacts,
  type LeaseIp,
  type ObserveOptions,
} from '../../../hook/observe.ts';
import { classifyFailure } from '../../../shared/failure.ts';
import { capabilitiesOf, graphqlDataOf, NetboxHttpError, NetboxResponseError, parseNetboxVersion, type NetboxClient } from '../../../shared/netbox/index.ts';
import { schemaOf } from '../../netbox-sim/graphql.ts';

const OPTIONS: ObserveOptions = { defaultPrefixLength: 32 };
const EVENT = { ip: '10.89.56.9', mac: 'd0:94:66:23:2d:c9' as never };

/** The real NetBox 4.7.3's answer for a discovered server whose idrac holds the lease IP (its oob_ip) and an eth0 with the same MAC. */
function realAnswer(): Record<string, unknown> {
  const device = { id: '2', name: 'srv', display: 'srv', status: 'discovered', oob_ip: { id: '2', address: '10.89.56.9/24' } };
  return {
    interfaces: [
      { id: '4', name: 'eth0', mgmt_only: false, device, ip_addresses: [] },
      { id: '3', name: 'idrac', mgmt_only: true, device, ip_addresses: [{ id: '2', address: '10.89.56.9/24', status: 'active', vrf: null }] },
    ],
    addresses: [
      {
        id: '2',
        address: '10.89.56.9/24',
        status: 'active',
        vrf: null,
        assigned_object: { __typename: 'InterfaceType', id: '3', name: 'idrac', display: 'idrac', device: { id: '2', name: 'srv', display: 'srv' } },
      },
      { id: '3', address: '10.89.56.9/25', status: 'active', vrf: { id: '1', name: 'oob' }, assigned_object: null },
      {
        id: '5',
        address: '10.89.56.9/24',
        status: 'active',
        vrf: { id: '3', name: 'lab' },
        assigned_object: { __typename: 'FHRPGroupType', id: '1', display: 'VRRPv2: 77 (10.89.56.9/24)' },
      },
    ],
    assigned: [{ id: '2' }, { id: '5' }],
    prefixes: [
      { id: '4', prefix: '10.89.0.0/16', vrf: null },
      { id: '3', prefix: '10.89.56.0/24', vrf: null },
    ],
  };
}

const ip = (id: number, address: string, vrf: { id: number; name: string } | null, on: { iface: number; device: number } | null): LeaseIp => ({
  id,
  address,
  status: { value: 'active' },
  vrf,
  assigned_object_type: on ? 'dcim.interface' : null,
  assigned_object_id: on?.iface ?? null,
  assigned_object: on ? { id: on.iface, display: 'idrac', name: 'idrac', device: { id: on.device, display: 'srv' } } : null,
});

/** The facts of an offline server with a BMC interface and no IP yet, as the REST reader collects them. */
function restFacts(): LeaseFacts {
  const device = { id: 7, name: 'srv', display: 'srv', status: { value: 'offline' }, oob_ip: null };
  return {
    devices: [device],
    addressObjects: [],
    interfaces: [{ id: 70, name: 'idrac', mgmt_only: true, device: { id: 7, display: 'srv', name: 'srv' }, count_ipaddresses: 0 }],
    prefixes: [{ id: 1, prefix: '10.89.56.0/24', vrf: null }],
  };
}

describe('reduceObservation: one decision, asking for what it lacks', () => {
  test('no device, several devices: decided from the first facts', () => {
    expect(reduceObservation(EVENT, { devices: [], addressObjects: [] }, OPTIONS)).toEqual({
      observation: { kind: 'no-device', from: 'none', when: 'mac-unknown', devices: [] },
    });
    const d = (id: number) => ({ id, name: `d${id}`, display: `d${id}`, status: { value: 'offline' }, oob_ip: null });
    const step = reduceObservation(EVENT, { devices: [d(1), d(2)], addressObjects: [] }, OPTIONS);
    expect(step).toMatchObject({ observation: { when: 'mac-ambiguous', devices: [{ id: 1 }, { id: 2 }] } });
  });

  test('the REST order: interfaces, then the configured VRF, then prefixes with the interface IPs', () => {
    const facts: LeaseFacts = { devices: restFacts().devices, addressObjects: [] };
    expect(reduceObservation(EVENT, facts, { ...OPTIONS, vrf: 'oob' })).toEqual({ needs: [{ what: 'interfaces' }] });
    facts.interfaces = [{ ...restFacts().interfaces![0]!, count_ipaddresses: 2 }];
    expect(reduceObservation(EVENT, facts, { ...OPTIONS, vrf: 'oob' })).toEqual({ needs: [{ what: 'configuredVrf' }] });
    facts.configuredVrfs = [
      { id: 9, name: 'oob' },
      { id: 4, name: 'oob' },
    ];
    expect(reduceObservation(EVENT, facts, { ...OPTIONS, vrf: 'oob' })).toEqual({
      needs: [
        { what: 'prefixes', vrfId: 4 },
        { what: 'interfaceIps', interfaceId: 70 },
      ],
    });
    facts.configuredVrfs = [];
    expect(() => reduceObservation(EVENT, facts, { ...OPTIONS, vrf: 'oob' })).toThrow(VrfNotFoundError);
  });

  test('a new BMC: the most specific prefix, its VRF; only the configured VRF when one is set', () => {
    const step = reduceObservation(EVENT, restFacts(), OPTIONS);
    expect(step).toMatchObject({ observation: { kind: 'device', from: 'offline', when: 'ip-none', scope: { vrf: null, length: 24 }, owners: [] } });
    const facts = { ...restFacts(), prefixes: [...restFacts().prefixes!, { id: 2, prefix: '10.89.56.0/26', vrf: { id: 4, name: 'oob' } }], configuredVrfs: [] };
    expect(reduceObservation(EVENT, facts, OPTIONS)).toMatchObject({ observation: { scope: { vrf: { id: 4 }, length: 26 } } });
    const inGlobal = { ...facts, configuredVrfs: [{ id: 5, name: 'other' }] };
    expect(reduceObservation(EVENT, inGlobal, { ...OPTIONS, vrf: 5 })).toMatchObject({ observation: { scope: { vrf: { id: 5 }, prefix: null, length: 32 } } });
  });

  test('interface IPs read by GraphQL replace the count (no need for a further read)', () => {
    const facts = { ...restFacts(), interfaces: [{ ...restFacts().interfaces![0]!, count_ipaddresses: undefined }] };
    expect(reduceObservation(EVENT, facts, OPTIONS)).toEqual({ needs: [{ what: 'interfaceIps', interfaceId: 70 }] });
    const read = { ...facts, interfaceIps: new Map([[70, [ip(11, '10.89.56.77/24', null, { iface: 70, device: 7 })]]]) };
    expect(reduceObservation(EVENT, read, OPTIONS)).toMatchObject({ observation: { when: 'ip-differs', interfaceIps: [{ id: 11 }] } });
  });
});

describe("the GraphQL reader's answer", () => {
  test("the real NetBox's answer reduces to what REST's facts reduce to: an unchanged renewal", () => {
    const facts = parseLeaseFacts(realAnswer(), false);
    expect(facts.devices).toEqual([{ id: 2, name: 'srv', display: 'srv', status: { value: 'discovered' }, oob_ip: { id: 2, address: '10.89.56.9/24' } }]);
    expect(facts.interfaces?.map((i) => [i.id, i.mgmt_only])).toEqual([
      [4, false],
      [3, true],
    ]);
    expect(facts.addressObjects.map((a) => [a.id, a.assigned_object_type, a.assigned_object_id])).toEqual([
      [2, 'dcim.interface', 3],
      [3, null, null],
      [5, 'ipam.fhrpgroup', 1],
    ]);
    expect(facts.interfaceIps?.get(3)?.[0]).toMatchObject({ id: 2, assigned_object_type: 'dcim.interface', assigned_object_id: 3 });
    const step = reduceObservation(EVENT, facts, OPTIONS);
    expect(step).toMatchObject({ observation: { kind: 'unchanged', from: 'discovered', ip: { id: 2 } } });
  });

  test('an offline device: the same Observation from GraphQL facts as from REST facts', () => {
    const answer = realAnswer();
    const device = { id: '7', name: 'srv', display: 'srv', status: 'offline', oob_ip: null };
    answer.interfaces = [{ id: '70', name: 'idrac', mgmt_only: true, device, ip_addresses: [] }];
    answer.addresses = [];
    answer.assigned = [];
    answer.prefixes = [{ id: '1', prefix: '10.89.56.0/24', vrf: null }];
    const fromGraphql = reduceObservation(EVENT, parseLeaseFacts(answer, false), OPTIONS);
    const fromRest = reduceObservation(EVENT, restFacts(), OPTIONS);
    // REST's interface carries NetBox's IP count, GraphQL's the IPs themselves: otherwise equal.
    const withoutCount = (step: object) => JSON.parse(JSON.stringify(step, (key, value) => (key === 'count_ipaddresses' ? undefined : value)));
    expect(fromGraphql).toMatchObject({ observation: { kind: 'device', when: 'ip-none' } });
    expect(withoutCount(fromGraphql)).toEqual(withoutCount(fromRest));
  });

  const unusable: [string, (a: Record<string, unknown>) => unknown][] = [
    ['no interfaces list', (a) => ({ ...a, interfaces: undefined })],
    ['interfaces not a list', (a) => ({ ...a, interfaces: {} })],
    ['an id that is not one', (a) => ({ ...a, prefixes: [{ id: 'x', prefix: '10.0.0.0/8', vrf: null }] })],
    [
      'a device without status',
      (a) => ({ ...a, interfaces: [{ id: '1', name: 'i', mgmt_only: true, device: { id: '1', name: null, display: 'd' }, ip_addresses: [] }] }),
    ],
    [
      'an assigned object of an unknown type',
      (a) => ({ ...a, addresses: [{ id: '9', address: '10.0.0.1/8', status: 'active', vrf: null, assigned_object: { __typename: 'X', id: '1' } }] }),
    ],
    ['an assigned IP whose object NetBox hid', (a) => ({ ...a, assigned: [{ id: '3' }] })],
    [
      'a list possibly cut at MAX_PAGE_SIZE',
      (a) => ({ ...a, prefixes: Array.from({ length: GRAPHQL_LIST_LIMIT }, (_, i) => ({ id: String(i + 1), prefix: '10.0.0.0/8', vrf: null })) }),
    ],
    ['no vrfs when ip.vrf is configured', (a) => a],
  ];
  for (const [what, mangle] of unusable) {
    test(`${what}: a transient "NetBox answered something unexpected", never "no device"`, () => {
      let error: unknown;
      try {
        parseLeaseFacts(mangle(realAnswer()) as Record<string, unknown>, what.includes('ip.vrf'));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(NetboxResponseError);
      expect((error as Error).message).toContain('NetBox answered something unexpected to POST /graphql/');
      expect(classifyFailure(error)).not.toBe('permanent');
    });
  }

  test('the envelope: errors (even with partial data), no data, not an object: unusable', () => {
    expect(graphqlDataOf({ data: { a: [] } })).toEqual({ a: [] });
    const partial = { data: { addresses: [] }, errors: [{ message: 'Cannot return null for non-nullable field VMInterfaceType.virtual_machine.' }] };
    expect(() => graphqlDataOf(partial)).toThrow(/GraphQL errors \(1\): Cannot return null/);
    expect(() => graphqlDataOf({ data: null, errors: [{ message: 'Syntax Error' }] })).toThrow(NetboxResponseError);
    expect(() => graphqlDataOf({})).toThrow(/without "data"/);
    expect(() => graphqlDataOf([])).toThrow(/not a GraphQL answer/);
    expect(() => graphqlDataOf('<html>')).toThrow(/not a GraphQL answer/);
    try {
      graphqlDataOf(partial);
    } catch (error) {
      expect(classifyFailure(error)).toBe('retry-now');
    }
  });
});

describe('the query', () => {
  test('is valid against the simulated schemas: id lookups on 4.5+, bare ids on 4.4; names the same', () => {
    for (const [vrf, idLookups, flavour] of [
      [undefined, true, '4.7'],
      ['oob', true, '4.7'],
      [7, true, '4.5'],
      [7, false, '4.4'],
      ['oob', false, '4.4'],
    ] as const) {
      const errors = validate(schemaOf(flavour), parse(leaseQueryOf(vrf, idLookups)));
      expect(errors.map((e) => e.message)).toEqual([]);
    }
    expect(validate(schemaOf('4.4'), parse(leaseQueryOf(7, true))).length).toBeGreaterThan(0);
    expect(leaseVariablesOf(EVENT, 7)).toEqual({ mac: EVENT.mac, ip: ['10.89.56.9'], vrf: '7' });
    expect(leaseVariablesOf(EVENT, undefined)).toEqual({ mac: EVENT.mac, ip: ['10.89.56.9'] });
  });
});

describe("the token's view permissions, checked by REST before GraphQL is trusted", () => {
  /** A NetBox with the GraphQL filters; `denied` answers REST's 403 permission denial. */
  function fakeClient(denied: string | null) {
    const calls: string[] = [];
    const client = {
      baseUrl: `http://netbox-${Math.random()}`,
      authScheme: 'Token',
      capabilities: async () => capabilitiesOf(parseNetboxVersion('4.7.3')!),
      get: async (path: string) => {
        calls.push(`GET ${path}`);
        if (path === denied) throw new NetboxHttpError('GET', path, 403, { detail: 'You do not have permission to perform this action.' });
        return { count: 0, next: null, previous: null, results: [] };
      },
      post: async (path: string) => {
        calls.push(`POST ${path}`);
        return { data: { interfaces: [], addresses: [], assigned: [], prefixes: [] } };
      },
    } as unknown as NetboxClient;
    return { client, calls };
  }
  const event = { v: 1, ip: '10.0.0.5', mac: EVENT.mac, hostname: null, source: 'dhcpd', receivedAt: '' } as LeaseEvent;

  test('a missing view permission is REST\'s 403 (permanent, named), never a GraphQL "nothing found"', async () => {
    const { client, calls } = fakeClient('/api/ipam/prefixes/');
    const error = await observe(client, event, OPTIONS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetboxHttpError);
    expect((error as NetboxHttpError).missingPermission).toBe('view ipam.prefix');
    expect(classifyFailure(error)).toBe('permanent');
    expect(calls).not.toContain('POST /graphql/');
  });

  test('checked once: per process, and across drainers through the store', async () => {
    const { client, calls } = fakeClient(null);
    const remembered = new Set<string>();
    const store = { fresh: (url: string) => remembered.has(url), remember: (url: string) => void remembered.add(url) };
    expect(await observe(client, event, { ...OPTIONS, viewCheck: store })).toMatchObject({ when: 'mac-unknown' });
    expect(await observe(client, event, { ...OPTIONS, viewCheck: store })).toMatchObject({ when: 'mac-unknown' });
    expect(calls).toEqual([...GRAPHQL_VIEW_CHECKS.map((p) => `GET ${p}`), 'POST /graphql/', 'POST /graphql/']);
    clearGraphqlState(); // a new drainer process
    calls.length = 0;
    await observe(client, event, { ...OPTIONS, viewCheck: store });
    expect(calls).toEqual(['POST /graphql/']);
  });
});
