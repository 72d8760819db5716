/**
 * Reads what NetBox knows about a lease (device by MAC, its status, the IPs on
 * its BMC interface, who else holds the leased IP) and reduces it to the FSM's
 * (status group, condition). Reads only; actions.ts writes.
 */
import {
  AmbiguousMatchError,
  findDeviceByMac,
  findInterfaceIpAddresses,
  findIpAddresses,
  getDevice,
  hostOf,
  type Device,
  type Interface,
  type IpAddress,
  type NetboxClient,
} from '../shared/netbox/index.ts';
import { ipConditionOf, statusGroupOf, type Condition, type StatusGroup } from './fsm.ts';
import type { LeaseEvent } from './lease.ts';

export interface DeviceObservation {
  kind: 'device';
  from: StatusGroup;
  when: Condition;
  device: Device;
  /** The interface carrying the BMC MAC (management-only preferred). */
  bmcInterface: Interface;
  /** IP objects on the BMC interface. */
  interfaceIps: IpAddress[];
  /** IP objects for the leased address, anywhere. */
  leaseIpObjects: IpAddress[];
  /** Devices other than this one holding the leased address. */
  otherOwners: number[];
}

export interface NoDeviceObservation {
  kind: 'no-device';
  from: 'none';
  when: 'mac-unknown' | 'mac-ambiguous';
  devices: { id: number; display: string }[];
}

export type Observation = DeviceObservation | NoDeviceObservation;

/** Prefer the management-only interface when the MAC is on several of one device's interfaces. */
export function pickBmcInterface(interfaces: readonly Interface[]): Interface {
  const sorted = [...interfaces].sort((a, b) => Number(b.mgmt_only) - Number(a.mgmt_only) || a.id - b.id);
  return sorted[0]!;
}

export function ownerDeviceOf(ip: IpAddress): number | null {
  if (ip.assigned_object_type !== 'dcim.interface' || !ip.assigned_object) return null;
  return ip.assigned_object.device?.id ?? null;
}

export async function observe(client: NetboxClient, event: LeaseEvent): Promise<Observation> {
  let match;
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
  const [device, interfaceIps, leaseIpObjects] = await Promise.all([
    getDevice(client, match.device.id),
    findInterfaceIpAddresses(client, bmcInterface.id),
    findIpAddresses(client, event.ip),
  ]);
  const otherOwners = [
    ...new Set(leaseIpObjects.map(ownerDeviceOf).filter((id): id is number => id !== null && id !== device.id)),
  ];
  const when = ipConditionOf(event.ip, {
    recordedOnInterface: interfaceIps.map((ip) => hostOf(ip.address)),
    ownedByOtherDevices: otherOwners,
  });
  return { kind: 'device', from: statusGroupOf(device.status.value), when, device, bmcInterface, interfaceIps, leaseIpObjects, otherOwners };
}
