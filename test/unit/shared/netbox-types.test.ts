/**
 * The hand-written NetBox types (shared/netbox/types.ts) against NetBox 4.6's
 * OpenAPI schema: every field a type declares must exist in the matching
 * component. keysOf() fails to compile when a type gains a field not listed here.
 */
import { describe, expect, test } from 'bun:test';
import schemaExtract from '../../netbox-sim/schema/netbox-4.6.components.json';
import type {
  BriefDevice,
  BriefInterface,
  BriefIpAddress,
  BriefMacAddress,
  Cable,
  Device,
  Interface,
  IpAddress,
  JournalEntry,
  MacAddress,
  Prefix,
} from '../../../shared/netbox/types.ts';

type Missing<T, K extends readonly PropertyKey[]> = Exclude<keyof T, K[number]>;
const keysOf =
  <T>() =>
  <const K extends readonly (keyof T)[]>(...keys: K & ([Missing<T, K>] extends [never] ? unknown : { missing: Missing<T, K> })) =>
    keys as readonly string[];

const components = (schemaExtract as { components: { schemas: Record<string, { properties?: Record<string, unknown> }> } }).components.schemas;

const checked: { type: string; component: string; keys: readonly string[] }[] = [
  {
    type: 'Device',
    component: 'DeviceWithConfigContext',
    keys: keysOf<Device>()(
      'id',
      'url',
      'display',
      'name',
      'serial',
      'status',
      'device_type',
      'role',
      'site',
      'oob_ip',
      'primary_ip4',
      'primary_ip6',
      'custom_fields',
      'config_context',
      'local_context_data',
    ),
  },
  {
    type: 'Interface',
    component: 'Interface',
    keys: keysOf<Interface>()(
      'id',
      'url',
      'display',
      'device',
      'name',
      'label',
      'description',
      'type',
      'enabled',
      'mgmt_only',
      'mac_address',
      'primary_mac_address',
      'mac_addresses',
      'cable',
      'link_peers',
      'link_peers_type',
      'connected_endpoints',
      'connected_endpoints_type',
      'connected_endpoints_reachable',
      'count_ipaddresses',
    ),
  },
  {
    type: 'MacAddress',
    component: 'MACAddress',
    keys: keysOf<MacAddress>()('id', 'url', 'display', 'mac_address', 'assigned_object_type', 'assigned_object_id', 'assigned_object'),
  },
  {
    type: 'IpAddress',
    component: 'IPAddress',
    keys: keysOf<IpAddress>()(
      'id',
      'url',
      'display',
      'address',
      'status',
      'assigned_object_type',
      'assigned_object_id',
      'assigned_object',
      'vrf',
      'dns_name',
      'description',
    ),
  },
  { type: 'Prefix', component: 'Prefix', keys: keysOf<Prefix>()('id', 'url', 'display', 'prefix', 'status', 'vrf') },
  {
    type: 'JournalEntry',
    component: 'JournalEntry',
    keys: keysOf<JournalEntry>()('id', 'url', 'display', 'assigned_object_type', 'assigned_object_id', 'kind', 'comments', 'created'),
  },
  { type: 'Cable', component: 'Cable', keys: keysOf<Cable>()('id', 'url', 'display', 'a_terminations', 'b_terminations', 'status') },
  { type: 'BriefDevice', component: 'BriefDevice', keys: keysOf<BriefDevice>()('id', 'url', 'display', 'name') },
  { type: 'BriefInterface', component: 'BriefInterface', keys: keysOf<BriefInterface>()('id', 'url', 'display', 'name', 'device', 'cable') },
  { type: 'BriefIpAddress', component: 'BriefIPAddress', keys: keysOf<BriefIpAddress>()('id', 'url', 'display', 'address') },
  { type: 'BriefMacAddress', component: 'BriefMACAddress', keys: keysOf<BriefMacAddress>()('id', 'url', 'display', 'mac_address') },
];

describe('NetBox types match the 4.6 schema', () => {
  for (const { type, component, keys } of checked) {
    test(`${type} fields all exist in ${component}`, () => {
      const properties = components[component]?.properties;
      expect(properties).toBeDefined();
      const unknown = keys.filter((key) => !(key in properties!));
      expect(unknown).toEqual([]);
    });
  }
});
