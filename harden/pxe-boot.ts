/**
 * `bm-harden pxe-boot`: powers a discovered server on with a one-time network (PXE) boot
 * through its BMC's Redfish API, so that Phase 1's image boots and validates it — instead
 * of a technician pressing the power button. Two plain Redfish requests, no Ansible:
 *
 * 1. the common preparation (harden.ts prepareDevice): device found, status `discovered`
 *    or `failed` (device.ts), BMC read, identity proved (identity.ts) — nothing is sent
 *    to a BMC that is not the device's;
 * 2. a fresh GET of the System, and the plan (pure, `planPxeBoot`): the boot target `Pxe`
 *    must be among the BMC's allowed targets (when it lists them), the reset type comes
 *    from the Reset action's allowed values (`On` from off, `ForceRestart` from on);
 *    a BMC that cannot do either stops here, before any write;
 * 3. PATCH Boot {BootSourceOverrideTarget: Pxe, BootSourceOverrideEnabled: Once}, then
 *    POST ComputerSystem.Reset — each sent once (a write that timed out may have landed);
 * 4. polls PowerState (backoff BACKOFF.powerPoll, within --wait-s) until On: BMCs apply
 *    power changes late (sushy-tools' fake driver 1–11 s after the request);
 * 5. the last read's Boot is what the BMC kept: not `Pxe`/`Once` is a warning, never a
 *    failure (sushy-tools always says `Continuous`; a real BMC may have used the one-time
 *    override already);
 * 6. one journal entry on the device: what was sent and what the BMC said. No status
 *    change: Phase 1's agent moves the device on.
 *
 * Ansible is not used: the hardening playbook's diff-and-verify machinery has nothing to
 * do for two requests, and the wait and the read-back are clearer here; community.general's
 * `redfish_command` (SetOneTimeBoot, PowerOn, PowerForceRestart) would send the same two.
 * A failure after the first write journals what was sent and the error (kind danger) and
 * is thrown; a re-run is safe (it PATCHes the same override and resets again).
 */
import { BmError } from '../shared/errors.ts';
import type { Cause } from '../shared/failure.ts';
import { isJsonObject, type JsonObject } from '../shared/json.ts';
import { mdCode, mdText } from '../shared/markdown.ts';
import { createJournalEntryOnce } from '../shared/netbox/index.ts';
import { redact } from '../shared/redact.ts';
import { BACKOFF, type RetryClock, retryUntil } from '../shared/retry.ts';
import type { HardenDevice } from './device.ts';
import { type HardenDeps, journalBestEffort, newRunId, prepareDevice, redfishClientFor } from './harden.ts';
import type { IdentityVerdict } from './identity.ts';
import type { HardenProfile } from './profile.ts';
import { firstSystemPath, type RedfishClient, RedfishError } from './redfish.ts';
import { identityTable } from './report.ts';

/** Default of --wait-s: how long a server may take to report PowerState On. */
export const DEFAULT_PXE_WAIT_S = 120;

/** What the journal entry says first; the lifecycle test and operators look for it. */
export const PXE_BOOT_HEADLINE = 'bm-harden: powered on for validation with a one-time PXE boot';

export interface PxeBootRequest {
  device: string;
  profile?: string;
  /** Seconds to wait for PowerState On after the reset. */
  waitS: number;
}

/** What pxe-boot reads of a ComputerSystem. */
export interface PxeSystem {
  path: string;
  powerState?: string;
  bootTarget?: string;
  bootEnabled?: string;
  /** `BootSourceOverrideTarget@Redfish.AllowableValues`, when the BMC lists them. */
  allowedTargets?: string[];
  /** The `#ComputerSystem.Reset` action's target. */
  resetTarget?: string;
  /** Its `ResetType@Redfish.AllowableValues`, when the BMC lists them. */
  allowedResets?: string[];
}

