/**
 * Reads what NetBox knows about a lease and reduces it to the FSM's (status group,
 * condition). Reads only; actions.ts writes. Few requests, in this order:
 *
 * 1. together: the devices with the lease's MAC (status, `oob_ip`) and every IP object
 *    with the lease's address (who holds it, in which VRF). A renewal whose address is the
 *    device's `oob_ip`, held by nothing else in its VRF, on a discovered or active device,
 *    stops here: two reads, nothing to do.
 * 2. the interfaces with the MAC: only the device's BMC interface (mgmt-only, or named like
 *    `bmc.interfaceNames`) counts; a data NIC (a LOM with a BMC vendor's OUI, a PXE boot)
 *    is `mac-not-on-bmc`.
 * 3. when an IP may be written (or its VRF is not known from an object already on the BMC
 *    interface): the prefixes containing the lease; the interface's other IPs only when
 *    NetBox counts some that step 1 did not return.
 */
import { BmError } from '../shared/errors.ts';
import type { Cause, FailureClass } from '../shared/failure.ts';
import {
  findDevicesByMac,
  findInterfaceIpAddresses,
  findInterfacesByMac,
  findIpAddresses,
  findPrefixesContaining,
  findVrf,
  hostOf,
  mostSpecificPrefixes,
  mostSpecificPrefixLength,
  type BriefVrf,
  type Device,
  type Interface,
  type IpAddress,
  type NetboxClient,
  type Prefix,
} from '../shared/netbox/index.ts';
import { ipConditionOf, statusGroupOf, type Condition, type StatusGroup } from './fsm.ts';
import type { LeaseEvent } from './lease.ts';

/** Where the lease's IP lives in NetBox: its VRF (null = global table) and prefix length. */
export interface LeaseScope {
  vrf: Pick<BriefVrf, 'id' | 'name'> | null;
  /** The most specific prefix containing the IP in that VRF; null = none (length is the default). */
  prefix: Pick<Prefix, 'id' | 'prefix'> | null;
  length: number;
  /** Equally specific prefixes in other VRFs that were not chosen (worth a warning). */
  alsoIn: Pick<Prefix, 'id' | 'prefix' | 'vrf'>[];
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
  device: Device;
  /** The interface carrying the BMC MAC (management-only preferred). */
  bmcInterface: Interface;
  /** IP objects on the BMC interface. */
  interfaceIps: IpAddress[];
  scope: LeaseScope;
  /** IP objects for the leased address in the lease's VRF. */
  leaseIpObjects: IpAddress[];
  /** What else holds the leased address in that VRF. */
  owners: Owner[];
}

export interface NoDeviceObservation {
  kind: 'no-device';
  from: 'none';
  when: 'mac-unknown' | 'mac-ambiguous';
  devices: { id: number; display: string }[];
}

/** A renewal NetBox already reflects (step 1 above): nothing to decide beyond the status. */
export interface UnchangedObservation {
  kind: 'unchanged';
  from: 'discovered' | 'active';
  when: 'ip-matches';
  device: Device;
  /** The IP object: the device's `oob_ip`, with the lease's address. */
  ip: IpAddress;
}

/** The MAC is on the device, but on none of its BMC interfaces: not a BMC lease. */
export interface NotBmcObservation {
  kind: 'not-bmc';
  from: StatusGroup;
  when: 'mac-not-on-bmc';
  device: Device;
  /** The device's interfaces carrying the MAC (none of them a BMC's). */
  interfaces: Interface[];
}

export type Observation = DeviceObservation | NoDeviceObservation | UnchangedObservation | NotBmcObservation;

