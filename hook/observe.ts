/**
 * Reads what NetBox knows about a lease and reduces it to the FSM's (status group,
 * condition). Reads only; actions.ts writes. One decision, two ways of reading:
 *
 * - reduceObservation (pure) turns the raw facts (LeaseFacts: the devices and interfaces
 *   carrying the MAC, every IP object with the lease's address, the prefixes containing it,
 *   the BMC interface's IPs, the configured `ip.vrf`) into an Observation, or says which
 *   facts it still needs.
 * - On NetBox 4.3.6+/4.4+ (capabilities().graphqlLeaseQuery) every fact comes in ONE GraphQL
 *   request (observe-graphql.ts). NetBox with GraphQL disabled (404), or answering something
 *   unusable (GraphQL `errors`, a malformed or possibly truncated answer), is read by REST for
 *   that event (a disabled GraphQL for the rest of the process), logged once per process.
 * - The REST reader asks only for what the reduction needs, in this order: together, the
 *   devices with the MAC and every IP object with the address (an unchanged renewal stops
 *   here: two reads); the interfaces with the MAC (only the BMC interface, mgmt-only or named
 *   like `bmc.interfaceNames`, counts: a data NIC is `mac-not-on-bmc`); the configured VRF;
 *   then, when an IP may be written, the prefixes containing the lease, and the interface's
 *   IPs only when NetBox counts some the address look-up did not return.
 */
import { BmError } from '../shared/errors.ts';
import type { Cause, FailureClass } from '../shared/failure.ts';
import type { Logger } from '../shared/log.ts';
import {
  findDevicesByMac,
  findInterfaceIpAddresses,
  findInterfacesByMac,
  findIpAddresses,
  findPrefixesContaining,
  findVrfs,
  GRAPHQL_PATH,
  hostOf,
  mostSpecificPrefixes,
  mostSpecificPrefixLength,
  NetboxHttpError,
  NetboxResponseError,
  type BriefDevice,
  type BriefIpAddress,
  type BriefVrf,
  type ChoiceValue,
  type Interface,
  type NetboxClient,
  type Prefix,
} from '../shared/netbox/index.ts';
import { ipConditionOf, statusGroupOf, type Condition, type StatusGroup } from './fsm.ts';
import type { LeaseEvent } from './lease.ts';
import { readLeaseFactsGraphql } from './observe-graphql.ts';

/** A VRF as the hook uses it (null = the global table). */
export type LeaseVrf = Pick<BriefVrf, 'id' | 'name'>;

/** A device as both readers give it: status and `oob_ip` are what the FSM reads. */
export interface LeaseDevice {
  id: number;
  display: string;
  name: string | null;
  status: Pick<ChoiceValue, 'value'>;
  oob_ip: Pick<BriefIpAddress, 'id' | 'address'> | null;
}

/** An interface carrying the lease's MAC. `count_ipaddresses` only from REST (GraphQL gives the IPs themselves). */
export interface LeaseInterface {
  id: number;
  name: string;
  mgmt_only: boolean;
  device: Pick<BriefDevice, 'id' | 'display' | 'name'>;
  count_ipaddresses?: number;
}

/** What an IP object is assigned to (see BriefAssignedObject). */
export interface LeaseAssignedObject {
  id: number;
  display?: string;
  name?: string;
  device?: Pick<BriefDevice, 'id' | 'display'>;
  virtual_machine?: { id: number; display: string };
}

/** An IP object as both readers give it. */
export interface LeaseIp {
  id: number;
  address: string;
  status: Pick<ChoiceValue, 'value'>;
  assigned_object_type: string | null;
  assigned_object_id: number | null;
  assigned_object: LeaseAssignedObject | null;
  vrf: LeaseVrf | null;
}

/** A prefix containing the lease's IP. */
export interface LeasePrefix {
  id: number;
  prefix: string;
  vrf: LeaseVrf | null;
}

/**
 * The raw facts about a lease, as read from NetBox by either reader. Absent fields are not
 * read yet (reduceObservation says when it needs them); GraphQL fills every one at once.
 */
