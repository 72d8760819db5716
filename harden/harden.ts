/**
 * One device through bm-harden: find it in NetBox, judge eligibility, choose the
 * profile, read the BMC over Redfish, compare (compliance.ts), and then per mode:
 *
 * - `plan`: say what would change; nothing is written anywhere;
 * - `check`: the compliance table, journalled (unless --no-journal); no status change;
 * - `run`: apply what differs with Ansible, read the BMC again, compare again (Ansible's
 *   "changed" is never trusted), journal one entry with the table, and set `ready` when
 *   compliant — otherwise `failed`, or leave the status (config onNonCompliant).
 *
 * A BMC that cannot be read (unreachable, wrong credentials, TLS) stops before any
 * change and before anything is recorded: no status change, a clear error. The journal
 * entry is posted before the status is set, so a status never appears without its
 * reasons; a re-run starts again from a fresh read and is safe.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../shared/log.ts';
import { createJournalEntryOnce, type NetboxClient, setDeviceStatus } from '../shared/netbox/index.ts';
import { redact } from '../shared/redact.ts';
import { AnsibleError, type AnsibleRunOutcome, type AnsibleSettings, runAnsible } from './ansible.ts';
import { appliedSettings, compareCompliance, type ComplianceReport, desiredChanges, type PasswordRotation } from './compliance.ts';
import type { HardenConfig } from './config.ts';
import { type BmcCredentials, readCredentialsFile } from './credentials.ts';
import { deviceLabel, eligibility, facetsOf, findHardenDevice, type HardenDevice, RESULT_STATUSES } from './device.ts';
import { type HardenProfile, selectProfile } from './profile.ts';
import { bmcBaseUrl, type BmcState, createRedfishClient, RedfishError, readBmcState } from './redfish.ts';
import { type HardenOutcome, journalMarker, journalMarkdown } from './report.ts';

export interface HardenDeps {
  netbox: NetboxClient;
  config: HardenConfig;
  profiles: readonly HardenProfile[];
  /** The environment ansible-playbook's minimal one is built from (PATH, TZ, TMPDIR). */
  env: Readonly<Record<string, string | undefined>>;
  logger: Logger;
  /** Resolved playbook path (config or defaultPlaybook); needed by `run` only. */
  playbook?: string;
  /** Injectable for tests. */
  runAnsible?: typeof runAnsible;
  readCredentials?: (path: string) => BmcCredentials;
}

export interface HardenRequest {
  device: string;
  mode: 'plan' | 'check' | 'run';
  /** Post the journal entry (check, run); default true. */
  journal?: boolean;
  /** Force a profile by name instead of selecting by device facets. */
  profile?: string;
}

export interface HardenResult {
  device: HardenDevice;
  profile: HardenProfile;
  bmc: string;
  before: ComplianceReport;
  /** After apply (run), else the same as before. */
  after: ComplianceReport;
  outcome: HardenOutcome;
  /** Set when Ansible itself failed (missing, timed out, no report); the BMC was still read again. */
  ansibleError?: AnsibleError;
  /** Whether the journal entry was posted. */
  journalled: boolean;
}

interface BmcRead {
  state: BmcState;
  rotation: PasswordRotation;
  /** The credentials the BMC accepted (the new password once rotated). */
  credentials: BmcCredentials;
}

/**
 * Reads the BMC with the configured password and, when the BMC refuses it and a new
 * password is configured, with that one (the rotation was done by an earlier run).
 * `preferNew` tries the new password first (after a rotation): a refused login is not
 * free on a real BMC (lockout counters).
 */
