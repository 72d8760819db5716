/**
 * Compliance, pure: a profile's desired state against what the BMC reports
 * (redfish.ts's BmcState) → one row per setting {setting, desired, actual, result}.
 * The same comparison decides what `plan` shows, what `run` hands to Ansible (only
 * rows that differ and can be applied), and — after apply, on a fresh read — whether
 * the BMC really is compliant. Ansible's "changed" is never an input here.
 *
 * Results:
 * - `ok`: the BMC reports the desired value;
 * - `differs`: it reports another value (applying can fix it);
 * - `pending-reboot`: the BIOS holds the desired value as a pending setting, applied at
 *   the next reboot;
 * - `unsupported`: the BMC does not offer the resource or property (or Redfish has no
 *   standard property for it, e.g. syslog targets);
 * - `below-baseline`: a firmware component older than the profile's minimum version.
 */
import type { HardenProfile } from './profile.ts';
import type { BiosValue, BmcState } from './redfish.ts';

export type ComplianceResult = 'ok' | 'differs' | 'unsupported' | 'pending-reboot' | 'below-baseline';

export interface ComplianceRow {
  /** `bios.BootMode`, `protocol.IPMI`, `ntp.servers`, `syslog.servers`, `account.admin`, `firmware.BMC`. */
  setting: string;
  desired: string;
  actual: string;
  result: ComplianceResult;
  /** Why, when the result alone does not say (e.g. "not in the BIOS attributes"). */
  note?: string;
}

export interface ComplianceReport {
  rows: ComplianceRow[];
  /** True when nothing blocks `ready`: no row differs, is pending or below baseline, and unsupported rows only with onUnsupported: report. */
  compliant: boolean;
  /** Rows that block compliance, for the journal's reasons. */
  blocking: ComplianceRow[];
}

