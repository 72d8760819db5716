/**
 * The GraphQL reader of observe.ts: every fact about a lease (LeaseFacts) in ONE request to
 * NetBox's `/graphql/` (4.3.6+/4.4+), where REST needs up to five. Matches what the REST reader
 * reads: interfaces whose MAC objects carry the lease's MAC (`mac_addresses.mac_address` exact:
 * NetBox compares MACs as the macaddr type, case and separators aside), with their device and
 * their IPs; every IP object whose host is the lease's, whatever its mask (`parent: [ip]` is
 * `HOST(address) <<= ip/32`, the same as REST's `?address=ip`); the prefixes strictly containing
 * it (`contains`, REST's `?contains=` for an address); the configured `ip.vrf`.
 *
 * parseLeaseFacts (pure) checks every field it reads; anything else is a NetboxResponseError
 * ("NetBox answered something unexpected", transient) and observe.ts reads that lease by REST.
 * Two answers are refused although well-formed, since REST would see more: an IP that NetBox
 * says is assigned (`assigned: true`) but whose object it does not show, and a list long
 * enough to have been cut at NetBox's MAX_PAGE_SIZE (GraphQL lists are not counted).
 */
import type { NetboxCapabilities, NetboxClient } from '../shared/netbox/index.ts';
import { GRAPHQL_PATH, NetboxResponseError, queryGraphql } from '../shared/netbox/index.ts';
import type { LeaseEvent } from './lease.ts';
import type { LeaseAssignedObject, LeaseDevice, LeaseFacts, LeaseInterface, LeaseIp, LeasePrefix, LeaseVrf, ObserveOptions } from './observe.ts';

/** A list this long may have been cut by MAX_PAGE_SIZE (or is a filter gone wrong): REST reads it, counted and paged. */
export const GRAPHQL_LIST_LIMIT = 50;

const IP_FIELDS = 'id address status vrf { id name }';

/**
 * The query for a lease. `vrf`: the configured `ip.vrf` (a number is an id: `id: {exact: …}` on
 * 4.5+, a bare `id: …` before). Pure.
 */
export function leaseQueryOf(vrf: number | string | undefined, idLookups: boolean): string {
  const vrfVariable = vrf === undefined ? '' : typeof vrf === 'number' ? ', $vrf: ID!' : ', $vrf: String!';
  const vrfFilter = typeof vrf === 'number' ? (idLookups ? '{id: {exact: $vrf}}' : '{id: $vrf}') : '{name: {exact: $vrf}}';
  return [
    `query BmHookLease($mac: String!, $ip: [String!]!${vrfVariable}) {`,
    '  interfaces: interface_list(filters: {mac_addresses: {mac_address: {exact: $mac}}}) {',
    '    id name mgmt_only',
    '    device { id name display status oob_ip { id address } }',
    `    ip_addresses { ${IP_FIELDS} }`,
    '  }',
    '  addresses: ip_address_list(filters: {parent: $ip}) {',
    `    ${IP_FIELDS}`,
    '    assigned_object {',
    '      __typename',
    '      ... on InterfaceType { id name display device { id name display } }',
    '      ... on VMInterfaceType { id name display virtual_machine { id name display } }',
    '      ... on FHRPGroupType { id display }',
    '    }',
    '  }',
    '  assigned: ip_address_list(filters: {parent: $ip, assigned: true}) { id }',
    '  prefixes: prefix_list(filters: {contains: $ip}) { id prefix vrf { id name } }',
    ...(vrf === undefined ? [] : [`  vrfs: vrf_list(filters: ${vrfFilter}) { id name }`]),
    '}',
  ].join('\n');
}

/** The variables of leaseQueryOf's query. Pure. */
export function leaseVariablesOf(event: Pick<LeaseEvent, 'ip' | 'mac'>, vrf: number | string | undefined): Record<string, unknown> {
  return { mac: event.mac, ip: [event.ip], ...(vrf === undefined ? {} : { vrf: typeof vrf === 'number' ? String(vrf) : vrf }) };
}

