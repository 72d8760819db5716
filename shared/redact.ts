/**
 * Secret redaction. Every string that may reach a log, an error message or a
 * journal entry goes through here, so a NetBox token can never be printed; nor
 * can a password written into a URL (`https://user:pass@netbox/`): the one rule
 * for URLs is URL_USERINFO, used by redact() on free text and by redactUrl() where
 * a URL is printed on its own (check-config, netbox-check).
 */

const REDACTED = '[REDACTED]';

// v1 tokens are 40 hex characters; v2 are `nbt_<key>.<secret>`.
const TOKEN_PATTERNS: readonly RegExp[] = [
  /\b(Token|Bearer)\s+(?=[A-Za-z0-9_.-]{12,})[A-Za-z0-9_.-]+/gi,
  /\bnbt_[A-Za-z0-9]+\.[A-Za-z0-9_-]+/g,
  /\b[0-9a-f]{40}\b/gi,
];

/**
 * The userinfo of a URL: after `scheme://`, up to the last `@` before the host's end
 * (`/`, `?`, `#`, whitespace, a quote), as the WHATWG URL parser reads `user:p@ss@host`.
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^/?#\s"'<>]*)@/gi;

/** `user:secret` → `user:[REDACTED]`; a lone `token@` (no colon) is all secret. */
const redactUserinfo = (_match: string, scheme: string, userinfo: string) => {
  const colon = userinfo.indexOf(':');
  return `${scheme}${colon >= 0 ? `${userinfo.slice(0, colon)}:${REDACTED}` : REDACTED}@`;
};

/** A URL with any credentials in it redacted (`http://admin:[REDACTED]@netbox/`); the rest as given. */
export function redactUrl(url: string): string {
  return url.replace(URL_USERINFO, redactUserinfo);
}

const knownSecrets = new Set<string>();

/** Registers a secret value (e.g. the configured token) so it is scrubbed wherever it appears. */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 4) knownSecrets.add(secret);
}

/** Free text with every known secret, token-shaped string and URL password replaced by [REDACTED]. */
export function redact(text: string): string {
  let out = redactUrl(text);
  for (const secret of knownSecrets) out = out.split(secret).join(REDACTED);
  for (const pattern of TOKEN_PATTERNS) {
    out = out.replace(pattern, (_match, scheme?: string) =>
      typeof scheme === 'string' && /^(token|bearer)$/i.test(scheme) ? `${scheme} ${REDACTED}` : REDACTED,
    );
  }
  return out;
}

/** Deep-redacts a JSON-like value (strings are scrubbed, keys named like secrets are blanked). */
export function redactValue(value: unknown): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map(redactValue);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] = /token|secret|password|authorization/i.test(key) ? REDACTED : redactValue(inner);
    }
    return out;
  }
  return value;
}
