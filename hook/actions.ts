/**
 * The effects behind the FSM's action names. Each is safe to run again after a
 * crash: recordBmcIp and the status change converge on NetBox's state, and
 * journal entries carry the event's name, which is looked up before posting
 * again on a retried event.
 */
import type { Logger } from '../shared/log.ts';
import {
  createIpAddress,
  createJournalEntry,
  findPrefixesContaining,
  fieldChoicesHint,
  hostOf,
  listDeviceJournal,
  mostSpecificPrefixLength,
  NetboxHttpError,
  setDeviceOobIp,
  setDeviceStatus,
  updateIpAddress,
  assignIpAddress,
  type IpAddress,
  type JournalKind,
  type NetboxClient,
} from '../shared/netbox/index.ts';
import type { Action } from './fsm.ts';
import type { LeaseEvent } from './lease.ts';
import type { Observation } from './observe.ts';

export interface ActionContext {
  client: NetboxClient;
  event: LeaseEvent;
  eventName: string;
  observation: Observation;
  ipStatus: string;
  defaultPrefixLength: number;
  /** True when this event was attempted before: journal posts check for an earlier copy. */
  retried: boolean;
  log: Logger;
}

/** NetBox refused the `discovered` status: the drainer re-decides with `status-choice-missing`. */
export class StatusChoiceMissingError extends Error {
  override readonly name = 'StatusChoiceMissingError';
  constructor(readonly status: string) {
    super(fieldChoicesHint(status));
  }
}

/** Identifies the event that wrote an entry: a retried event never posts the same entry twice. */
const eventMarker = (eventName: string, action: Action) => `bm-hook event \`${eventName.replace(/\.json$/, '')}\` (${action})`;
/** Identifies an anomaly: the same warning for the same lease is not repeated on every renewal. */
const anomalyMarker = (action: Action, event: LeaseEvent) => `[${action} ${event.mac} ${event.ip}]`;

function deviceRef(observation: Observation): string {
  return observation.kind === 'device' ? (observation.device.name ?? `#${observation.device.id}`) : '-';
}

/** The journal entry each journaling action writes: markdown, short verdict first. Pure. */
export function journalTextOf(action: Action, context: Pick<ActionContext, 'event' | 'observation' | 'eventName'>): { kind: JournalKind; text: string } | null {
  const { event, observation } = context;
  const lease = `**${event.ip}** for BMC MAC \`${event.mac}\`${event.hostname ? ` (hostname \`${event.hostname}\`)` : ''}`;
  const recorded = observation.kind === 'device' ? observation.interfaceIps.map((ip) => ip.address).join(', ') || 'none' : 'none';
  const iface = observation.kind === 'device' ? `\`${observation.bmcInterface.name}\`` : '-';
  const texts: Partial<Record<Action, { kind: JournalKind; text: string }>> = {
    journalDiscovered: { kind: 'success', text: `BMC seen by DHCP: ${lease} on ${iface}. Status offline → **discovered**; BMC IP recorded and set as OOB IP.` },
    journalIpRecorded: { kind: 'info', text: `BMC IP recorded from DHCP: ${lease} on ${iface}; it had none.` },
    journalIpChanged: { kind: 'info', text: `BMC IP changed: ${lease} on ${iface} (was: ${recorded}).` },
    journalIpMismatch: {
      kind: 'warning',
      text: `DHCP gave ${lease}, but NetBox records ${recorded} on ${iface}. The device is active: nothing changed; check the BMC's network settings or the record.`,
    },
    journalIpConflict: {
      kind: 'warning',
      text: `DHCP gave ${lease}, but that IP is assigned to another device in NetBox (${observation.kind === 'device' ? observation.otherOwners.map((id) => `#${id}`).join(', ') : '-'}). Nothing changed.`,
    },
    journalUnexpectedStatus: {
      kind: 'warning',
      text: `DHCP lease ${lease} while the device is **${observation.kind === 'device' ? observation.device.status.value : '?'}**; bm-hook acts only on offline, discovered and active devices. Nothing changed.`,
    },
    journalAmbiguousMac: {
      kind: 'warning',
      text: `DHCP lease ${lease}: this MAC is on several devices (${observation.kind === 'no-device' ? observation.devices.map((d) => `#${d.id} ${d.display}`).join(', ') : ''}). Nothing changed; fix the duplicate MAC.`,
    },
    journalStatusChoiceMissing: {
      kind: 'danger',
      text: `BMC seen by DHCP: ${lease} on ${iface}; BMC IP recorded, but NetBox has no **discovered** status, so the device stays offline. ${fieldChoicesHint('discovered')}.`,
    },
  };
  const entry = texts[action];
  return entry ? { kind: entry.kind, text: `${entry.text}\n\n_${eventMarker(context.eventName, action)} ${anomalyMarker(action, event)}_` } : null;
}

async function journal(ctx: ActionContext, action: Action, deviceIds: number[], { repeatable = true } = {}): Promise<void> {
  const entry = journalTextOf(action, ctx);
  if (!entry) throw new Error(`no journal text for ${action}`);
  for (const deviceId of deviceIds) {
    if (ctx.retried || !repeatable) {
      const existing = await listDeviceJournal(ctx.client, deviceId);
      if (existing.some((j) => j.comments.includes(eventMarker(ctx.eventName, action)))) continue;
      // An anomaly already reported by the newest bm-hook entry is not reported again on each renewal.
      const newestOwn = existing.filter((j) => j.comments.includes('bm-hook event `')).sort((a, b) => b.id - a.id)[0];
      if (!repeatable && newestOwn?.comments.includes(anomalyMarker(action, ctx.event))) {
        ctx.log.info('anomaly already in the journal; not repeated', { action, deviceId });
        continue;
      }
    }
    await createJournalEntry(ctx.client, { deviceId, kind: entry.kind, comments: entry.text });
  }
}

