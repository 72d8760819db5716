/**
 * NetBox's GraphQL API (`POST /graphql/`), for the flavours that have the filters bm-hook's lease
 * query uses (4.4+; see featuresOf().graphqlLeaseFilters): a schema with only the types, fields
 * and filters that query reads, executed by the `graphql` package and resolved from the store.
 * Checked against the real 4.7.3 by the differential test. As NetBox's strawberry schema does:
 *
 * - answers are HTTP 200 with `data` and/or `errors` (a syntax or validation error: `data: null`);
 * - ids are strings; `status` is the choice's value;
 * - the least-privilege user sees only what it may view: a top-level list of another model is
 *   empty, a nested list drops such objects, a nested object becomes null (an error when the field
 *   is non-null, e.g. an IP on a VM interface whose VM it may not view); generic relations
 *   (`assigned_object`) are not restricted;
 * - filters: `mac_addresses.mac_address.exact` compares MACs (macaddr), `parent` matches hosts
 *   inside the networks, `contains` prefixes strictly containing the networks (values that do not
 *   parse are skipped; none left: no filtering), `assigned` whether an object is assigned;
 *   id filters are `id: {exact: …}` from 4.5, a bare `id: …` before.
 */
import { buildSchema, graphqlSync, type GraphQLSchema } from 'graphql';
import { featuresOf } from './flavours.ts';
import { hostBits, parseIp, within, type IpNet } from './ip.ts';
import { normaliseMac } from './mac.ts';
import { OBJECT_TYPES, type Serializer } from './serializers.ts';
import type { Row, Store } from './store.ts';
import type { Flavour } from './types.ts';

const ASSIGNED_TYPENAMES: Record<string, string> = {
  'dcim.interface': 'InterfaceType',
  'virtualization.vminterface': 'VMInterfaceType',
  'ipam.fhrpgroup': 'FHRPGroupType',
};
const MODEL_OF_TYPE: Record<string, string> = { 'dcim.interface': 'interface', 'virtualization.vminterface': 'vminterface', 'ipam.fhrpgroup': 'fhrpgroup' };

function sdl(flavour: Flavour): string {
  const idFilter = featuresOf(flavour).graphqlIdLookups ? 'IDComparisonFilterLookup' : 'ID';
  return `
    type Query {
      interface_list(filters: InterfaceFilter): [InterfaceType!]!
      ip_address_list(filters: IPAddressFilter): [IPAddressType!]!
      prefix_list(filters: PrefixFilter): [PrefixType!]!
      vrf_list(filters: VRFFilter): [VRFType!]!
    }
    input StrFilterLookup { exact: String, i_exact: String }
    input IDComparisonFilterLookup { exact: ID }
    input MACAddressFilter { mac_address: StrFilterLookup }
    input InterfaceFilter { mac_addresses: MACAddressFilter }
    input IPAddressFilter { parent: [String!], assigned: Boolean }
    input PrefixFilter { contains: [String!] }
    input VRFFilter { id: ${idFilter}, name: StrFilterLookup }
    type DeviceType { id: ID!, name: String, display: String!, status: String!, oob_ip: IPAddressType }
    type InterfaceType { id: ID!, name: String!, display: String!, mgmt_only: Boolean!, device: DeviceType!, ip_addresses: [IPAddressType!]! }
    type VRFType { id: ID!, name: String!, display: String! }
    type IPAddressType { id: ID!, address: String!, display: String!, status: String!, vrf: VRFType, assigned_object: IPAddressAssignmentType }
    union IPAddressAssignmentType = InterfaceType | FHRPGroupType | VMInterfaceType
    type FHRPGroupType { id: ID!, name: String!, display: String!, protocol: String!, group_id: Int! }
    type VirtualMachineType { id: ID!, name: String!, display: String!, status: String! }
    type VMInterfaceType { id: ID!, name: String!, display: String!, virtual_machine: VirtualMachineType! }
    type PrefixType { id: ID!, prefix: String!, display: String!, status: String!, vrf: VRFType }
  `;
}

const schemas = new Map<Flavour, GraphQLSchema>();
/** The simulated schema of a flavour (also validates bm-hook's query in unit tests). */
export function schemaOf(flavour: Flavour): GraphQLSchema {
  let schema = schemas.get(flavour);
  if (!schema) {
    schema = buildSchema(sdl(flavour));
    schemas.set(flavour, schema);
  }
  return schema;
}

export interface GraphqlCtx {
  store: Store;
  flavour: Flavour;
  serializer: Serializer;
  /** May the caller view objects of this type ("dcim.device")? */
  mayView: (objectType: string) => boolean;
}

type Obj = { model: string; row: Row };
type Args = { filters?: Record<string, unknown> | null };

/** The networks of a `parent`/`contains` filter as NetBox reads them (IPNetwork(v).cidr); unparsable values skipped. */
function networks(values: unknown): { net: IpNet; len: number }[] | undefined {
  if (!Array.isArray(values) || values.length === 0) return undefined;
  const nets = values.map((v) => parseIp(String(v).trim())).filter((n): n is IpNet => n !== undefined);
  return nets.length ? nets.map((net) => ({ net, len: net.prefixLen ?? hostBits(net.family) })) : undefined;
}

function strLookup(lookup: unknown, value: string): boolean {
  const l = (lookup ?? {}) as { exact?: string | null; i_exact?: string | null };
  if (typeof l.exact === 'string' && l.exact !== value) return false;
  if (typeof l.i_exact === 'string' && l.i_exact.toLowerCase() !== value.toLowerCase()) return false;
  return true;
}

