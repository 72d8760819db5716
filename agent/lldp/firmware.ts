/**
 * The firmware LLDP agent of Intel NICs (i40e: X710/XL710/XXV710/X722; ice: E810)
 * answers LLDP in the NIC itself and swallows the frames, so lldpd on the host never
 * hears the switch. 04-lldp stops it before listening and puts it back afterwards, through
 * the driver's ethtool private flag — i40e `disable-fw-lldp` (on = stopped), ice
 * `fw-lldp-agent` (off = stopped) — read first with `ethtool --show-priv-flags`.
 *
 * One path only: the flag works with or without kernel lockdown. The older i40e debugfs
 * command (`lldp stop` into /sys/kernel/debug/i40e/<pci>/command) is not used: lockdown
 * (Secure Boot) refuses debugfs writes, ice never had it, and every kernel since 4.16 has
 * the flag. The flag's setting can outlive the boot (Intel documents ice's as persisting
 * across reboots), and production DCB may rely on the firmware agent: hence the restore.
 */
import type { Logger } from '../../shared/log.ts';
import type { PhysicalNic } from '../inventory/nics.ts';
import { readPrivFlags, setPrivFlag, setPrivFlagArgs } from '../tools/ethtool.ts';
import type { ToolRunner } from '../tools/run-tool.ts';

/** Per driver: the private flag that governs the firmware LLDP agent, and its value when the agent is stopped. */
export const FIRMWARE_LLDP_FLAGS = {
  i40e: { flag: 'disable-fw-lldp', stoppedWhen: true },
  ice: { flag: 'fw-lldp-agent', stoppedWhen: false },
} as const satisfies Record<string, { flag: string; stoppedWhen: boolean }>;

export type FirmwareLldpDriver = keyof typeof FIRMWARE_LLDP_FLAGS;

function isFirmwareLldpDriver(driver: string | null): driver is FirmwareLldpDriver {
  return driver !== null && Object.hasOwn(FIRMWARE_LLDP_FLAGS, driver);
}

/** What to do about one NIC's firmware agent, from its current private flags. */
export type FirmwareLldpPlan =
  | { kind: 'set'; flag: string; value: boolean }
  | { kind: 'already-stopped'; flag: string; value: boolean }
  | { kind: 'unsupported'; flag: string; reason: string };

const onOff = (value: boolean) => (value ? 'on' : 'off');

/**
 * The decision, pure: the flag already at its stopped value → nothing to do; at the other
 * value → set it; absent (a kernel before the flag, or firmware that cannot stop its agent)
 * → say so.
 */
export function planFirmwareLldpStop(nic: string, driver: FirmwareLldpDriver, flags: ReadonlyMap<string, boolean>): FirmwareLldpPlan {
  const { flag, stoppedWhen } = FIRMWARE_LLDP_FLAGS[driver];
  const current = flags.get(flag);
  if (current === stoppedWhen) return { kind: 'already-stopped', flag, value: current };
  if (current !== undefined) return { kind: 'set', flag, value: stoppedWhen };
  const listed = flags.size ? [...flags.keys()].join(', ') : 'none';
  return {
    kind: 'unsupported',
    flag,
    reason:
      `${driver} on ${nic} has no ${flag} private flag (ethtool --show-priv-flags lists: ${listed}): the kernel driver predates it ` +
      `or the NIC's firmware cannot stop its LLDP agent; update the NIC's NVM, or disable "LLDP Agent" in its UEFI HII setup`,
  };
}

export interface FirmwareLldpAction {
  nic: string;
  driver: FirmwareLldpDriver;
  pciAddress: string | null;
  /** The private flag (`disable-fw-lldp`, `fw-lldp-agent`). */
  flag: string;
  /** Its value as found; null when it could not be read or the driver has no such flag. */
  before: boolean | null;
  /** `ethtool`: the agent is stopped (by the flag, or it already was); `none`: it could not be (detail says why). */
  method: 'ethtool' | 'none';
  ok: boolean;
  /** The flag was changed here, so {@link restoreFirmwareLldp} puts it back. */
  changed: boolean;
  detail: string;
  /** After listening: true = put back, false = could not be (restoreProblem), null = nothing to put back. */
  restored: boolean | null;
  restoreProblem?: string;
}

