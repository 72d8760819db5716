/**
 * HMAC signatures of HTTP bodies, signed and verified by one piece of code: bm-agent signs
 * its callback with `X-BM-Signature-256: sha256=<hex>` (HMAC-SHA256 of the exact body) and
 * `bm-harden serve` verifies it with the same function; NetBox signs event-rule webhooks with
 * `X-Hook-Signature: <hex>` (HMAC-SHA512 of the body, no prefix) when the webhook has a secret.
 * Verification compares in constant time, so a forger learns nothing from how long a refusal
 * takes. Pure.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How a signature header is made: the hash and the prefix before the hex digest. */
export interface SignatureScheme {
  algorithm: 'sha256' | 'sha512';
  /** Text before the hex digest in the header (`sha256=`), or '' (NetBox). */
  prefix: string;
}

/** bm-agent's callback: `X-BM-Signature-256: sha256=<HMAC-SHA256 hex>`. */
export const BM_SIGNATURE: SignatureScheme = { algorithm: 'sha256', prefix: 'sha256=' };

/** NetBox's webhooks: `X-Hook-Signature: <HMAC-SHA512 hex>` (netbox/extras/webhooks.py generate_signature). */
export const NETBOX_SIGNATURE: SignatureScheme = { algorithm: 'sha512', prefix: '' };

/** The header value for `body` under `scheme`. */
export function signWith(scheme: SignatureScheme, body: string | Uint8Array, secret: string): string {
  return `${scheme.prefix}${createHmac(scheme.algorithm, secret).update(body).digest('hex')}`;
}

/** `sha256=<hex>` of the exact body bytes, as in the `X-BM-Signature-256` header. */
export function signBody(body: string | Uint8Array, secret: string): string {
  return signWith(BM_SIGNATURE, body, secret);
}

/**
 * Whether `header` is the signature of `body` under `scheme` and `secret`. A missing header,
 * a wrong length or a wrong digest are all false; the digest is compared in constant time.
 * Hex case is ignored (a receiver upper-casing it changes nothing).
 */
export function verifySignature(scheme: SignatureScheme, body: string | Uint8Array, header: string | null | undefined, secret: string): boolean {
  if (!header) return false;
  const expected = Buffer.from(signWith(scheme, body, secret));
  const given = Buffer.from(header.trim().toLowerCase());
  return given.length === expected.length && timingSafeEqual(given, expected);
}