/** Builds the root value (list resolvers) and field resolvers over the store for one request. */
function resolvers(ctx: GraphqlCtx) {
  const { store, serializer } = ctx;
  const viewable = (model: string) => ctx.mayView(OBJECT_TYPES[model] ?? '');
  const obj = (model: string, id: unknown): Obj | null => {
    if (typeof id !== 'number' || !viewable(model)) return null;
    const row = store.get(model, id);
    return row ? { model, row } : null;
  };
  const list = (model: string, keep: (r: Row) => boolean): Obj[] => (viewable(model) ? store.find(model, keep).map((row) => ({ model, row })) : []);
  const macsOf = (iface: Row) =>
    store.find('macaddress', (m) => m.assigned_object_type === 'dcim.interface' && m.assigned_object_id === iface.id).map((m) => String(m.mac_address));

  const root = {
    interface_list: ({ filters }: Args) => {
      const lookup = ((filters?.mac_addresses as Record<string, unknown> | undefined)?.mac_address ?? undefined) as
        | { exact?: string; i_exact?: string }
        | undefined;
      if (typeof lookup?.exact === 'string' && normaliseMac(lookup.exact) === undefined) throw new Error(`Invalid MAC address format: ${lookup.exact}`);
      const wanted = typeof lookup?.exact === 'string' ? normaliseMac(lookup.exact) : undefined;
      return list('interface', (r) => {
        if (!filters?.mac_addresses) return true;
        const macs = macsOf(r);
        return macs.some((m) => (wanted === undefined || m === wanted) && strLookup({ i_exact: lookup?.i_exact }, m));
      });
    },
    ip_address_list: ({ filters }: Args) => {
      const parents = networks(filters?.parent);
      const assigned = filters?.assigned;
      return list('ipaddress', (r) => {
        if (typeof assigned === 'boolean' && (typeof r.assigned_object_id === 'number') !== assigned) return false;
        if (!parents) return true;
        const a = parseIp(String(r.address));
        return a !== undefined && parents.some((p) => within(p.net, p.len, a, hostBits(a.family)));
      });
    },
    prefix_list: ({ filters }: Args) => {
      const inner = networks(filters?.contains);
      return list('prefix', (r) => {
        if (!inner) return true;
        const p = parseIp(String(r.prefix));
        return p?.prefixLen !== undefined && inner.some((q) => p.prefixLen! < q.len && within(p, p.prefixLen!, q.net, q.len));
      });
    },
    vrf_list: ({ filters }: Args) => {
      const id = filters?.id;
      const wantedId = id === undefined || id === null ? undefined : String(typeof id === 'object' ? (id as { exact?: unknown }).exact : id);
      return list('vrf', (r) => (wantedId === undefined || String(r.id) === wantedId) && (!filters?.name || strLookup(filters.name, String(r.name))));
    },
  };

  const field = (o: Obj, name: string): unknown => {
    const { model, row } = o;
    switch (name) {
      case 'id':
        return String(row.id);
      case 'display':
        return serializer.display(model, row);
      case 'status':
        return row.status ?? null;
      case 'name':
        return row.name ?? (model === 'fhrpgroup' ? '' : null);
      case 'mgmt_only':
        return row.mgmt_only === true;
      case 'device':
        return obj('device', row.device);
      case 'virtual_machine':
        return obj('virtualmachine', row.virtual_machine);
      case 'oob_ip':
        return obj('ipaddress', row.oob_ip);
      case 'vrf':
        return obj('vrf', row.vrf);
      case 'ip_addresses':
        return list('ipaddress', (ip) => ip.assigned_object_type === 'dcim.interface' && ip.assigned_object_id === row.id);
      case 'assigned_object': {
        // A generic relation: not restricted by the caller's permissions.
        const model = MODEL_OF_TYPE[String(row.assigned_object_type)];
        const target = model && typeof row.assigned_object_id === 'number' ? store.get(model, row.assigned_object_id) : undefined;
        return model && target ? { model, row: target } : null;
      }
      default:
        return row[name] ?? null;
    }
  };
  return { root, field };
}

/** NetBox's answer to a GraphQL POST body (HTTP 200 with data/errors, as strawberry answers). */
export function answerGraphql(bodyText: string, ctx: GraphqlCtx): { status: number; body: unknown } {
  let request: { query?: unknown; variables?: unknown; operationName?: unknown };
  try {
    request = JSON.parse(bodyText) as typeof request;
  } catch {
    return { status: 400, body: 'Unable to parse request body as JSON' };
  }
  if (typeof request?.query !== 'string') return { status: 400, body: 'No GraphQL query found in the request' };
  const { root, field } = resolvers(ctx);
  const result = graphqlSync({
    schema: schemaOf(ctx.flavour),
    source: request.query,
    rootValue: root,
    variableValues: (request.variables as Record<string, unknown> | null | undefined) ?? undefined,
    operationName: typeof request.operationName === 'string' ? request.operationName : undefined,
    fieldResolver: (source, args, _context, info) => {
      if (info.parentType.name === 'Query') return (root as Record<string, (a: Args) => unknown>)[info.fieldName]?.(args as Args);
      return field(source as Obj, info.fieldName);
    },
    typeResolver: (value) => ASSIGNED_TYPENAMES[Object.entries(MODEL_OF_TYPE).find(([, m]) => m === (value as Obj).model)?.[0] ?? ''],
  });
  const body: Record<string, unknown> = { data: result.data ?? null };
  if (result.errors?.length) body.errors = result.errors.map((e) => ({ message: e.message, locations: e.locations, ...(e.path ? { path: e.path } : {}) }));
  return { status: 200, body };
}
