/**
 * Response shaping: full representations (every property of the NetBox response component, in
 * its order), brief representations (the Brief* components) and `fields=` / `exclude=` selection.
 */
import { linkPeers, tracePath } from './cabling.ts';
import { renderConfigContext } from './config-context.ts';
import { renderCustomFields } from './custom-fields.ts';
import { rangeDisplay, rangeSize } from './ipam.ts';
import { componentSchema } from './schema-validator.ts';
import type { SchemaNode } from './schema-validator.ts';
import type { Row, Store } from './store.ts';
import { ADDED_IN_47, featuresOf } from './flavours.ts';
import type { Flavour } from './types.ts';

export type Json = Record<string, unknown>;

export interface SerializeCtx {
  store: Store;
  flavour: Flavour;
  /** Absolute base URL for `url` fields, e.g. http://127.0.0.1:8765 */
  base: string;
}

/** URL segment of each model. */
export const MODEL_PATHS: Record<string, string> = {
  site: 'dcim/sites',
  manufacturer: 'dcim/manufacturers',
  devicetype: 'dcim/device-types',
  devicerole: 'dcim/device-roles',
  device: 'dcim/devices',
  interface: 'dcim/interfaces',
  macaddress: 'dcim/mac-addresses',
  cable: 'dcim/cables',
  prefix: 'ipam/prefixes',
  ipaddress: 'ipam/ip-addresses',
  journalentry: 'extras/journal-entries',
  vrf: 'ipam/vrfs',
  iprange: 'ipam/ip-ranges',
  fhrpgroup: 'ipam/fhrp-groups',
  virtualmachine: 'virtualization/virtual-machines',
  vminterface: 'virtualization/interfaces',
  customfield: 'extras/custom-fields',
  configcontext: 'extras/config-contexts',
  frontport: 'dcim/front-ports',
  rearport: 'dcim/rear-ports',
};

/** Response component of the full representation. */
export const FULL_COMPONENTS: Record<string, string> = {
  site: 'Site',
  manufacturer: 'Manufacturer',
  devicetype: 'DeviceType',
  devicerole: 'DeviceRole',
  device: 'DeviceWithConfigContext',
  interface: 'Interface',
  macaddress: 'MACAddress',
  cable: 'Cable',
  prefix: 'Prefix',
  ipaddress: 'IPAddress',
  journalentry: 'JournalEntry',
  vrf: 'VRF',
  iprange: 'IPRange',
  fhrpgroup: 'FHRPGroup',
  virtualmachine: 'VirtualMachineWithConfigContext',
  vminterface: 'VMInterface',
  customfield: 'CustomField',
  configcontext: 'ConfigContext',
  frontport: 'FrontPort',
  rearport: 'RearPort',
};

const BRIEF_COMPONENTS: Record<string, string> = {
  site: 'BriefSite',
  manufacturer: 'BriefManufacturer',
  devicetype: 'BriefDeviceType',
  devicerole: 'BriefDeviceRole',
  device: 'BriefDevice',
  interface: 'BriefInterface',
  macaddress: 'BriefMACAddress',
  cable: 'BriefCable',
  ipaddress: 'BriefIPAddress',
  fhrpgroup: 'BriefFHRPGroup',
  virtualmachine: 'BriefVirtualMachine',
};

/** NetBox's brief_fields for models without a Brief* component in the schema. */
const BRIEF_FIELDS: Record<string, string[]> = {
  prefix: ['id', 'url', 'display', 'family', 'prefix', 'description', '_depth'],
  journalentry: ['id', 'url', 'display', 'created'],
  vrf: ['id', 'url', 'display', 'name', 'rd', 'description', 'prefix_count'],
  iprange: ['id', 'url', 'display', 'family', 'start_address', 'end_address', 'description'],
  vminterface: ['id', 'url', 'display', 'virtual_machine', 'name', 'description'],
  customfield: ['id', 'url', 'display', 'name', 'description'],
  configcontext: ['id', 'url', 'display', 'name', 'description'],
  frontport: ['id', 'url', 'display', 'device', 'name', 'description', 'cable', '_occupied'],
  rearport: ['id', 'url', 'display', 'device', 'name', 'description', 'cable', '_occupied'],
};