/** What pxe-boot sends, decided before anything is sent. */
export interface PxeBootPlan {
  boot: JsonObject;
  resetTarget: string;
  resetType: string;
}

export interface PxeBootResult {
  device: HardenDevice;
  profile: HardenProfile;
  bmc: string;
  identity: IdentityVerdict;
  runId: string;
  powerBefore?: string;
  powerAfter: string;
  resetType: string;
  /** The boot override as the BMC reported it after the power-on. */
  boot: { target?: string; enabled?: string };
  warnings: string[];
  durationMs: number;
  journalled: boolean;
}

/** Why pxe-boot stopped: the BMC cannot do it (nothing sent), or the server did not come on in time (both requests sent). */
export class PxeBootError extends BmError {
  override readonly name = 'PxeBootError';
  constructor(
    readonly kind: 'unsupported' | 'timeout',
    message: string,
  ) {
    super(message);
  }

  override get failureClass() {
    return this.kind === 'timeout' ? ('retry-later' as const) : ('permanent' as const);
  }

  override get failureCause(): Cause {
    return this.kind === 'timeout' ? 'timeout' : 'tool-failed';
  }

  override details() {
    return { kind: this.kind };
  }
}

/** Not On yet: worth another look in a moment (retryUntil's retry-now). */
class NotOnYet extends BmError {
  override readonly name = 'NotOnYet';
  constructor(readonly powerState: string | undefined) {
    super(`PowerState is ${powerState ?? 'not reported'}, not On`);
  }

  override get failureClass() {
    return 'retry-now' as const;
  }
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const strings = (value: unknown): string[] | undefined => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined);

/** The parts of a ComputerSystem resource pxe-boot needs. Pure. */
export function parsePxeSystem(path: string, resource: JsonObject): PxeSystem {
  const system: PxeSystem = { path };
  const boot = isJsonObject(resource.Boot) ? resource.Boot : {};
  const actions = isJsonObject(resource.Actions) ? resource.Actions : {};
  const reset = isJsonObject(actions['#ComputerSystem.Reset']) ? actions['#ComputerSystem.Reset'] : {};
  const fields: [keyof PxeSystem, string | string[] | undefined][] = [
    ['powerState', str(resource.PowerState)],
    ['bootTarget', str(boot.BootSourceOverrideTarget)],
    ['bootEnabled', str(boot.BootSourceOverrideEnabled)],
    ['allowedTargets', strings(boot['BootSourceOverrideTarget@Redfish.AllowableValues'])],
    ['resetTarget', str(reset.target)],
    ['allowedResets', strings(reset['ResetType@Redfish.AllowableValues'])],
  ];
  for (const [key, value] of fields) if (value !== undefined) Object.assign(system, { [key]: value });
  return system;
}

/**
 * The reset that powers the server on into the boot override: from off `On` (else
 * `ForceOn`), from any other state `ForceRestart` (else `PowerCycle`, `GracefulRestart`),
 * the first the BMC allows; without a list, the first. Undefined when it allows none. Pure.
 */
export function chooseResetType(powerState: string | undefined, allowed: readonly string[] | undefined): string | undefined {
  const off = powerState === 'Off' || powerState === 'PoweringOff';
  const preferred = off ? ['On', 'ForceOn'] : ['ForceRestart', 'PowerCycle', 'GracefulRestart'];
  return allowed ? preferred.find((type) => allowed.includes(type)) : preferred[0];
}

