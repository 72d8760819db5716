/**
 * The device bm-harden works on: looked up in NetBox by id or name, and judged
 * eligible (pure: `eligibility`). `run` needs status `staged` (or `ready`, to
 * re-verify a hardened BMC) and an `oob_ip`; `pxe-boot` needs `discovered` (or
 * `failed`, to validate again after a fix) and an `oob_ip`; `plan` and `check` change
 * nothing and need only the `oob_ip`. The BMC's address is the `oob_ip`'s host.
 */
import { AmbiguousMatchError, type Device, expectObject, listAll, type NetboxClient } from '../shared/netbox/index.ts';
import { BmError } from '../shared/errors.ts';
import type { DeviceFacets } from './profile.ts';

/** A device as bm-harden reads it: the typed Device plus the platform (not in DEVICE_FIELDS). */
export type HardenDevice = Device & { platform?: { id: number; slug: string; name?: string } | null };

export class DeviceNotEligibleError extends BmError {
  override readonly name = 'DeviceNotEligibleError';
  constructor(
    message: string,
    readonly reason: 'not-found' | 'status' | 'no-oob-ip',
  ) {
    super(message);
  }

  override get failureCause() {
    return this.reason === 'not-found' ? ('device-not-found' as const) : ('check-failed' as const);
  }

  override details() {
    return { reason: this.reason };
  }
}

/** What a command may do to a device: `run` and `pxe-boot` write to the BMC, `plan` and `check` only read. */
export type HardenMode = 'run' | 'plan' | 'check' | 'pxe-boot';

/** The status bm-harden hardens: what Phase 1 (bm-agent) sets; the automatic triggers (serve, watch) look for it only. */
export const STAGED_STATUS = 'staged';

/**
 * The statuses `run` sets: `ready` when the BMC is verified compliant; `failed` when it is not (config onNonCompliant
 * `failed`, else the status is left). docs/lifecycle.ts draws the device lifecycle from these and RUN_STATUSES.
 */
export const RESULT_STATUSES = { compliant: 'ready', nonCompliant: 'failed' } as const;

/** Statuses `run` accepts: staged (the normal case) and ready (re-verify, re-apply what drifted). */
export const RUN_STATUSES: readonly string[] = [STAGED_STATUS, RESULT_STATUSES.compliant];

/**
 * Statuses `pxe-boot` accepts: discovered (Phase 0 found the BMC; Phase 1 has not run) and
 * failed (Phase 1 or 2 failed; after the fix, a validation again). Never staged, ready or
 * active: a reboot into the validation image of a server that passed, or is in use, is
 * never what anybody wants.
 */
export const PXE_BOOT_STATUSES: readonly string[] = ['discovered', 'failed'];

/** Whether a mode changes the BMC (and so needs a proved identity: identity.ts). Pure. */
export function writesToBmc(mode: HardenMode): boolean {
  return mode === 'run' || mode === 'pxe-boot';
}

/** The device's name for messages. Pure. */
export function deviceLabel(device: Pick<Device, 'id' | 'name'>): string {
  return device.name ? `${device.name} (#${device.id})` : `#${device.id}`;
}

/**
 * Why this device cannot be hardened in this mode, or null when it can. Pure.
 */
export function eligibility(device: HardenDevice, mode: HardenMode): DeviceNotEligibleError | null {
  const label = deviceLabel(device);
  if (mode === 'run' && !RUN_STATUSES.includes(device.status.value)) {
    return new DeviceNotEligibleError(
      `device ${label} is ${device.status.value}, not staged: bm-harden run hardens staged devices (Phase 1 stages them); nothing was changed`,
      'status',
    );
  }
  if (mode === 'pxe-boot' && !PXE_BOOT_STATUSES.includes(device.status.value)) {
    return new DeviceNotEligibleError(
      `device ${label} is ${device.status.value}, not discovered: bm-harden pxe-boot powers on discovered devices for validation ` +
        '(or failed ones, to validate again after a fix); nothing was sent to the BMC',
      'status',
    );
  }
  if (!device.oob_ip) {
    return new DeviceNotEligibleError(
      `device ${label} has no oob_ip in NetBox: the BMC's address comes from it (bm-hook records it at discovery)`,
      'no-oob-ip',
    );
  }
  return null;
}

/** The slugs profile selection looks at. Pure. */
export function facetsOf(device: HardenDevice): DeviceFacets {
  const facets: DeviceFacets = { manufacturer: device.device_type.manufacturer.slug, deviceType: device.device_type.slug };
  if (device.platform?.slug) facets.platform = device.platform.slug;
  return facets;
}

/** The device by numeric id or by name; not found or several by that name are errors saying so. */
export async function findHardenDevice(client: NetboxClient, ref: string): Promise<HardenDevice> {
  if (/^\d+$/.test(ref)) {
    const path = `/api/dcim/devices/${ref}/`;
    try {
      return expectObject<HardenDevice>(await client.get<unknown>(path, { exclude: 'config_context' }), 'GET', path);
    } catch (error) {
      if ((error as { status?: number }).status === 404) throw new DeviceNotEligibleError(`no device #${ref} in NetBox`, 'not-found');
      throw error;
    }
  }
  const devices = await listAll<HardenDevice>(client, '/api/dcim/devices/', { name: ref, exclude: 'config_context' });
  if (devices.length === 0) throw new DeviceNotEligibleError(`no device named ${JSON.stringify(ref)} in NetBox`, 'not-found');
  if (devices.length > 1) throw new AmbiguousMatchError('device name', ref, devices);
  return devices[0]!;
}
