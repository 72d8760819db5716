/**
 * Link state from `ip -j link show` (iproute2 JSON), pure. "Linked" means the
 * kernel reports carrier (`LOWER_UP`): a cable with a live port at the other end.
 */

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

export class IpLinkParseError extends Error {
  override readonly name = 'IpLinkParseError';
}

export function parseIpLinkJson(output: string): LinkState[] {
  let data: unknown;
  try {
    data = JSON.parse(output);
  } catch (error) {
    throw new IpLinkParseError(`ip -j link output is not JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(data)) throw new IpLinkParseError('ip -j link output is not a list');
  const links: LinkState[] = [];
  for (const entry of data) {
    if (typeof entry !== 'object' || entry === null) continue;
    const link = entry as { ifname?: unknown; address?: unknown; flags?: unknown; operstate?: unknown };
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