/** Of the NICs to check (by name, in that order), the physical ones with a firmware LLDP agent to stop (i40e, ice). Pure. */
export function nicsWithFirmwareLldp(names: readonly string[], physical: readonly PhysicalNic[]): FirmwareLldpNic[] {
  return names.map((name) => physical.find((nic) => nic.name === name)).filter((nic): nic is FirmwareLldpNic => isFirmwareLldpDriver(nic?.driver ?? null));
}

/** A physical NIC whose driver has a firmware LLDP agent. */
export type FirmwareLldpNic = PhysicalNic & { driver: FirmwareLldpDriver };

interface FirmwareDeps {
  run: ToolRunner;
  log: Logger;
  signal?: AbortSignal;
}

/** Stops the firmware LLDP agent of an i40e or ice NIC; never throws: the action says whether it worked. */
export async function stopFirmwareLldp(deps: FirmwareDeps, nic: Pick<FirmwareLldpNic, 'name' | 'busAddress' | 'driver'>): Promise<FirmwareLldpAction> {
  const driver = nic.driver;
  const options = deps.signal ? { signal: deps.signal } : {};
  const base = { nic: nic.name, driver, pciAddress: nic.busAddress, flag: FIRMWARE_LLDP_FLAGS[driver].flag, restored: null };
  const leftRunning = (before: boolean | null, detail: string): FirmwareLldpAction => {
    deps.log.warning(`${driver} firmware LLDP agent left running: neighbours may stay invisible`, { nic: nic.name, detail });
    return { ...base, before, method: 'none', ok: false, changed: false, detail };
  };

  const read = await readPrivFlags(deps.run, nic.name, options);
  if (!read.flags) return leftRunning(null, `could not read its private flags: ${read.problem}`);
  const plan = planFirmwareLldpStop(nic.name, driver, read.flags);
  if (plan.kind === 'unsupported') return leftRunning(null, plan.reason);
  if (plan.kind === 'already-stopped') {
    deps.log.info(`${driver} firmware LLDP agent already stopped`, { nic: nic.name, flag: plan.flag, value: onOff(plan.value) });
    return { ...base, before: plan.value, method: 'ethtool', ok: true, changed: false, detail: `${plan.flag} was already ${onOff(plan.value)}` };
  }
  const before = !plan.value;
  const command = `ethtool ${setPrivFlagArgs(nic.name, plan.flag, plan.value).join(' ')}`;
  const problem = await setPrivFlag(deps.run, nic.name, plan.flag, plan.value, options);
  if (problem !== null) return leftRunning(before, `${command} failed: ${problem}`);
  // Read back: a driver may accept the request and keep the agent (firmware that refuses to stop it).
  const after = await readPrivFlags(deps.run, nic.name, options);
  const now = after.flags?.get(plan.flag);
  if (now === before) return { ...leftRunning(before, `${command} succeeded but ${plan.flag} still reads ${onOff(before)}`), changed: true };
  const verified = now === plan.value ? '' : ` (not read back: ${after.problem ?? `${plan.flag} no longer listed`})`;
  deps.log.info(`stopped the ${driver} firmware LLDP agent`, { nic: nic.name, command });
  return { ...base, before, method: 'ethtool', ok: true, changed: true, detail: `${command}${verified}` };
}

/**
 * Puts the flag back to what it was before {@link stopFirmwareLldp} changed it (nothing to do
 * otherwise); records the outcome on the action. Runs without the step's signal: a cancelled
 * step must still not leave the NIC's firmware changed. Never throws.
 */
export async function restoreFirmwareLldp(deps: Omit<FirmwareDeps, 'signal'>, action: FirmwareLldpAction): Promise<void> {
  if (!action.changed || action.before === null) return;
  const problem = await setPrivFlag(deps.run, action.nic, action.flag, action.before);
  action.restored = problem === null;
  if (problem === null) {
    deps.log.info(`${action.driver} firmware LLDP agent setting restored`, { nic: action.nic, flag: action.flag, value: onOff(action.before) });
    return;
  }
  action.restoreProblem = `ethtool ${setPrivFlagArgs(action.nic, action.flag, action.before).join(' ')} failed: ${problem}`;
  deps.log.warning(`${action.driver} firmware LLDP agent setting not restored: set it by hand`, { nic: action.nic, problem: action.restoreProblem });
}
