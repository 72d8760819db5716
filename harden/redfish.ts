/**
 * A typed Redfish client for one BMC (ky): the service root, the first System (its
 * SerialNumber among the rest, for the identity check: identity.ts) and its BIOS
 * attributes (and pending settings), the first Manager's NetworkProtocol and own NICs'
 * MACs, AccountService accounts and UpdateService firmware inventory. Hardening changes
 * are Ansible's (ansible.ts): this module reads before and after; its only writes are
 * `send`'s single, never repeated requests, used by pxe-boot (boot override and reset).
 *
 * Links are followed from the resources themselves (`Bios.@odata.id`, …), never
 * guessed: BMCs differ (sushy-tools serves `/Systems/{id}/BIOS`). A resource the BMC
 * does not offer (no link, or 404) is `undefined` in the state, so compliance can
 * report it as unsupported; a 401/403 anywhere is the credentials' fault and stops
 * the read. TLS verification is on unless the profile opts out (the caller logs a
 * warning); a CA bundle may be given. Credentials travel only in the Authorization
 * header and are registered for redaction. Failures are classified for the failure
 * vocabulary (shared/failure.ts): unreachable and timeouts are worth a retry
 * (shared/retry.ts), wrong credentials are not.
 */
import { readFileSync } from 'node:fs';
import ky, { HTTPError, TimeoutError } from 'ky';
import { BmError } from '../shared/errors.ts';
import { isNetworkFailure } from '../shared/failure.ts';
import { isJsonObject, type JsonObject } from '../shared/json.ts';
import type { Logger } from '../shared/log.ts';
import { registerSecret } from '../shared/redact.ts';
import { BACKOFF, retryUntil } from '../shared/retry.ts';

/** What went wrong talking to the BMC, for the operator: the message says where and what to check. */
export type RedfishFailureKind = 'unreachable' | 'timeout' | 'tls' | 'credentials' | 'http' | 'not-redfish';

