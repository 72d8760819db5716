/**
 * The real NetBox of the tests (netbox.sh beside this file): start, stop, and the
 * instance a test process was given. `test/run-tests.ts` starts one instance for a
 * whole test level and hands its state file to the tests in BM_NETBOX_REAL_STATE;
 * `make netbox` starts one for a person.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const NETBOX_SCRIPT = join(import.meta.dir, 'netbox.sh');

export interface RealNetbox {
  /** NetBox's version, e.g. 4.7.3. */
  version: string;
  url: string;
  /** Superuser: a UI login and both token forms. */
  admin: { username: string; password: string; tokens: { v1: string; v2: string } };
  /** A user holding exactly the object permissions docs/netbox.md lists (test/netbox-real/permissions.json). */
  leastPrivilege: { username: string; tokens: { v1: string; v2: string } };
  runDir: string;
  /** rqworker: NetBox's RQ worker (event rules, webhooks, background jobs); null until the API answered. */
  pids: { postgres: number; redis: number; gunicorn: number | null; rqworker: number | null };
  /** Path of the state file (the argument of `netbox.sh stop`). */
  stateFile: string;
}

export function readRealNetbox(stateFile: string): RealNetbox {
  return { ...(JSON.parse(readFileSync(stateFile, 'utf8')) as Omit<RealNetbox, 'stateFile'>), stateFile };
}

/** The instance run-tests.ts started for this test process, if any. */
export function givenRealNetbox(): RealNetbox | undefined {
  const state = process.env.BM_NETBOX_REAL_STATE;
  return state ? readRealNetbox(state) : undefined;
}

/** Builds (when not cached) and starts an instance; the build's progress goes to stderr. */
export function startRealNetbox(version?: string): RealNetbox {
  const run = Bun.spawnSync(['bash', NETBOX_SCRIPT, 'start', ...(version ? [version] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stateFile = run.stdout.toString().trim().split('\n').at(-1) ?? '';
  if (run.exitCode !== 0 || !stateFile) throw new Error(`the real NetBox did not start (netbox.sh start exited ${run.exitCode})`);
  return readRealNetbox(stateFile);
}

export function stopRealNetbox(netbox: Pick<RealNetbox, 'stateFile'>): void {
  const run = Bun.spawnSync(['bash', NETBOX_SCRIPT, 'stop', netbox.stateFile], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (run.exitCode !== 0) throw new Error(`netbox.sh stop exited ${run.exitCode}`);
}