/** Nested (related-object) representations that differ from the brief one: NetBox's nested serializers. */
const NESTED_FIELDS: Record<string, string[]> = {
  vrf: ['id', 'url', 'display', 'name', 'rd', 'description'],
  virtualmachine: ['id', 'url', 'display', 'name', 'description'],
};

/** Object type ("app_label.model") of each model. */
export const OBJECT_TYPES: Record<string, string> = {
  site: 'dcim.site',
  manufacturer: 'dcim.manufacturer',
  devicetype: 'dcim.devicetype',
  devicerole: 'dcim.devicerole',
  device: 'dcim.device',
  interface: 'dcim.interface',
  macaddress: 'dcim.macaddress',
  cable: 'dcim.cable',
  prefix: 'ipam.prefix',
  ipaddress: 'ipam.ipaddress',
  journalentry: 'extras.journalentry',
  vrf: 'ipam.vrf',
  iprange: 'ipam.iprange',
  fhrpgroup: 'ipam.fhrpgroup',
  virtualmachine: 'virtualization.virtualmachine',
  vminterface: 'virtualization.vminterface',
  customfield: 'extras.customfield',
  configcontext: 'extras.configcontext',
  frontport: 'dcim.frontport',
  rearport: 'dcim.rearport',
};

/** Model of an object type ("dcim.interface" → interface). */
export function modelOf(objectType: unknown): string | undefined {
  return Object.entries(OBJECT_TYPES).find(([, t]) => t === objectType)?.[0];
}

function props(component: string): Record<string, SchemaNode> {
  return componentSchema(component).properties as Record<string, SchemaNode>;
}

/** Default for a property the simulator does not model (null, [], {}, 0, false, ''). */
function defaultFor(p: SchemaNode): unknown {
  if ('default' in p) return p.default;
  if (p.nullable === true) return null;
  if (p.type === 'array') return [];
  if (p.type === 'object') return 'additionalProperties' in p ? {} : null; // blank choice → null
  if (p.type === 'integer' || p.type === 'number') return 0;
  if (p.type === 'boolean') return false;
  if (p.type === 'string') return '';
  return null;
}

/** Every property of `component`, in schema order, from `values` or a default. */
export function shape(component: string, values: Json): Json {
  const out: Json = {};
  for (const [k, p] of Object.entries(props(component))) out[k] = k in values ? values[k] : defaultFor(p);
  return out;
}

/** `{value, label}` for a choice field, labels from the response component (configured extras are title-cased). */
export function choice(component: string, field: string, value: unknown): Json | null {
  if (value === null || value === undefined || value === '') return null;
  const p = props(component)[field]?.properties as Record<string, SchemaNode> | undefined;
  const values = (p?.value?.enum ?? []) as unknown[];
  const labels = (p?.label?.enum ?? []) as unknown[];
  const i = values.indexOf(value);
  const label = i >= 0 && labels[i] !== undefined ? labels[i] : String(value).charAt(0).toUpperCase() + String(value).slice(1);
  return { value, label };
}

/** CustomField.data_type per type. */
const CF_DATA_TYPES: Record<string, string> = {
  text: 'string',
  longtext: 'string',
  integer: 'integer',
  decimal: 'number',
  boolean: 'boolean',
  date: 'string',
  datetime: 'string',
  url: 'string',
  json: 'object',
  select: 'string',
  multiselect: 'array',
  object: 'object',
  multiobject: 'array',
};

export class Serializer {
  constructor(private readonly ctx: SerializeCtx) {}

  private get store(): Store {
    return this.ctx.store;
  }