export class RedfishError extends BmError {
  override readonly name = 'RedfishError';
  constructor(
    readonly kind: RedfishFailureKind,
    message: string,
    readonly url: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  override get failureClass() {
    return this.kind === 'unreachable' || this.kind === 'timeout' || (this.status !== undefined && [502, 503, 504].includes(this.status))
      ? ('retry-now' as const)
      : ('permanent' as const);
  }

  override get failureCause() {
    if (this.kind === 'credentials') return 'bmc-refused' as const;
    if (this.kind === 'http' || this.kind === 'not-redfish') return 'tool-failed' as const;
    return 'bmc-unreachable' as const;
  }

  override details() {
    return { kind: this.kind, url: this.url, ...(this.status !== undefined ? { status: this.status } : {}) };
  }
}

export interface RedfishOptions {
  /** `https://10.0.0.5` or `http://127.0.0.1:8000` (bmcBaseUrl). */
  baseUrl: string;
  username: string;
  password: string;
  /** Per request; default 10000 ms. */
  timeoutMs?: number;
  /** Retries of unreachable/timeout/502-504 per request; default 2. */
  retries?: number;
  /** Verify the BMC's certificate; default true. */
  verifyTls?: boolean;
  /** PEM file of the CA(s) that signed BMC certificates. */
  caBundle?: string;
  logger?: Logger;
}

export interface RedfishClient {
  readonly baseUrl: string;
  /** GET a Redfish path (`/redfish/v1/…`) as a JSON object; a 404 is undefined. */
  get(path: string): Promise<JsonObject | undefined>;
  /**
   * One PATCH or POST with a JSON body, never repeated (a write that timed out may have
   * landed); any status but 2xx is a RedfishError carrying what the BMC said.
   */
  send(method: 'PATCH' | 'POST', path: string, body: JsonObject): Promise<void>;
}

/** The BMC's base URL from NetBox's `oob_ip` address (`10.0.0.5/24`, `2001:db8::5/64`). Pure. */
export function bmcBaseUrl(address: string, scheme: 'http' | 'https', port?: number): string {
  const host = address.split('/')[0]!;
  const shown = host.includes(':') ? `[${host}]` : host;
  return `${scheme}://${shown}${port ? `:${port}` : ''}`;
}

/** A thrown ky/fetch error as a RedfishError saying what to check. Pure. */
export function classifyRedfishFailure(error: unknown, url: string, method = 'GET'): RedfishError {
  if (error instanceof RedfishError) return error;
  if (error instanceof TimeoutError || (error instanceof Error && error.name === 'TimeoutError')) {
    return new RedfishError('timeout', `BMC did not answer ${method} ${url} in time (is the BMC up and reachable from here?)`, url, undefined, {
      cause: error,
    });
  }
  if (error instanceof HTTPError) return httpFailure(error.response.status, url, method);
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? ((error as Error | undefined)?.cause as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME/i.test(code)) {
    return new RedfishError(
      'tls',
      `BMC's TLS certificate was not accepted for ${url} (${code}): give the CA in redfish.caBundle, or opt out in the profile (tls.verify: false)`,
      url,
      undefined,
      { cause: error },
    );
  }
  if (isNetworkFailure(error)) {
    return new RedfishError(
      'unreachable',
      `BMC unreachable at ${url}${code ? ` (${code})` : ''}: check oob_ip, routing and that Redfish is enabled`,
      url,
      undefined,
      {
        cause: error,
      },
    );
  }
  return new RedfishError('unreachable', `BMC request ${method} ${url} failed: ${(error as Error)?.message ?? String(error)}`, url, undefined, {
    cause: error,
  });
}

/** An HTTP error status as a RedfishError; `said` is the BMC's own message, when it gave one. Pure. */
function httpFailure(status: number, url: string, method: string, said?: string): RedfishError {
  if (status === 401 || status === 403) {
    return new RedfishError(
      'credentials',
      `BMC refused the credentials (HTTP ${status}) for ${method} ${url}: check the username and password in the credentials file`,
      url,
      status,
    );
  }
  return new RedfishError('http', `BMC answered HTTP ${status} to ${method} ${url}${said ? `: ${said}` : ''}`, url, status);
}

/**
 * What a BMC said in an error body: Redfish's `error.message` and each `@Message.ExtendedInfo`
 * message, or the start of a plain-text body (sushy-tools answers some errors in text). Pure.
 */
export function redfishErrorText(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body.trim().replace(/\s+/g, ' ').slice(0, 300);
  }
  const error = isJsonObject(parsed) && isJsonObject(parsed.error) ? parsed.error : undefined;
  const info = Array.isArray(error?.['@Message.ExtendedInfo']) ? error['@Message.ExtendedInfo'] : [];
  const messages = [str(error?.message), ...info.map((m) => (isJsonObject(m) ? str(m.Message) : undefined))].filter((m): m is string => Boolean(m));
  return [...new Set(messages)].join('; ').slice(0, 500);
}

/** A client for one BMC: GETs retried on transient failures; `send` (PATCH/POST) sent once, never repeated. */
export function createRedfishClient(options: RedfishOptions): RedfishClient {
  registerSecret(options.password);
  const authorization = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
  registerSecret(authorization.slice(6));
  const tls = options.verifyTls === false ? { rejectUnauthorized: false } : options.caBundle ? { ca: readFileSync(options.caBundle, 'utf8') } : undefined;
  const http = ky.create({
    timeout: options.timeoutMs ?? 10_000,
    retry: 0,
    headers: { authorization, accept: 'application/json', 'odata-version': '4.0' },
    ...(tls ? { fetch: (input: string | URL | Request, init?: RequestInit) => fetch(input, { ...init, tls }) } : {}),
  });
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  return {
    baseUrl,
    async get(path) {
      const url = `${baseUrl}${path}`;
      return retryUntil(
        async () => {
          let response: Response;
          try {
            response = await http.get(url, { throwHttpErrors: (status) => status !== 404 });
          } catch (error) {
            throw classifyRedfishFailure(error, url);
          }
          if (response.status === 404) return undefined;
          const body: unknown = await response.json().catch(() => undefined);
          if (!isJsonObject(body))
            throw new RedfishError('not-redfish', `BMC answered GET ${url} with something that is not a JSON object`, url, response.status);
          return body;
        },
        {
          what: `Redfish GET ${path}`,
          deadline: Date.now() + (options.timeoutMs ?? 10_000) * ((options.retries ?? 2) + 1) + 10_000,
          backoff: BACKOFF.redfish,
          retries: options.retries ?? 2,
          retryOn: ['retry-now'],
          ...(options.logger ? { log: options.logger } : {}),
        },
      );
    },
    async send(method, path, body) {
      const url = `${baseUrl}${path}`;
      let response: Response;
      try {
        response = await http(url, { method, json: body, throwHttpErrors: false });
      } catch (error) {
        throw classifyRedfishFailure(error, url, method);
      }
      if (!response.ok) throw httpFailure(response.status, url, method, redfishErrorText(await response.text().catch(() => '')) || undefined);
    },
  };
}