export interface LeaseFacts {
  /** Devices with an interface carrying the MAC, one entry per device. */
  devices: LeaseDevice[];
  /** Every IP object with the lease's address, whatever its mask, in every VRF. */
  addressObjects: LeaseIp[];
  /** The interfaces carrying the MAC (any device). */
  interfaces?: LeaseInterface[];
  /** The VRFs matching the configured `ip.vrf` (id or exact name); read only when it is configured. */
  configuredVrfs?: LeaseVrf[];
  /** Prefixes containing the lease's IP: every VRF's, or only the configured VRF's (the reduction filters). */
  prefixes?: LeasePrefix[];
  /** IP objects per interface id (GraphQL: every interface carrying the MAC; REST: the BMC interface when needed). */
  interfaceIps?: ReadonlyMap<number, LeaseIp[]>;
}

/** A fact reduceObservation needs before it can decide. */
export type FactNeed =
  | { what: 'interfaces' }
  | { what: 'configuredVrf' }
  | { what: 'prefixes'; vrfId?: number }
  | { what: 'interfaceIps'; interfaceId: number };

/** Where the lease's IP lives in NetBox: its VRF (null = global table) and prefix length. */
export interface LeaseScope {
  vrf: LeaseVrf | null;
  /** The most specific prefix containing the IP in that VRF; null = none (length is the default). */
  prefix: Pick<Prefix, 'id' | 'prefix'> | null;
  length: number;
  /** Equally specific prefixes in other VRFs that were not chosen (worth a warning). */
  alsoIn: LeasePrefix[];
  /** The VRF came from the hook config (`ip.vrf`), not from a prefix. */
  configured: boolean;
}

/** Something other than this device holding the leased IP in its VRF. */
export interface Owner {
  type: string;
  id: number;
  /** For people: `device #12 srv-a (interface eth0)`, `VM #3 vm-a (interface eth0)`, `FHRP group #1 …`. */
  label: string;
}

export interface DeviceObservation {
  kind: 'device';
  from: StatusGroup;
  when: Condition;
  device: LeaseDevice;
  /** The interface carrying the BMC MAC (management-only preferred). */
  bmcInterface: LeaseInterface;
  /** IP objects on the BMC interface. */
  interfaceIps: LeaseIp[];
  scope: LeaseScope;
  /** IP objects for the leased address in the lease's VRF. */
  leaseIpObjects: LeaseIp[];
  /** What else holds the leased address in that VRF. */
  owners: Owner[];
}

export interface NoDeviceObservation {
  kind: 'no-device';
  from: 'none';
  when: 'mac-unknown' | 'mac-ambiguous';
  devices: { id: number; display: string }[];
}

/** A renewal NetBox already reflects: nothing to decide beyond the status. */
export interface UnchangedObservation {
  kind: 'unchanged';
  from: 'discovered' | 'active';
  when: 'ip-matches';
  device: LeaseDevice;
  /** The IP object: the device's `oob_ip`, with the lease's address. */
  ip: LeaseIp;
}

/** The MAC is on the device, but on none of its BMC interfaces: not a BMC lease. */
export interface NotBmcObservation {
  kind: 'not-bmc';
  from: StatusGroup;
  when: 'mac-not-on-bmc';
  device: LeaseDevice;
  /** The device's interfaces carrying the MAC (none of them a BMC's). */
  interfaces: LeaseInterface[];
}

export type Observation = DeviceObservation | NoDeviceObservation | UnchangedObservation | NotBmcObservation;

export interface ObserveOptions {
  /** Prefix length when no prefix contains the IP. */
  defaultPrefixLength: number;
  /** `ip.vrf`: look up and create IPs in this VRF (id or name) instead of the containing prefix's. */
  vrf?: number | string;
  /** `bmc.interfaceNames`, compiled (bmcNamePatterns); default DEFAULT_BMC_INTERFACE_NAMES. */
  bmcNames?: readonly RegExp[];
  /** Where the GraphQL fallback is reported (once per process). */
  log?: Logger;
  /** Remembers the REST check of the view permissions GraphQL relies on beyond this process (the spool's status.json). */
  viewCheck?: ViewCheckStore;
}

