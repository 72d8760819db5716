/**
 * Which NICs the LLDP check listens on, decided once for `bm-agent run`
 * (04-lldp) and `bm-agent plan`, so the plan shows what the run does. Pure.
 *
 * `bm.lldp.interfaces` when set (as given: it may name NICs sysfs does not
 * call physical, such as veths in a test lab; 04-lldp then checks they exist),
 * else every physical NIC the sysfs reader lists (agent/inventory/nics.ts),
 * cabled or not, up or down: the step brings them up. Which of them the step
 * then waits for (carrier, or cabled in NetBox) is `awaitedNics` in compare.ts.
 */
import type { PhysicalNic } from '../inventory/nics.ts';

export interface NicChoice {
  nics: string[];
  /** Where the list came from, for logs and the plan. */
  source: 'bm.lldp.interfaces' | 'physical NICs';
}

/** `bm.lldp.interfaces` (`eno1, eno2`) as a list of names; empty when unset. */
export function splitNicList(setting: string): string[] {
  return setting
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

/** The NICs to check: the configured ones (`bm.lldp.interfaces`, split by splitNicList), else every physical NIC. */
export function nicsToCheck(input: { configured: readonly string[]; physical: readonly Pick<PhysicalNic, 'name'>[] }): NicChoice {
  if (input.configured.length > 0) return { nics: [...input.configured], source: 'bm.lldp.interfaces' };
  return { nics: input.physical.map((nic) => nic.name), source: 'physical NICs' };
}
