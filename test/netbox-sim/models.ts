/**
 * The simulated NetBox models: which endpoint serves which model with which request components,
 * related-object resolution, the model validation NetBox does beyond the schema (uniqueness,
 * addresses, assignments) and the effects of saving and deleting (cables, cascades).
 */
import { featuresOf, flavourAtLeast } from './flavours.ts';
import { formatAddr, formatNet, hostBits, networkOf, parseIp } from './ip.ts';
import { TERMINATION_MODELS } from './cabling.ts';
import { cleanCustomFieldDefinition, cleanCustomFields } from './custom-fields.ts';
import { cleanIpRange, duplicateIpError, populatedRangeError } from './ipam.ts';
import { normaliseMac } from './mac.ts';
import type { RequestValidator, SchemaNode } from './schema-validator.ts';
import { OBJECT_TYPES } from './serializers.ts';
import type { Row, Store } from './store.ts';
import type { Flavour } from './types.ts';

export interface Resource {
  model: string;
  /** list path, e.g. /api/dcim/devices/ */
  path: string;
  /** model verbose name for 404s ("No Device matches the given query.") */
  verbose: string;
  create: string;
  put: string;
  patch: string;
  /** First NetBox version with this endpoint (e.g. '4.2'). */
  since?: string;
}

export const RESOURCES: Resource[] = [
  { model: 'site', path: '/api/dcim/sites/', verbose: 'Site', create: 'WritableSiteRequest', put: 'WritableSiteRequest', patch: 'PatchedWritableSiteRequest' },
  {
    model: 'manufacturer',
    path: '/api/dcim/manufacturers/',
    verbose: 'Manufacturer',
    create: 'ManufacturerRequest',
    put: 'ManufacturerRequest',
    patch: 'PatchedManufacturerRequest',
  },
  {
    model: 'devicetype',
    path: '/api/dcim/device-types/',
    verbose: 'DeviceType',
    create: 'WritableDeviceTypeRequest',
    put: 'WritableDeviceTypeRequest',
    patch: 'PatchedWritableDeviceTypeRequest',
  },
  {
    model: 'devicerole',
    path: '/api/dcim/device-roles/',
    verbose: 'DeviceRole',
    create: 'WritableDeviceRoleRequest',
    put: 'WritableDeviceRoleRequest',
    patch: 'PatchedWritableDeviceRoleRequest',
  },
  {
    model: 'device',
    path: '/api/dcim/devices/',
    verbose: 'Device',
    create: 'WritableDeviceWithConfigContextRequest',
    put: 'WritableDeviceWithConfigContextRequest',
    patch: 'PatchedWritableDeviceWithConfigContextRequest',
  },
  {
    model: 'interface',
    path: '/api/dcim/interfaces/',
    verbose: 'Interface',
    create: 'WritableInterfaceRequest',
    put: 'WritableInterfaceRequest',
    patch: 'PatchedWritableInterfaceRequest',
  },
  {
    model: 'macaddress',
    path: '/api/dcim/mac-addresses/',
    verbose: 'MACAddress',
    create: 'MACAddressRequest',
    put: 'MACAddressRequest',
    patch: 'PatchedMACAddressRequest',
    since: '4.2',
  },
  {
    model: 'cable',
    path: '/api/dcim/cables/',
    verbose: 'Cable',
    create: 'WritableCableRequest',
    put: 'WritableCableRequest',
    patch: 'PatchedWritableCableRequest',
  },
  {
    model: 'prefix',
    path: '/api/ipam/prefixes/',
    verbose: 'Prefix',
    create: 'WritablePrefixRequest',
    put: 'WritablePrefixRequest',
    patch: 'PatchedWritablePrefixRequest',
  },
  {
    model: 'ipaddress',
    path: '/api/ipam/ip-addresses/',
    verbose: 'IPAddress',
    create: 'WritableIPAddressRequest',
    put: 'WritableIPAddressRequest',
    patch: 'PatchedWritableIPAddressRequest',
  },
  {
    model: 'journalentry',
    path: '/api/extras/journal-entries/',
    verbose: 'JournalEntry',
    create: 'WritableJournalEntryRequest',
    put: 'WritableJournalEntryRequest',
    patch: 'PatchedWritableJournalEntryRequest',
  },
  { model: 'vrf', path: '/api/ipam/vrfs/', verbose: 'VRF', create: 'VRFRequest', put: 'VRFRequest', patch: 'PatchedVRFRequest' },
  {
    model: 'iprange',
    path: '/api/ipam/ip-ranges/',
    verbose: 'IPRange',
    create: 'WritableIPRangeRequest',
    put: 'WritableIPRangeRequest',
    patch: 'PatchedWritableIPRangeRequest',
  },
  {
    model: 'fhrpgroup',
    path: '/api/ipam/fhrp-groups/',
    verbose: 'FHRPGroup',
    create: 'FHRPGroupRequest',
    put: 'FHRPGroupRequest',
    patch: 'PatchedFHRPGroupRequest',
  },
  {
    model: 'virtualmachine',
    path: '/api/virtualization/virtual-machines/',
    verbose: 'VirtualMachine',
    create: 'WritableVirtualMachineWithConfigContextRequest',
    put: 'WritableVirtualMachineWithConfigContextRequest',
    patch: 'PatchedWritableVirtualMachineWithConfigContextRequest',
  },
  {
    model: 'vminterface',
    path: '/api/virtualization/interfaces/',
    verbose: 'VMInterface',
    create: 'WritableVMInterfaceRequest',
    put: 'WritableVMInterfaceRequest',
    patch: 'PatchedWritableVMInterfaceRequest',
  },
  {
    model: 'customfield',
    path: '/api/extras/custom-fields/',
    verbose: 'CustomField',
    create: 'WritableCustomFieldRequest',
    put: 'WritableCustomFieldRequest',
    patch: 'PatchedWritableCustomFieldRequest',
  },
  {
    model: 'configcontext',
    path: '/api/extras/config-contexts/',
    verbose: 'ConfigContext',
    create: 'ConfigContextRequest',
    put: 'ConfigContextRequest',
    patch: 'PatchedConfigContextRequest',
  },
  {
    model: 'rearport',
    path: '/api/dcim/rear-ports/',
    verbose: 'RearPort',
    create: 'WritableRearPortRequest',
    put: 'WritableRearPortRequest',
    patch: 'PatchedWritableRearPortRequest',
  },
  {
    model: 'frontport',
    path: '/api/dcim/front-ports/',
    verbose: 'FrontPort',
    create: 'WritableFrontPortRequest',
    put: 'WritableFrontPortRequest',
    patch: 'PatchedWritableFrontPortRequest',
  },
];

