/**
 * A lease event as the hook receives it, validated. Pure: dhcpd's `execute()`
 * arguments, Kea's environment and an event read back from the spool all go
 * through the same rules here, so a planted spool file gets no further than a
 * hostile DHCP client could.
 */
import { parseMac, type Mac } from '../shared/mac.ts';

export type LeaseSource = 'dhcpd' | 'kea';

const SOURCES: readonly LeaseSource[] = ['dhcpd', 'kea'];

export interface LeaseEvent {
  /** Spool format version. */
  v: 1;
  ip: string;
  mac: Mac;
  /** Sanitised client hostname, or null when absent or unusable. */
  hostname: string | null;
  source: LeaseSource;
  /** ISO time the hook received the lease. */
  receivedAt: string;
}

/** A validated lease; `droppedHostname` (≤ 64 characters, JSON-escaped: no control character) when the client sent a hostname that was not kept. */
export type LeaseParse = { ok: true; event: LeaseEvent; droppedHostname?: string } | { ok: false; reason: string };

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9_-]{0,62}))*$/;

/** True for a hostname bm-hook keeps: RFC 1123-ish labels, ≤ 253 characters, no trailing dot. The one hostname rule. */
export function isValidHostname(text: string): boolean {
  return text.length > 0 && text.length <= 253 && HOSTNAME.test(text);
}

/** A DHCP client hostname worth keeping (quotes and one trailing dot removed, then isValidHostname); anything else is dropped, not fatal. */
export function sanitiseHostname(raw: string | undefined): string | null {
  const text = (raw ?? '')
    .trim()
    .replace(/^"(.*)"$/, '$1')
    .replace(/\.$/, '');
  return isValidHostname(text) ? text : null;
}

/** Four decimal octets 0–255 without leading zeros (no node:net: it costs dhcpd ~2 ms per commit to load). */
const DOTTED_QUAD = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Strict dotted-quad IPv4 without leading zeros (dhcpd prints `binary-to-ascii(10, 8, ".", …)`). */
export function parseLeaseIp(raw: string): string | null {
  const text = raw.trim();
  if (!DOTTED_QUAD.test(text)) return null;
  if (text === '0.0.0.0' || text === '255.255.255.255') return null;
  return text;
}

/** What to quote of a refused value: 64 characters at most, JSON-quoted (control characters and quotes escaped). */
const quoted = (text: string) => JSON.stringify(text.slice(0, 64));

/** The address arguments of a lease, validated; the hostname is sanitised (dropped when unusable, never fatal). */
export function parseLease(ip: string | undefined, mac: string | undefined, hostname: string | undefined, source: LeaseSource, now: Date): LeaseParse {
  // `bm-hook commit --help`: someone expected an option where dhcpd's data goes.
  const hint = ip?.startsWith('-')
    ? ' (every argument after `commit` is lease data: options go before it, e.g. `bm-hook --config FILE commit -- IP MAC HOSTNAME`)'
    : '';
  if (ip === undefined || mac === undefined) return { ok: false, reason: `missing IP or MAC argument${hint}` };
  const parsedIp = parseLeaseIp(ip);
  if (!parsedIp) return { ok: false, reason: `not an IPv4 address: ${quoted(ip)}${hint}` };
  const parsedMac = parseMac(mac);
  if (!parsedMac) return { ok: false, reason: `not a MAC address: ${quoted(mac)}` };
  const kept = sanitiseHostname(hostname);
  const event: LeaseEvent = { v: 1, ip: parsedIp, mac: parsedMac, hostname: kept, source, receivedAt: now.toISOString() };
  return kept === null && hostname !== undefined && hostname.trim() !== ''
    ? { ok: true, event, droppedHostname: quoted(hostname).slice(1, -1) }
    : { ok: true, event };
}

/**
 * Validates an event read back from the spool with the rules parseLease applies to
 * dhcpd's arguments; the IP and MAC come back normalised. Stricter than parseLease in
 * one way: a hostname parseLease would have dropped is a reason to refuse the event,
 * since bm-hook never writes one (the file was planted or corrupted). Pure.
 */
export function validateSpooledEvent(value: unknown): LeaseParse {
  const event = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const ip = typeof event.ip === 'string' ? parseLeaseIp(event.ip) : null;
  const mac = typeof event.mac === 'string' ? parseMac(event.mac) : null;
  if (event.v !== 1 || !ip || !mac) return { ok: false, reason: 'not a version-1 lease event' };
  const { hostname, source, receivedAt } = event;
  if (hostname !== null && !(typeof hostname === 'string' && isValidHostname(hostname)))
    return { ok: false, reason: `event hostname is not a valid hostname: ${quoted(String(hostname))}` };
  if (!SOURCES.includes(source as LeaseSource)) return { ok: false, reason: `event source is neither dhcpd nor kea: ${quoted(String(source))}` };
  if (typeof receivedAt !== 'string' || Number.isNaN(Date.parse(receivedAt)) || new Date(receivedAt).toISOString() !== receivedAt)
    return { ok: false, reason: `event receivedAt is not an ISO time: ${quoted(String(receivedAt))}` };
  return { ok: true, event: { v: 1, ip, mac, hostname, source: source as LeaseSource, receivedAt } };
}
