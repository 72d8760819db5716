/**
 * NetBox's version remembered in the spool's status.json, so that the short-lived
 * drainers (one per lease burst) do not each probe `/api/status/`: a VersionStore for
 * createNetboxClient. Entries expire after VERSION_TTL_MS (an upgraded NetBox is seen
 * within that time; the version only selects request details such as `?fields=`).
 * The same for the REST check of the token's view permissions that the GraphQL lease
 * read relies on (hook/observe.ts): a ViewCheckStore.
 * Written only by the lock-holding drainer, through spool.ts (O_NOFOLLOW, atomic).
 */
import type { NetboxVersion, VersionStore } from '../shared/netbox/index.ts';
import type { ViewCheckStore } from './observe.ts';
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

/** A ViewCheckStore backed by `<spool>/status.json`: a check younger than `ttlMs` is trusted. A failed write costs a check next time. */
export function spoolViewCheckStore(dir: string, now: () => number = Date.now, ttlMs = VERSION_TTL_MS): ViewCheckStore {
  return {
    fresh: (baseUrl) => {
      const at = readStatus(dir).graphqlViewsCheckedAt?.[baseUrl];
      const age = typeof at === 'string' ? now() - Date.parse(at) : Number.NaN;
      return age >= 0 && age < ttlMs;
    },
    remember: (baseUrl) => {
      try {
        const status = readStatus(dir);
        writeStatus(dir, { ...status, graphqlViewsCheckedAt: { ...status.graphqlViewsCheckedAt, [baseUrl]: new Date(now()).toISOString() } });
      } catch {
        // not remembered: the next drainer checks again
      }
    },
  };
}