/** GraphQL's __typename of an IP's assigned object → REST's `assigned_object_type`. */
const ASSIGNED_TYPES: Record<string, string> = {
  InterfaceType: 'dcim.interface',
  VMInterfaceType: 'virtualization.vminterface',
  FHRPGroupType: 'ipam.fhrpgroup',
};

type Json = Record<string, unknown>;

/** Reads fields of a GraphQL answer, each checked; the first surprise is a NetboxResponseError naming where. */
class Reader {
  unusable(where: string, what: string): NetboxResponseError {
    return new NetboxResponseError('POST', GRAPHQL_PATH, `${where}: ${what}`);
  }

  object(value: unknown, where: string): Json {
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw this.unusable(where, 'not an object');
    return value as Json;
  }

  list(value: unknown, where: string): unknown[] {
    if (!Array.isArray(value)) throw this.unusable(where, 'not a list');
    if (value.length >= GRAPHQL_LIST_LIMIT) throw this.unusable(where, `a list of ${value.length}, possibly cut at MAX_PAGE_SIZE`);
    return value;
  }

  /** GraphQL ids are strings of digits. */
  id(value: unknown, where: string): number {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
    if (typeof value === 'string' && /^[1-9]\d{0,15}$/.test(value)) return Number(value);
    throw this.unusable(where, 'no usable id');
  }

  string(value: unknown, where: string): string {
    if (typeof value !== 'string') throw this.unusable(where, 'not a string');
    return value;
  }

  nullableString(value: unknown, where: string): string | null {
    return value === null ? null : this.string(value, where);
  }

  boolean(value: unknown, where: string): boolean {
    if (typeof value !== 'boolean') throw this.unusable(where, 'not a boolean');
    return value;
  }

  vrf(value: unknown, where: string): LeaseVrf | null {
    if (value === null) return null;
    const o = this.object(value, where);
    return { id: this.id(o.id, `${where}.id`), name: this.string(o.name, `${where}.name`) };
  }

  ip(value: unknown, where: string, assigned: Pick<LeaseIp, 'assigned_object_type' | 'assigned_object_id' | 'assigned_object'> | null): LeaseIp {
    const o = this.object(value, where);
    const status = this.string(o.status, `${where}.status`);
    return {
      id: this.id(o.id, `${where}.id`),
      address: this.string(o.address, `${where}.address`),
      status: { value: status },
      vrf: this.vrf(o.vrf, `${where}.vrf`),
      ...(assigned ?? this.assignment(o.assigned_object, `${where}.assigned_object`)),
    };
  }

  assignment(value: unknown, where: string): Pick<LeaseIp, 'assigned_object_type' | 'assigned_object_id' | 'assigned_object'> {
    if (value === null) return { assigned_object_type: null, assigned_object_id: null, assigned_object: null };
    const o = this.object(value, where);
    const typename = this.string(o.__typename, `${where}.__typename`);
    const type = ASSIGNED_TYPES[typename];
    if (!type) throw this.unusable(where, `an assigned object of an unknown type ${JSON.stringify(typename)}`);
    const id = this.id(o.id, `${where}.id`);
    const object: LeaseAssignedObject = { id, display: this.string(o.display, `${where}.display`) };
    if (o.name !== undefined) object.name = this.string(o.name, `${where}.name`);
    if (type === 'dcim.interface') {
      const device = this.object(o.device, `${where}.device`);
      object.device = { id: this.id(device.id, `${where}.device.id`), display: this.string(device.display, `${where}.device.display`) };
    }
    if (type === 'virtualization.vminterface') {
      const vm = this.object(o.virtual_machine, `${where}.virtual_machine`);
      object.virtual_machine = { id: this.id(vm.id, `${where}.virtual_machine.id`), display: this.string(vm.display, `${where}.virtual_machine.display`) };
    }
    return { assigned_object_type: type, assigned_object_id: id, assigned_object: object };
  }

