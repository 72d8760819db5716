/**
 * IPAM rules NetBox's models enforce (ipam/models/ip.py): duplicate addresses per VRF (the
 * global table is the null VRF; ENFORCE_GLOBAL_UNIQUE for it, `enforce_unique` per VRF), IP
 * ranges (masks, order, overlaps) and `mark_populated` ranges refusing new addresses. Plus the
 * PostgreSQL `inet` ordering the range filters compare with.
 */
import { formatAddr, parseIp } from './ip.ts';
import type { IpNet } from './ip.ts';
import type { Row, Store } from './store.ts';

type Errors = Record<string, string[]>;

const NON_UNIQUE_ROLES = ['anycast', 'vip', 'vrrp', 'hsrp', 'glbp', 'carp'];

/** VRF display (`str(vrf)`: its name). */
function vrfName(store: Store, id: unknown): string {
  return typeof id === 'number' ? String(store.get('vrf', id)?.name ?? id) : 'None';
}

/** An IP range's `str()`: 10.0.0.10-20/24 (IPv4: last octet of the end) or start-end/len. */
export function rangeDisplay(r: Row): string {
  const s = parseIp(String(r.start_address));
  const e = parseIp(String(r.end_address));
  if (!s || !e) return `${String(r.start_address)}-${String(r.end_address)}`;
  const end = e.family === 4 ? formatAddr(4, e.value).split('.').at(-1) : formatAddr(e.family, e.value);
  return `${formatAddr(s.family, s.value)}-${String(end)}/${String(s.prefixLen)}`;
}

/** Duplicate check of IPAddress.clean(); `enforceGlobalUnique` is the NetBox setting. */
export function duplicateIpError(
  store: Store,
  next: Record<string, unknown>,
  existingId: number | undefined,
  enforceGlobalUnique: boolean,
): Errors | undefined {
  const vrfId = (next.vrf ?? null) as number | null;
  const enforce = vrfId === null ? enforceGlobalUnique : store.get('vrf', vrfId)?.enforce_unique !== false;
  if (!enforce) return undefined;
  const host = String(next.address).split('/')[0];
  const dups = store.find('ipaddress', (o) => o.id !== existingId && (o.vrf ?? null) === vrfId && String(o.address).split('/')[0] === host);
  const first = dups[0];
  if (!first) return undefined;
  if (NON_UNIQUE_ROLES.includes(String(next.role)) && dups.every((d) => NON_UNIQUE_ROLES.includes(String(d.role)))) return undefined;
  const table = vrfId === null ? 'global table' : `VRF ${vrfName(store, vrfId)}`;
  return { address: [`Duplicate IP address found in ${table}: ${String(first.address)}`] };
}

/** A new IP inside a `mark_populated` range of the same VRF (4.3+; only on create). */
export function populatedRangeError(store: Store, next: Record<string, unknown>, p: IpNet): Errors | undefined {
  const vrfId = next.vrf ?? null;
  const hit = store.find('iprange', (r) => {
    if (r.mark_populated !== true || (r.vrf ?? null) !== vrfId) return false;
    const s = parseIp(String(r.start_address));
    const e = parseIp(String(r.end_address));
    return s !== undefined && e !== undefined && s.family === p.family && s.value <= p.value && p.value <= e.value;
  })[0];
  if (!hit) return undefined;
  return { address: [`Cannot create IP address ${String(next.address)} inside range ${rangeDisplay(hit)}.`] };
}

/** IPRange.clean(). */
export function cleanIpRange(store: Store, next: Record<string, unknown>, existing: Row | undefined): Errors | undefined {
  const s = parseIp(String(next.start_address));
  const e = parseIp(String(next.end_address));
  if (!s || s.prefixLen === undefined) return { start_address: [`Invalid IP address format: ${String(next.start_address)}`] };
  if (!e || e.prefixLen === undefined) return { end_address: [`Invalid IP address format: ${String(next.end_address)}`] };
  next.start_address = `${formatAddr(s.family, s.value)}/${s.prefixLen}`;
  next.end_address = `${formatAddr(e.family, e.value)}/${e.prefixLen}`;
  if (s.family !== e.family) return { end_address: ['Starting and ending IP address versions must match'] };
  if (s.prefixLen !== e.prefixLen) return { end_address: ['Starting and ending IP address masks must match'] };
  if (e.value < s.value) return { end_address: [`Ending address must be greater than or equal to the starting address (${String(next.start_address)})`] };
  const vrfId = next.vrf ?? null;
  const overlap = store.find('iprange', (r) => {
    if (r.id === existing?.id || (r.vrf ?? null) !== vrfId) return false;
    const rs = parseIp(String(r.start_address));
    const re = parseIp(String(r.end_address));
    if (!rs || !re || rs.family !== s.family) return false;
    return (rs.value >= s.value && rs.value <= e.value) || (re.value >= s.value && re.value <= e.value) || (rs.value <= s.value && re.value >= e.value);
  })[0];
  if (overlap) return { __all__: [`Defined addresses overlap with range ${rangeDisplay(overlap)} in VRF ${vrfName(store, vrfId)}`] };
  return undefined;
}

/** Size of a range (end - start + 1). */
export function rangeSize(r: Row): number {
  const s = parseIp(String(r.start_address));
  const e = parseIp(String(r.end_address));
  return s && e ? Number(e.value - s.value) + 1 : 0;
}

/**
 * PostgreSQL inet ordering (network_cmp): family, then the bits both masks cover, then the
 * mask length, then the whole address. `contains` on IP ranges compares with it, so a bare
 * address (/32) is never <= a /24 end address — as on the real NetBox.
 */
export function inetCmp(a: IpNet, b: IpNet): number {
  if (a.family !== b.family) return a.family - b.family;
  const bits = a.family === 4 ? 32 : 128;
  const la = a.prefixLen ?? bits;
  const lb = b.prefixLen ?? bits;
  const common = BigInt(bits - Math.min(la, lb));
  const na = a.value >> common;
  const nb = b.value >> common;
  if (na !== nb) return na < nb ? -1 : 1;
  if (la !== lb) return la - lb;
  return a.value === b.value ? 0 : a.value < b.value ? -1 : 1;
}
