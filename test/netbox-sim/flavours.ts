/**
 * NetBox versions the simulator imitates and what differs between them (one home for every
 * per-version switch; checked against NetBox's release notes and source).
 */
import type { Flavour } from './types.ts';

export const FLAVOUR_LIST: readonly Flavour[] = ['3.7', '4.1', '4.2', '4.4', '4.5', '4.6', '4.7'];

/** Full version string /api/status/ reports per flavour. */
export const VERSIONS: Record<Flavour, string> = {
  '3.7': '3.7.8',
  '4.1': '4.1.11',
  '4.2': '4.2.9',
  '4.4': '4.4.10',
  '4.5': '4.5.7',
  '4.6': '4.6.0',
  '4.7': '4.7.3',
};

/** Django version of each NetBox release line. */
export const DJANGO: Record<Flavour, string> = {
  '3.7': '4.2.16',
  '4.1': '5.0.9',
  '4.2': '5.1.5',
  '4.4': '5.2.6',
  '4.5': '5.2.8',
  '4.6': '5.2.8',
  '4.7': '6.1.2',
};

export function isFlavour(v: string): v is Flavour {
  return (FLAVOUR_LIST as readonly string[]).includes(v);
}

/** True when `flavour` is `minimum` ('4.2') or newer. */
export function flavourAtLeast(flavour: Flavour, minimum: string): boolean {
  const [a = 0, b = 0] = flavour.split('.').map(Number);
  const [c = 0, d = 0] = minimum.split('.').map(Number);
  return a > c || (a === c && b >= d);
}

/** What the flavour can do (named after NetBox features, not versions). */
export interface Features {
  /** 4.2+: MAC addresses are objects; interfaces have primary_mac_address. */
  macObjects: boolean;
  /** 4.3+: IP ranges have mark_populated (refuses new IPs inside). */
  markPopulated: boolean;
  /** 4.5+: v2 tokens (`Bearer nbt_<key>.<token>`); invalid v1 tokens say "Invalid v1 token". */
  v2Tokens: boolean;
  /** 4.5+: objects carry `owner`. */
  owner: boolean;
  /** 4.0+: `?fields=`. */
  fieldsParameter: boolean;
  /** `?exclude=config_context` honoured (4.7 ignores it; it has `?omit=`). */
  excludeParameter: boolean;
  /** 4.7: `?omit=` drops fields. */
  omitParameter: boolean;
  /** /api/status/ has netbox-full-version (4.5+). */
  fullVersion: boolean;
  /** 4.5+: an unparsable `mac_address` filter value is a 400 (before: matches nothing). */
  strictMacFilter: boolean;
  /**
   * 4.7 (checked on the real 4.7.3): connected_endpoints_reachable is false without a cable path
   * (before: null); model-level uniqueness errors are `__all__` "X with this A and B already exists.";
   * /api/status/ has `hostname` and `installed_apps`; objects gained fields (cooling, channels,
   * MAC is_primary, custom field status/nulls_first, dns_name in brief IPs).
   */
  netbox47: boolean;
  /**
   * 4.4+ (4.3.6+): /graphql/ has the filters bm-hook's lease query uses (prefix `contains` came with
   * 4.3.6); the simulator answers GraphQL only from here (test/netbox-sim/graphql.ts), older flavours 404.
   */
  graphqlLeaseFilters: boolean;
  /** 4.5+: GraphQL id filters take a lookup (`id: {exact: 7}`); 4.4: a bare `id: 7`. */
  graphqlIdLookups: boolean;
}

export function featuresOf(flavour: Flavour): Features {
  return {
    macObjects: flavourAtLeast(flavour, '4.2'),
    markPopulated: flavourAtLeast(flavour, '4.3'),
    v2Tokens: flavourAtLeast(flavour, '4.5'),
    owner: flavourAtLeast(flavour, '4.5'),
    fieldsParameter: flavourAtLeast(flavour, '4.0'),
    excludeParameter: !flavourAtLeast(flavour, '4.7'),
    omitParameter: flavourAtLeast(flavour, '4.7'),
    fullVersion: flavourAtLeast(flavour, '4.5'),
    strictMacFilter: flavourAtLeast(flavour, '4.5'),
    netbox47: flavourAtLeast(flavour, '4.7'),
    graphqlLeaseFilters: flavourAtLeast(flavour, '4.4'),
    graphqlIdLookups: flavourAtLeast(flavour, '4.5'),
  };
}

/** /api/status/ installed_apps of the real NetBox 4.7.3 (PyPI wheels of its requirements). */
export const INSTALLED_APPS_47: Record<string, string> = {
  django_filters: '26.2',
  django_prometheus: '2.4.0',
  django_rq: '4.2.0',
  django_tables2: '3.0.1',
  drf_spectacular: '0.30.0',
  drf_spectacular_sidecar: '2026.10.1',
  mptt: '0.18.0',
  rest_framework: '3.18.0',
  social_django: '6.1.0',
  taggit: '6.1.0',
  timezone_field: '7.2.2',
};

/** Fields 4.7 added to response objects (values as the real 4.7.3 renders a fresh object). */
export const ADDED_IN_47: Record<string, Record<string, unknown>> = {
  device: { cooling_method: null, cooling_intake_count: 0, cooling_outflow_count: 0 },
  devicetype: { cooling_method: null, end_of_life: null, cooling_intake_template_count: 0, cooling_outflow_template_count: 0 },
  interface: { channels: null, channel_id: null },
  customfield: { nulls_first: true, status: { value: 'active', label: 'Active' } },
};