/**
 * Records the lease IP on the BMC interface with its real prefix length and sets
 * it as the device's oob_ip. Reuses an existing object for the address (unassigned
 * or on this device) or, on a refresh, moves the interface's single DHCP-status IP.
 */
async function recordBmcIp(ctx: ActionContext): Promise<void> {
  const o = ctx.observation;
  if (o.kind !== 'device') throw new Error('recordBmcIp needs a device');
  const prefixes = await findPrefixesContaining(ctx.client, ctx.event.ip);
  const length = mostSpecificPrefixLength(prefixes, ctx.defaultPrefixLength);
  if (prefixes.length === 0) {
    ctx.log.warning('no NetBox prefix contains the BMC IP; using the configured default length', { ip: ctx.event.ip, length });
  }
  const address = `${ctx.event.ip}/${length}`;
  const onBmc = (ip: IpAddress) => ip.assigned_object_type === 'dcim.interface' && ip.assigned_object_id === o.bmcInterface.id;
  const reusable =
    o.leaseIpObjects.find((ip) => ip.assigned_object_id === null || onBmc(ip)) ??
    o.leaseIpObjects.find((ip) => ip.assigned_object?.device?.id === o.device.id);
  const refreshable = o.interfaceIps.filter((ip) => ip.status.value === ctx.ipStatus && hostOf(ip.address) !== ctx.event.ip);
  let ip: IpAddress;
  if (reusable) {
    ip = await updateIpAddress(ctx.client, reusable.id, { address, status: ctx.ipStatus });
    if (ip.assigned_object_id !== o.bmcInterface.id) ip = await assignIpAddress(ctx.client, ip.id, o.bmcInterface.id);
  } else if (refreshable.length === 1) {
    ip = await updateIpAddress(ctx.client, refreshable[0]!.id, { address });
  } else {
    ip = await createIpAddress(ctx.client, { address, status: ctx.ipStatus, interfaceId: o.bmcInterface.id, description: 'BMC (DHCP, bm-hook)' });
  }
  if (o.device.oob_ip?.id !== ip.id) await setDeviceOobIp(ctx.client, o.device.id, ip.id);
  ctx.log.info('BMC IP recorded', { device: deviceRef(o), address, interface: o.bmcInterface.name });
}

async function setStatusDiscovered(ctx: ActionContext): Promise<void> {
  const o = ctx.observation;
  if (o.kind !== 'device') throw new Error('setStatusDiscovered needs a device');
  try {
    await setDeviceStatus(ctx.client, o.device.id, 'discovered');
  } catch (error) {
    if (error instanceof NetboxHttpError && error.status === 400 && error.fieldErrors.status) throw new StatusChoiceMissingError('discovered');
    throw error;
  }
  ctx.log.notice('device discovered', { device: deviceRef(o), mac: ctx.event.mac, ip: ctx.event.ip });
}

export const ACTIONS: Record<Action, (ctx: ActionContext) => Promise<void>> = {
  recordBmcIp,
  setStatusDiscovered,
  logUnknownMac: async (ctx) => ctx.log.warning('lease for a BMC MAC unknown in NetBox; nothing changed', { mac: ctx.event.mac, ip: ctx.event.ip }),
  journalAmbiguousMac: async (ctx) => {
    const devices = ctx.observation.kind === 'no-device' ? ctx.observation.devices.map((d) => d.id) : [];
    ctx.log.warning('BMC MAC on several devices; nothing changed', { mac: ctx.event.mac, devices });
    await journal(ctx, 'journalAmbiguousMac', devices, { repeatable: false });
  },
  journalDiscovered: (ctx) => journal(ctx, 'journalDiscovered', deviceIdsOf(ctx)),
  journalIpRecorded: (ctx) => journal(ctx, 'journalIpRecorded', deviceIdsOf(ctx)),
  journalIpChanged: (ctx) => journal(ctx, 'journalIpChanged', deviceIdsOf(ctx)),
  journalIpMismatch: (ctx) => warnAndJournal(ctx, 'journalIpMismatch', 'BMC IP differs from the record of an active device; nothing changed'),
  journalIpConflict: (ctx) => warnAndJournal(ctx, 'journalIpConflict', 'leased IP belongs to another device in NetBox; nothing changed'),
  journalUnexpectedStatus: (ctx) => warnAndJournal(ctx, 'journalUnexpectedStatus', 'lease for a device in a status bm-hook does not act on; nothing changed'),
  journalStatusChoiceMissing: (ctx) => warnAndJournal(ctx, 'journalStatusChoiceMissing', fieldChoicesHint('discovered')),
};

function deviceIdsOf(ctx: ActionContext): number[] {
  return ctx.observation.kind === 'device' ? [ctx.observation.device.id] : [];
}

async function warnAndJournal(ctx: ActionContext, action: Action, message: string): Promise<void> {
  ctx.log.warning(message, { device: deviceRef(ctx.observation), mac: ctx.event.mac, ip: ctx.event.ip });
  await journal(ctx, action, deviceIdsOf(ctx), { repeatable: false });
}