async function readBmc(deps: HardenDeps, baseUrl: string, profile: HardenProfile, credentials: BmcCredentials, preferNew = false): Promise<BmcRead> {
  const r = deps.config.redfish;
  const read = (password: string) =>
    readBmcState(
      createRedfishClient({
        baseUrl,
        username: credentials.username,
        password,
        timeoutMs: r.timeoutMs,
        retries: r.retries,
        verifyTls: profile.tls.verify,
        ...(r.caBundle ? { caBundle: r.caBundle } : {}),
        logger: deps.logger,
      }),
    );
  const { newPassword } = credentials;
  if (!newPassword) return { state: await read(credentials.password), rotation: 'no-new-password', credentials };
  const asOld: BmcRead['credentials'] = { username: credentials.username, password: credentials.password, newPassword };
  const asNew: BmcRead['credentials'] = { username: credentials.username, password: newPassword };
  const order = preferNew
    ? ([
        [newPassword, 'rotated', asNew],
        [credentials.password, 'not-rotated', asOld],
      ] as const)
    : ([
        [credentials.password, 'not-rotated', asOld],
        [newPassword, 'rotated', asNew],
      ] as const);
  try {
    return { state: await read(order[0][0]), rotation: order[0][1], credentials: order[0][2] };
  } catch (error) {
    if (!(error instanceof RedfishError && error.kind === 'credentials')) throw error;
    return { state: await read(order[1][0]), rotation: order[1][1], credentials: order[1][2] };
  }
}

function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
}

/** The Ansible target's baseuri (`host[:port]`) from the BMC base URL. Pure. */
export function baseUriOf(baseUrl: string): { scheme: 'http' | 'https'; baseUri: string } {
  const url = new URL(baseUrl);
  return { scheme: url.protocol === 'http:' ? 'http' : 'https', baseUri: url.host };
}

/** The way out of a run that could not finish: a re-run starts from a fresh read. */
const RERUN = 'run bm-harden run again once NetBox and the BMC answer: it reads the BMC afresh and records the result';

/**
 * What the operator is told when NetBox fails while the result is recorded: what is (not) in NetBox, what
 * happened to the BMC, and that a re-run is the way out (it reads the BMC afresh and records). Pure.
 */
export function notRecordedMessage(journalled: boolean, from: string, to: string, applied: boolean): string {
  const bmc = applied ? 'the BMC was changed by Ansible' : 'the BMC was not changed';
  const recorded = journalled
    ? `the journal entry was posted but the status was not set (stays ${from}, not ${to})`
    : `the result was not recorded in NetBox: no journal entry, status not set (stays ${from})`;
  return `${recorded}; ${bmc}; ${RERUN}`;
}

