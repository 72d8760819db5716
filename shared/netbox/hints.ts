/**
 * Operator-facing hints for NetBox error answers: what to change so the call
 * succeeds. Pure; the client attaches the hint to NetboxHttpError.
 */

const STATUS_CHOICE = /is not a valid choice/i;

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
  if (status === 401 || status === 403) {
    return 'check the NetBox token (v1 "Token …" up to 4.4, v2 "nbt_…" from 4.5) and that it has the permissions this call needs';
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
  if (address && /duplicate ip address/i.test(address)) {
    return 'the IP is already recorded (ENFORCE_GLOBAL_UNIQUE); find it with ?address= and reassign it instead of creating it';
  }
  return undefined;
}
