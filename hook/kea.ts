/**
 * Kea's run_script hook (`libdhcp_run_script.so`): the hook point is argv[1] and
 * the lease comes in environment variables. Only `leases4_committed` carries
 * leases we act on (LEASES4_SIZE, LEASES4_AT<i>_ADDRESS / _HWADDR / _HOSTNAME).
 * No lease data ever comes as an argument (fast-path.ts reads whatever follows the
 * hook point as data, never as options). Pure: returns the raw triples for parseLease,
 * which validates them like dhcpd's arguments.
 */

export const KEA_COMMIT_HOOK = 'leases4_committed';

export interface KeaLease {
  ip: string | undefined;
  mac: string | undefined;
  hostname: string | undefined;
}

/** Kea caps nothing; we do: a committed batch larger than this is truncated (and logged by the caller). */
export const MAX_KEA_LEASES = 256;

export function keaLeases(hookPoint: string | undefined, env: Record<string, string | undefined>): { leases: KeaLease[]; truncated: boolean } {
  if (hookPoint !== KEA_COMMIT_HOOK) return { leases: [], truncated: false };
  const size = Number.parseInt(env.LEASES4_SIZE ?? '0', 10);
  const count = Number.isFinite(size) && size > 0 ? Math.min(size, MAX_KEA_LEASES) : 0;
  const leases: KeaLease[] = [];
  for (let i = 0; i < count; i++) {
    leases.push({
      ip: env[`LEASES4_AT${i}_ADDRESS`],
      mac: env[`LEASES4_AT${i}_HWADDR`],
      hostname: env[`LEASES4_AT${i}_HOSTNAME`],
    });
  }
  return { leases, truncated: Number.isFinite(size) && size > MAX_KEA_LEASES };
}