/** Where a drainer remembers that the token's view permissions were checked (hook/version-cache.ts). */
export interface ViewCheckStore {
  fresh(baseUrl: string): boolean;
  remember(baseUrl: string): void;
}

/** A configured VRF that NetBox does not have: leases stay spooled until the config or NetBox is fixed. */
export class VrfNotFoundError extends BmError {
  override readonly name = 'VrfNotFoundError';
  constructor(readonly vrf: number | string) {
    super(`the VRF ${JSON.stringify(vrf)} configured as ip.vrf does not exist in NetBox (or the token may not view ipam.vrf)`);
  }

  override get failureClass(): FailureClass {
    return 'retry-later';
  }

  override get failureCause(): Cause {
    return 'config';
  }

  override details(): Record<string, unknown> {
    return { vrf: this.vrf };
  }
}

/** Default `bmc.interfaceNames`: names vendors and operators give BMC ports (case-insensitive). */
export const DEFAULT_BMC_INTERFACE_NAMES: readonly string[] = ['^(bmc|idrac|ilo|ipmi|imm|xcc|irmc|cimc|mgmt|oob)'];

/** Compiles `bmc.interfaceNames` (validated by config.ts), case-insensitive. */
export function bmcNamePatterns(names: readonly string[] = DEFAULT_BMC_INTERFACE_NAMES): RegExp[] {
  return names.map((name) => new RegExp(name, 'i'));
}

/** A BMC's interface: management-only, or named like one (`bmc.interfaceNames`). Pure. */
export function isBmcInterface(iface: Pick<Interface, 'mgmt_only' | 'name'>, names: readonly RegExp[]): boolean {
  return iface.mgmt_only === true || names.some((pattern) => pattern.test(iface.name));
}

/**
 * The BMC interface among those carrying the lease's MAC: management-only first, then one
 * named like a BMC's, lowest id first; null when the MAC is only on data interfaces. Pure.
 */
export function pickBmcInterface<I extends Pick<LeaseInterface, 'id' | 'mgmt_only' | 'name'>>(interfaces: readonly I[], names: readonly RegExp[]): I | null {
  const sorted = interfaces.filter((i) => isBmcInterface(i, names)).sort((a, b) => Number(b.mgmt_only) - Number(a.mgmt_only) || a.id - b.id);
  return sorted[0] ?? null;
}

/** What holds this IP object, unless it is unassigned or on one of this device's interfaces. Pure. */
export function foreignOwnerOf(ip: Pick<LeaseIp, 'assigned_object' | 'assigned_object_type' | 'assigned_object_id'>, deviceId: number): Owner | null {
  const object = ip.assigned_object;
  if (!ip.assigned_object_type || ip.assigned_object_id === null) return null;
  const id = ip.assigned_object_id;
  switch (ip.assigned_object_type) {
    case 'dcim.interface': {
      const device = object?.device;
      if (device?.id === deviceId) return null;
      return {
        type: 'dcim.device',
        id: device?.id ?? id,
        label: `device #${device?.id ?? '?'} ${device?.display ?? ''} (interface ${object?.name ?? `#${id}`})`,
      };
    }
    case 'virtualization.vminterface': {
      const vm = object?.virtual_machine;
      return {
        type: 'virtualization.virtualmachine',
        id: vm?.id ?? id,
        label: `VM #${vm?.id ?? '?'} ${vm?.display ?? ''} (interface ${object?.name ?? `#${id}`})`,
      };
    }
    case 'ipam.fhrpgroup':
      return { type: 'ipam.fhrpgroup', id, label: `FHRP group #${id} ${object?.display ?? ''}`.trim() };
    default:
      return { type: ip.assigned_object_type, id, label: `${ip.assigned_object_type} #${id} ${object?.display ?? ''}`.trim() };
  }
}

/**
 * The VRF and prefix length of a lease, from the prefixes containing it. With a configured
 * VRF the prefixes are that VRF's; otherwise the most specific prefix decides the VRF, and
 * equally specific ones in several VRFs prefer the global table, then the lowest VRF id. Pure.
 */
