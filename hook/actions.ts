/**
 * The effects behind the FSM's action names. Each is safe to run again after a
 * crash: recordBmcIp and the status change converge on NetBox's state, and
 * journal entries carry the event's name, which is looked up before posting
 * again on a retried event.
 */
import { BmError } from '../shared/errors.ts';
import type { Cause, FailureClass } from '../shared/failure.ts';
import type { Logger } from '../shared/log.ts';
import {
  createIpAddress,
  createJournalEntryOnce,
  fieldChoicesHint,
  hostOf,
  isUnknownChoice,
  NetboxHttpError,
  populatedRangeHint,
  populatedRangeOf,
  setDeviceOobIp,
  setDeviceStatus,
  updateDevice,
  updateIpAddress,
  assignIpAddress,
  type JournalEntry,
  type JournalKind,
  type NetboxClient,
} from '../shared/netbox/index.ts';
import { mdCode, mdText } from '../shared/markdown.ts';
import type { Action, Condition } from './fsm.ts';
import type { LeaseEvent } from './lease.ts';
import type { LeaseIp, Observation } from './observe.ts';

export interface ActionContext {
  client: NetboxClient;
  event: LeaseEvent;
  eventName: string;
  observation: Observation;
  ipStatus: string;
  /** True when this event was attempted before: journal posts check for an earlier copy. */
  retried: boolean;
  /** Why the drainer re-decided (NetBox's refusal, from a ConditionFound), for the journal. */
  reason?: string;
  /** Actions of this event already applied (for the journal after a refusal). */
  done?: readonly Action[];
  /** Every action of the row being applied: recordBmcIp also sets the status when setStatusDiscovered is still to come. */
  plan?: readonly Action[];
  log: Logger;
}

/**
 * NetBox refused a write in a way the FSM has a row for: the drainer re-decides with
 * `condition` (keeping the actions already done) and hands `message` to the journal.
 * One that escapes the re-decision fails the event: permanent, NetBox refused.
 */
export abstract class ConditionFound extends BmError {
  abstract readonly condition: Condition;

  override get failureClass(): FailureClass {
    return 'permanent';
  }

  override get failureCause(): Cause {
    return 'netbox-refused';
  }

  override details(): Record<string, unknown> {
    return { condition: this.condition };
  }
}

/** NetBox refused the `discovered` status: re-decided with `status-choice-missing`. */
export class StatusChoiceMissingError extends ConditionFound {
  override readonly name = 'StatusChoiceMissingError';
  readonly condition = 'status-choice-missing';
  constructor(readonly status: string) {
    super(fieldChoicesHint(status));
  }

  override details(): Record<string, unknown> {
    return { ...super.details(), status: this.status };
  }
}

/** NetBox 4.3+ refused to create the IP inside a range marked populated: re-decided with `ip-in-populated-range`. */
export class IpInPopulatedRangeError extends ConditionFound {
  override readonly name = 'IpInPopulatedRangeError';
  readonly condition = 'ip-in-populated-range';
  constructor(
    readonly range: string,
    readonly netboxMessage: string,
  ) {
    super(`NetBox refused to create the IP object: "${netboxMessage}" ${populatedRangeHint(range)}`);
  }

  override details(): Record<string, unknown> {
    return { ...super.details(), range: this.range, netboxMessage: this.netboxMessage };
  }
}

/**
 * NetBox refused a device PATCH. It validates the whole device on every write (required
 * custom fields, CUSTOM_VALIDATORS), so the reason may have nothing to do with the change:
 * re-decided with `device-refused`, and the event fails with NetBox's message.
 */
export class DeviceRefusedError extends ConditionFound {
  override readonly name = 'DeviceRefusedError';
  readonly condition = 'device-refused';
  constructor(
    readonly device: string,
    readonly change: string,
    readonly netboxError: NetboxHttpError,
  ) {
    super(`NetBox refused to change device ${device} (${change}): ${netboxError.validationSummary}`, { cause: netboxError });
  }

  override details(): Record<string, unknown> {
    return { ...super.details(), device: this.device, change: this.change, netboxError: this.netboxError.toJSON() };
  }
}

/** Runs a device PATCH, turning NetBox's 400 into DeviceRefusedError. */
async function patchDevice<T>(ctx: ActionContext, change: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof NetboxHttpError && error.status === 400) throw new DeviceRefusedError(deviceRef(ctx.observation), change, error);
    throw error;
  }
}

