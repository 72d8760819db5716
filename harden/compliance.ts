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
 * - `below-baseline`: a firmware component older than the profile's minimum version;
 * - `cannot-compare`: a firmware version that cannot be read or compared (firmware.ts):
 *   never taken as ok, always blocking.
 *
 * A firmware update sent in this run and not yet active is `pending-reboot` too (firmware.ts).
 */
import { firmwareRow } from './firmware.ts';
import type { HardenProfile } from './profile.ts';
import type { BiosValue, BmcState } from './redfish.ts';

export type ComplianceResult = 'ok' | 'differs' | 'unsupported' | 'pending-reboot' | 'below-baseline' | 'cannot-compare';

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

/**
 * Every row of the profile against the BMC's state, and whether that state is compliant. `firmwareSent`: the
 * components whose update this run handed to Ansible (their rows after the update, see firmware.ts). Pure.
 */
export function compareCompliance(
  profile: HardenProfile,
  bmc: BmcState,
  rotation: PasswordRotation = 'no-new-password',
  firmwareSent: readonly string[] = [],
): ComplianceReport {
  const rows = [
    ...biosRows(profile, bmc),
    ...protocolRows(profile, bmc),
    ...ntpRows(profile, bmc),
    ...syslogRows(profile),
    ...accountRows(profile, bmc, rotation),
    ...profile.firmware.map((baseline) => firmwareRow(baseline, bmc, profile.rebootAllowed, firmwareSent.includes(baseline.component))),
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
  /** One SimpleUpdate per component below its baseline whose profile entry has an image. */
  firmware?: AnsibleFirmwareUpdate[];
}

/** One firmware update for the playbook (UpdateService.SimpleUpdate). */
export interface AnsibleFirmwareUpdate {
  component: string;
  image_uri: string;
  transfer_protocol?: string;
  targets?: string[];
}

/**
 * What to hand to Ansible: the settings whose row `differs` (unsupported rows are not Ansible's
 * to fix), the account rotation among them, a SimpleUpdate per firmware component
 * `below-baseline` whose profile entry gives an image, and — when the profile
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
  const below = new Set(report.rows.filter((r) => r.result === 'below-baseline').map((r) => r.setting));
  const updates = profile.firmware.flatMap((b) =>
    b.image && below.has(`firmware.${b.component}`)
      ? [
          {
            component: b.component,
            image_uri: b.image,
            ...(b.transferProtocol ? { transfer_protocol: b.transferProtocol } : {}),
            ...(b.targets ? { targets: b.targets } : {}),
          },
        ]
      : [],
  );
  if (updates.length) desired.firmware = updates;
  const any =
    Object.keys(desired.bios_attributes).length || Object.keys(desired.network_protocols).length || desired.ntp_servers || desired.accounts || desired.firmware;
  return any ? desired : undefined;
}

/** The settings `run` hands to Ansible (for the log and `plan`'s count): one source with desiredChanges. Pure. */
export function appliedSettings(profile: HardenProfile, report: ComplianceReport): string[] {
  const desired = desiredChanges(profile, report);
  if (!desired) return [];
  return [
    ...Object.keys(desired.bios_attributes).map((n) => `bios.${n}`),
    ...Object.keys(desired.network_protocols).map((n) => `protocol.${n}`),
    ...(desired.ntp_servers ? ['ntp.servers'] : []),
    ...(desired.accounts ? [`account.${desired.accounts.rotate_username}`] : []),
    ...(desired.firmware ?? []).map((f) => `firmware.${f.component}`),
  ];
}
