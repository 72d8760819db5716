/**
 * Where integration tests find a NetBox: a simulator flavour started per test, or
 * the real NetBox run-tests.ts started for the whole level (test/netbox-real).
 * Tests set up their state only through the REST API (netbox-fixtures.ts, unique
 * names), so the same test runs unchanged against either. Iterate TARGETS and wrap
 * each suite in `describe.skipIf(!targetAvailable(target))`.
 */
import { givenRealNetbox } from '../netbox-real/index.ts';
import { featuresOf, FLAVOUR_LIST, startSimulator, type Flavour, type SimOptions, type Simulator } from '../netbox-sim/index.ts';

/** Simulator flavours (one per NetBox version the simulator imitates). */
export const FLAVOURS: readonly Flavour[] = FLAVOUR_LIST;

export type TargetName = Flavour | 'real';

/** Every simulator flavour, then the real NetBox. */
export const TARGETS: readonly TargetName[] = [...FLAVOURS, 'real'];

/** The real NetBox of this test process (undefined when run-tests.ts could not give one). */
export const realNetbox = givenRealNetbox();

let warned = false;
/**
 * False only for 'real' without a real NetBox: loud on stderr, and an error in CI,
 * where make test runs as root and the real NetBox must be there.
 */
export function targetAvailable(target: TargetName): boolean {
  if (target !== 'real' || realNetbox) return true;
  const message = 'SKIPPED: suites against the real NetBox (no BM_NETBOX_REAL_STATE; run make test as root so run-tests.ts starts test/netbox-real)';
  if (process.env.CI) throw new Error(`${message} — not allowed in CI`);
  if (!warned) process.stderr.write(`\n!!! ${message}\n\n`);
  warned = true;
  return false;
}

/** Token schemes a target accepts: v2 from NetBox 4.5 (and on the real one), v1 everywhere. */
export function tokenSchemes(target: TargetName): ('v1' | 'v2')[] {
  if (target === 'real') return ['v1', 'v2'];
  return featuresOf(target).v2Tokens ? ['v1', 'v2'] : ['v1'];
}

export interface NetboxTarget {
  name: TargetName;
  url: string;
  token: string;
  /** The simulator when there is one (fault injection, request log); undefined against the real NetBox. */
  sim?: Simulator;
  close(): Promise<void>;
}

export interface TargetOptions extends Omit<SimOptions, 'flavour'> {
  /** A simulator flavour or 'real'. Default: the simulator's default flavour. */
  flavour?: TargetName;
  /** 'v1' or 'v2' token. Default: the target's preferred one. */
  tokenScheme?: 'v1' | 'v2';
  /** The least-privilege token (exactly docs/netbox.md's permissions, test/netbox-real/permissions.json) instead of the superuser's; real NetBox and simulator. */
  leastPrivilege?: boolean;
}

export async function startNetboxTarget(options: TargetOptions = {}): Promise<NetboxTarget> {
  const { flavour, tokenScheme, leastPrivilege, ...simOptions } = options;
  if (flavour === 'real') {
    if (!realNetbox) throw new Error('no real NetBox was started for this test process (BM_NETBOX_REAL_STATE)');
    const tokens = leastPrivilege ? realNetbox.leastPrivilege.tokens : realNetbox.admin.tokens;
    return { name: 'real', url: realNetbox.url, token: tokenScheme === 'v1' ? tokens.v1 : tokens.v2, close: async () => {} };
  }
  const sim = await startSimulator({ port: 0, ...simOptions, ...(flavour ? { flavour } : {}) });
  const tokens = leastPrivilege
    ? { v1: sim.leastPrivilegeTokens.v1, v2: sim.leastPrivilegeTokens.v2, preferred: sim.leastPrivilegeToken }
    : { v1: sim.v1Token, v2: sim.v2Token, preferred: sim.token };
  const token = tokenScheme === 'v1' ? tokens.v1 : tokenScheme === 'v2' ? tokens.v2! : tokens.preferred;
  return { name: sim.flavour, url: sim.url, token, sim, close: () => sim.close() };
}

/** True when the target's NetBox is this version or newer (e.g. '4.2' for MAC objects). */
export function atLeast(target: TargetName, minimum: string): boolean {
  const version = target === 'real' ? (realNetbox?.version ?? '99') : target;
  const [a = 0, b = 0] = version.split('.').map(Number);
  const [c = 0, d = 0] = minimum.split('.').map(Number);
  return a > c || (a === c && b >= d);
}
