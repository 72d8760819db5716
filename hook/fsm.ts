/**
 * The Phase 0 state machine as a declarative table (DESIGN §4). decide() is pure:
 * it picks the one row matching what NetBox says and returns it, unexecuted;
 * actions.ts gives each action name its effect. The diagram in docs/ is rendered
 * from this same table (fsm-dot.ts), so code and picture cannot disagree.
 */

/** Where the device stands, as far as the FSM cares. */
export type StatusGroup = 'offline' | 'discovered' | 'active' | 'other';

/** What NetBox says about the lease's MAC and IP, reduced to one condition. */
export type Condition =
  | 'mac-unknown'
  | 'mac-ambiguous'
  /** The MAC is on the device, but not on its BMC interface (mgmt-only, or named like `bmc.interfaceNames`): a data NIC. */
  | 'mac-not-on-bmc'
  | 'ip-owned-elsewhere'
  | 'ip-none'
  | 'ip-matches'
  | 'ip-differs'
  | 'status-choice-missing'
  /** Found while acting: NetBox refused to create the IP object inside an IP range marked populated (4.3+). */
  | 'ip-in-populated-range'
  /** Found while acting: NetBox refused a device PATCH (whole-object validation: custom fields, CUSTOM_VALIDATORS). */
  | 'device-refused';

export type Action =
  | 'recordBmcIp'
  | 'setStatusDiscovered'
  | 'journalDiscovered'
  | 'journalIpRecorded'
  | 'journalIpChanged'
  | 'journalIpMismatch'
  | 'journalIpConflict'
  | 'journalUnexpectedStatus'
  | 'journalAmbiguousMac'
  | 'journalStatusChoiceMissing'
  | 'journalDiscoveredWithoutIp'
  | 'journalIpNotRecorded'
  | 'journalDeviceRefused'
  | 'logUnknownMac'
  | 'logNotBmc';

/** Actions that only log: a row made of them changes nothing, and the drainer adds no "lease applied" line. */
export const LOG_ONLY_ACTIONS: ReadonlySet<Action> = new Set<Action>(['logUnknownMac', 'logNotBmc']);

export interface Row {
  /** Device status groups this row applies to; `none` = no single device was found. */
  readonly from: readonly (StatusGroup | 'none')[];
  readonly when: readonly Condition[];
  readonly actions: readonly Action[];
  /** Status afterwards (for the diagram); absent = unchanged. */
  readonly to?: StatusGroup;
  /** Something an operator should look at (drawn in orange, logged as a warning). */
  readonly anomaly?: true;
  /** After its actions the event moves to failed/ with NetBox's reason (an operator must fix NetBox's data). */
  readonly fails?: true;
  readonly note: string;
}

const ANY_STATUS = ['offline', 'discovered', 'active', 'other'] as const;
/** The statuses whose rows write to NetBox (and so can meet the conditions found while acting). */
const WRITING = ['offline', 'discovered', 'active'] as const;
const ANY_OWN_IP = ['ip-none', 'ip-matches', 'ip-differs'] as const;