/** A BIOS attribute's value as Redfish gives it. */
export type BiosValue = string | number | boolean | null;

/** What bm-harden reads of a BMC; `undefined` members are resources the BMC does not offer. */
export interface BmcState {
  redfishVersion?: string;
  system?: { id: string; manufacturer?: string; model?: string; serialNumber?: string; powerState?: string; biosVersion?: string };
  bios?: { attributes: Record<string, BiosValue>; pending?: Record<string, BiosValue> };
  /** `macs`: the MACs of the BMC's own NICs (Managers/<id>/EthernetInterfaces), when it lists any. */
  manager?: { id: string; firmwareVersion?: string; macs?: string[] };
  /** ProtocolEnabled per protocol name (IPMI, SSDP, SSH, HTTPS, …) and NTP servers. */
  networkProtocol?: { enabled: Record<string, boolean>; ntpServers?: string[] };
  accounts?: { userName: string; enabled?: boolean; roleId?: string }[];
  firmware?: { id: string; name?: string; version?: string }[];
}

function link(resource: JsonObject | undefined, key: string): string | undefined {
  const value = resource?.[key];
  return isJsonObject(value) && typeof value['@odata.id'] === 'string' ? value['@odata.id'] : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

async function members(client: RedfishClient, collectionPath: string | undefined): Promise<JsonObject[] | undefined> {
  if (!collectionPath) return undefined;
  const collection = await client.get(collectionPath);
  if (!collection) return undefined;
  const out: JsonObject[] = [];
  for (const member of Array.isArray(collection.Members) ? collection.Members : []) {
    const path = isJsonObject(member) ? str(member['@odata.id']) : undefined;
    const resource = path ? await client.get(path) : undefined;
    if (resource) out.push(resource);
  }
  return out;
}

async function firstMemberPath(client: RedfishClient, collectionPath: string | undefined): Promise<string | undefined> {
  if (!collectionPath) return undefined;
  const collection = await client.get(collectionPath);
  const first = Array.isArray(collection?.Members) ? collection.Members[0] : undefined;
  return isJsonObject(first) ? str(first['@odata.id']) : undefined;
}

async function firstMember(client: RedfishClient, collectionPath: string | undefined): Promise<JsonObject | undefined> {
  const path = await firstMemberPath(client, collectionPath);
  return path ? client.get(path) : undefined;
}

async function serviceRoot(client: RedfishClient): Promise<JsonObject> {
  const root = await client.get('/redfish/v1/');
  if (!root)
    throw new RedfishError('not-redfish', `no Redfish service root at ${client.baseUrl}/redfish/v1/ (is this a BMC?)`, `${client.baseUrl}/redfish/v1/`);
  return root;
}

/** The path of the BMC's first ComputerSystem (`/redfish/v1/Systems/…`), the one readBmcState reads; a RedfishError when there is none. */
export async function firstSystemPath(client: RedfishClient): Promise<string> {
  const path = await firstMemberPath(client, link(await serviceRoot(client), 'Systems'));
  if (!path) throw new RedfishError('not-redfish', `the BMC at ${client.baseUrl} lists no ComputerSystem under /redfish/v1/Systems`, client.baseUrl);
  return path;
}

function biosValues(attributes: unknown): Record<string, BiosValue> {
  const out: Record<string, BiosValue> = {};
  if (!isJsonObject(attributes)) return out;
  for (const [key, value] of Object.entries(attributes)) {
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) out[key] = value as BiosValue;
  }
  return out;
}

