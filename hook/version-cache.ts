/**
 * NetBox's version remembered in the spool's status.json, so that the short-lived
 * drainers (one per lease burst) do not each probe `/api/status/`: a VersionStore for
 * createNetboxClient. Entries expire after VERSION_TTL_MS (an upgraded NetBox is seen
 * within that time; the version only selects request details such as `?fields=`).
 * Written only by the lock-holding drainer, through spool.ts (O_NOFOLLOW, atomic).
 */
import type { NetboxVersion, VersionStore } from '../shared/netbox/index.ts';
import { type DrainStatus, readStatus, writeStatus } from './spool.ts';

/** How long a remembered version is trusted. */
export const VERSION_TTL_MS = 60 * 60 * 1000;

type Entry = NonNullable<DrainStatus['netboxVersions']>[string];

/** The remembered version for `baseUrl` if it is younger than `ttlMs`. Pure. */
export function freshVersion(entry: Entry | undefined, now: number, ttlMs = VERSION_TTL_MS): NetboxVersion | undefined {
  if (!entry || typeof entry.text !== 'string' || ![entry.major, entry.minor, entry.patch].every(Number.isInteger)) return undefined;
  const age = now - Date.parse(entry.at);
  if (!(age >= 0 && age < ttlMs)) return undefined;
  return { major: entry.major, minor: entry.minor, patch: entry.patch, text: entry.text };
}

/** A VersionStore backed by `<spool>/status.json`. A write that fails (full disk) only costs a probe next time. */
export function spoolVersionStore(dir: string, now: () => number = Date.now): VersionStore {
  return {
    get: (baseUrl) => freshVersion(readStatus(dir).netboxVersions?.[baseUrl], now()),
    set: (baseUrl, version) => {
      try {
        const status = readStatus(dir);
        const at = new Date(now()).toISOString();
        writeStatus(dir, { ...status, netboxVersions: { ...status.netboxVersions, [baseUrl]: { ...version, at } } });
      } catch {
        // not remembered: the next drainer probes again
      }
    },
  };
}
