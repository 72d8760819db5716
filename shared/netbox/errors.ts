/**
 * Errors of the NetBox module. Transport and HTTP failures share the base
 * NetboxError; data-level surprises (one MAC on several devices) are separate.
 * Every message says what, where and — when we know it — how to fix it, and
 * passes through redact() so the token never appears.
 */
import { BmError } from '../errors.ts';
import { redact, redactValue } from '../redact.ts';

export type { SerialisedError } from '../errors.ts';

/** Whether trying again may help is not said here but in shared/failure.ts (classifyFailure). */
export abstract class NetboxError extends BmError {
  constructor(
    message: string,
    readonly method: string,
    readonly path: string,
    options?: ErrorOptions,
  ) {
    super(redact(message), options);
  }

  override details(): Record<string, unknown> {
    return { method: this.method, path: this.path };
  }
}

/** NetBox answered with a non-2xx status. `body` is NetBox's parsed error body (or text). */
export class NetboxHttpError extends NetboxError {
  override readonly name = 'NetboxHttpError';
  readonly body: unknown;
  readonly hint: string | undefined;

  /** `retryAfterMs`: how long NetBox asked us to wait (its Retry-After header), when it did. */
  constructor(
    method: string,
    path: string,
    readonly status: number,
    body: unknown,
    hint?: string,
    readonly retryAfterMs?: number,
  ) {
    const shown = typeof body === 'string' ? body : JSON.stringify(body);
    super(`NetBox answered ${status} to ${method} ${path}: ${truncate(shown ?? '', 500)}${hint ? ` — ${hint}` : ''}`, method, path);
    this.body = redactValue(body);
    this.hint = hint;
  }

  /**
   * The object permission NetBox found missing (`view extras.journalentry`), when this is
   * NetBox's permission denial (403 "You do not have permission to perform this action.");
   * undefined for any other answer, including a 403 for a bad token ("Invalid v1 token").
   */
  get missingPermission(): string | undefined {
    return isPermissionDenial(this.status, this.body) ? permissionFor(this.method, this.path) : undefined;
  }

  /** NetBox's validation messages of a 400 as one line: `asset_tag: …; __all__: …`. */
  get validationSummary(): string {
    const errors = this.fieldErrors;
    const parts = Object.entries(errors).map(([field, messages]) => `${field}: ${messages.join(' ')}`);
    return parts.length ? parts.join('; ') : typeof this.body === 'string' ? this.body : JSON.stringify(this.body);
  }

  /** NetBox's `{field: [messages]}` for a 400, else `{}`. */
  get fieldErrors(): Record<string, string[]> {
    if (this.status !== 400 || !this.body || typeof this.body !== 'object' || Array.isArray(this.body)) return {};
    const out: Record<string, string[]> = {};
    for (const [key, value] of Object.entries(this.body)) {
      out[key] = Array.isArray(value) ? value.map(String) : [String(value)];
    }
    return out;
  }

  override details(): Record<string, unknown> {
    return { ...super.details(), status: this.status, body: this.body, hint: this.hint };
  }
}

/** No answer within the per-request timeout or the overall deadline. */
export class NetboxTimeoutError extends NetboxError {
  override readonly name = 'NetboxTimeoutError';
  constructor(
    method: string,
    path: string,
    readonly timeoutMs: number,
    readonly kind: 'request' | 'deadline',
  ) {
    super(
      kind === 'deadline'
        ? `NetBox did not complete ${method} ${path} within the ${timeoutMs} ms deadline (retries included)`
        : `NetBox did not answer ${method} ${path} within ${timeoutMs} ms`,
      method,
      path,
    );
  }

  override details(): Record<string, unknown> {
    return { ...super.details(), timeoutMs: this.timeoutMs, kind: this.kind };
  }
}

/**
 * Could not talk to NetBox at all (refused, reset, DNS, TLS). Keeps the cause; a
 * certificate NetBox's server presents and we do not trust is named, with the fix.
 */
export class NetboxNetworkError extends NetboxError {
  override readonly name = 'NetboxNetworkError';
  /** The errno / TLS code of the cause (`ECONNREFUSED`, `DEPTH_ZERO_SELF_SIGNED_CERT`), when it has one. */
  readonly code: string | undefined;
  constructor(method: string, path: string, cause: unknown) {
    const code = codeOf(cause);
    const tls = code !== undefined && isCertificateCode(code);
    super(`cannot reach NetBox for ${method} ${path}: ${causeText(cause)}${tls ? ` — ${CERTIFICATE_HINT}` : ''}`, method, path, { cause });
    this.code = code;
  }

