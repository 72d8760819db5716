/**
 * Where integration tests find a NetBox: a simulator started per test (default),
 * or a real NetBox when NETBOX_TEST_URL and NETBOX_TEST_TOKEN are set. Tests set
 * up their state only through the REST API (netbox-fixtures.ts), so they run
 * unchanged against either.
 */
import { startSimulator, type Flavour, type SimOptions, type Simulator } from '../netbox-sim/index.ts';

export const FLAVOURS: readonly Flavour[] = ['3.7', '4.1', '4.6'];

export interface NetboxTarget {
  url: string;
  token: string;
  /** The simulator when there is one (fault injection, request log); undefined against a real NetBox. */
  sim?: Simulator;
  close(): Promise<void>;
}

export const realNetbox = process.env.NETBOX_TEST_URL && process.env.NETBOX_TEST_TOKEN
  ? { url: process.env.NETBOX_TEST_URL, token: process.env.NETBOX_TEST_TOKEN }
  : undefined;

/** Flavours to run: all three against the simulator, the one real NetBox otherwise. */
export const TARGET_FLAVOURS: readonly Flavour[] = realNetbox ? ['4.6'] : FLAVOURS;

export interface TargetOptions extends SimOptions {
  /** 'v1' or 'v2' token (v2 only exists on 4.6). Default: the flavour's preferred one. */
  tokenScheme?: 'v1' | 'v2';
}

export async function startNetboxTarget(options: TargetOptions = {}): Promise<NetboxTarget> {
  if (realNetbox) return { ...realNetbox, close: async () => {} };
  const sim = await startSimulator({ port: 0, ...options });
  const token = options.tokenScheme === 'v1' ? sim.v1Token : options.tokenScheme === 'v2' ? sim.v2Token! : sim.token;
  return { url: sim.url, token, sim, close: () => sim.close() };
}