/** Parses ManagerNetworkProtocol into enabled flags and NTP servers. Pure. */
export function parseNetworkProtocol(resource: JsonObject): NonNullable<BmcState['networkProtocol']> {
  const enabled: Record<string, boolean> = {};
  for (const [name, value] of Object.entries(resource)) {
    if (isJsonObject(value) && typeof value.ProtocolEnabled === 'boolean') enabled[name] = value.ProtocolEnabled;
  }
  const ntp = isJsonObject(resource.NTP) && Array.isArray(resource.NTP.NTPServers) ? resource.NTP.NTPServers : undefined;
  const state: NonNullable<BmcState['networkProtocol']> = { enabled };
  if (ntp) state.ntpServers = ntp.filter((s): s is string => typeof s === 'string' && s !== '');
  return state;
}

/** Reads everything compliance needs, one GET at a time (BMCs dislike parallel requests). */
export async function readBmcState(client: RedfishClient): Promise<BmcState> {
  const root = await serviceRoot(client);
  const state: BmcState = {};
  const version = str(root.RedfishVersion);
  if (version) state.redfishVersion = version;

  const system = await firstMember(client, link(root, 'Systems'));
  if (system) {
    state.system = { id: str(system.Id) ?? '?' };
    for (const [key, field] of [
      ['manufacturer', 'Manufacturer'],
      ['model', 'Model'],
      ['serialNumber', 'SerialNumber'],
      ['powerState', 'PowerState'],
      ['biosVersion', 'BiosVersion'],
    ] as const) {
      const value = str(system[field]);
      if (value) state.system[key] = value;
    }
    const bios = link(system, 'Bios') ? await client.get(link(system, 'Bios')!) : undefined;
    if (bios && isJsonObject(bios.Attributes)) {
      state.bios = { attributes: biosValues(bios.Attributes) };
      const settingsPath = isJsonObject(bios['@Redfish.Settings']) ? link(bios['@Redfish.Settings'], 'SettingsObject') : undefined;
      const settings = settingsPath && settingsPath !== link(system, 'Bios') ? await client.get(settingsPath) : undefined;
      if (settings && isJsonObject(settings.Attributes)) state.bios.pending = biosValues(settings.Attributes);
    }
  }

  const manager = await firstMember(client, link(root, 'Managers'));
  if (manager) {
    state.manager = { id: str(manager.Id) ?? '?' };
    const firmwareVersion = str(manager.FirmwareVersion);
    if (firmwareVersion) state.manager.firmwareVersion = firmwareVersion;
    const nics = await members(client, link(manager, 'EthernetInterfaces'));
    const macs = (nics ?? []).flatMap((nic) => [str(nic.PermanentMACAddress), str(nic.MACAddress)].filter((m): m is string => Boolean(m)));
    if (macs.length) state.manager.macs = [...new Set(macs)];
    const protocol = link(manager, 'NetworkProtocol') ? await client.get(link(manager, 'NetworkProtocol')!) : undefined;
    if (protocol) state.networkProtocol = parseNetworkProtocol(protocol);
  }

  const accountService = link(root, 'AccountService') ? await client.get(link(root, 'AccountService')!) : undefined;
  const accounts = await members(client, link(accountService, 'Accounts'));
  if (accounts) {
    state.accounts = accounts.flatMap((a) => {
      const userName = str(a.UserName);
      if (!userName) return [];
      return [{ userName, ...(typeof a.Enabled === 'boolean' ? { enabled: a.Enabled } : {}), ...(str(a.RoleId) ? { roleId: str(a.RoleId)! } : {}) }];
    });
  }

  const updateService = link(root, 'UpdateService') ? await client.get(link(root, 'UpdateService')!) : undefined;
  const firmware = await members(client, link(updateService, 'FirmwareInventory'));
  if (firmware) {
    state.firmware = firmware.map((f) => ({
      id: str(f.Id) ?? '?',
      ...(str(f.Name) ? { name: str(f.Name)! } : {}),
      ...(str(f.Version) ? { version: str(f.Version)! } : {}),
    }));
  }
  return state;
}
