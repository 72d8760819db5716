/**
 * Operator-facing hints for NetBox error answers: what to change so the call
 * succeeds. Pure; the client attaches the hint to NetboxHttpError.
 */

import { isPermissionDenial, permissionFor } from './errors.ts';

const STATUS_CHOICE = /is not a valid choice/i;

/** True when NetBox's message for `status` says the value is not a configured choice. */
export function isUnknownChoice(messages: readonly string[] | undefined): boolean {
  return (messages ?? []).some((m) => STATUS_CHOICE.test(m));
}

const POPULATED_RANGE = /inside range (\S+?)\.?$/;

/** The range named by NetBox 4.3+'s "Cannot create IP address X inside range R." (mark_populated), else undefined. Pure. */
export function populatedRangeOf(messages: readonly string[] | undefined): string | undefined {
  for (const message of messages ?? []) {
    const match = POPULATED_RANGE.exec(message.trim());
    if (match && /cannot create ip address/i.test(message)) return match[1];
  }
  return undefined;
}

/** What to change so bm-hook can record IPs inside a populated range. */
export function populatedRangeHint(range: string): string {
  return `IP range ${range} is marked populated (NetBox refuses new IP objects inside it, the usual model of a DHCP pool): untick "Mark populated" on the range (IPAM → IP Ranges) to let bm-hook record BMC IPs there, or create the IP objects yourself`;
}

export function fieldChoicesHint(value: string): string {
  return (
    `NetBox has no device status "${value}": add it in configuration.py with ` +
    `FIELD_CHOICES = {'dcim.Device.status+': (('discovered', 'Discovered', 'cyan'), ('ready', 'Ready', 'green'))} ` +
    `and restart NetBox`
  );
}

function firstMessage(body: unknown, field: string): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const value = (body as Record<string, unknown>)[field];
  if (Array.isArray(value)) return value.map(String).join(' ');
  return typeof value === 'string' ? value : undefined;
}

/** `sentBody` is what we sent (to name the rejected value); `body` is NetBox's answer. */
export function hintFor(method: string, path: string, status: number, body: unknown, sentBody?: unknown): string | undefined {
  if (isPermissionDenial(status, body)) {
    return `the token's user lacks the NetBox permission "${permissionFor(method, path)}" (or the token is not write-enabled): grant it (docs/netbox.md lists every permission the pipeline needs)`;
  }
  if (status === 401 || status === 403) {
    return 'NetBox refused the token: check it (v1 "Token <40 hex>", accepted up to 4.x and removed in 5.0; v2 "nbt_<key>.<secret>" from 4.5), that it is enabled and not expired';
  }
  if (status === 404) return `NetBox has no ${path} (wrong URL, deleted object, or the token may not view it)`;
  if (status === 429) return 'NetBox is rate-limiting; slow down or raise the limit';
  if (status >= 500) return 'NetBox failed internally or a proxy in front of it did; see its logs';
  if (status !== 400) return undefined;
  const statusMessage = firstMessage(body, 'status');
  if (statusMessage && STATUS_CHOICE.test(statusMessage) && /\/dcim\/devices\//.test(path)) {
    const sent = sentBody && typeof sentBody === 'object' ? (sentBody as Record<string, unknown>).status : undefined;
    return fieldChoicesHint(typeof sent === 'string' ? sent : (/"([^"]+)"/.exec(statusMessage)?.[1] ?? '?'));
  }
  const address = firstMessage(body, 'address');
  const range = populatedRangeOf(address === undefined ? undefined : [address]);
  if (range) return populatedRangeHint(range);
  if (address && /duplicate ip address/i.test(address)) {
    return 'the IP is already recorded (ENFORCE_GLOBAL_UNIQUE); find it with ?address= and reassign it instead of creating it';
  }
  return undefined;
}