  private common(model: string, row: Row): Json {
    const path = MODEL_PATHS[model] ?? model;
    return {
      id: row.id,
      url: `${this.ctx.base}/api/${path}/${row.id}/`,
      display_url: `${this.ctx.base}/${path}/${row.id}/`,
      display: this.display(model, row),
      description: row.description ?? '',
      custom_fields: renderCustomFields(this.store, OBJECT_TYPES[model] ?? '', row),
      tags: [],
      created: row.created,
      last_updated: row.last_updated,
      comments: row.comments ?? '',
    };
  }

  display(model: string, row: Row): string {
    switch (model) {
      case 'devicetype':
        return String(row.model);
      case 'device': {
        if (typeof row.name === 'string' && row.name !== '') return row.name;
        const dt = this.store.get('devicetype', row.device_type as number);
        const mf = dt ? this.store.get('manufacturer', dt.manufacturer as number) : undefined;
        return `${String(mf?.name ?? '')} ${String(dt?.model ?? '')} (${row.id})`.trim();
      }
      case 'macaddress':
        return String(row.mac_address);
      case 'cable':
        return typeof row.label === 'string' && row.label !== '' ? row.label : `#${row.id}`;
      case 'prefix':
        return String(row.prefix);
      case 'iprange':
        return rangeDisplay(row);
      case 'fhrpgroup': {
        const proto = choice('FHRPGroup', 'protocol', row.protocol)?.label;
        const base = `${row.name ? `${String(row.name)} ` : ''}${String(proto)}: ${String(row.group_id)}`;
        const first = this.store.find('ipaddress', (i) => i.assigned_object_type === 'ipam.fhrpgroup' && i.assigned_object_id === row.id)[0];
        return first ? `${base} (${String(first.address)})` : base;
      }
      case 'customfield':
        return String(
          row.label ||
            String(row.name)
              .replace(/_/g, ' ')
              .replace(/^./, (c) => c.toUpperCase()),
        );
      case 'ipaddress':
        return String(row.address);
      case 'journalentry': {
        const d = new Date(row.created);
        const kind = choice('JournalEntry', 'kind', row.kind)?.label;
        return `${d.toISOString().slice(0, 16).replace('T', ' ')} (${String(kind)})`;
      }
      default:
        return String(row.name);
    }
  }

  /** Brief representation of model/id, or null. */
  briefOf(model: string, id: unknown): Json | null {
    if (typeof id !== 'number') return null;
    const row = this.store.get(model, id);
    return row ? this.brief(model, row) : null;
  }

  /** Nested representation of a related object (NetBox's nested serializer; the brief one unless it differs). */
  nestedOf(model: string, id: unknown): Json | null {
    const b = this.briefOf(model, id);
    const fields = NESTED_FIELDS[model];
    if (b === null || fields === undefined) return b;
    const out: Json = {};
    for (const f of fields) out[f] = b[f];
    return out;
  }

  /** The brief object a generic relation (assigned_object, link peers) points at. */
  briefOfType(objectType: unknown, id: unknown): Json | null {
    const model = modelOf(objectType);
    return model === undefined ? null : this.briefOf(model, id);
  }

  brief(model: string, row: Row): Json {
    const component = BRIEF_COMPONENTS[model];
    if (model === 'frontport' || model === 'rearport') {
      // Not through full(): a port's link peers are ports whose brief form would recurse.
      const c = this.common(model, row);
      const cable = typeof row.cable === 'number' ? this.store.get('cable', row.cable) : undefined;
      return {
        id: c.id,
        url: c.url,
        display: c.display,
        device: this.briefOf('device', row.device),
        name: row.name,
        description: c.description,
        cable: cable ? this.brief('cable', cable) : null,
        _occupied: cable !== undefined || row.mark_connected === true,
      };
    }
    if (component === undefined) {
      const full = this.full(model, row);
      const out: Json = {};
      for (const f of BRIEF_FIELDS[model] ?? ['id', 'url', 'display']) out[f] = full[f];
      return out;
    }
    const values: Json = { ...this.common(model, row), ...this.briefValues(model, row) };
    const out = shape(component, values);
    if (!featuresOf(this.ctx.flavour).owner) delete out.owner;
    if (model === 'ipaddress' && featuresOf(this.ctx.flavour).netbox47) out.dns_name = row.dns_name ?? '';
    return out;
  }