  override details(): Record<string, unknown> {
    return { ...super.details(), ...(this.code ? { code: this.code } : {}) };
  }
}

const CERTIFICATE_HINT =
  "NetBox's TLS certificate is not trusted: name its CA in the environment (NODE_EXTRA_CA_CERTS=/path/to/ca.pem), " +
  'or, on a lab NetBox only, set netbox.insecureTls: true to skip certificate verification';

/** TLS verification failures as Bun and node report them (`DEPTH_ZERO_SELF_SIGNED_CERT`, `CERT_HAS_EXPIRED`, `ERR_TLS_CERT_ALTNAME_INVALID`, …). */
export function isCertificateCode(code: string): boolean {
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/i.test(code);
}

/**
 * NetBox answered 2xx but the body is not what NetBox sends (truncated JSON, a proxy's HTML
 * page, a list without `results`, a list over the cap). Transient by shared/failure.ts: the
 * work is kept, since a proxy or a NetBox mid-upgrade is the likely cause, not the work.
 */
export class NetboxResponseError extends NetboxError {
  override readonly name = 'NetboxResponseError';
  constructor(method: string, path: string, reason: string) {
    super(`NetBox answered something unexpected to ${method} ${path}: ${reason}`, method, path);
  }
}

/** The caller cancelled (e.g. SIGTERM): nobody is waiting any more. */
export class NetboxAbortedError extends NetboxError {
  override readonly name = 'NetboxAbortedError';
  constructor(method: string, path: string) {
    super(`${method} ${path} was cancelled`, method, path);
  }
}

/** A lookup that must be unique matched several objects (a MAC or serial on several devices). */
export class AmbiguousMatchError extends BmError {
  override readonly name = 'AmbiguousMatchError';
  constructor(
    readonly what: string,
    readonly value: string,
    readonly matches: readonly { id: number; display: string }[],
  ) {
    super(
      `${what} ${value} matches ${matches.length} devices in NetBox (${matches.map((m) => `#${m.id} ${m.display}`).join(', ')}); fix the duplicates in NetBox`,
    );
  }

  override details(): Record<string, unknown> {
    return { what: this.what, value: this.value, matches: this.matches };
  }
}

/**
 * NetBox's answer when the token is valid but its user lacks an object permission
 * (or the token is not write-enabled). Auth failures are 403 too, with another detail:
 * "Invalid v1 token", "Invalid v2 token", "Token expired", "Token disabled", …
 */
const PERMISSION_DENIED = /do not have permission to perform this action/i;

export function isPermissionDenial(status: number, body: unknown): boolean {
  if (status !== 403 || !body || typeof body !== 'object') return false;
  const detail = (body as { detail?: unknown }).detail;
  return typeof detail === 'string' && PERMISSION_DENIED.test(detail);
}

/** API path segments whose model name is not the segment without hyphens and plural. */
const MODEL_OF_SEGMENT: Record<string, string> = {
  'dcim/device-roles': 'role',
  'virtualization/interfaces': 'vminterface',
  'extras/object-types': 'objecttype',
};
const ACTION_OF_METHOD: Record<string, string> = { GET: 'view', HEAD: 'view', POST: 'add', PUT: 'change', PATCH: 'change', DELETE: 'delete' };

/**
 * The NetBox permission a REST call needs, e.g. `GET /api/extras/journal-entries/` →
 * `view extras.journalentry`, `PATCH /api/dcim/devices/7/` → `change dcim.device`. Pure.
 */
export function permissionFor(method: string, path: string): string {
  const [app = '?', segment = '?'] = path.replace(/^\/?api\//, '').split(/[/?]/);
  const singular = segment.endsWith('ies') ? `${segment.slice(0, -3)}y` : /(ss|x|ch|sh)es$/.test(segment) ? segment.slice(0, -2) : segment.replace(/s$/, '');
  const model = MODEL_OF_SEGMENT[`${app}/${segment}`] ?? singular.replaceAll('-', '');
  return `${ACTION_OF_METHOD[method.toUpperCase()] ?? method.toLowerCase()} ${app}.${model}`;
}

export function isNetboxError(error: unknown): error is NetboxError {
  return error instanceof NetboxError;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function codeOf(cause: unknown): string | undefined {
  const code = cause instanceof Error ? (cause as NodeJS.ErrnoException).code : undefined;
  return typeof code === 'string' && code !== '' ? code : undefined;
}

function causeText(cause: unknown): string {
  if (cause instanceof Error) {
    const code = codeOf(cause);
    return code && !cause.message.includes(code) ? `${code} ${cause.message}` : cause.message;
  }
  return String(cause);
}
