/**
 * NetBox versions and what each can do. Pure: the client fetches `/api/status/`
 * once per process and hands the string here.
 */

export interface NetboxVersion {
  major: number;
  minor: number;
  patch: number;
  /** As NetBox reported it, e.g. `4.6.0-Docker-5.0.1`. */
  text: string;
}

export function parseNetboxVersion(text: string): NetboxVersion | null {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  if (!match) return null;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0), text: text.trim() };
}

export function versionAtLeast(version: NetboxVersion, major: number, minor: number): boolean {
  return version.major > major || (version.major === major && version.minor >= minor);
}

export interface NetboxCapabilities {
  /** 4.2+: MACs are objects (`/api/dcim/mac-addresses/`), interfaces have `primary_mac_address`. */
  macAddressModel: boolean;
  /** 4.0+: `?fields=` selects response fields (3.7 ignores it). */
  fieldsParameter: boolean;
  /** 3.6+: devices have `oob_ip`. */
  oobIp: boolean;
  /** 4.5+: v2 tokens (`Bearer nbt_…`). */
  v2Tokens: boolean;
  /**
   * 4.3.6+ (4.4+): the GraphQL filters bm-hook's one-request lease look-up uses: interfaces by
   * `mac_addresses`, IP addresses by `parent` (host, any mask) and `assigned`, prefixes by `contains`
   * (the last added in 4.3.6). `/graphql/` may still be disabled (GRAPHQL_ENABLED=False: 404).
   */
  graphqlLeaseQuery: boolean;
  /** 4.5+: GraphQL id filters take a lookup (`id: {exact: 7}`); before, a bare `id: 7`. */
  graphqlIdLookups: boolean;
}

export function capabilitiesOf(version: NetboxVersion): NetboxCapabilities {
  return {
    macAddressModel: versionAtLeast(version, 4, 2),
    fieldsParameter: versionAtLeast(version, 4, 0),
    oobIp: versionAtLeast(version, 3, 6),
    v2Tokens: versionAtLeast(version, 4, 5),
    graphqlLeaseQuery: versionAtLeast(version, 4, 4) || (version.major === 4 && version.minor === 3 && version.patch >= 6),
    graphqlIdLookups: versionAtLeast(version, 4, 5),
  };
}