export function leaseScopeOf(prefixes: readonly LeasePrefix[], defaultPrefixLength: number, configuredVrf?: LeaseVrf): LeaseScope {
  const best = mostSpecificPrefixes(prefixes).sort((a, b) => (a.vrf?.id ?? 0) - (b.vrf?.id ?? 0) || a.id - b.id);
  const chosen = best[0] ?? null;
  return {
    vrf: configuredVrf ?? (chosen?.vrf ? { id: chosen.vrf.id, name: chosen.vrf.name } : null),
    prefix: chosen ? { id: chosen.id, prefix: chosen.prefix } : null,
    length: mostSpecificPrefixLength(prefixes, defaultPrefixLength),
    alsoIn: configuredVrf ? [] : best.slice(1).map((p) => ({ id: p.id, prefix: p.prefix, vrf: p.vrf })),
    configured: configuredVrf !== undefined,
  };
}

/** Whether the IP object is in this VRF (null = the global table). Pure. */
export function inVrf(ip: { vrf: Pick<LeaseVrf, 'id'> | null }, vrf: Pick<LeaseVrf, 'id'> | null): boolean {
  return (ip.vrf?.id ?? null) === (vrf?.id ?? null);
}

/** Whether the IP object is in the configured `ip.vrf` (an id or an exact name). Pure. */
function inConfiguredVrf(ip: { vrf: LeaseVrf | null }, configured: number | string): boolean {
  return typeof configured === 'number' ? ip.vrf?.id === configured : ip.vrf?.name === configured;
}

/**
 * The IP object that makes this lease an unchanged renewal, or null: the device is
 * discovered or active, its `oob_ip` is an object with the lease's address on one of its
 * interfaces (in the configured VRF, when there is one), and nothing else holds the
 * address in that VRF. Pure.
 */
export function unchangedRenewalIp<I extends LeaseIp>(device: LeaseDevice, addressObjects: readonly I[], configuredVrf?: number | string): I | null {
  const group = statusGroupOf(device.status.value);
  if (group !== 'discovered' && group !== 'active') return null;
  const ip = addressObjects.find((candidate) => candidate.id === device.oob_ip?.id);
  if (ip?.assigned_object_type !== 'dcim.interface' || ip.assigned_object?.device?.id !== device.id) return null;
  if (configuredVrf !== undefined && !inConfiguredVrf(ip, configuredVrf)) return null;
  const foreign = addressObjects.some((other) => inVrf(other, ip.vrf) && foreignOwnerOf(other, device.id) !== null);
  return foreign ? null : ip;
}

/** The configured VRF among those matching `ip.vrf` (the lowest id when several share the name). Pure. */
function configuredVrfOf(vrfs: readonly LeaseVrf[]): LeaseVrf | undefined {
  return [...vrfs].sort((a, b) => a.id - b.id)[0];
}

/**
 * The one decision: the Observation the facts add up to, or the facts still needed (REST
 * reads them and asks again; GraphQL has read them all). A configured VRF NetBox does not
 * have: VrfNotFoundError. Pure.
 */