/** Identifies the event that wrote an entry: a retried event never posts the same entry twice. */
const eventMarker = (eventName: string, action: Action) => `bm-hook event ${mdCode(eventName.replace(/\.json$/, ''))} (${action})`;
/** Identifies an anomaly: the same warning for the same lease is not repeated on every renewal. */
const anomalyMarker = (action: Action, event: LeaseEvent) => `[${ANOMALY_OF[action] ?? action} ${mdText(event.mac)} ${mdText(event.ip)}]`;
/** Actions reporting the same anomaly: a renewal does not report it again under another name. */
const ANOMALY_OF: Partial<Record<Action, Action>> = { journalDiscoveredWithoutIp: 'journalIpNotRecorded' };

function deviceRef(observation: Observation): string {
  return 'device' in observation ? (observation.device.name ?? `#${observation.device.id}`) : '-';
}

/**
 * The journal entry each journaling action writes: markdown, short verdict first. Pure.
 * Everything not written here (the lease's fields, names and statuses from NetBox,
 * NetBox's refusal messages) goes through shared/markdown.ts: shown as text, never markup.
 */
const APPLIED: Partial<Record<Action, string>> = { recordBmcIp: 'BMC IP and OOB IP recorded', setStatusDiscovered: 'status → discovered' };
const appliedText = (done: readonly Action[] | undefined) =>
  (done ?? [])
    .map((a) => APPLIED[a])
    .filter(Boolean)
    .join(', ') || 'nothing on the device';

export function journalTextOf(
  action: Action,
  context: Pick<ActionContext, 'event' | 'observation' | 'eventName' | 'reason' | 'done'>,
): { kind: JournalKind; text: string } | null {
  const { event, observation } = context;
  const lease = `**${mdText(event.ip)}** for BMC MAC ${mdCode(event.mac)}${event.hostname ? ` (hostname ${mdCode(event.hostname)})` : ''}`;
  const recorded = observation.kind === 'device' ? observation.interfaceIps.map((ip) => mdText(ip.address)).join(', ') || 'none' : 'none';
  const vrf = observation.kind === 'device' && observation.scope.vrf ? ` in VRF **${mdText(observation.scope.vrf.name)}**` : '';
  const reason = mdText(context.reason ?? 'NetBox refused the change');
  const iface = observation.kind === 'device' ? mdCode(observation.bmcInterface.name) : '-';
  const owners = observation.kind === 'device' ? observation.owners.map((o) => mdText(o.label)).join(', ') : '-';
  const status = observation.kind === 'device' ? mdText(observation.device.status.value) : '?';
  const devices = observation.kind === 'no-device' ? observation.devices.map((d) => `#${d.id} ${mdText(d.display)}`).join(', ') : '';
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
      text: `DHCP gave ${lease}, but that IP is owned elsewhere in NetBox${vrf}: ${owners}. Nothing changed; free the IP or fix the DHCP reservation.`,
    },
    journalDiscoveredWithoutIp: {
      kind: 'warning',
      text: `BMC seen by DHCP: ${lease} on ${iface}. Status offline → **discovered**, but the BMC IP was **not recorded**: ${reason}.`,
    },
    journalIpNotRecorded: {
      kind: 'warning',
      text: `DHCP gave ${lease} on ${iface}, but the BMC IP was **not recorded**: ${reason}.`,
    },
    journalDeviceRefused: {
      kind: 'danger',
      text: `DHCP gave ${lease} on ${iface}, but ${reason}. Already applied: ${appliedText(context.done)}. NetBox validates the whole device on every change, so the reason may be unrelated to bm-hook's change. Fix the device in NetBox; the next DHCP renewal applies the rest (or move the event from the spool's failed/ back to new/).`,
    },
    journalUnexpectedStatus: {
      kind: 'warning',
      text: `DHCP lease ${lease} while the device is **${status}**; bm-hook acts only on offline, discovered and active devices. Nothing changed.`,
    },
    journalAmbiguousMac: {
      kind: 'warning',
      text: `DHCP lease ${lease}: this MAC is on several devices (${devices}). Nothing changed; fix the duplicate MAC.`,
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
  // An anomaly already reported by the newest bm-hook entry is not reported again on each renewal.
  const reportedAlready = (existing: readonly JournalEntry[]) =>
    existing
      .filter((j) => j.comments.includes('bm-hook event `'))
      .sort((a, b) => b.id - a.id)[0]
      ?.comments.includes(anomalyMarker(action, ctx.event)) === true;
  for (const deviceId of deviceIds) {
    const outcome = await createJournalEntryOnce(ctx.client, { deviceId, kind: entry.kind, comments: entry.text }, eventMarker(ctx.eventName, action), {
      retried: ctx.retried,
      ...(repeatable ? {} : { skipIf: reportedAlready }),
    });
    if (outcome === 'skipped') ctx.log.info('anomaly already in the journal; not repeated', { action, deviceId });
  }
}