  full(model: string, row: Row): Json {
    const component = FULL_COMPONENTS[model];
    if (component === undefined) throw new Error(`no serializer for ${model}`);
    const out = shape(component, { ...this.common(model, row), ...this.specific(model, row) });
    if (!featuresOf(this.ctx.flavour).owner) delete out.owner;
    if (!featuresOf(this.ctx.flavour).macObjects) {
      if (model === 'interface') {
        delete out.primary_mac_address;
        delete out.mac_addresses;
      }
    }
    if (this.ctx.flavour === '3.7' && model === 'device') out.device_role = out.role;
    if (featuresOf(this.ctx.flavour).netbox47) {
      Object.assign(out, { ...(ADDED_IN_47[model] ?? {}), ...out });
      if (model === 'macaddress') {
        out.is_primary = this.store.find('interface', (i) => i.primary_mac_address === row.id).length > 0;
      }
    }
    return out;
  }

  /** Values for the Brief* components (no deeper nesting than NetBox's brief serializers). */
  private briefValues(model: string, row: Row): Json {
    switch (model) {
      case 'site':
      case 'manufacturer':
        return { name: row.name, slug: row.slug };
      case 'devicerole':
        return { name: row.name, slug: row.slug, device_count: this.count('device', (d) => d.role === row.id), virtualmachine_count: 0, _depth: 0 };
      case 'devicetype':
        return {
          manufacturer: this.briefOf('manufacturer', row.manufacturer),
          model: row.model,
          slug: row.slug,
          device_count: this.count('device', (d) => d.device_type === row.id),
        };
      case 'device':
        return { name: row.name ?? null };
      case 'interface': {
        const cable = typeof row.cable === 'number' ? this.store.get('cable', row.cable) : undefined;
        return {
          device: this.briefOf('device', row.device),
          name: row.name,
          cable: cable ? this.brief('cable', cable) : null,
          _occupied: cable !== undefined || row.mark_connected === true,
        };
      }
      case 'macaddress':
        return { mac_address: row.mac_address };
      case 'fhrpgroup':
        return { protocol: row.protocol, group_id: row.group_id };
      case 'virtualmachine':
        return { name: row.name };
      case 'cable':
        return { label: row.label ?? '' };
      case 'ipaddress': {
        const fam = String(row.address).includes(':') ? 6 : 4;
        return { family: { value: fam, label: `IPv${fam}` }, address: row.address, nat_inside: null, nat_outside: [] };
      }
      default:
        return {};
    }
  }

  private count(model: string, pred: (r: Row) => boolean): number {
    return this.store.find(model, pred).length;
  }