/** Runs one device through plan, check or run; see the module comment. */
export async function hardenDevice(deps: HardenDeps, request: HardenRequest): Promise<HardenResult> {
  const started = Date.now();
  const log = deps.logger;
  const device = await findHardenDevice(deps.netbox, request.device);
  const problem = eligibility(device, request.mode);
  if (problem) throw problem;
  const label = deviceLabel(device);
  const profile = selectProfile(deps.profiles, facetsOf(device), request.profile);
  if (!profile.tls.verify)
    log.warning('TLS verification of the BMC is OFF (profile opts out): anyone in the path can impersonate it', { profile: profile.name });
  const credentials = (deps.readCredentials ?? readCredentialsFile)(deps.config.credentialsFile);
  const bmc = bmcBaseUrl(deps.config.redfish.host ?? device.oob_ip!.address, deps.config.redfish.scheme, deps.config.redfish.port);
  log.info('reading the BMC', { device: label, bmc, profile: profile.name, mode: request.mode });
  const first = await readBmc(deps, bmc, profile, credentials);
  const before = compareCompliance(profile, first.state, first.rotation);
  const runId = newRunId();
  const base = { runId, profile: profile.name, bmc, ...(first.state.redfishVersion ? { redfishVersion: first.state.redfishVersion } : {}) };

  if (request.mode === 'plan') {
    const outcome: HardenOutcome = { mode: 'check', ...base, report: before, durationMs: Date.now() - started };
    return { device, profile, bmc, before, after: before, outcome, journalled: false };
  }

  let after = before;
  let ansible: AnsibleRunOutcome | undefined;
  let ansibleError: AnsibleError | undefined;
  let ansibleSkipped: string | undefined;
  if (request.mode === 'run') {
    const desired = desiredChanges(profile, before);
    if (!desired) {
      ansibleSkipped = before.compliant ? 'already compliant; Ansible not run' : 'nothing Ansible can apply; Ansible not run';
      log.info(ansibleSkipped, { device: label });
    } else {
      if (!deps.playbook) throw new AnsibleError('missing', 'no playbook: set ansible.playbook in the config (harden/ansible/harden.yml)');
      const settings: AnsibleSettings = { ...deps.config.ansible, playbook: deps.playbook };
      const target = { host: device.name ?? `device-${device.id}`, ...baseUriOf(bmc), validateCerts: profile.tls.verify };
      if (deps.config.redfish.caBundle) Object.assign(target, { caPath: deps.config.redfish.caBundle });
      log.info('applying with Ansible', {
        device: label,
        settings: appliedSettings(profile, before).join(','),
      });
      try {
        ansible = await (deps.runAnsible ?? runAnsible)(
          settings,
          { target, credentials: first.credentials, desired, rebootAllowed: profile.rebootAllowed },
          deps.env,
        );
        log.info('ansible-playbook finished', { exitCode: ansible.exitCode, durationMs: ansible.durationMs, changed: ansible.report.stats.changed ?? 0 });
      } catch (error) {
        if (!(error instanceof AnsibleError)) throw error;
        ansibleError = error;
        log.error('ansible-playbook failed; verifying anyway', { error: error.message });
      }
      // Verify: never trust "changed"; read the BMC again (with the new password when it was rotated).
      let second: BmcRead;
      try {
        second = await readBmc(deps, bmc, profile, credentials, desired.accounts !== undefined || first.rotation === 'rotated');
      } catch (error) {
        const failed = ansible?.report.tasks.filter((t) => t.failed).map((t) => `${t.task}${t.message ? `: ${t.message}` : ''}`) ?? [];
        log.error(
          `the BMC could not be read again after Ansible ran, it may be partly changed; nothing recorded, status stays ${device.status.value}; ${RERUN}`,
          {
            device: label,
            ...(failed.length ? { ansibleFailed: redact(failed.join('; ')) } : {}),
          },
        );
        throw error;
      }
      after = compareCompliance(
        profile,
        second.state,
        second.rotation,
        (desired.firmware ?? []).map((f) => f.component),
      );
    }
  }

  const from = device.status.value;
  const to =
    request.mode !== 'run' ? from : after.compliant ? RESULT_STATUSES.compliant : deps.config.onNonCompliant === 'failed' ? RESULT_STATUSES.nonCompliant : from;
  const outcome: HardenOutcome = {
    mode: request.mode,
    ...base,
    report: after,
    ...(request.mode === 'run' ? { before } : {}),
    ...(ansible ? { ansible } : {}),
    ...(ansibleSkipped ? { ansibleSkipped } : {}),
    ...(ansibleError ? { ansibleFailed: redact(ansibleError.message) } : {}),
    ...(request.mode === 'run' ? { status: { from, to } } : {}),
    durationMs: Date.now() - started,
  };
  let journalled = false;
  try {
    if (request.journal !== false) {
      const kind = after.compliant ? 'success' : to === RESULT_STATUSES.nonCompliant ? 'danger' : 'warning';
      await createJournalEntryOnce(deps.netbox, { deviceId: device.id, kind, comments: journalMarkdown(outcome) }, journalMarker(outcome), { retried: false });
      journalled = true;
    }
    if (to !== from) {
      await setDeviceStatus(deps.netbox, device.id, to);
      log.info('status set', { device: label, from, to });
    }
  } catch (error) {
    log.error(notRecordedMessage(journalled, from, to, ansible !== undefined || ansibleError !== undefined), {
      device: label,
      marker: journalMarker(outcome),
      error: redact(error instanceof Error ? error.message : String(error)),
    });
    throw error;
  }
  return { device, profile, bmc, before, after, outcome, ...(ansibleError ? { ansibleError } : {}), journalled };
}