/** Whether the flavour's NetBox has this endpoint. */
export function available(res: Resource, flavour: Flavour): boolean {
  return res.since === undefined || flavourAtLeast(flavour, res.since);
}

/** Models whose objects carry custom fields (the simulator checks them on every write). */
const CUSTOM_FIELD_MODELS = [
  'site',
  'manufacturer',
  'devicetype',
  'devicerole',
  'device',
  'interface',
  'macaddress',
  'cable',
  'prefix',
  'ipaddress',
  'vrf',
  'iprange',
  'fhrpgroup',
  'virtualmachine',
  'vminterface',
  'frontport',
  'rearport',
];

/** Object types an IP address may be assigned to. */
const IP_ASSIGNABLE: Record<string, string> = { 'dcim.interface': 'interface', 'virtualization.vminterface': 'vminterface', 'ipam.fhrpgroup': 'fhrpgroup' };

/** Related-object fields (`oneOf: [integer, Brief…Request]`) the simulator models. */
const RELATIONS: Record<string, Record<string, string>> = {
  devicetype: { manufacturer: 'manufacturer' },
  device: {
    device_type: 'devicetype',
    role: 'devicerole',
    device_role: 'devicerole',
    site: 'site',
    primary_ip4: 'ipaddress',
    primary_ip6: 'ipaddress',
    oob_ip: 'ipaddress',
  },
  interface: { device: 'device', primary_mac_address: 'macaddress' },
  prefix: { vrf: 'vrf' },
  ipaddress: { vrf: 'vrf' },
  iprange: { vrf: 'vrf' },
  virtualmachine: { site: 'site', role: 'devicerole', primary_ip4: 'ipaddress', primary_ip6: 'ipaddress' },
  vminterface: { virtual_machine: 'virtualmachine', primary_mac_address: 'macaddress', vrf: 'vrf' },
  frontport: { device: 'device' },
  rearport: { device: 'device' },
};
/** Plain primary-key fields (DRF PrimaryKeyRelatedField). */
const PK_FIELDS: Record<string, Record<string, string | undefined>> = {
  interface: { parent: 'interface', bridge: 'interface', lag: 'interface' },
  ipaddress: { nat_inside: undefined },
  devicerole: { parent: undefined },
  journalentry: { created_by: undefined },
};
/** Many-to-many id lists of models the simulator has. */
const M2M_FIELDS: Record<string, Record<string, string>> = {
  configcontext: { sites: 'site', roles: 'devicerole', device_types: 'devicetype' },
};
/** Many-to-many id lists of models the simulator does not have. */
const PK_LIST_FIELDS = [
  'vdcs',
  'tagged_vlans',
  'wireless_lans',
  'asns',
  'regions',
  'site_groups',
  'locations',
  'platforms',
  'cluster_types',
  'cluster_groups',
  'clusters',
  'tenant_groups',
  'tenants',
  'import_targets',
  'export_targets',
];

