/**
 * The NetBox objects the product reads, as NetBox 4.6 returns them: only the
 * fields we use, each checked against the 4.6 OpenAPI schema by
 * test/unit/shared/netbox-types.test.ts. Older versions send a subset (3.7/4.1 have
 * no MAC objects); fields absent there are optional here.
 */

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export interface ChoiceValue<V extends string = string> {
  value: V;
  label: string;
}

/** Built-in device statuses plus the two the pipeline adds with FIELD_CHOICES. */
export type DeviceStatus = 'offline' | 'active' | 'planned' | 'staged' | 'failed' | 'inventory' | 'decommissioning' | 'discovered' | 'ready';

export type JournalKind = 'info' | 'success' | 'warning' | 'danger';

export type IpAddressStatus = 'active' | 'reserved' | 'deprecated' | 'dhcp' | 'slaac';

export interface BriefDevice {
  id: number;
  url: string;
  display: string;
  name: string | null;
}

export interface BriefIpAddress {
  id: number;
  url: string;
  display: string;
  address: string;
}

export interface BriefMacAddress {
  id: number;
  url: string;
  display: string;
  mac_address: string;
}

export interface BriefCable {
  id: number;
  url: string;
  display: string;
}

export interface BriefInterface {
  id: number;
  url: string;
  display: string;
  name: string;
  device: BriefDevice;
  cable: BriefCable | null;
}

/** `vrf` of prefixes, IPs and IP ranges; null = the global table. */
export interface BriefVrf {
  id: number;
  url: string;
  display: string;
  name: string;
  rd: string | null;
}

/**
 * What an IP is assigned to: a device interface (`dcim.interface`, has `device`), a VM
 * interface (`virtualization.vminterface`, has `virtual_machine`) or an FHRP group
 * (`ipam.fhrpgroup`, has `protocol` and `group_id`). Only `id` and `display` are common.
 */
export interface BriefAssignedObject {
  id: number;
  url: string;
  display: string;
  name?: string;
  device?: BriefDevice;
  virtual_machine?: { id: number; url: string; display: string; name: string };
  protocol?: string;
  group_id?: number;
}

export interface BriefNamed {
  id: number;
  url: string;
  display: string;
  name: string;
  slug: string;
}

export interface BriefDeviceType {
  id: number;
  url: string;
  display: string;
  model: string;
  slug: string;
  manufacturer: BriefNamed;
}

/** `GET /api/dcim/devices/{id}/` (DeviceWithConfigContext). */
export interface Device {
  id: number;
  url: string;
  display: string;
  name: string | null;
  serial: string;
  status: ChoiceValue<DeviceStatus | string>;
  device_type: BriefDeviceType;
  role: BriefNamed;
  site: BriefNamed;
  oob_ip: BriefIpAddress | null;
  primary_ip4: BriefIpAddress | null;
  /** One of DEVICE_FIELDS (04-lldp recognises a switch by its management address); optional for answers without it. */
  primary_ip6?: BriefIpAddress | null;
  custom_fields: Record<string, unknown>;
  /** Absent when requested with `exclude=config_context`. */
  config_context?: Record<string, unknown> | null;
  local_context_data?: Record<string, unknown> | null;
}

/** `GET /api/dcim/interfaces/`. */
export interface Interface {
  id: number;
  url: string;
  display: string;
  device: BriefDevice;
  name: string;
  /** Physical label (NetBox ≥ 2.9); 04-lldp matches a switch's port alias against it. */
  label?: string;
  description?: string;
  type: ChoiceValue;
  enabled: boolean;
  mgmt_only: boolean;
  /** IP objects assigned to the interface (NetBox counts them; saves a look-up when 0). */
  count_ipaddresses?: number;
  /** Read-only on 4.2+ (the primary MAC), writable on ≤4.1. Upper-case with colons. */
  mac_address: string | null;
  /** 4.2+ only. */
  primary_mac_address?: BriefMacAddress | null;
  /** 4.2+ only. */
  mac_addresses?: BriefMacAddress[] | null;
  cable: BriefCable | null;
  link_peers: unknown[];
  link_peers_type: string | null;
  /** Far ends through the whole cable path (patch panels skipped). */
  connected_endpoints: unknown[] | null;
  connected_endpoints_type: string | null;
  connected_endpoints_reachable: boolean;
}

/** `GET /api/dcim/mac-addresses/` (4.2+). */
export interface MacAddress {
  id: number;
  url: string;
  display: string;
  mac_address: string;
  assigned_object_type: string | null;
  assigned_object_id: number | null;
  assigned_object: (BriefInterface & { device?: BriefDevice }) | null;
}

/** `GET /api/ipam/ip-addresses/`. */
export interface IpAddress {
  id: number;
  url: string;
  display: string;
  address: string;
  status: ChoiceValue<IpAddressStatus | string>;
  assigned_object_type: string | null;
  assigned_object_id: number | null;
  assigned_object: BriefAssignedObject | null;
  vrf: BriefVrf | null;
  dns_name: string;
  description: string;
}

/** `GET /api/ipam/prefixes/`. */
export interface Prefix {
  id: number;
  url: string;
  display: string;
  prefix: string;
  status: ChoiceValue;
  vrf: BriefVrf | null;
}

/** `GET /api/extras/journal-entries/`. */
export interface JournalEntry {
  id: number;
  url: string;
  display: string;
  assigned_object_type: string;
  assigned_object_id: number;
  kind: ChoiceValue<JournalKind | string>;
  comments: string;
  created: string | null;
}

/** `GET /api/dcim/cables/`. */
export interface Cable {
  id: number;
  url: string;
  display: string;
  a_terminations: CableTermination[];
  b_terminations: CableTermination[];
  status: ChoiceValue;
}

export interface CableTermination {
  object_type: string;
  object_id: number;
}
