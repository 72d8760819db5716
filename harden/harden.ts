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
 * Right after the first read, before any change, the BMC's identity is judged
 * (identity.ts: its SerialNumber against the device's serial, its own MACs against the
 * management interface's): `run` (and `pxe-boot`, harden/pxe-boot.ts, which shares this
 * preparation) act only on a proved identity; otherwise they refuse, change nothing and
 * journal the refusal once (a deterministic marker: the same refusal repeated by `watch`
 * is not journalled again; the entry is the whole record, there is no status to go with
 * it). `plan` and `check` go on and show the verdict (check: an identity row first in
 * the journal table, exit 1 when not proved).
 *
 * A BMC that cannot be read (unreachable, wrong credentials, TLS) stops before any
 * change and before anything is recorded: no status change, a clear error. The journal
 * entry is posted before the status is set, so a status never appears without its
 * reasons; a re-run starts again from a fresh read and is safe.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from '../shared/log.ts';
import { mdCode, mdText } from '../shared/markdown.ts';
import { createJournalEntryOnce, interfaceMacsOf, listDeviceInterfaces, type NetboxClient, setDeviceStatus } from '../shared/netbox/index.ts';
import { redact } from '../shared/redact.ts';
import { AnsibleError, type AnsibleRunOutcome, type AnsibleSettings, runAnsible } from './ansible.ts';
import { appliedSettings, compareCompliance, type ComplianceReport, desiredChanges, type PasswordRotation } from './compliance.ts';
import type { HardenConfig } from './config.ts';
import { type BmcCredentials, readCredentialsFile } from './credentials.ts';
import { deviceLabel, eligibility, facetsOf, findHardenDevice, type HardenDevice, type HardenMode, RESULT_STATUSES, writesToBmc } from './device.ts';
import { identityRefusal, type IdentityVerdict, judgeIdentity } from './identity.ts';
import { type HardenProfile, selectProfile } from './profile.ts';
import { bmcBaseUrl, type BmcState, createRedfishClient, type RedfishClient, RedfishError, readBmcState } from './redfish.ts';
import { type HardenOutcome, identityTable, journalMarker, journalMarkdown } from './report.ts';

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
  /** Whether the BMC is this device's (run only goes on when proved). */
  identity: IdentityVerdict;
}

export interface BmcRead {
  state: BmcState;
  rotation: PasswordRotation;
  /** The credentials the BMC accepted (the new password once rotated). */
  credentials: BmcCredentials;
}

/** A Redfish client for the BMC with the config's timeouts, retries and CA bundle and the profile's TLS verification. */
export function redfishClientFor(deps: HardenDeps, baseUrl: string, profile: HardenProfile, login: { username: string; password: string }): RedfishClient {
  const r = deps.config.redfish;
  return createRedfishClient({
    baseUrl,
    username: login.username,
    password: login.password,
    timeoutMs: r.timeoutMs,
    retries: r.retries,
    verifyTls: profile.tls.verify,
    ...(r.caBundle ? { caBundle: r.caBundle } : {}),
    logger: deps.logger,
  });
}

/**
 * Reads the BMC with the configured password and, when the BMC refuses it and a new
 * password is configured, with that one (the rotation was done by an earlier run).
 * `preferNew` tries the new password first (after a rotation): a refused login is not
 * free on a real BMC (lockout counters).
 */