export interface ObserveOptions {
  /** Prefix length when no prefix contains the IP. */
  defaultPrefixLength: number;
  /** `ip.vrf`: look up and create IPs in this VRF (id or name) instead of the containing prefix's. */
  vrf?: number | string;
  /** `bmc.interfaceNames`, compiled (bmcNamePatterns); default DEFAULT_BMC_INTERFACE_NAMES. */
  bmcNames?: readonly RegExp[];
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
export function pickBmcInterface(interfaces: readonly Interface[], names: readonly RegExp[]): Interface | null {
  const sorted = interfaces.filter((i) => isBmcInterface(i, names)).sort((a, b) => Number(b.mgmt_only) - Number(a.mgmt_only) || a.id - b.id);
  return sorted[0] ?? null;
}

/** What holds this IP object, unless it is unassigned or on one of this device's interfaces. Pure. */
export function foreignOwnerOf(ip: IpAddress, deviceId: number): Owner | null {
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
export function leaseScopeOf(prefixes: readonly Prefix[], defaultPrefixLength: number, configuredVrf?: Pick<BriefVrf, 'id' | 'name'>): LeaseScope {
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
export function inVrf(ip: Pick<IpAddress, 'vrf'>, vrf: Pick<BriefVrf, 'id'> | null): boolean {
  return (ip.vrf?.id ?? null) === (vrf?.id ?? null);
}

/** Whether the IP object is in the configured `ip.vrf` (an id or an exact name). Pure. */
function inConfiguredVrf(ip: Pick<IpAddress, 'vrf'>, configured: number | string): boolean {
  return typeof configured === 'number' ? ip.vrf?.id === configured : ip.vrf?.name === configured;
}

/**
 * The IP object that makes this lease an unchanged renewal, or null: the device is
 * discovered or active, its `oob_ip` is an object with the lease's address on one of its
 * interfaces (in the configured VRF, when there is one), and nothing else holds the
 * address in that VRF. Pure.
 */
export function unchangedRenewalIp(device: Device, addressObjects: readonly IpAddress[], configuredVrf?: number | string): IpAddress | null {
  const group = statusGroupOf(device.status.value);
  if (group !== 'discovered' && group !== 'active') return null;
  const ip = addressObjects.find((candidate) => candidate.id === device.oob_ip?.id);
  if (ip?.assigned_object_type !== 'dcim.interface' || ip.assigned_object?.device?.id !== device.id) return null;
  if (configuredVrf !== undefined && !inConfiguredVrf(ip, configuredVrf)) return null;
  const foreign = addressObjects.some((other) => inVrf(other, ip.vrf) && foreignOwnerOf(other, device.id) !== null);
  return foreign ? null : ip;
}

export async function observe(client: NetboxClient, event: LeaseEvent, options: ObserveOptions): Promise<Observation> {
  const [devices, addressObjects] = await Promise.all([findDevicesByMac(client, event.mac), findIpAddresses(client, event.ip)]);
  if (devices.length === 0) return { kind: 'no-device', from: 'none', when: 'mac-unknown', devices: [] };
  if (devices.length > 1) return { kind: 'no-device', from: 'none', when: 'mac-ambiguous', devices: devices.map((d) => ({ id: d.id, display: d.display })) };
  const device = devices[0]!;
  const from = statusGroupOf(device.status.value);

  const unchanged = unchangedRenewalIp(device, addressObjects, options.vrf);
  if (unchanged) return { kind: 'unchanged', from: from as 'discovered' | 'active', when: 'ip-matches', device, ip: unchanged };

  const interfaces = (await findInterfacesByMac(client, event.mac)).filter((i) => i.device.id === device.id);
  // The MAC left the device between the two reads: as if unknown (the next lease decides afresh).
  if (interfaces.length === 0) return { kind: 'no-device', from: 'none', when: 'mac-unknown', devices: [] };
  const bmcInterface = pickBmcInterface(interfaces, options.bmcNames ?? bmcNamePatterns());
  if (!bmcInterface) return { kind: 'not-bmc', from, when: 'mac-not-on-bmc', device, interfaces };

  let configuredVrf: BriefVrf | undefined;
  if (options.vrf !== undefined) {
    const vrf = await findVrf(client, options.vrf);
    if (!vrf) throw new VrfNotFoundError(options.vrf);
    configuredVrf = vrf;
  }
  const onBmc = addressObjects.filter(
    (ip) => ip.assigned_object_type === 'dcim.interface' && ip.assigned_object_id === bmcInterface.id && (!configuredVrf || inVrf(ip, configuredVrf)),
  );
  // The prefix gives the VRF and length of an IP to write; an object already on the BMC interface gives its VRF.
  const needPrefixes = onBmc.length === 0 || from === 'offline';
  const count = bmcInterface.count_ipaddresses;
  const needInterfaceIps = count === undefined || count > onBmc.length;
  const [prefixes, interfaceIps] = await Promise.all([
    needPrefixes ? findPrefixesContaining(client, event.ip, configuredVrf ? { vrfId: configuredVrf.id } : {}) : null,
    needInterfaceIps ? findInterfaceIpAddresses(client, bmcInterface.id) : onBmc,
  ]);
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
  return { kind: 'device', from, when, device, bmcInterface, interfaceIps, scope, leaseIpObjects, owners };
}
