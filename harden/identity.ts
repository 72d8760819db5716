/**
 * Is the BMC answering at the device's `oob_ip` this device's BMC? The address comes from
 * IPAM, and IPAM goes stale (a lease moved, cables swapped): acting on the BMC found there
 * could harden — and reboot — another server. The project's rule is never to act on a
 * device whose identity is not proved, so bm-harden compares, right after its first read
 * and before any change:
 *
 * - the ComputerSystem's `SerialNumber` with the NetBox device's `serial`, compared as
 *   shared/serial.ts normalises them (case, spaces and punctuation ignored); a serial that
 *   is empty or a firmware placeholder (`To Be Filled By O.E.M.`, the rule in
 *   shared/serial.ts) proves nothing, on either side;
 * - when the BMC reports its own NICs (Managers/<id>/EthernetInterfaces) and the device's
 *   mgmt_only interfaces in NetBox carry MACs: at least one MAC in common.
 *
 * Verdicts: `proved` (the serials agree, and the MACs too when both are known),
 * `mismatch` (the serials or the MACs differ: another machine's BMC) and `unproved`
 * (no usable serial on one side). `run` and `pxe-boot` act only on `proved`; `plan` and
 * `check` only read, so they go on and show the verdict. A refusal is an
 * {@link IdentityError}: permanent (no retry loop waits for IPAM to heal), exit 1. Pure.
 */
import { BmError } from '../shared/errors.ts';
import type { Cause } from '../shared/failure.ts';
import { parseMac } from '../shared/mac.ts';
import { normaliseSerialText, placeholderSerialReason } from '../shared/serial.ts';

export type IdentityResult = 'proved' | 'mismatch' | 'unproved';

/** One comparison: what NetBox says, what the BMC says, and whether they agree (`unknown`: one side has nothing usable). */
export interface IdentityCheck {
  netbox: string;
  bmc: string;
  result: 'agree' | 'differ' | 'unknown';
  /** Why `unknown`. */
  note?: string;
}

export interface IdentityVerdict {
  result: IdentityResult;
  serial: IdentityCheck;
  mac: IdentityCheck;
  /** One sentence for operators: what was compared and what came out. */
  summary: string;
}

export interface IdentityInputs {
  /** The NetBox device's `serial` ('' when none). */
  netboxSerial: string | null | undefined;
  /** The ComputerSystem's `SerialNumber`, undefined when the BMC reports none. */
  bmcSerial: string | undefined;
  /** MACs on the device's mgmt_only interfaces in NetBox; undefined when not looked up. */
  netboxMacs?: readonly string[];
  /** MACs of the BMC's own NICs (Managers/<id>/EthernetInterfaces); undefined when it lists none. */
  bmcMacs?: readonly string[];
}

const shown = (value: string | null | undefined): string => (value?.trim() ? JSON.stringify(value.trim()) : '(none)');

function compareSerials(netbox: string | null | undefined, bmc: string | undefined): IdentityCheck {
  const base = { netbox: shown(netbox), bmc: shown(bmc) };
  const netboxWhy = placeholderSerialReason(netbox);
  if (netboxWhy)
    return { ...base, result: 'unknown', note: netboxWhy === 'empty' ? 'the NetBox device has no serial' : `NetBox's serial is a placeholder (${netboxWhy})` };
  const bmcWhy = placeholderSerialReason(bmc);
  if (bmcWhy)
    return { ...base, result: 'unknown', note: bmcWhy === 'empty' ? 'the BMC reports no SerialNumber' : `the BMC's SerialNumber is a placeholder (${bmcWhy})` };
  return { ...base, result: normaliseSerialText(netbox!) === normaliseSerialText(bmc!) ? 'agree' : 'differ' };
}

function macsOf(values: readonly string[] | undefined): string[] {
  return [...new Set((values ?? []).map((m) => parseMac(m)).filter((m): m is NonNullable<typeof m> => m !== null))];
}

function compareMacs(netboxValues: readonly string[] | undefined, bmcValues: readonly string[] | undefined): IdentityCheck {
  const netbox = macsOf(netboxValues);
  const bmc = macsOf(bmcValues);
  const base = { netbox: netbox.join(', ') || '(none)', bmc: bmc.join(', ') || '(none)' };
  if (!bmc.length) return { ...base, result: 'unknown', note: 'the BMC lists no NIC of its own' };
  if (!netbox.length) return { ...base, result: 'unknown', note: "no MAC on the device's management interface in NetBox" };
  return { ...base, result: bmc.some((m) => netbox.includes(m)) ? 'agree' : 'differ' };
}

/** The verdict on the BMC's identity; see the module comment. Pure. */
export function judgeIdentity(inputs: IdentityInputs): IdentityVerdict {
  const serial = compareSerials(inputs.netboxSerial, inputs.bmcSerial);
  const mac = compareMacs(inputs.netboxMacs, inputs.bmcMacs);
  const macText =
    mac.result === 'agree'
      ? `; its MAC ${mac.bmc} is on the device's management interface`
      : mac.result === 'differ'
        ? `; its MAC ${mac.bmc} is not on the device's management interface (${mac.netbox})`
        : '';
  if (serial.result === 'differ' || mac.result === 'differ') {
    const serialText = serial.result === 'differ' ? `the BMC reports serial ${serial.bmc}, the NetBox device has ${serial.netbox}` : `serial ${serial.netbox}`;
    return { result: 'mismatch', serial, mac, summary: `identity MISMATCH: ${serialText}${macText}` };
  }
  if (serial.result === 'agree') return { result: 'proved', serial, mac, summary: `identity proved: serial ${serial.netbox} on both${macText}` };
  return { result: 'unproved', serial, mac, summary: `identity NOT PROVED: ${serial.note} (NetBox ${serial.netbox}, BMC ${serial.bmc})${macText}` };
}

/** run and pxe-boot refuse a BMC whose identity is not proved: nothing was changed. */
export class IdentityError extends BmError {
  override readonly name = 'IdentityError';
  constructor(
    message: string,
    readonly verdict: IdentityVerdict,
  ) {
    super(message);
  }

  /** Trying again cannot help until someone fixes NetBox or the cabling. */
  override get failureClass() {
    return 'permanent' as const;
  }

  /** A mismatch is another device's BMC (like the agent's serial/MAC conflict); unproved is a check that could not pass. Both exit 1. */
  override get failureCause(): Cause {
    return this.verdict.result === 'mismatch' ? 'device-ambiguous' : 'check-failed';
  }

  override details() {
    return { result: this.verdict.result, serial: this.verdict.serial, mac: this.verdict.mac };
  }
}

/**
 * The refusal's message: the device, the BMC, the verdict with both values, that nothing
 * was changed, and what to fix. Pure.
 */
export function identityRefusal(label: string, command: string, bmc: string, status: string, verdict: IdentityVerdict): IdentityError {
  const fix =
    verdict.result === 'mismatch'
      ? `the BMC at ${bmc} belongs to another machine, or NetBox's record is wrong: check the device's oob_ip (stale IPAM, swapped cables) and its serial`
      : "record the server's serial in NetBox (the BMC's SerialNumber, or the label on the chassis), or have the BMC report one";
  return new IdentityError(
    `bm-harden ${command} refused for device ${label}: ${verdict.summary}. Nothing was changed (no Redfish write, no Ansible, status stays ${status}); ` +
      `${fix}, then run it again`,
    verdict,
  );
}
