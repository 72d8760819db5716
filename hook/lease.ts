/**
 * A lease event as the hook receives it, validated. Pure: dhcpd's `execute()`
 * arguments and Kea's environment both end up here.
 */
import { isIPv4 } from 'node:net';
import { parseMac, type Mac } from '../shared/mac.ts';

export type LeaseSource = 'dhcpd' | 'kea';

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

export type LeaseParse = { ok: true; event: LeaseEvent } | { ok: false; reason: string };

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9_-]{0,62}))*\.?$/;

/** A DHCP client hostname worth keeping (RFC 1123-ish, ≤ 253 chars); anything else is dropped, not fatal. */
export function sanitiseHostname(raw: string | undefined): string | null {
  const text = (raw ?? '').trim().replace(/^"(.*)"$/, '$1');
  return text.length > 0 && text.length <= 253 && HOSTNAME.test(text) ? text.replace(/\.$/, '') : null;
}

/** Strict dotted-quad IPv4 without leading zeros (dhcpd prints `binary-to-ascii(10, 8, ".", …)`). */
export function parseLeaseIp(raw: string): string | null {
  const text = raw.trim();
  if (!isIPv4(text)) return null;
  if (text.split('.').some((octet) => octet.length > 1 && octet.startsWith('0'))) return null;
  if (text === '0.0.0.0' || text === '255.255.255.255') return null;
  return text;
}

export function parseLease(ip: string | undefined, mac: string | undefined, hostname: string | undefined, source: LeaseSource, now: Date): LeaseParse {
  if (ip === undefined || mac === undefined) return { ok: false, reason: 'missing IP or MAC argument' };
  const parsedIp = parseLeaseIp(ip);
  if (!parsedIp) return { ok: false, reason: `not an IPv4 address: ${JSON.stringify(ip.slice(0, 64))}` };
  const parsedMac = parseMac(mac);
  if (!parsedMac) return { ok: false, reason: `not a MAC address: ${JSON.stringify(mac.slice(0, 64))}` };
  return { ok: true, event: { v: 1, ip: parsedIp, mac: parsedMac, hostname: sanitiseHostname(hostname), source, receivedAt: now.toISOString() } };
}
