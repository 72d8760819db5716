/**
 * Pure parser for `ip -j link show` (iproute2 JSON): each link's name, MAC and
 * state. "Linked" means the kernel reports carrier (`LOWER_UP`): a cable with a
 * live port at the other end; `UP` is only the administrative state.
 *
 * Shape (trimmed; see test/fixtures/lldpcli/ip-link-show.json):
 *   [{"ifindex":2,"ifname":"eno1","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],
 *     "operstate":"UP","address":"02:00:5e:10:00:01", …}, …]
 */
import { isJsonObject } from '../../shared/json.ts';
import { EXCERPT_CHARS, parseJsonOrThrow, ToolOutputError } from './tool-output-error.ts';

export interface LinkState {
  name: string;
  /** Lower-case colon form, null for links without one. */
  mac: string | null;
  /** Administratively up (`UP` flag). */
  up: boolean;
  /** Carrier present (`LOWER_UP` flag). */
  carrier: boolean;
  operstate: string | null;
}

/** Every link `ip -j link show` lists, in its order; throws ToolOutputError when the output is not that list. */
export function parseIpLinkJson(output: string): LinkState[] {
  const data = parseJsonOrThrow('ip', output, 'ip -j link output');
  if (!Array.isArray(data)) throw new ToolOutputError('ip', 'ip -j link output is not a list', output.slice(0, EXCERPT_CHARS));
  const links: LinkState[] = [];
  for (const link of data.filter(isJsonObject)) {
    if (typeof link.ifname !== 'string') continue;
    const flags = Array.isArray(link.flags) ? link.flags.filter((f): f is string => typeof f === 'string') : [];
    links.push({
      name: link.ifname,
      mac: typeof link.address === 'string' ? link.address.toLowerCase() : null,
      up: flags.includes('UP'),
      carrier: flags.includes('LOWER_UP'),
      operstate: typeof link.operstate === 'string' ? link.operstate : null,
    });
  }
  return links;
}