export function reduceObservation(
  event: Pick<LeaseEvent, 'ip'>,
  facts: LeaseFacts,
  options: ObserveOptions,
): { observation: Observation } | { needs: FactNeed[] } {
  const { devices, addressObjects } = facts;
  if (devices.length === 0) return { observation: { kind: 'no-device', from: 'none', when: 'mac-unknown', devices: [] } };
  if (devices.length > 1) {
    return { observation: { kind: 'no-device', from: 'none', when: 'mac-ambiguous', devices: devices.map((d) => ({ id: d.id, display: d.display })) } };
  }
  const device = devices[0]!;
  const from = statusGroupOf(device.status.value);

  const unchanged = unchangedRenewalIp(device, addressObjects, options.vrf);
  if (unchanged) return { observation: { kind: 'unchanged', from: from as 'discovered' | 'active', when: 'ip-matches', device, ip: unchanged } };

  if (!facts.interfaces) return { needs: [{ what: 'interfaces' }] };
  const interfaces = facts.interfaces.filter((i) => i.device.id === device.id);
  // The MAC left the device between the two reads: as if unknown (the next lease decides afresh).
  if (interfaces.length === 0) return { observation: { kind: 'no-device', from: 'none', when: 'mac-unknown', devices: [] } };
  const bmcInterface = pickBmcInterface(interfaces, options.bmcNames ?? bmcNamePatterns());
  if (!bmcInterface) return { observation: { kind: 'not-bmc', from, when: 'mac-not-on-bmc', device, interfaces } };

  let configuredVrf: LeaseVrf | undefined;
  if (options.vrf !== undefined) {
    if (!facts.configuredVrfs) return { needs: [{ what: 'configuredVrf' }] };
    configuredVrf = configuredVrfOf(facts.configuredVrfs);
    if (!configuredVrf) throw new VrfNotFoundError(options.vrf);
  }
  const onBmc = addressObjects.filter(
    (ip) => ip.assigned_object_type === 'dcim.interface' && ip.assigned_object_id === bmcInterface.id && (!configuredVrf || inVrf(ip, configuredVrf)),
  );
  // The prefix gives the VRF and length of an IP to write; an object already on the BMC interface gives its VRF.
  const needPrefixes = onBmc.length === 0 || from === 'offline';
  const count = bmcInterface.count_ipaddresses;
  const readIps = facts.interfaceIps?.get(bmcInterface.id);
  const needInterfaceIps = readIps === undefined && (count === undefined || count > onBmc.length);
  const needs: FactNeed[] = [];
  if (needPrefixes && !facts.prefixes) needs.push({ what: 'prefixes', ...(configuredVrf ? { vrfId: configuredVrf.id } : {}) });
  if (needInterfaceIps) needs.push({ what: 'interfaceIps', interfaceId: bmcInterface.id });
  if (needs.length > 0) return { needs };

  const interfaceIps = readIps ?? onBmc;
  const prefixes = needPrefixes ? facts.prefixes!.filter((p) => !configuredVrf || inVrf(p, configuredVrf)) : null;
  const scope: LeaseScope = prefixes
    ? leaseScopeOf(prefixes, options.defaultPrefixLength, configuredVrf)
    : {
        vrf: configuredVrf ?? (onBmc[0]!.vrf ? { id: onBmc[0]!.vrf.id, name: onBmc[0]!.vrf.name } : null),
        prefix: null,
        length: Number(onBmc[0]!.address.split('/')[1] ?? options.defaultPrefixLength),
        alsoIn: [],
        configured: configuredVrf !== undefined,
      };
  const leaseIpObjects = addressObjects.filter((ip) => inVrf(ip, scope.vrf));
  const owners = leaseIpObjects.map((ip) => foreignOwnerOf(ip, device.id)).filter((o): o is Owner => o !== null);
  const when = ipConditionOf(event.ip, {
    recordedOnInterface: interfaceIps.map((ip) => hostOf(ip.address)),
    ownedElsewhere: owners.map((o) => o.label),
  });
  return { observation: { kind: 'device', from, when, device, bmcInterface, interfaceIps, scope, leaseIpObjects, owners } };
}

/** Reads one needed fact by REST into `facts`. */
async function readFactRest(client: NetboxClient, event: LeaseEvent, options: ObserveOptions, facts: LeaseFacts, need: FactNeed): Promise<void> {
  switch (need.what) {
    case 'interfaces':
      facts.interfaces = await findInterfacesByMac(client, event.mac);
      return;
    case 'configuredVrf':
      facts.configuredVrfs = await findVrfs(client, options.vrf!);
      return;
    case 'prefixes':
      facts.prefixes = await findPrefixesContaining(client, event.ip, need.vrfId !== undefined ? { vrfId: need.vrfId } : {});
      return;
    case 'interfaceIps':
      facts.interfaceIps = new Map([...(facts.interfaceIps ?? []), [need.interfaceId, await findInterfaceIpAddresses(client, need.interfaceId)]]);
      return;
  }
}

/** The REST reader: the two first reads together, then only what reduceObservation asks for (see the file comment). */
export async function observeRest(client: NetboxClient, event: LeaseEvent, options: ObserveOptions): Promise<Observation> {
  const [devices, addressObjects] = await Promise.all([findDevicesByMac(client, event.mac), findIpAddresses(client, event.ip)]);
  const facts: LeaseFacts = { devices, addressObjects };
  for (;;) {
    const step = reduceObservation(event, facts, options);
    if ('observation' in step) return step.observation;
    await Promise.all(step.needs.map((need) => readFactRest(client, event, options, facts, need)));
  }
}