  /** Model-specific values (brief: only what the Brief* components need). */
  private specific(model: string, row: Row): Json {
    switch (model) {
      case 'site':
        return {
          name: row.name,
          slug: row.slug,
          status: choice('Site', 'status', row.status),
          facility: row.facility ?? '',
          time_zone: row.time_zone ?? null,
          physical_address: row.physical_address ?? '',
          shipping_address: row.shipping_address ?? '',
          latitude: row.latitude ?? null,
          longitude: row.longitude ?? null,
          device_count: this.count('device', (d) => d.site === row.id),
          prefix_count: 0,
        };
      case 'manufacturer':
        return {
          name: row.name,
          slug: row.slug,
          devicetype_count: this.count('devicetype', (d) => d.manufacturer === row.id),
        };
      case 'devicetype':
        return {
          manufacturer: this.briefOf('manufacturer', row.manufacturer),
          model: row.model,
          slug: row.slug,
          part_number: row.part_number ?? '',
          u_height: row.u_height ?? 1.0,
          is_full_depth: row.is_full_depth ?? true,
          exclude_from_utilization: row.exclude_from_utilization ?? false,
          device_count: this.count('device', (d) => d.device_type === row.id),
        };
      case 'devicerole':
        return {
          name: row.name,
          slug: row.slug,
          color: row.color ?? '9e9e9e',
          vm_role: row.vm_role ?? true,
          device_count: this.count('device', (d) => d.role === row.id),
          virtualmachine_count: 0,
          _depth: 0,
        };
      case 'device': {
        const ip4 = this.briefOf('ipaddress', row.primary_ip4);
        const ip6 = this.briefOf('ipaddress', row.primary_ip6);
        const local = row.local_context_data;
        return {
          name: row.name ?? null,
          device_type: this.briefOf('devicetype', row.device_type),
          role: this.briefOf('devicerole', row.role),
          site: this.briefOf('site', row.site),
          serial: row.serial ?? '',
          asset_tag: row.asset_tag ?? null,
          status: choice('DeviceWithConfigContext', 'status', row.status),
          primary_ip: ip6 ?? ip4,
          primary_ip4: ip4,
          primary_ip6: ip6,
          oob_ip: this.briefOf('ipaddress', row.oob_ip),
          local_context_data: local ?? null,
          config_context: renderConfigContext(this.store, row),
          position: row.position ?? null,
          latitude: row.latitude ?? null,
          longitude: row.longitude ?? null,
          vc_position: row.vc_position ?? null,
          vc_priority: row.vc_priority ?? null,
          interface_count: this.count('interface', (i) => i.device === row.id),
        };
      }
      case 'interface':
        return this.interfaceValues(row);
      case 'macaddress':
        return {
          mac_address: row.mac_address,
          assigned_object_type: row.assigned_object_type ?? null,
          assigned_object_id: row.assigned_object_id ?? null,
          assigned_object: row.assigned_object_type === 'dcim.interface' ? this.briefOf('interface', row.assigned_object_id) : null,
        };
      case 'cable': {
        const term = (t: unknown): Json[] =>
          (Array.isArray(t) ? t : []).map((x: { object_type: string; object_id: number }) => ({
            object_type: x.object_type,
            object_id: x.object_id,
            object: this.briefOfType(x.object_type, x.object_id),
          }));
        return {
          type: row.type === '' ? null : (row.type ?? null),
          a_terminations: term(row.a_terminations),
          b_terminations: term(row.b_terminations),
          status: choice('Cable', 'status', row.status),
          label: row.label ?? '',
          color: row.color ?? '',
          length: row.length ?? null,
          length_unit: choice('Cable', 'length_unit', row.length_unit),
        };
      }
      case 'prefix': {
        const fam = String(row.prefix).includes(':') ? 6 : 4;
        return {
          family: { value: fam, label: `IPv${fam}` },
          prefix: row.prefix,
          status: choice('Prefix', 'status', row.status),
          scope_type: null,
          scope_id: null,
          scope: null,
          vrf: this.nestedOf('vrf', row.vrf),
          is_pool: row.is_pool ?? false,
          mark_utilized: row.mark_utilized ?? false,
          children: 0,
          _depth: 0,
        };
      }
      case 'ipaddress': {
        const fam = String(row.address).includes(':') ? 6 : 4;
        return {
          family: { value: fam, label: `IPv${fam}` },
          address: row.address,
          status: choice('IPAddress', 'status', row.status),
          role: choice('IPAddress', 'role', row.role),
          assigned_object_type: row.assigned_object_type ?? null,
          assigned_object_id: row.assigned_object_id ?? null,
          assigned_object: this.briefOfType(row.assigned_object_type, row.assigned_object_id),
          vrf: this.nestedOf('vrf', row.vrf),
          nat_inside: null,
          nat_outside: [],
          dns_name: row.dns_name ?? '',
        };
      }
      case 'vrf':
        return {
          name: row.name,
          rd: row.rd ?? null,
          enforce_unique: row.enforce_unique !== false,
          ipaddress_count: this.count('ipaddress', (i) => i.vrf === row.id),
          prefix_count: this.count('prefix', (i) => i.vrf === row.id),
        };
      case 'iprange': {
        const fam = String(row.start_address).includes(':') ? 6 : 4;
        return {
          family: { value: fam, label: `IPv${fam}` },
          start_address: row.start_address,
          end_address: row.end_address,
          size: rangeSize(row),
          vrf: this.nestedOf('vrf', row.vrf),
          status: choice('IPRange', 'status', row.status),
          role: null,
          mark_populated: row.mark_populated === true,
          mark_utilized: row.mark_utilized === true,
        };
      }
      case 'fhrpgroup':
        return {
          name: row.name ?? '',
          protocol: row.protocol,
          group_id: row.group_id,
          auth_type: row.auth_type || null,
          auth_key: row.auth_key ?? '',
          ip_addresses: this.store
            .find('ipaddress', (i) => i.assigned_object_type === 'ipam.fhrpgroup' && i.assigned_object_id === row.id)
            .map((i) => this.brief('ipaddress', i)),
        };
      case 'virtualmachine':
        return {
          name: row.name,
          status: choice('VirtualMachineWithConfigContext', 'status', row.status),
          start_on_boot: choice('VirtualMachineWithConfigContext', 'start_on_boot', row.start_on_boot ?? 'off'),
          site: this.briefOf('site', row.site),
          role: this.briefOf('devicerole', row.role),
          serial: row.serial ?? '',
          primary_ip: this.briefOf('ipaddress', row.primary_ip6) ?? this.briefOf('ipaddress', row.primary_ip4),
          primary_ip4: this.briefOf('ipaddress', row.primary_ip4),
          primary_ip6: this.briefOf('ipaddress', row.primary_ip6),
          vcpus: row.vcpus ?? null,
          memory: row.memory ?? null,
          disk: row.disk ?? null,
          local_context_data: row.local_context_data ?? null,
          config_context: renderConfigContext(this.store, row),
          interface_count: this.count('vminterface', (i) => i.virtual_machine === row.id),
          virtual_disk_count: 0,
        };
      case 'vminterface':
        return {
          virtual_machine: this.nestedOf('virtualmachine', row.virtual_machine),
          name: row.name,
          enabled: row.enabled !== false,
          mtu: row.mtu ?? null,
          vrf: this.nestedOf('vrf', row.vrf),
          mode: choice('VMInterface', 'mode', row.mode),
          mac_addresses: this.store
            .find('macaddress', (m) => m.assigned_object_type === 'virtualization.vminterface' && m.assigned_object_id === row.id)
            .map((m) => this.brief('macaddress', m)),
          count_ipaddresses: this.count('ipaddress', (i) => i.assigned_object_type === 'virtualization.vminterface' && i.assigned_object_id === row.id),
          count_fhrp_groups: 0,
        };
      case 'customfield':
        return {
          object_types: row.object_types,
          type: choice('CustomField', 'type', row.type),
          data_type: CF_DATA_TYPES[String(row.type)] ?? 'string',
          name: row.name,
          label: row.label ?? '',
          group_name: row.group_name ?? '',
          required: row.required === true,
          unique: row.unique === true,
          search_weight: row.search_weight ?? 1000,
          filter_logic: choice('CustomField', 'filter_logic', row.filter_logic),
          ui_visible: choice('CustomField', 'ui_visible', row.ui_visible),
          ui_editable: choice('CustomField', 'ui_editable', row.ui_editable),
          is_cloneable: row.is_cloneable === true,
          default: row.default ?? null,
          weight: row.weight ?? 100,
          validation_minimum: row.validation_minimum ?? null,
          validation_maximum: row.validation_maximum ?? null,
          validation_regex: row.validation_regex ?? '',
          validation_schema: row.validation_schema ?? null,
          choice_set: null,
          related_object_type: null,
          related_object_filter: null,
        };
      case 'configcontext': {
        const list = (model: string, ids: unknown): Json[] =>
          ((ids ?? []) as number[]).map((id) => this.briefOf(model, id)).filter((x): x is Json => x !== null);
        return {
          name: row.name,
          weight: row.weight ?? 1000,
          is_active: row.is_active !== false,
          data: row.data,
          sites: list('site', row.sites),
          roles: list('devicerole', row.roles),
          device_types: list('devicetype', row.device_types),
          data_path: '',
        };
      }
      case 'frontport':
      case 'rearport':
        return this.portValues(model, row);
      case 'journalentry': {
        const target = Object.entries(OBJECT_TYPES).find(([, t]) => t === row.assigned_object_type)?.[0];
        return {
          assigned_object_type: row.assigned_object_type,
          assigned_object_id: row.assigned_object_id,
          assigned_object: target ? this.briefOf(target, row.assigned_object_id) : null,
          created_by: row.created_by ?? null,
          kind: choice('JournalEntry', 'kind', row.kind),
          comments: row.comments,
        };
      }
      default:
        return {};
    }
  }

