/**
 * One automatic run, as `bm-harden serve` and `bm-harden watch` start it for a device id:
 * the trigger (a callback, a webhook, a poll) only says "look at device N"; the device is
 * read from NetBox again and hardened only when it is `staged` now — a replayed or stale
 * trigger, or a device already made `ready` by another run, changes nothing. Then the same
 * `hardenDevice` as `bm-harden run` (journal, status). Nothing is thrown: every ending is
 * one log line saying what happened and one outcome for the caller to count.
 */
import { type Cause, causeOf, classifyFailure, type FailureClass } from '../shared/failure.ts';
import { describeError, exitCodeFor } from '../shared/cli/errors.ts';
import { EXIT, type ExitCode } from '../shared/cli/exit-codes.ts';
import { type HardenDeps, type HardenResult, hardenDevice } from './harden.ts';
import { DeviceNotEligibleError, deviceLabel, findHardenDevice, STAGED_STATUS } from './device.ts';
import { headline } from './report.ts';

/** How an automatic run ended. */
export type TriggeredOutcome =
  /** Hardened, verified compliant, status set (ready). */
  | 'compliant'
  /** Run, but not compliant after apply (status failed or left, per onNonCompliant). */
  | 'not-compliant'
  /** The device is not `staged` (any more): nothing done. */
  | 'not-staged'
  /** Not found, or no oob_ip: nothing done. */
  | 'not-eligible'
  /** NetBox, the BMC, Ansible or the config failed: nothing or only part recorded (see hardenDevice). */
  | 'error';

/**
 * How an automatic run ended, and the exit code `bm-harden run` would have had (watch --once exits with the worst);
 * for a run that did not end compliant, the failure's class and cause (shared/failure.ts; watch's back-off, backoff.ts).
 */
export interface Triggered {
  outcome: TriggeredOutcome;
  exitCode: ExitCode;
  failureClass?: FailureClass;
  cause?: Cause;
}

/** The failure fields of a run that ended with `error`. Pure. */
function failureOf(error: unknown): Pick<Triggered, 'failureClass' | 'cause'> {
  return { failureClass: classifyFailure(error), cause: causeOf(error) };
}

/**
 * The exit code of a finished run or check: 1 when the BMC's identity is not proved (check; run refuses
 * earlier), 0 compliant, else Ansible's failure or 1 (not compliant). Pure.
 */
export function exitCodeOfResult(result: Pick<HardenResult, 'after' | 'ansibleError'> & Partial<Pick<HardenResult, 'identity'>>): ExitCode {
  if (result.identity && result.identity.result !== 'proved') return EXIT.failed;
  if (result.after.compliant) return EXIT.ok;
  return result.ansibleError ? exitCodeFor(result.ansibleError) : EXIT.failed;
}

/** Runs `bm-harden run` for device `id` when it is staged now; `trigger` names what asked (for the log). */
export async function hardenTriggered(deps: HardenDeps, id: number, trigger: string): Promise<Triggered> {
  const log = deps.logger.child({ device: id, trigger });
  try {
    const device = await findHardenDevice(deps.netbox, String(id));
    const label = deviceLabel(device);
    if (device.status.value !== STAGED_STATUS) {
      log.info(`not hardening ${label}: its status is ${device.status.value}, not staged (a stale or repeated trigger); nothing changed`);
      return { outcome: 'not-staged', exitCode: EXIT.ok };
    }
    log.info(`hardening ${label}`);
    const result = await hardenDevice(deps, { device: String(id), mode: 'run' });
    const line = `${label}: ${headline(result.outcome)}${result.journalled ? ' (journalled)' : ''}`;
    if (result.after.compliant) {
      log.notice(`hardened ${line}`, { durationMs: result.outcome.durationMs });
      return { outcome: 'compliant', exitCode: exitCodeOfResult(result) };
    }
    log.warning(`not compliant after the run: ${line}`, { durationMs: result.outcome.durationMs });
    // Not compliant after apply: repeating cannot help unless Ansible's failure was one worth retrying (a timeout).
    const failure = result.ansibleError ? failureOf(result.ansibleError) : { failureClass: 'permanent' as const, cause: 'check-failed' as const };
    return { outcome: 'not-compliant', exitCode: exitCodeOfResult(result), ...failure };
  } catch (error) {
    if (error instanceof DeviceNotEligibleError) {
      log.warning(`not hardening: ${describeError(error)}`, { reason: error.reason });
      return { outcome: 'not-eligible', exitCode: EXIT.failed, ...failureOf(error) };
    }
    const failure = failureOf(error);
    log.error(`hardening failed: ${describeError(error)}`, { cause: failure.cause });
    return { outcome: 'error', exitCode: exitCodeFor(error), ...failure };
  }
}