/** Base URLs whose GraphQL is disabled (404): REST for the rest of the process. */
const graphqlDisabled = new Set<string>();
/** The view-permission check per base URL in this process (see checkGraphqlViews). */
const viewsChecked = new Map<string, Promise<void>>();

/**
 * The REST lists behind the GraphQL lease query. NetBox's GraphQL hides what the token may not
 * view (an empty list, a null) where REST answers 403, so a token without `view` on one of
 * these would read as "no interface", "no IP", "no prefix", "no VRF". Devices need no check:
 * an interface's device is non-null in the schema, and a hidden one is a GraphQL error.
 */
export const GRAPHQL_VIEW_CHECKS = ['/api/dcim/interfaces/', '/api/ipam/ip-addresses/', '/api/ipam/prefixes/', '/api/ipam/vrfs/'] as const;

/**
 * Checks, by REST (`?limit=1` each, together), that the token may view what the GraphQL query reads,
 * once per process and, with a store, once per VERSION_TTL_MS across drainers. A missing permission
 * is REST's 403 (permanent, the permission named), exactly as the REST reader would meet it.
 */
async function checkGraphqlViews(client: NetboxClient, store: ViewCheckStore | undefined): Promise<void> {
  let check = viewsChecked.get(client.baseUrl);
  if (!check) {
    check = store?.fresh(client.baseUrl)
      ? Promise.resolve()
      : Promise.all(GRAPHQL_VIEW_CHECKS.map((path) => client.get(path, { limit: 1, brief: 1 }))).then(() => store?.remember(client.baseUrl));
    check.catch(() => viewsChecked.delete(client.baseUrl));
    viewsChecked.set(client.baseUrl, check);
  }
  await check;
}
/** Base URLs whose GraphQL fallback was logged already (once per process). */
const fallbackLogged = new Set<string>();

/** Forgets what this process learnt about GraphQL; for tests that reuse a URL with another NetBox behind it. */
export function clearGraphqlState(): void {
  graphqlDisabled.clear();
  fallbackLogged.clear();
  viewsChecked.clear();
}

/**
 * What NetBox knows about the lease: one GraphQL request on a NetBox that has the filters
 * (capabilities().graphqlLeaseQuery), REST otherwise or when GraphQL is disabled or its answer
 * is unusable (see the file comment). NetBox down, slow or refusing the token: the error, as REST.
 * The token's view permissions are checked by REST first (checkGraphqlViews: four reads per hour).
 */
export async function observe(client: NetboxClient, event: LeaseEvent, options: ObserveOptions): Promise<Observation> {
  const capabilities = await client.capabilities();
  if (!capabilities.graphqlLeaseQuery || graphqlDisabled.has(client.baseUrl)) return observeRest(client, event, options);
  await checkGraphqlViews(client, options.viewCheck);
  try {
    const facts = await readLeaseFactsGraphql(client, event, options, capabilities);
    const step = reduceObservation(event, facts, options);
    if ('observation' in step) return step.observation;
    // Every fact is read; a need means the answer lacked one: as unusable.
    throw new NetboxResponseError('POST', GRAPHQL_PATH, `the GraphQL answer lacks ${step.needs.map((n) => n.what).join(', ')}`);
  } catch (error) {
    const disabled = error instanceof NetboxHttpError && error.status === 404;
    const unusable = error instanceof NetboxResponseError || (error instanceof NetboxHttpError && error.status === 400);
    if (!disabled && !unusable) throw error;
    if (disabled) graphqlDisabled.add(client.baseUrl);
    if (!fallbackLogged.has(client.baseUrl)) {
      fallbackLogged.add(client.baseUrl);
      options.log?.warning(
        disabled
          ? "NetBox's GraphQL API is disabled (GRAPHQL_ENABLED=False); reading leases by REST (more requests per lease)"
          : "NetBox's GraphQL answer was not usable; this lease is read by REST (logged once per process)",
        { reason: (error as Error).message },
      );
    }
    return observeRest(client, event, options);
  }
}