  private interfaceValues(row: Row): Json {
    const cable = typeof row.cable === 'number' ? this.store.get('cable', row.cable) : undefined;
    const values = this.briefValues('interface', row);
    const macs = this.store.find('macaddress', (m) => m.assigned_object_type === 'dcim.interface' && m.assigned_object_id === row.id);
    const primary = typeof row.primary_mac_address === 'number' ? this.store.get('macaddress', row.primary_mac_address) : undefined;
    const peers = linkPeers(this.store, row);
    const path = tracePath(this.store, row.id);
    const endpoints = path?.complete === true ? path.endpoints.map((id) => this.briefOf('interface', id)).filter((x): x is Json => x !== null) : [];
    const nested = (id: unknown): Json | null => {
      const r = typeof id === 'number' ? this.store.get('interface', id) : undefined;
      if (!r) return null;
      return {
        ...this.common('interface', r),
        device: this.nestedDevice(r.device),
        name: r.name,
        cable: r.cable ?? null,
        _occupied: r.cable !== null && r.cable !== undefined,
      };
    };
    return {
      ...values,
      label: row.label ?? '',
      type: choice('Interface', 'type', row.type),
      enabled: row.enabled ?? true,
      parent: nested(row.parent),
      bridge: nested(row.bridge),
      lag: nested(row.lag),
      mtu: row.mtu ?? null,
      mac_address: featuresOf(this.ctx.flavour).macObjects ? (primary?.mac_address ?? null) : (row.mac_address ?? null),
      primary_mac_address: primary ? this.brief('macaddress', primary) : null,
      mac_addresses: macs.map((m) => this.brief('macaddress', m)),
      speed: row.speed ?? null,
      duplex: choice('Interface', 'duplex', row.duplex),
      wwn: row.wwn ?? null,
      mgmt_only: row.mgmt_only ?? false,
      mode: choice('Interface', 'mode', row.mode),
      mark_connected: row.mark_connected ?? false,
      cable_end: cable ? row.cable_end : null,
      link_peers: peers.map((t) => this.briefOfType(t.object_type, t.object_id)),
      link_peers_type: peers[0]?.object_type ?? null,
      connected_endpoints: endpoints.length > 0 ? endpoints : null,
      connected_endpoints_type: endpoints.length > 0 ? 'dcim.interface' : null,
      // NetBox renders `_path and _path.is_complete and _path.is_active`: null without a path, false when it stops at a panel.
      connected_endpoints_reachable: path === undefined ? (featuresOf(this.ctx.flavour).netbox47 ? false : null) : path.complete && path.active,
      count_ipaddresses: this.count('ipaddress', (i) => i.assigned_object_type === 'dcim.interface' && i.assigned_object_id === row.id),
      count_fhrp_groups: 0,
    };
  }