const DEFAULTS: Record<string, Record<string, unknown>> = {
  site: { status: 'active', description: '', comments: '' },
  manufacturer: { description: '' },
  devicetype: { u_height: 1.0, is_full_depth: true, description: '', comments: '' },
  devicerole: { color: '9e9e9e', vm_role: true, description: '' },
  device: {
    name: null,
    status: 'active',
    serial: '',
    asset_tag: null,
    primary_ip4: null,
    primary_ip6: null,
    oob_ip: null,
    local_context_data: null,
    description: '',
    comments: '',
  },
  interface: {
    enabled: true,
    mtu: null,
    mgmt_only: false,
    mark_connected: false,
    description: '',
    label: '',
    mac_address: null,
    primary_mac_address: null,
    cable: null,
    cable_end: null,
    parent: null,
    bridge: null,
    lag: null,
  },
  macaddress: { assigned_object_type: null, assigned_object_id: null, description: '', comments: '' },
  cable: {
    status: 'connected',
    type: '',
    label: '',
    color: '',
    length: null,
    length_unit: '',
    a_terminations: [],
    b_terminations: [],
    description: '',
    comments: '',
  },
  prefix: { status: 'active', is_pool: false, mark_utilized: false, description: '', comments: '' },
  ipaddress: { status: 'active', role: '', assigned_object_type: null, assigned_object_id: null, dns_name: '', vrf: null, description: '', comments: '' },
  // created_by: the simulator's one admin user (id 1)
  journalentry: { kind: 'info', created_by: 1 },
  vrf: { rd: null, enforce_unique: true, description: '', comments: '' },
  iprange: { status: 'active', vrf: null, mark_populated: false, mark_utilized: false, description: '', comments: '' },
  fhrpgroup: { name: '', auth_type: '', auth_key: '', description: '', comments: '' },
  virtualmachine: { status: 'active', serial: '', local_context_data: null, primary_ip4: null, primary_ip6: null, description: '', comments: '' },
  vminterface: { enabled: true, mtu: null, description: '', vrf: null, primary_mac_address: null },
  customfield: {
    label: '',
    group_name: '',
    description: '',
    required: false,
    unique: false,
    search_weight: 1000,
    filter_logic: 'loose',
    ui_visible: 'always',
    ui_editable: 'yes',
    is_cloneable: false,
    default: null,
    weight: 100,
    validation_regex: '',
    comments: '',
  },
  configcontext: {
    weight: 1000,
    description: '',
    is_active: true,
    sites: [],
    roles: [],
    device_types: [],
    platforms: [],
    regions: [],
    site_groups: [],
    locations: [],
    cluster_types: [],
    cluster_groups: [],
    clusters: [],
    tenant_groups: [],
    tenants: [],
    tags: [],
  },
  rearport: { label: '', color: '', positions: 1, description: '', mark_connected: false, cable: null, cable_end: null },
  frontport: { label: '', color: '', positions: 1, rear_ports: [], description: '', mark_connected: false, cable: null, cable_end: null },
};

/** Models a journal entry may be attached to (NetBox: JournalingMixin). */
const JOURNALED = [
  'site',
  'manufacturer',
  'devicetype',
  'devicerole',
  'device',
  'interface',
  'macaddress',
  'cable',
  'prefix',
  'ipaddress',
  'vrf',
  'iprange',
  'fhrpgroup',
  'virtualmachine',
  'frontport',
  'rearport',
];

export interface ModelCtx {
  store: Store;
  flavour: Flavour;
  validator: RequestValidator;
  enforceGlobalUnique: boolean;
}

export type Errors = Record<string, string[]>;
export type WriteResult = { ok: true; row: Row; ignoredFields: string[] } | { ok: false; errors: Errors; ignoredFields: string[] };