/**
 * Records the lease IP on the BMC interface, in the lease's VRF with its real prefix
 * length, and sets it as the device's oob_ip. Reuses an existing object for the address
 * (unassigned or on this device) or, on a refresh, moves the interface's single DHCP-status
 * IP. Writes in this order: the IP object, then the device's oob_ip.
 */
async function recordBmcIp(ctx: ActionContext): Promise<void> {
  const o = ctx.observation;
  if (o.kind !== 'device') throw new Error('recordBmcIp needs a device');
  const { scope } = o;
  if (!scope.prefix) {
    ctx.log.warning('no NetBox prefix contains the BMC IP; using the configured default length', {
      ip: ctx.event.ip,
      length: scope.length,
      vrf: scope.vrf?.name ?? 'global',
    });
  }
  if (scope.alsoIn.length) {
    ctx.log.warning('equally specific prefixes in several VRFs contain the BMC IP; set ip.vrf to choose', {
      ip: ctx.event.ip,
      chosen: `${scope.prefix?.prefix} (${scope.vrf?.name ?? 'global'})`,
      others: scope.alsoIn.map((p) => `${p.prefix} (${p.vrf?.name ?? 'global'})`).join(', '),
    });
  }
  const address = `${ctx.event.ip}/${scope.length}`;
  const vrfId = scope.vrf?.id ?? null;
  const onBmc = (ip: LeaseIp) => ip.assigned_object_type === 'dcim.interface' && ip.assigned_object_id === o.bmcInterface.id;
  const reusable =
    o.leaseIpObjects.find((ip) => ip.assigned_object_id === null || onBmc(ip)) ??
    o.leaseIpObjects.find((ip) => ip.assigned_object_type === 'dcim.interface' && ip.assigned_object?.device?.id === o.device.id);
  const refreshable = o.interfaceIps.filter((ip) => ip.status.value === ctx.ipStatus && hostOf(ip.address) !== ctx.event.ip);
  let ip: LeaseIp;
  if (reusable) {
    const same = reusable.address === address && reusable.status.value === ctx.ipStatus;
    ip = same ? reusable : await updateIpAddress(ctx.client, reusable.id, { address, status: ctx.ipStatus });
    if (ip.assigned_object_id !== o.bmcInterface.id) ip = await assignIpAddress(ctx.client, ip.id, o.bmcInterface.id);
  } else if (refreshable.length === 1) {
    const changes = (refreshable[0]!.vrf?.id ?? null) === vrfId ? { address } : { address, vrf: vrfId };
    ip = await updateIpAddress(ctx.client, refreshable[0]!.id, changes);
  } else {
    try {
      ip = await createIpAddress(ctx.client, { address, status: ctx.ipStatus, interfaceId: o.bmcInterface.id, vrfId, description: 'BMC (DHCP, bm-hook)' });
    } catch (error) {
      const range = error instanceof NetboxHttpError && error.status === 400 ? populatedRangeOf(error.fieldErrors.address) : undefined;
      if (range) throw new IpInPopulatedRangeError(range, error instanceof NetboxHttpError ? (error.fieldErrors.address ?? []).join(' ') : '');
      throw error;
    }
  }
  const ipId = ip.id;
  const discoverToo = ctx.plan?.includes('setStatusDiscovered') && !ctx.done?.includes('setStatusDiscovered') && o.device.status.value !== 'discovered';
  if (o.device.oob_ip?.id !== ipId && discoverToo) {
    // One PATCH for both when NetBox takes it; refused, each change is tried alone (below, then
    // setStatusDiscovered), so the refusal is NetBox's answer to that change alone, as documented.
    try {
      o.device = await updateDevice(ctx.client, o.device.id, { oob_ip: ipId, status: 'discovered' });
    } catch (error) {
      if (!(error instanceof NetboxHttpError && error.status === 400)) throw error;
    }
  }
  if (o.device.oob_ip?.id !== ipId)
    await patchDevice(ctx, `oob_ip → ${address}; the IP object stays recorded on \`${o.bmcInterface.name}\``, () =>
      setDeviceOobIp(ctx.client, o.device.id, ipId),
    );
  ctx.log.info('BMC IP recorded', { device: deviceRef(o), address, vrf: scope.vrf?.name ?? 'global', interface: o.bmcInterface.name });
}