/** What to send, or a PxeBootError saying what the BMC lacks (nothing sent). Pure. */
export function planPxeBoot(system: PxeSystem, bmc: string): PxeBootPlan {
  if (system.allowedTargets && !system.allowedTargets.includes('Pxe')) {
    throw new PxeBootError(
      'unsupported',
      `the BMC at ${bmc} does not offer Pxe as a boot override target (it allows ${system.allowedTargets.join(', ') || 'none'}); nothing was sent`,
    );
  }
  if (!system.resetTarget) {
    throw new PxeBootError('unsupported', `the BMC at ${bmc} offers no ComputerSystem.Reset action on ${system.path}; nothing was sent`);
  }
  const resetType = chooseResetType(system.powerState, system.allowedResets);
  if (!resetType) {
    throw new PxeBootError(
      'unsupported',
      `the BMC at ${bmc} allows no reset that powers the server ${system.powerState === 'Off' ? 'on' : 'into a restart'} ` +
        `(PowerState ${system.powerState ?? 'not reported'}; it allows ${system.allowedResets?.join(', ') || 'none'}); nothing was sent`,
    );
  }
  return { boot: { Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once' } }, resetTarget: system.resetTarget, resetType };
}

/** What the BMC did not keep of the override, read after the power-on: warnings, never failures. Pure. */
export function overrideWarnings(after: Pick<PxeSystem, 'bootTarget' | 'bootEnabled'>): string[] {
  if (after.bootTarget !== 'Pxe') {
    return [
      `the BMC reports BootSourceOverrideTarget ${after.bootTarget ?? '(none)'}, not Pxe, after the power-on: it may have used the one-time ` +
        'override already (the server is network-booting) or not kept it; if the server does not reach the validation image, check its console',
    ];
  }
  if (after.bootEnabled !== 'Once') {
    return [
      `the BMC reports BootSourceOverrideEnabled ${after.bootEnabled ?? '(none)'}, not Once: the server may network-boot on every restart ` +
        'until the override is cleared (sushy-tools always reports Continuous)',
    ];
  }
  return [];
}

/**
 * Reads the System until it reports PowerState On, waiting BACKOFF.powerPoll between reads,
 * for at most `waitMs`; unreachable or slow answers in between are tried again too. At the
 * deadline a PxeBootError (timeout) with the last state. `clock` is injectable for tests.
 */
export async function waitForPowerOn(read: () => Promise<PxeSystem>, waitMs: number, clock: Partial<RetryClock> = {}): Promise<PxeSystem> {
  const now = clock.now ?? Date.now;
  let last: string | undefined;
  return retryUntil(
    async () => {
      const system = await read();
      last = system.powerState;
      if (system.powerState !== 'On') throw new NotOnYet(system.powerState);
      return system;
    },
    {
      what: 'PowerState On',
      deadline: now() + waitMs,
      backoff: BACKOFF.powerPoll,
      retryOn: ['retry-now'],
      clock,
      giveUp: (error, why) =>
        why === 'deadline' || why === 'retries'
          ? new PxeBootError(
              'timeout',
              `the server did not report PowerState On within ${Math.round(waitMs / 1000)} s ` +
                `(last: ${last ?? (error instanceof Error ? error.message : 'no answer')})`,
            )
          : error,
    },
  );
}

async function readSystem(client: RedfishClient, path: string): Promise<PxeSystem> {
  const resource = await client.get(path);
  if (!resource) throw new RedfishError('http', `the BMC answered 404 to GET ${client.baseUrl}${path}`, `${client.baseUrl}${path}`, 404);
  return parsePxeSystem(path, resource);
}

/** The journal entry of a finished pxe-boot: what was sent, what the BMC said. Pure. */
export function pxeJournalMarkdown(result: Omit<PxeBootResult, 'device' | 'profile' | 'journalled'>): string {
  const boot = `BootSourceOverrideTarget ${mdCode(result.boot.target ?? '(none)')}, BootSourceOverrideEnabled ${mdCode(result.boot.enabled ?? '(none)')}`;
  const lines = [
    `**${PXE_BOOT_HEADLINE}**`,
    '',
    `BMC ${mdCode(result.bmc)}: boot override Pxe/Once set, ComputerSystem.Reset ${mdCode(result.resetType)}; ` +
      `PowerState ${mdText(result.powerBefore ?? '(not reported)')} → ${mdText(result.powerAfter)}. The BMC now reports ${boot}. ` +
      `${(result.durationMs / 1000).toFixed(1)} s. Marker: ${mdCode(`bm-harden pxe-boot ${result.runId}`)}`,
  ];
  for (const warning of result.warnings) lines.push('', `⚠️ ${mdText(warning)}`);
  lines.push('', identityTable(result.identity));
  return lines.join('\n');
}

/** See the module comment. Throws DeviceNotEligibleError, IdentityError, PxeBootError, RedfishError or NetBox's errors. */
export async function pxeBootDevice(deps: HardenDeps & { clock?: Partial<RetryClock> }, request: PxeBootRequest): Promise<PxeBootResult> {
  const started = Date.now();
  const log = deps.logger;
  const { device, label, profile, bmc, first, identity } = await prepareDevice(deps, { device: request.device, mode: 'pxe-boot', profile: request.profile });
  const client = redfishClientFor(deps, bmc, profile, first.credentials);
  const path = await firstSystemPath(client);
  const before = await readSystem(client, path);
  const plan = planPxeBoot(before, bmc);
  const runId = newRunId();
  const marker = `bm-harden pxe-boot ${runId}`;
  const sent: string[] = [];
  let after: PxeSystem;
  try {
    log.info('setting a one-time PXE boot', { device: label, system: path });
    sent.push('boot override Pxe/Once (PATCH)');
    await client.send('PATCH', path, plan.boot);
    log.info(`resetting: ${plan.resetType}`, { device: label, powerState: before.powerState ?? 'not reported' });
    sent.push(`ComputerSystem.Reset ${plan.resetType} (POST)`);
    await client.send('POST', plan.resetTarget, { ResetType: plan.resetType });
    after = await waitForPowerOn(() => readSystem(client, path), request.waitS * 1000, deps.clock);
  } catch (error) {
    const message = redact(error instanceof Error ? error.message : String(error));
    log.error(`pxe-boot did not finish; sent to the BMC: ${sent.join(', ')}; a re-run sends both again`, { device: label, error: message });
    await journalFailure(deps, device.id, marker, bmc, sent, message);
    throw error;
  }
  const warnings = overrideWarnings(after);
  for (const warning of warnings) log.warning(warning, { device: label });
  const result = {
    bmc,
    identity,
    runId,
    ...(before.powerState ? { powerBefore: before.powerState } : {}),
    powerAfter: after.powerState ?? 'On',
    resetType: plan.resetType,
    boot: { ...(after.bootTarget ? { target: after.bootTarget } : {}), ...(after.bootEnabled ? { enabled: after.bootEnabled } : {}) },
    warnings,
    durationMs: Date.now() - started,
  };
  try {
    const kind = warnings.length ? 'warning' : 'info';
    await createJournalEntryOnce(deps.netbox, { deviceId: device.id, kind, comments: pxeJournalMarkdown(result) }, marker, { retried: false });
  } catch (error) {
    log.error(`the server was powered on (reset ${plan.resetType}, PXE once) but the journal entry could not be posted; Phase 1 goes on regardless`, {
      device: label,
      marker,
      error: redact(error instanceof Error ? error.message : String(error)),
    });
    throw error;
  }
  return { ...result, device, profile, journalled: true };
}

/** After a write, a failure is journalled with what was sent (best effort: NetBox may be the failure). */
async function journalFailure(deps: HardenDeps, deviceId: number, marker: string, bmc: string, sent: readonly string[], message: string): Promise<void> {
  const comments = [
    `**bm-harden pxe-boot did not finish**: ${mdText(message)}`,
    '',
    `Sent to the BMC ${mdCode(bmc)}: ${mdText(sent.join(', '))}. A re-run sends both again. Marker: ${mdCode(marker)}`,
  ].join('\n');
  await journalBestEffort(deps, { deviceId, kind: 'danger', comments }, marker, 'the failure could not be journalled in NetBox');
}
