/**
 * Reads what NetBox knows about a lease (device by MAC, its status, the IPs on
 * its BMC interface, the VRF and prefix the lease falls in, who else holds the
 * leased IP in that VRF) and reduces it to the FSM's (status group, condition).
 * Reads only; actions.ts writes.
 */
import { BmError } from '../shared/errors.ts';
import type { Cause, FailureClass } from '../shared/failure.ts';
import {
  AmbiguousMatchError,
  findDeviceByMac,
  findInterfaceIpAddresses,
  findIpAddresses,
  findPrefixesContaining,
  findVrf,
  getDevice,
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

export type Observation = DeviceObservation | NoDeviceObservation;

export interface ObserveOptions {
  /** Prefix length when no prefix contains the IP. */
  defaultPrefixLength: number;
  /** `ip.vrf`: look up and create IPs in this VRF (id or name) instead of the containing prefix's. */
  vrf?: number | string;
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

/** Prefer the management-only interface when the MAC is on several of one device's interfaces. */
export function pickBmcInterface(interfaces: readonly Interface[]): Interface {
  const sorted = [...interfaces].sort((a, b) => Number(b.mgmt_only) - Number(a.mgmt_only) || a.id - b.id);
  return sorted[0]!;
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

export async function observe(client: NetboxClient, event: LeaseEvent, options: ObserveOptions): Promise<Observation> {
  let match: Awaited<ReturnType<typeof findDeviceByMac>>;
  try {
    match = await findDeviceByMac(client, event.mac);
  } catch (error) {
    if (error instanceof AmbiguousMatchError) {
      return { kind: 'no-device', from: 'none', when: 'mac-ambiguous', devices: [...error.matches] };
    }
    throw error;
  }
  if (!match) return { kind: 'no-device', from: 'none', when: 'mac-unknown', devices: [] };

  const bmcInterface = pickBmcInterface(match.interfaces);
  let configuredVrf: BriefVrf | undefined;
  if (options.vrf !== undefined) {
    const vrf = await findVrf(client, options.vrf);
    if (!vrf) throw new VrfNotFoundError(options.vrf);
    configuredVrf = vrf;
  }
  const [device, interfaceIps, prefixes] = await Promise.all([
    getDevice(client, match.device.id),
    findInterfaceIpAddresses(client, bmcInterface.id),
    findPrefixesContaining(client, event.ip, configuredVrf ? { vrfId: configuredVrf.id } : {}),
  ]);
  const scope = leaseScopeOf(prefixes, options.defaultPrefixLength, configuredVrf);
  const leaseIpObjects = await findIpAddresses(client, event.ip, { vrfId: scope.vrf?.id ?? null });
  const owners = leaseIpObjects.map((ip) => foreignOwnerOf(ip, device.id)).filter((o): o is Owner => o !== null);
  const when = ipConditionOf(event.ip, {
    recordedOnInterface: interfaceIps.map((ip) => hostOf(ip.address)),
    ownedElsewhere: owners.map((o) => o.label),
  });
  return { kind: 'device', from: statusGroupOf(device.status.value), when, device, bmcInterface, interfaceIps, scope, leaseIpObjects, owners };
}