  device(value: unknown, where: string): LeaseDevice {
    const o = this.object(value, where);
    const oob = o.oob_ip === null ? null : this.object(o.oob_ip, `${where}.oob_ip`);
    return {
      id: this.id(o.id, `${where}.id`),
      name: this.nullableString(o.name, `${where}.name`),
      display: this.string(o.display, `${where}.display`),
      status: { value: this.string(o.status, `${where}.status`) },
      oob_ip: oob ? { id: this.id(oob.id, `${where}.oob_ip.id`), address: this.string(oob.address, `${where}.oob_ip.address`) } : null,
    };
  }
}

/**
 * The LeaseFacts of leaseQueryOf's answer (`data`, errors already refused by queryGraphql), every
 * fact filled; a NetboxResponseError when anything is missing, mistyped or not to be trusted. Pure.
 */
export function parseLeaseFacts(data: Record<string, unknown>, vrfConfigured: boolean): LeaseFacts {
  const r = new Reader();
  const devices = new Map<number, LeaseDevice>();
  const interfaces: LeaseInterface[] = [];
  const interfaceIps = new Map<number, LeaseIp[]>();
  for (const [n, item] of r.list(data.interfaces, 'interfaces').entries()) {
    const where = `interfaces[${n}]`;
    const o = r.object(item, where);
    const device = r.device(o.device, `${where}.device`);
    devices.set(device.id, device);
    const iface: LeaseInterface = {
      id: r.id(o.id, `${where}.id`),
      name: r.string(o.name, `${where}.name`),
      mgmt_only: r.boolean(o.mgmt_only, `${where}.mgmt_only`),
      device: { id: device.id, display: device.display, name: device.name },
    };
    interfaces.push(iface);
    const on = { id: iface.id, display: iface.name, name: iface.name, device: { id: device.id, display: device.display } };
    const ips = r.list(o.ip_addresses, `${where}.ip_addresses`);
    interfaceIps.set(
      iface.id,
      ips.map((ip, k) =>
        r.ip(ip, `${where}.ip_addresses[${k}]`, { assigned_object_type: 'dcim.interface', assigned_object_id: iface.id, assigned_object: on }),
      ),
    );
  }
  const addressObjects = r.list(data.addresses, 'addresses').map((ip, k) => r.ip(ip, `addresses[${k}]`, null));
  const assigned = new Set(r.list(data.assigned, 'assigned').map((ip, k) => r.id(r.object(ip, `assigned[${k}]`).id, `assigned[${k}].id`)));
  const hidden = addressObjects.find((ip) => ip.assigned_object === null && assigned.has(ip.id));
  if (hidden) throw r.unusable(`addresses (IP #${hidden.id})`, 'assigned, but NetBox did not show to what');
  const prefixes: LeasePrefix[] = r.list(data.prefixes, 'prefixes').map((item, k) => {
    const o = r.object(item, `prefixes[${k}]`);
    return { id: r.id(o.id, `prefixes[${k}].id`), prefix: r.string(o.prefix, `prefixes[${k}].prefix`), vrf: r.vrf(o.vrf, `prefixes[${k}].vrf`) };
  });
  const configuredVrfs = vrfConfigured ? r.list(data.vrfs, 'vrfs').map((item, k) => r.vrf(r.object(item, `vrfs[${k}]`), `vrfs[${k}]`)!) : undefined;
  return {
    devices: [...devices.values()].sort((a, b) => a.id - b.id),
    addressObjects,
    interfaces,
    prefixes,
    interfaceIps,
    ...(configuredVrfs ? { configuredVrfs } : {}),
  };
}

/** Reads every fact about the lease in one GraphQL request (see the file comment). */
export async function readLeaseFactsGraphql(
  client: NetboxClient,
  event: LeaseEvent,
  options: Pick<ObserveOptions, 'vrf'>,
  capabilities: Pick<NetboxCapabilities, 'graphqlIdLookups'>,
): Promise<LeaseFacts> {
  const data = await queryGraphql(client, leaseQueryOf(options.vrf, capabilities.graphqlIdLookups), leaseVariablesOf(event, options.vrf));
  return parseLeaseFacts(data, options.vrf !== undefined);
}