  /** Front and rear ports: the port mappings seen from each side, cable and link peers. */
  private portValues(model: string, row: Row): Json {
    const cable = typeof row.cable === 'number' ? this.store.get('cable', row.cable) : undefined;
    const peers = linkPeers(this.store, row);
    const mappings =
      model === 'frontport'
        ? ((row.rear_ports ?? []) as Json[]).map((m) => ({ position: m.position, rear_port: m.rear_port, rear_port_position: m.rear_port_position ?? 1 }))
        : this.store
            .find('frontport', () => true)
            .flatMap((f) =>
              ((f.rear_ports ?? []) as Json[])
                .filter((m) => m.rear_port === row.id)
                .map((m) => ({ position: m.rear_port_position ?? 1, front_port: f.id, front_port_position: m.position })),
            );
    const component = model === 'frontport' ? 'FrontPort' : 'RearPort';
    return {
      device: this.briefOf('device', row.device),
      name: row.name,
      label: row.label ?? '',
      type: choice(component, 'type', row.type),
      color: row.color ?? '',
      positions: row.positions ?? 1,
      [model === 'frontport' ? 'rear_ports' : 'front_ports']: mappings,
      mark_connected: row.mark_connected === true,
      cable: cable ? this.brief('cable', cable) : null,
      cable_end: cable ? row.cable_end : null,
      link_peers: peers.map((t) => this.briefOfType(t.object_type, t.object_id)),
      link_peers_type: peers[0]?.object_type ?? null,
      _occupied: cable !== undefined || row.mark_connected === true,
    };
  }

