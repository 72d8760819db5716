/** IPv4/IPv6 address and prefix parsing (what netaddr.IPNetwork does for NetBox). */

export interface IpNet {
  family: 4 | 6;
  /** The address as an integer. */
  value: bigint;
  /** Prefix length; undefined when the text had no mask. */
  prefixLen: number | undefined;
}

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  let groups: string[];
  const dbl = s.split('::');
  if (dbl.length > 2) return undefined;
  const tail: string[] = [];
  const head = dbl[0] === '' ? [] : (dbl[0] ?? '').split(':');
  if (dbl.length === 2 && dbl[1] !== '') tail.push(...(dbl[1] ?? '').split(':'));
  // embedded IPv4 in the last group
  const all = dbl.length === 2 ? tail : head;
  const last = all[all.length - 1];
  if (last?.includes('.')) {
    const v4 = parseV4(last);
    if (v4 === undefined) return undefined;
    all.splice(all.length - 1, 1, ((v4 >> 16n) & 0xffffn).toString(16), (v4 & 0xffffn).toString(16));
  }
  if (dbl.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...Array<string>(missing).fill('0'), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return undefined;
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  return v;
}

/** Parses `addr` or `addr/len`; undefined if invalid. */
export function parseIp(text: string): IpNet | undefined {
  const s = text.trim();
  const [addr, len, extra] = s.split('/');
  if (addr === undefined || extra !== undefined) return undefined;
  const v4 = parseV4(addr);
  const family: 4 | 6 = v4 !== undefined ? 4 : 6;
  const value = v4 ?? parseV6(addr);
  if (value === undefined) return undefined;
  let prefixLen: number | undefined;
  if (len !== undefined) {
    if (!/^\d{1,3}$/.test(len)) return undefined;
    prefixLen = Number(len);
    if (prefixLen > (family === 4 ? 32 : 128)) return undefined;
  }
  return { family, value, prefixLen };
}

export function hostBits(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

export function formatAddr(family: 4 | 6, value: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => ((value >> s) & 0xffn).toString()).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // compress the longest run of zero groups (length ≥ 2)
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Network (host bits cleared) of `value/len`. */
export function networkOf(family: 4 | 6, value: bigint, len: number): bigint {
  const bits = BigInt(hostBits(family) - len);
  return (value >> bits) << bits;
}

/** True if `inner` (address or network with length innerLen) lies within outer network/len. */
export function within(outer: IpNet, outerLen: number, inner: IpNet, innerLen: number): boolean {
  if (outer.family !== inner.family || innerLen < outerLen) return false;
  return networkOf(outer.family, inner.value, outerLen) === networkOf(outer.family, outer.value, outerLen);
}

/** Canonical text of an IpNet (address/len), as netaddr prints it. */
export function formatNet(n: IpNet, len: number): string {
  return `${formatAddr(n.family, n.value)}/${len}`;
}