/** Python repr of a dict of filter params, as NetBox puts it in messages. */
function pyDict(o: Record<string, unknown>): string {
  const v = (x: unknown): string =>
    typeof x === 'string' ? `'${x}'` : x === null ? 'None' : typeof x === 'boolean' ? (x ? 'True' : 'False') : JSON.stringify(x);
  return `{${Object.entries(o)
    .map(([k, x]) => `'${k}': ${v(x)}`)
    .join(', ')}}`;
}

function isRelated(raw: SchemaNode | undefined): boolean {
  return raw !== undefined && Array.isArray(raw.oneOf) && (raw.oneOf[0] as SchemaNode | undefined)?.type === 'integer';
}

const INVALID_CT = "Invalid value. Specify a content type as '<app_label>.<model_name>'.";

function contentTypeError(value: unknown, allowed: string[]): string | undefined {
  if (typeof value !== 'string' || !/^[a-z_]+\.[a-z_]+$/.test(value)) return INVALID_CT;
  return allowed.includes(value) ? undefined : `Invalid content type: ${value}`;
}

export class Models {
  constructor(private readonly ctx: ModelCtx) {}

  private get store(): Store {
    return this.ctx.store;
  }

  /** Create (existing undefined), PUT (partial false) or PATCH (partial true). */
  write(res: Resource, body: unknown, existing: Row | undefined, partial: boolean): WriteResult {
    const component = existing === undefined ? res.create : partial ? res.patch : res.put;
    const v = this.ctx.validator.validate(component, body, partial);
    const ignoredFields = v.ignoredFields;
    if (v.errors) return { ok: false, errors: v.errors, ignoredFields };
    const data = { ...v.data };
    const errors = this.resolveRelations(res.model, component, data);
    if (Object.keys(errors).length > 0) return { ok: false, errors, ignoredFields };
    if (res.model === 'device' && this.ctx.flavour === '3.7' && 'device_role' in data) {
      if (!('role' in data)) data.role = data.device_role;
      delete data.device_role;
    }
    const next: Record<string, unknown> = existing ? { ...existing, ...data } : { ...(DEFAULTS[res.model] ?? {}), ...data };
    if (res.model === 'device' && typeof next.serial === 'string') next.serial = next.serial.trim();
    const cleanErrors =
      this.clean(res.model, next, existing) ??
      (CUSTOM_FIELD_MODELS.includes(res.model) ? cleanCustomFields(this.store, OBJECT_TYPES[res.model] ?? '', next, existing, data.custom_fields) : undefined);
    if (cleanErrors) return { ok: false, errors: cleanErrors as Errors, ignoredFields };
    const row = existing ? this.store.update(res.model, existing.id, next) : this.store.insert(res.model, next);
    this.afterSave(res.model, row, existing);
    return { ok: true, row, ignoredFields };
  }

  /** Resolves related-object fields to ids (in place); returns field errors. */
  private resolveRelations(model: string, component: string, data: Record<string, unknown>): Errors {
    const errors: Errors = {};
    const props = this.ctx.validator.schema(component).properties as Record<string, SchemaNode>;
    for (const [field, value] of Object.entries(data)) {
      if (value === null) continue;
      if (isRelated(props[field])) {
        const target = RELATIONS[model]?.[field];
        const r = this.lookup(target, value);
        if (typeof r === 'string') errors[field] = [r];
        else data[field] = r;
      } else if (PK_FIELDS[model] && field in (PK_FIELDS[model] ?? {})) {
        const target = PK_FIELDS[model]?.[field];
        if (target === undefined || this.store.get(target, value as number) === undefined) {
          errors[field] = [`Invalid pk "${String(value)}" - object does not exist.`];
        }
      } else if (M2M_FIELDS[model]?.[field] !== undefined && Array.isArray(value)) {
        const target = M2M_FIELDS[model]?.[field] as string;
        const bad = value.find((id) => this.store.get(target, id as number) === undefined);
        if (bad !== undefined) errors[field] = [`Invalid pk "${String(bad)}" - object does not exist.`];
      } else if (PK_LIST_FIELDS.includes(field) && Array.isArray(value) && value.length > 0) {
        errors[field] = [`Invalid pk "${String(value[0])}" - object does not exist.`];
      } else if (field === 'tags' && Array.isArray(value) && value.length > 0) {
        const first = value[0];
        errors[field] = [
          typeof first === 'object' && first !== null
            ? `Related object not found using the provided attributes: ${pyDict(first as Record<string, unknown>)}`
            : `Related object not found using the provided numeric ID: ${String(first)}`,
        ];
      }
    }
    return errors;
  }