function shown(value: BiosValue | boolean | undefined): string {
  if (value === undefined) return '–';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** BIOS values compare as Redfish sends them, except that `"5"` and `5` are the same. Pure. */
export function sameBiosValue(desired: BiosValue, actual: BiosValue | undefined): boolean {
  if (actual === undefined) return false;
  if (typeof desired === typeof actual) return desired === actual;
  return String(desired) === String(actual);
}

/**
 * Compares dotted versions numerically segment by segment (`2.10.1` > `2.9`); non-numeric
 * segments compare as text; a missing segment counts as 0. Negative, zero or positive. Pure.
 */
export function compareVersions(a: string, b: string): number {
  const split = (v: string) =>
    v
      .trim()
      .replace(/^v/i, '')
      .split(/[.\-_ ]/);
  const pa = split(a);
  const pb = split(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '0';
    const y = pb[i] ?? '0';
    const nx = /^\d+$/.test(x) ? Number(x) : Number.NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : Number.NaN;
    const diff = !Number.isNaN(nx) && !Number.isNaN(ny) ? nx - ny : x.localeCompare(y);
    if (diff !== 0) return diff;
  }
  return 0;
}

function biosRows(profile: HardenProfile, bmc: BmcState): ComplianceRow[] {
  return Object.entries(profile.bios).map(([name, desired]) => {
    const setting = `bios.${name}`;
    if (!bmc.bios) return { setting, desired: shown(desired), actual: '–', result: 'unsupported', note: 'the BMC offers no BIOS resource' };
    const actual = bmc.bios.attributes[name];
    if (actual === undefined) {
      return { setting, desired: shown(desired), actual: '–', result: 'unsupported', note: 'not in the BIOS attributes (check the attribute registry)' };
    }
    if (sameBiosValue(desired, actual)) return { setting, desired: shown(desired), actual: shown(actual), result: 'ok' };
    const pending = bmc.bios.pending?.[name];
    if (pending !== undefined && sameBiosValue(desired, pending)) {
      return { setting, desired: shown(desired), actual: shown(actual), result: 'pending-reboot', note: 'set; applied at the next reboot' };
    }
    return { setting, desired: shown(desired), actual: shown(actual), result: 'differs' };
  });
}

function protocolRows(profile: HardenProfile, bmc: BmcState): ComplianceRow[] {
  return Object.entries(profile.networkProtocols).map(([name, desired]) => {
    const setting = `protocol.${name}`;
    const want = desired ? 'enabled' : 'disabled';
    if (!bmc.networkProtocol) return { setting, desired: want, actual: '–', result: 'unsupported', note: 'the BMC offers no ManagerNetworkProtocol resource' };
    const actual = bmc.networkProtocol.enabled[name];
    if (actual === undefined) {
      // A protocol the BMC does not offer at all is as off as it gets.
      return desired
        ? { setting, desired: want, actual: 'not offered', result: 'unsupported' }
        : { setting, desired: want, actual: 'not offered', result: 'ok' };
    }
    return { setting, desired: want, actual: actual ? 'enabled' : 'disabled', result: actual === desired ? 'ok' : 'differs' };
  });
}

function ntpRows(profile: HardenProfile, bmc: BmcState): ComplianceRow[] {
  if (!profile.ntpServers) return [];
  const desired = [...profile.ntpServers].sort();
  const setting = 'ntp.servers';
  const want = desired.join(', ') || '(none)';
  const servers = bmc.networkProtocol?.ntpServers;
  if (!servers) return [{ setting, desired: want, actual: '–', result: 'unsupported', note: 'the BMC reports no NTP.NTPServers' }];
  const actual = [...servers].sort();
  const same = actual.length === desired.length && actual.every((s, i) => s === desired[i]);
  return [{ setting, desired: want, actual: actual.join(', ') || '(none)', result: same ? 'ok' : 'differs' }];
}

function syslogRows(profile: HardenProfile): ComplianceRow[] {
  if (!profile.syslogServers?.length) return [];
  return [
    {
      setting: 'syslog.servers',
      desired: profile.syslogServers.join(', '),
      actual: '–',
      result: 'unsupported',
      note: 'Redfish has no standard property for remote syslog (vendor OEM)',
    },
  ];
}

/**
 * Whether the factory password was rotated is not readable from Redfish; it is known from
 * which password the BMC accepted (harden.ts): the new one → rotated, the old one → not yet.
 */
export type PasswordRotation = 'rotated' | 'not-rotated' | 'no-new-password';

function accountRows(profile: HardenProfile, bmc: BmcState, rotation: PasswordRotation): ComplianceRow[] {
  if (!profile.accounts) return [];
  const user = profile.accounts.rotateUsername;
  const setting = `account.${user}`;
  const desired = 'password rotated';
  if (!bmc.accounts) return [{ setting, desired, actual: '–', result: 'unsupported', note: 'the BMC offers no AccountService accounts' }];
  if (!bmc.accounts.some((a) => a.userName === user)) return [{ setting, desired, actual: 'no such account', result: 'unsupported' }];
  if (rotation === 'no-new-password') return [{ setting, desired, actual: 'unknown', result: 'unsupported', note: 'no new_password in the credentials file' }];
  return rotation === 'rotated'
    ? [{ setting, desired, actual: 'new password accepted', result: 'ok' }]
    : [{ setting, desired, actual: 'factory password accepted', result: 'differs' }];
}

function firmwareRows(profile: HardenProfile, bmc: BmcState): ComplianceRow[] {
  return profile.firmware.map((baseline) => {
    const setting = `firmware.${baseline.component}`;
    const desired = `≥ ${baseline.minimumVersion}`;
    if (!bmc.firmware) return { setting, desired, actual: '–', result: 'unsupported', note: 'the BMC offers no FirmwareInventory' };
    const wanted = baseline.component.toLowerCase();
    const item = bmc.firmware.find((f) => f.id.toLowerCase() === wanted || f.name?.toLowerCase() === wanted);
    if (!item?.version) return { setting, desired, actual: item ? 'no version' : 'not in the inventory', result: 'unsupported' };
    const below = compareVersions(item.version, baseline.minimumVersion) < 0;
    return below
      ? { setting, desired, actual: item.version, result: 'below-baseline', note: baseline.imageUrl ? 'update image given' : 'no update image in the profile' }
      : { setting, desired, actual: item.version, result: 'ok' };
  });
}

/** Every row of the profile against the BMC's state, and whether that state is compliant. Pure. */
export function compareCompliance(profile: HardenProfile, bmc: BmcState, rotation: PasswordRotation = 'no-new-password'): ComplianceReport {
  const rows = [
    ...biosRows(profile, bmc),
    ...protocolRows(profile, bmc),
    ...ntpRows(profile, bmc),
    ...syslogRows(profile),
    ...accountRows(profile, bmc, rotation),
    ...firmwareRows(profile, bmc),
  ];
  const blocking = rows.filter((r) => r.result !== 'ok' && (r.result !== 'unsupported' || profile.onUnsupported === 'fail'));
  return { rows, compliant: blocking.length === 0, blocking };
}

/** The non-secret desired state Ansible applies (the contract's vars.json `desired`): only what differs. */
export interface AnsibleDesired {
  bios_attributes: Record<string, BiosValue>;
  network_protocols: Record<string, boolean>;
  ntp_servers?: string[];
  syslog_servers?: string[];
  accounts?: { rotate_username: string };
}

/**
 * What to hand to Ansible: the settings whose row `differs` (unsupported and firmware rows
 * are not Ansible's to fix here), the account rotation among them, and — when the profile
 * allows a reboot — BIOS attributes already `pending-reboot`: an earlier run set them but
 * did not get to the restart (it timed out, the BMC answered late), and setting them again
 * is what makes the playbook restart the system. Undefined when there is nothing to apply. Pure.
 */
export function desiredChanges(profile: HardenProfile, report: ComplianceReport): AnsibleDesired | undefined {
  const differs = new Set(report.rows.filter((r) => r.result === 'differs').map((r) => r.setting));
  const pending = new Set(report.rows.filter((r) => r.result === 'pending-reboot' && profile.rebootAllowed).map((r) => r.setting));
  const desired: AnsibleDesired = { bios_attributes: {}, network_protocols: {} };
  for (const [name, value] of Object.entries(profile.bios))
    if (differs.has(`bios.${name}`) || pending.has(`bios.${name}`)) desired.bios_attributes[name] = value;
  for (const [name, value] of Object.entries(profile.networkProtocols)) if (differs.has(`protocol.${name}`)) desired.network_protocols[name] = value;
  if (differs.has('ntp.servers') && profile.ntpServers) desired.ntp_servers = profile.ntpServers;
  if (profile.accounts && differs.has(`account.${profile.accounts.rotateUsername}`)) desired.accounts = { rotate_username: profile.accounts.rotateUsername };
  const any = Object.keys(desired.bios_attributes).length || Object.keys(desired.network_protocols).length || desired.ntp_servers || desired.accounts;
  return any ? desired : undefined;
}