async function setStatusDiscovered(ctx: ActionContext): Promise<void> {
  const o = ctx.observation;
  if (o.kind !== 'device') throw new Error('setStatusDiscovered needs a device');
  // Already set together with the oob_ip by recordBmcIp (or by an earlier, interrupted run).
  if (o.device.status.value === 'discovered') {
    ctx.log.notice('device discovered', { device: deviceRef(o), mac: ctx.event.mac, ip: ctx.event.ip });
    return;
  }
  try {
    await patchDevice(ctx, `status ${o.device.status.value} → discovered; it stays ${o.device.status.value}`, () =>
      setDeviceStatus(ctx.client, o.device.id, 'discovered'),
    );
  } catch (error) {
    if (error instanceof DeviceRefusedError && isUnknownChoice(error.netboxError.fieldErrors.status)) throw new StatusChoiceMissingError('discovered');
    throw error;
  }
  ctx.log.notice('device discovered', { device: deviceRef(o), mac: ctx.event.mac, ip: ctx.event.ip });
}

export const ACTIONS: Record<Action, (ctx: ActionContext) => Promise<void>> = {
  recordBmcIp,
  setStatusDiscovered,
  logUnknownMac: async (ctx) => ctx.log.warning('lease for a BMC MAC unknown in NetBox; nothing changed', { mac: ctx.event.mac, ip: ctx.event.ip }),
  logNotBmc: async (ctx) => {
    const o = ctx.observation;
    ctx.log.info('lease for a data interface, not the BMC (not mgmt-only, name not like bmc.interfaceNames); ignored', {
      device: deviceRef(o),
      interfaces: o.kind === 'not-bmc' ? o.interfaces.map((i) => i.name).join(', ') : '-',
      mac: ctx.event.mac,
      ip: ctx.event.ip,
    });
  },
  journalAmbiguousMac: async (ctx) => {
    const devices = ctx.observation.kind === 'no-device' ? ctx.observation.devices.map((d) => d.id) : [];
    ctx.log.warning('BMC MAC on several devices; nothing changed', { mac: ctx.event.mac, devices });
    await journal(ctx, 'journalAmbiguousMac', devices, { repeatable: false });
  },
  journalDiscovered: (ctx) => journal(ctx, 'journalDiscovered', deviceIdsOf(ctx)),
  journalIpRecorded: (ctx) => journal(ctx, 'journalIpRecorded', deviceIdsOf(ctx)),
  journalIpChanged: (ctx) => journal(ctx, 'journalIpChanged', deviceIdsOf(ctx)),
  journalIpMismatch: (ctx) => warnAndJournal(ctx, 'journalIpMismatch', 'BMC IP differs from the record of an active device; nothing changed'),
  journalIpConflict: (ctx) => warnAndJournal(ctx, 'journalIpConflict', 'leased IP is owned elsewhere in NetBox; nothing changed'),
  journalDiscoveredWithoutIp: (ctx) =>
    warnAndJournal(ctx, 'journalDiscoveredWithoutIp', `device discovered, BMC IP not recorded: ${ctx.reason}`, { repeatable: true }),
  journalIpNotRecorded: (ctx) => warnAndJournal(ctx, 'journalIpNotRecorded', `BMC IP not recorded: ${ctx.reason}`),
  journalDeviceRefused: async (ctx) => {
    ctx.log.error('NetBox refused the device change; the event fails', {
      device: deviceRef(ctx.observation),
      mac: ctx.event.mac,
      ip: ctx.event.ip,
      reason: ctx.reason,
    });
    await journal(ctx, 'journalDeviceRefused', deviceIdsOf(ctx));
  },
  journalUnexpectedStatus: (ctx) => warnAndJournal(ctx, 'journalUnexpectedStatus', 'lease for a device in a status bm-hook does not act on; nothing changed'),
  journalStatusChoiceMissing: (ctx) => warnAndJournal(ctx, 'journalStatusChoiceMissing', fieldChoicesHint('discovered')),
};

function deviceIdsOf(ctx: ActionContext): number[] {
  return ctx.observation.kind === 'device' ? [ctx.observation.device.id] : [];
}

async function warnAndJournal(ctx: ActionContext, action: Action, message: string, { repeatable = false } = {}): Promise<void> {
  ctx.log.warning(message, { device: deviceRef(ctx.observation), mac: ctx.event.mac, ip: ctx.event.ip });
  await journal(ctx, action, deviceIdsOf(ctx), { repeatable });
}