  /** NetBox's get_related_object_by_attrs: an id or a dict of attributes. */
  private lookup(model: string | undefined, value: unknown): number | string {
    if (typeof value === 'number') {
      if (model !== undefined && this.store.get(model, value)) return value;
      return `Related object not found using the provided numeric ID: ${value}`;
    }
    const attrs = value as Record<string, unknown>;
    const hits = model === undefined ? [] : this.store.find(model, (r) => Object.entries(attrs).every(([k, v]) => r[k] === v));
    if (hits.length === 1 && hits[0]) return hits[0].id;
    if (hits.length === 0) return `Related object not found using the provided attributes: ${pyDict(attrs)}`;
    return `Multiple objects match the provided attributes: ${pyDict(attrs)}`;
  }

  private others(model: string, existing: Row | undefined): Row[] {
    return this.store.find(model, (r) => r.id !== existing?.id);
  }

  /** Model validation beyond the schema; may normalise `next` in place. */
  private clean(model: string, next: Record<string, unknown>, existing: Row | undefined): Errors | undefined {
    const others = (): Row[] => this.others(model, existing);
    const uniqueFields = (verbose: string, fields: string[]): Errors | undefined => {
      const errors: Errors = {};
      for (const f of fields) {
        if (others().some((o) => o[f] === next[f])) errors[f] = [`${verbose} with this ${f} already exists.`];
      }
      return Object.keys(errors).length > 0 ? errors : undefined;
    };
    const uniqueTogether = (fields: string[]): Errors | undefined =>
      others().some((o) => fields.every((f) => o[f] === next[f]))
        ? { non_field_errors: [`The fields ${fields.join(', ')} must make a unique set.`] }
        : undefined;
    switch (model) {
      case 'site':
        return uniqueFields('site', ['name', 'slug']);
      case 'manufacturer':
        return uniqueFields('manufacturer', ['name', 'slug']);
      case 'devicerole':
        return uniqueFields('device role', ['name', 'slug']);
      case 'devicetype':
        return uniqueTogether(['manufacturer', 'model']) ?? uniqueTogether(['manufacturer', 'slug']);
      case 'device':
        return this.cleanDevice(next, existing);
      case 'interface':
        return this.cleanInterface(next, existing);
      case 'macaddress':
        return this.cleanMac(next, existing);
      case 'cable':
        return this.cleanCable(next, existing);
      case 'prefix': {
        const p = parseIp(String(next.prefix));
        if (p === undefined) return { prefix: [`Invalid IP prefix format: ${String(next.prefix)}`] };
        const len = p.prefixLen ?? hostBits(p.family);
        next.prefix = formatNet({ ...p, value: networkOf(p.family, p.value, len) }, len);
        return undefined;
      }
      case 'ipaddress':
        return this.cleanIp(next, existing);
      case 'iprange':
        return cleanIpRange(this.store, next, existing);
      case 'vminterface':
        return this.others('vminterface', existing).some((o) => o.virtual_machine === next.virtual_machine && o.name === next.name)
          ? { __all__: ['Interface with this Virtual machine and Name already exists.'] }
          : undefined;
      case 'frontport':
      case 'rearport':
        return this.cleanPort(model, next, existing);
      case 'customfield':
        return cleanCustomFieldDefinition(next);
      case 'configcontext':
        return typeof next.data !== 'object' || next.data === null || Array.isArray(next.data)
          ? { data: ['JSON data must be in object form. Example: {"foo": 123}'] }
          : undefined;
      case 'journalentry': {
        const ctErr = contentTypeError(
          next.assigned_object_type,
          JOURNALED.map((m) => OBJECT_TYPES[m] ?? ''),
        );
        if (ctErr) return { assigned_object_type: [ctErr] };
        const m = JOURNALED.find((x) => OBJECT_TYPES[x] === next.assigned_object_type) as string;
        if (!this.store.get(m, next.assigned_object_id as number)) {
          const [app, name] = String(next.assigned_object_type).split('.');
          return { non_field_errors: [`Invalid assigned_object: ${app} | ${name} ID ${String(next.assigned_object_id)}`] };
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }

  private cleanDevice(next: Record<string, unknown>, existing: Row | undefined): Errors | undefined {
    if (next.role === undefined) return { role: ['This field is required.'] };
    if (typeof next.name === 'string' && next.name !== '') {
      const name = next.name.toLowerCase();
      const dup = this.others('device', existing).some(
        (o) => typeof o.name === 'string' && o.name.toLowerCase() === name && o.site === next.site && (o.tenant ?? null) === (next.tenant ?? null),
      );
      if (dup) {
        return featuresOf(this.ctx.flavour).netbox47
          ? { __all__: ['Device name must be unique per site and tenant.'] }
          : { non_field_errors: ['Device name must be unique per site.'] };
      }
    }
    const errors: Errors = {};
    for (const [field, family] of [
      ['primary_ip4', 4],
      ['primary_ip6', 6],
      ['oob_ip', undefined],
    ] as const) {
      const id = next[field];
      if (typeof id !== 'number') continue;
      const ip = this.store.get('ipaddress', id);
      if (!ip) continue;
      const addr = String(ip.address);
      const fam = addr.includes(':') ? 6 : 4;
      if (family !== undefined && fam !== family) {
        errors[field] = [`${addr} is not an IPv${family} address.`];
        continue;
      }
      const ifaceId = ip.assigned_object_type === 'dcim.interface' ? ip.assigned_object_id : undefined;
      const iface = typeof ifaceId === 'number' ? this.store.get('interface', ifaceId) : undefined;
      if (existing === undefined || iface?.device !== existing.id) {
        errors[field] = [`The specified IP address (${addr}) is not assigned to this device.`];
      }
    }
    return Object.keys(errors).length > 0 ? errors : undefined;
  }

  private cleanInterface(next: Record<string, unknown>, existing: Row | undefined): Errors | undefined {
    if (this.others('interface', existing).some((o) => o.device === next.device && o.name === next.name)) {
      return featuresOf(this.ctx.flavour).netbox47
        ? { __all__: ['Interface with this Device and Name already exists.'] }
        : { non_field_errors: ['The fields device, name must make a unique set.'] };
    }
    if (!featuresOf(this.ctx.flavour).macObjects && typeof next.mac_address === 'string') {
      const m = normaliseMac(next.mac_address);
      if (m === undefined) return { mac_address: [`Invalid MAC address format: ${next.mac_address}`] };
      next.mac_address = m;
    } else if (!featuresOf(this.ctx.flavour).macObjects && next.mac_address === '') {
      next.mac_address = null;
    }
    if (typeof next.primary_mac_address === 'number') {
      const mac = this.store.get('macaddress', next.primary_mac_address);
      if (!mac || existing === undefined || mac.assigned_object_type !== 'dcim.interface' || mac.assigned_object_id !== existing.id) {
        return { primary_mac_address: [`MAC address ${String(mac?.mac_address)} is not assigned to this interface.`] };
      }
    }
    return undefined;
  }

  private cleanMac(next: Record<string, unknown>, existing: Row | undefined): Errors | undefined {
    const m = normaliseMac(String(next.mac_address));
    if (m === undefined) return { mac_address: [`Invalid MAC address format: ${String(next.mac_address)}`] };
    next.mac_address = m;
    const assignErr = this.checkAssignment(next, { 'dcim.interface': 'interface' });
    if (assignErr) return assignErr;
    if (existing) {
      const moved = existing.assigned_object_type !== next.assigned_object_type || existing.assigned_object_id !== next.assigned_object_id;
      const isPrimary = this.store.find('interface', (i) => i.primary_mac_address === existing.id).length > 0;
      if (moved && isPrimary) {
        return { non_field_errors: ['Cannot unassign MAC Address while it is designated as the primary MAC for an object'] };
      }
    }
    return undefined;
  }

  /** assigned_object_type/assigned_object_id of IPs and MACs. */
  private checkAssignment(next: Record<string, unknown>, allowed: Record<string, string>): Errors | undefined {
    const type = next.assigned_object_type;
    const id = next.assigned_object_id;
    if (type === null || type === undefined) {
      if (id !== null && id !== undefined) return { assigned_object_type: ['This field cannot be null.'] };
      return undefined;
    }
    const ctErr = contentTypeError(type, Object.keys(allowed));
    if (ctErr) return { assigned_object_type: [ctErr] };
    if (id === null || id === undefined) return { assigned_object_id: ['This field cannot be null.'] };
    if (!this.store.get(allowed[String(type)] ?? '', id as number)) {
      // netbox/models/__init__.py (GenericForeignKey check of NetBoxModel.clean)
      return { assigned_object_id: [`Related object not found using the provided value: ${String(id)}.`] };
    }
    return undefined;
  }

  private cleanIp(next: Record<string, unknown>, existing: Row | undefined): Errors | undefined {
    const text = String(next.address);
    const p = parseIp(text);
    if (p === undefined) return { address: [`Invalid IP address format: ${text}`] };
    if (p.prefixLen === undefined) {
      return {
        address: [
          `Invalid IP address format: ${text} (a prefix length is required, e.g. ${text}/24; netbox-sim rejects what NetBox would store as /${hostBits(p.family)})`,
        ],
      };
    }
    next.address = formatNet(p, p.prefixLen);
    if (p.prefixLen === 0) return { address: ['Cannot create IP address with /0 mask.'] };
    const assignErr = this.checkAssignment(next, IP_ASSIGNABLE);
    if (assignErr) return assignErr;
    const maxLen = hostBits(p.family);
    if (next.assigned_object_id !== null && next.assigned_object_id !== undefined && p.prefixLen < maxLen - 1) {
      const net = networkOf(p.family, p.value, p.prefixLen);
      const bcast = net + (1n << BigInt(maxLen - p.prefixLen)) - 1n;
      // A ValidationError without a field: DRF reports it under __all__.
      if (p.value === net) return { __all__: [`${formatAddr(p.family, p.value)} is a network ID, which may not be assigned to an interface.`] };
      if (p.family === 4 && p.value === bcast)
        return { __all__: [`${formatAddr(4, p.value)} is a broadcast address, which may not be assigned to an interface.`] };
    }
    const dupErr = duplicateIpError(this.store, next, existing?.id, this.ctx.enforceGlobalUnique);
    if (dupErr) return dupErr;
    if (existing === undefined && featuresOf(this.ctx.flavour).markPopulated) {
      const rangeErr = populatedRangeError(this.store, next, p);
      if (rangeErr) return rangeErr;
    }
    if (existing) {
      const newDevice = this.deviceOfAssignment(next);
      for (const d of this.store.find('device', (x) => x.primary_ip4 === existing.id || x.primary_ip6 === existing.id || x.oob_ip === existing.id)) {
        if (newDevice !== d.id) {
          const what = d.oob_ip === existing.id && d.primary_ip4 !== existing.id && d.primary_ip6 !== existing.id ? 'OOB IP' : 'primary IP';
          return { non_field_errors: [`Cannot reassign IP address while it is designated as the ${what} for the parent object`] };
        }
      }
    }
    return undefined;
  }

  private deviceOfAssignment(r: Record<string, unknown>): number | undefined {
    if (r.assigned_object_type !== 'dcim.interface' || typeof r.assigned_object_id !== 'number') return undefined;
    const d = this.store.get('interface', r.assigned_object_id)?.device;
    return typeof d === 'number' ? d : undefined;
  }

  private cleanCable(next: Record<string, unknown>, existing: Row | undefined): Errors | undefined {
    const a = (next.a_terminations ?? []) as { object_type: string; object_id: number }[];
    const b = (next.b_terminations ?? []) as { object_type: string; object_id: number }[];
    for (const [field, terms] of [
      ['a_terminations', a],
      ['b_terminations', b],
    ] as const) {
      for (const t of terms) {
        const ctErr = contentTypeError(t.object_type, Object.keys(TERMINATION_MODELS));
        if (ctErr) return { [field]: [ctErr] };
        if (!this.store.get(TERMINATION_MODELS[t.object_type] ?? '', t.object_id))
          return { [field]: [`Related object not found using the provided numeric ID: ${t.object_id}`] };
      }
    }
    if (a.length === 0 || b.length === 0) {
      return { non_field_errors: ['Must define A and B terminations when creating a new cable.'] };
    }
    const seen = new Set<string>();
    for (const t of [...a, ...b]) {
      const end = this.store.get(TERMINATION_MODELS[t.object_type] ?? '', t.object_id) as Row;
      const cable = end.cable;
      const key = `${t.object_type}:${t.object_id}`;
      if (seen.has(key) || (typeof cable === 'number' && cable !== existing?.id)) {
        return { non_field_errors: [`Duplicate termination found for ${t.object_type} ${t.object_id}: cable ${String(cable ?? 'new')}`] };
      }
      seen.add(key);
    }
    return undefined;
  }

  private afterSave(model: string, row: Row, existing: Row | undefined): void {
    if (model !== 'cable') return;
    if (existing) this.detachCable(row.id);
    for (const [end, field] of [
      ['A', 'a_terminations'],
      ['B', 'b_terminations'],
    ] as const) {
      for (const t of row[field] as { object_type: string; object_id: number }[]) {
        this.store.update(TERMINATION_MODELS[t.object_type] ?? 'interface', t.object_id, { cable: row.id, cable_end: end });
      }
    }
  }

  private detachCable(cableId: number): void {
    for (const m of Object.values(TERMINATION_MODELS)) {
      for (const i of this.store.find(m, (x) => x.cable === cableId)) this.store.update(m, i.id, { cable: null, cable_end: null });
    }
  }

  /** Front/rear ports: unique (device, name); a front port's mappings name rear ports of its device. */
  private cleanPort(model: string, next: Record<string, unknown>, existing: Row | undefined): Errors | undefined {
    const verbose = model === 'frontport' ? 'Front port' : 'Rear port';
    if (this.others(model, existing).some((o) => o.device === next.device && o.name === next.name)) {
      return { __all__: [`${verbose} with this Device and Name already exists.`] };
    }
    if (model === 'frontport') {
      for (const m of (next.rear_ports ?? []) as { rear_port: number; rear_port_position?: number }[]) {
        const rear = this.store.get('rearport', m.rear_port);
        if (!rear) return { rear_ports: [`Invalid pk "${m.rear_port}" - object does not exist.`] };
        m.rear_port_position ??= 1;
      }
    }
    return undefined;
  }

  /** Objects that PROTECT this one from deletion. */
  dependents(model: string, id: number): Row[] {
    const fk: Record<string, [string, string][]> = {
      site: [['device', 'site']],
      manufacturer: [['devicetype', 'manufacturer']],
      devicetype: [['device', 'device_type']],
      devicerole: [['device', 'role']],
      vrf: [
        ['ipaddress', 'vrf'],
        ['prefix', 'vrf'],
        ['iprange', 'vrf'],
      ],
    };
    return (fk[model] ?? []).flatMap(([m, f]) => this.store.find(m, (r) => r[f] === id));
  }

  /** Deletes an object with NetBox's cascades. */
  remove(model: string, id: number): void {
    const s = this.store;
    const journal = (type: string): void => {
      for (const j of s.find('journalentry', (x) => x.assigned_object_type === type && x.assigned_object_id === id)) s.delete('journalentry', j.id);
    };
    switch (model) {
      case 'device':
        for (const m of ['interface', 'frontport', 'rearport']) for (const i of s.find(m, (x) => x.device === id)) this.remove(m, i.id);
        break;
      case 'interface': {
        const iface = s.get('interface', id);
        if (typeof iface?.cable === 'number') this.remove('cable', iface.cable);
        for (const m of s.find('macaddress', (x) => x.assigned_object_type === 'dcim.interface' && x.assigned_object_id === id))
          this.remove('macaddress', m.id);
        // NetBox deletes IP addresses together with the interface they are assigned to (GenericRelation).
        for (const ip of s.find('ipaddress', (x) => x.assigned_object_type === 'dcim.interface' && x.assigned_object_id === id))
          this.remove('ipaddress', ip.id);
        for (const f of ['parent', 'bridge', 'lag']) {
          for (const o of s.find('interface', (x) => x[f] === id)) s.update('interface', o.id, { [f]: null });
        }
        break;
      }
      case 'virtualmachine':
        for (const i of s.find('vminterface', (x) => x.virtual_machine === id)) this.remove('vminterface', i.id);
        break;
      case 'vminterface':
      case 'fhrpgroup': {
        const type = OBJECT_TYPES[model];
        for (const ip of s.find('ipaddress', (x) => x.assigned_object_type === type && x.assigned_object_id === id)) this.remove('ipaddress', ip.id);
        break;
      }
      case 'frontport':
      case 'rearport': {
        const port = s.get(model, id);
        if (typeof port?.cable === 'number') this.remove('cable', port.cable);
        if (model === 'rearport')
          for (const f of s.find('frontport', (x) => ((x.rear_ports ?? []) as { rear_port: number }[]).some((m) => m.rear_port === id)))
            this.remove('frontport', f.id);
        break;
      }
      case 'macaddress':
        for (const i of s.find('interface', (x) => x.primary_mac_address === id)) s.update('interface', i.id, { primary_mac_address: null });
        break;
      case 'ipaddress':
        for (const f of ['primary_ip4', 'primary_ip6', 'oob_ip']) {
          for (const d of s.find('device', (x) => x[f] === id)) s.update('device', d.id, { [f]: null });
        }
        break;
      case 'cable':
        this.detachCable(id);
        break;
      default:
        break;
    }
    const type = OBJECT_TYPES[model];
    if (type && model !== 'journalentry') journal(type);
    s.delete(model, id);
  }
}