export const FSM: readonly Row[] = [
  { from: ['none'], when: ['mac-unknown'], actions: ['logUnknownMac'], anomaly: true, note: 'MAC unknown in NetBox: log a warning, change nothing' },
  {
    from: ['none'],
    when: ['mac-ambiguous'],
    actions: ['journalAmbiguousMac'],
    anomaly: true,
    note: 'MAC on several devices: journal a warning on each, change nothing',
  },
  {
    from: ANY_STATUS,
    when: ['mac-not-on-bmc'],
    actions: ['logNotBmc'],
    note: 'MAC on a data interface, not the BMC (a LOM with a BMC vendor OUI, a PXE boot): log one line, change nothing',
  },
  {
    from: ANY_STATUS,
    when: ['ip-owned-elsewhere'],
    actions: ['journalIpConflict'],
    anomaly: true,
    note: 'IP already assigned elsewhere in its VRF (another device, a VM, an FHRP group): journal a warning, change nothing',
  },
  {
    from: ['offline'],
    when: ANY_OWN_IP,
    actions: ['recordBmcIp', 'setStatusDiscovered', 'journalDiscovered'],
    to: 'discovered',
    note: 'first DHCP lease: status → discovered, record the BMC IP (+ oob_ip)',
  },
  {
    from: ['offline'],
    when: ['status-choice-missing'],
    actions: ['recordBmcIp', 'journalStatusChoiceMissing'],
    anomaly: true,
    note: 'status discovered not configured in NetBox: record the IP, journal the fix',
  },
  { from: ['discovered'], when: ['ip-matches'], actions: [], note: 'renewal, IP unchanged: nothing' },
  { from: ['discovered'], when: ['ip-none', 'ip-differs'], actions: ['recordBmcIp', 'journalIpChanged'], note: 'refresh the BMC IP' },
  { from: ['active'], when: ['ip-none'], actions: ['recordBmcIp', 'journalIpRecorded'], note: 'no BMC IP on record: record it' },
  { from: ['active'], when: ['ip-matches'], actions: [], note: 'IP matches the record: nothing' },
  {
    from: ['active'],
    when: ['ip-differs'],
    actions: ['journalIpMismatch'],
    anomaly: true,
    note: 'IP differs from the record: journal a warning, change nothing',
  },
  { from: ['other'], when: ANY_OWN_IP, actions: ['journalUnexpectedStatus'], anomaly: true, note: 'any other status: journal a warning, change nothing' },
  {
    from: ['offline'],
    when: ['ip-in-populated-range'],
    actions: ['setStatusDiscovered', 'journalDiscoveredWithoutIp'],
    to: 'discovered',
    anomaly: true,
    note: 'IP inside a populated IP range: status → discovered without an IP object; journal the range and how to change it',
  },
  {
    from: ['discovered', 'active'],
    when: ['ip-in-populated-range'],
    actions: ['journalIpNotRecorded'],
    anomaly: true,
    note: 'IP inside a populated IP range: journal the range and how to change it; change nothing',
  },
  {
    from: WRITING,
    when: ['device-refused'],
    actions: ['journalDeviceRefused'],
    anomaly: true,
    fails: true,
    note: "NetBox refused the device change (whole-object validation): journal NetBox's reason; the event fails",
  },
];

export const STATUS_GROUPS: readonly (StatusGroup | 'none')[] = ['none', ...ANY_STATUS];
export const CONDITIONS: readonly Condition[] = [
  'mac-unknown',
  'mac-ambiguous',
  'mac-not-on-bmc',
  'ip-owned-elsewhere',
  ...ANY_OWN_IP,
  'status-choice-missing',
  'ip-in-populated-range',
  'device-refused',
];

/** Conditions found only while acting (NetBox refused a write); the drainer re-decides with them. */
export const CONDITIONS_WHILE_ACTING: readonly Condition[] = ['status-choice-missing', 'ip-in-populated-range', 'device-refused'];

export function statusGroupOf(status: string): StatusGroup {
  return status === 'offline' || status === 'discovered' || status === 'active' ? status : 'other';
}

/** What NetBox holds for the device's BMC IP, compared with the lease. Pure. */
export interface IpFacts {
  /** Addresses (no mask) recorded on the device's BMC interface. */
  recordedOnInterface: readonly string[];
  /** What else holds the lease's IP in its VRF: another device, a VM interface, an FHRP group. */
  ownedElsewhere: readonly string[];
}

export function ipConditionOf(leaseIp: string, facts: IpFacts): Condition {
  if (facts.ownedElsewhere.length > 0) return 'ip-owned-elsewhere';
  if (facts.recordedOnInterface.length === 0) return 'ip-none';
  return facts.recordedOnInterface.includes(leaseIp) ? 'ip-matches' : 'ip-differs';
}

/** The row for this status and condition; null when the pair cannot happen (no row). */
export function decide(from: StatusGroup | 'none', when: Condition): Row | null {
  return FSM.find((row) => row.from.includes(from) && row.when.includes(when)) ?? null;
}