async function readBmc(deps: HardenDeps, baseUrl: string, profile: HardenProfile, credentials: BmcCredentials, preferNew = false): Promise<BmcRead> {
  const read = (password: string) => readBmcState(redfishClientFor(deps, baseUrl, profile, { username: credentials.username, password }));
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

export function newRunId(): string {
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

/** A device found and eligible, its profile chosen, its BMC read once and its identity judged. */
export interface PreparedDevice {
  device: HardenDevice;
  label: string;
  profile: HardenProfile;
  /** The credentials file's content (readBmc tries the new password too). */
  credentials: BmcCredentials;
  /** The BMC's base URL. */
  bmc: string;
  first: BmcRead;
  identity: IdentityVerdict;
}

/**
 * The verdict on the BMC's identity. NetBox's management interfaces are listed only when the
 * BMC names MACs of its own (nothing to compare them with otherwise).
 */
async function identityOf(deps: HardenDeps, device: HardenDevice, state: BmcState): Promise<IdentityVerdict> {
  const bmcMacs = state.manager?.macs;
  const netboxMacs = bmcMacs?.length
    ? (await listDeviceInterfaces(deps.netbox, device.id)).filter((i) => i.mgmt_only).flatMap((i) => interfaceMacsOf(i))
    : undefined;
  return judgeIdentity({
    netboxSerial: device.serial,
    bmcSerial: state.system?.serialNumber,
    ...(bmcMacs ? { bmcMacs } : {}),
    ...(netboxMacs ? { netboxMacs } : {}),
  });
}

/** The marker of a refusal's journal entry: the same for the same refusal, so watch's repeats journal it once. Pure. */
export function refusalMarker(bmc: string, verdict: IdentityVerdict): string {
  const key = JSON.stringify([bmc, verdict.result, verdict.serial, verdict.mac]);
  return `bm-harden identity ${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

/**
 * Posts a journal entry once (by its marker) where the entry reports an error the caller throws next: a failure to
 * post it is logged as `failureLog`, never thrown, so that error is what the caller sees.
 */
export async function journalBestEffort(
  deps: HardenDeps,
  entry: { deviceId: number; kind: 'danger' | 'warning'; comments: string },
  marker: string,
  failureLog: string,
  fields: Record<string, unknown> = {},
): Promise<void> {
  try {
    await createJournalEntryOnce(deps.netbox, entry, marker, { retried: true });
  } catch (error) {
    deps.logger.warning(failureLog, { ...fields, error: redact(error instanceof Error ? error.message : String(error)) });
  }
}

/** Journals a refusal once (see refusalMarker); nothing else was recorded that could be half. */
async function journalRefusal(deps: HardenDeps, device: HardenDevice, bmc: string, mode: HardenMode, verdict: IdentityVerdict): Promise<void> {
  const marker = refusalMarker(bmc, verdict);
  const comments = [
    `**bm-harden ${mode} refused**: ${mdText(verdict.summary)}`,
    '',
    `BMC ${mdCode(bmc)}: nothing was changed (no Redfish write, no Ansible), status stays ${mdText(device.status.value)}. ` +
      "Check the device's oob_ip (stale IPAM, swapped cables) and its serial in NetBox, then run again.",
    '',
    identityTable(verdict),
    '',
    `Marker: ${mdCode(marker)} (the same refusal is journalled once)`,
  ].join('\n');
  const kind = verdict.result === 'mismatch' ? 'danger' : 'warning';
  await journalBestEffort(
    deps,
    { deviceId: device.id, kind, comments },
    marker,
    'the refusal could not be journalled in NetBox (nothing else was recorded either)',
    {
      device: deviceLabel(device),
    },
  );
}

/**
 * The common start of every device command: find the device, judge its eligibility for
 * `mode`, choose the profile, read the BMC once and judge its identity. For a mode that
 * writes to the BMC (run, pxe-boot) an identity that is not proved is refused here,
 * journalled once and thrown as an IdentityError: nothing was changed.
 */
export async function prepareDevice(deps: HardenDeps, request: { device: string; mode: HardenMode; profile?: string }): Promise<PreparedDevice> {
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
  const identity = await identityOf(deps, device, first.state);
  if (identity.result !== 'proved') {
    if (writesToBmc(request.mode)) {
      await journalRefusal(deps, device, bmc, request.mode, identity);
      throw identityRefusal(label, request.mode, bmc, device.status.value, identity);
    }
    log.warning(`${identity.summary}: bm-harden run and pxe-boot would refuse this device`, { device: label, bmc });
  } else {
    log.info(identity.summary, { device: label });
  }
  return { device, label, profile, credentials, bmc, first, identity };
}

/** Runs one device through plan, check or run; see the module comment. */
export async function hardenDevice(deps: HardenDeps, request: HardenRequest): Promise<HardenResult> {
  const started = Date.now();
  const log = deps.logger;
  const { device, label, profile, credentials, bmc, first, identity } = await prepareDevice(deps, request);
  const before = compareCompliance(profile, first.state, first.rotation);
  const runId = newRunId();
  const base = { runId, profile: profile.name, bmc, identity, ...(first.state.redfishVersion ? { redfishVersion: first.state.redfishVersion } : {}) };

  if (request.mode === 'plan') {
    const outcome: HardenOutcome = { mode: 'check', ...base, report: before, durationMs: Date.now() - started };
    return { device, profile, bmc, before, after: before, outcome, journalled: false, identity };
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
  return { device, profile, bmc, before, after, outcome, ...(ansibleError ? { ansibleError } : {}), journalled, identity };
}
