/** Public types of the NetBox simulator (re-exported by index.ts). */

export type Flavour = '3.7' | '4.1' | '4.2' | '4.4' | '4.5' | '4.6' | '4.7';

export interface FaultSpec {
  /**
   * `malformed`: truncated JSON. What a proxy or a broken NetBox answers with 200 instead of a
   * list: `not-a-list` (`{}`), `html` (a login/portal page as text/html), `no-results` (a list
   * without `results`), `endless-next` (one object a page, `next` always set).
   */
  kind: 'latency' | 'hang' | 'status' | 'drop' | 'malformed' | 'not-a-list' | 'html' | 'no-results' | 'endless-next';
  ms?: number;
  /** 500, 502, 503, 504, 429 */
  status?: number;
  retryAfterS?: number;
  /** How many matching requests; default unlimited. */
  times?: number;
  method?: string;
  /** e.g. '/api/dcim/devices/' */
  pathPrefix?: string;
}

export interface RequestLogEntry {
  seq: number;
  method: string;
  path: string;
  query: Record<string, string[]>;
  body: unknown;
  status: number;
  auth: 'v1' | 'v2' | 'none' | 'invalid';
  ignoredFields: string[];
  fault?: string;
}

/** Seed objects per endpoint (key = endpoint name, `-` or `_`), created through the API's create path in dependency order. */
export type SeedKey =
  | 'sites'
  | 'manufacturers'
  | 'device-types'
  | 'device_types'
  | 'device-roles'
  | 'device_roles'
  | 'devices'
  | 'interfaces'
  | 'mac-addresses'
  | 'mac_addresses'
  | 'cables'
  | 'prefixes'
  | 'ip-addresses'
  | 'ip_addresses'
  | 'journal-entries'
  | 'journal_entries'
  | 'vrfs'
  | 'ip-ranges'
  | 'ip_ranges'
  | 'fhrp-groups'
  | 'fhrp_groups'
  | 'virtual-machines'
  | 'virtual_machines'
  | 'vm-interfaces'
  | 'vm_interfaces'
  | 'custom-fields'
  | 'custom_fields'
  | 'config-contexts'
  | 'config_contexts'
  | 'rear-ports'
  | 'rear_ports'
  | 'front-ports'
  | 'front_ports';
export type SeedData = Partial<Record<SeedKey, Record<string, unknown>[]>>;

export interface SimOptions {
  port?: number;
  /** Address to listen on; default 127.0.0.1. Only loopback or an address inside a test's own network namespace. */
  host?: string;
  flavour?: Flavour;
  /** 40 hex, default random */
  v1Token?: string;
  /** 'nbt_<key>.<token>', 4.5+ only, default random */
  v2Token?: string;
  /**
   * Also accept a least-privilege token holding exactly test/netbox-real/permissions.json's object
   * permissions (default true; `sim.leastPrivilegeToken`, v1 and on 4.5+ v2).
   */
  leastPrivilege?: boolean;
  /** extra device statuses, default ['discovered','ready'] */
  statusChoices?: string[];
  /** default true */
  enforceGlobalUnique?: boolean;
  /** default 1000 */
  maxPageSize?: number;
  /** NetBox's GRAPHQL_ENABLED, default true; false: /graphql/ answers 404 (4.4+ flavours; older ones always do). */
  graphqlEnabled?: boolean;
  faults?: FaultSpec[];
  data?: SeedData;
}

export interface Simulator {
  /** 'http://127.0.0.1:PORT', no trailing slash */
  url: string;
  flavour: Flavour;
  /** e.g. '4.6.0' */
  version: string;
  v1Token: string;
  v2Token?: string;
  /** preferred token for the flavour: v2 on 4.5+, v1 otherwise */
  token: string;
  /** Tokens of the least-privilege user (permissions.json): v1, and v2 on 4.5+. */
  leastPrivilegeTokens: { v1: string; v2?: string };
  /** The least-privilege user's preferred token. */
  leastPrivilegeToken: string;
  setFaults(f: FaultSpec[]): void;
  clearFaults(): void;
  requests(): RequestLogEntry[];
  clearRequests(): void;
  /**
   * Resolves with the first logged request (already logged or future) matching `pred`; rejects
   * after timeoutMs (default 5000). Hung and dropped requests are logged when they arrive, so this
   * is how a test knows a `hang` fault has caught its request without sleeping.
   */
  waitForRequest(pred: (r: RequestLogEntry) => boolean, timeoutMs?: number): Promise<RequestLogEntry>;
  close(): Promise<void>;
}