  private nestedDevice(id: unknown): Json | null {
    const r = typeof id === 'number' ? this.store.get('device', id) : undefined;
    if (!r) return null;
    const c = this.common('device', r);
    return { id: c.id, url: c.url, display_url: c.display_url, display: c.display, name: r.name ?? null };
  }
}

/** Query-driven representation: brief, `fields=` (4.x), `exclude=config_context`. */
export interface ViewOptions {
  brief: boolean;
  fields: string[] | undefined;
  exclude: string[];
}

export function parseViewOptions(query: URLSearchParams, flavour: Flavour): ViewOptions {
  const b = query.get('brief');
  const brief = b !== null && ['1', 'true', 'True'].includes(b);
  const rawFields = flavour === '3.7' ? null : query.getAll('fields').join(',');
  const fields = rawFields
    ? rawFields
        .split(',')
        .map((f) => f.trim())
        .filter((f) => f !== '')
    : undefined;
  const features = featuresOf(flavour);
  const listOf = (name: string): string[] =>
    query
      .getAll(name)
      .join(',')
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f !== '');
  // 4.7 ignores `exclude` (its `omit=` drops any field); older versions exclude config_context only.
  const exclude = [
    ...(features.excludeParameter ? listOf('exclude').filter((f) => f === 'config_context') : []),
    ...(features.omitParameter ? listOf('omit') : []),
  ];
  return { brief, fields: fields && fields.length > 0 ? fields : undefined, exclude };
}

export function render(ser: Serializer, model: string, row: Row, view: ViewOptions): Json {
  if (view.fields !== undefined) {
    const full = ser.full(model, row);
    const out: Json = {};
    for (const f of view.fields) if (f in full) out[f] = full[f];
    return out;
  }
  if (view.brief) return ser.brief(model, row);
  const full = ser.full(model, row);
  for (const f of view.exclude) delete full[f];
  return full;
}
