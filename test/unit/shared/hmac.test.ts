/** shared/hmac.ts: the one sign/verify pair of bm-agent's callback and bm-harden serve, and NetBox's webhook signature. */
import { describe, expect, test } from 'bun:test';
import { createHmac } from 'node:crypto';
import { BM_SIGNATURE, NETBOX_SIGNATURE, signBody, signWith, verifySignature } from '../../../shared/hmac.ts';

const BODY = '{"event":"bm.validation.finished","verdict":"pass"}';

describe('signBody / verifySignature (X-BM-Signature-256)', () => {
  test('the signature is sha256= and the HMAC-SHA256 hex of the exact body', () => {
    expect(signBody('{"a":1}', 's3cret')).toBe(`sha256=${createHmac('sha256', 's3cret').update('{"a":1}').digest('hex')}`);
  });

  test('what signBody signs, verifySignature accepts; bytes and string of the same body agree', () => {
    const header = signBody(BODY, 'k');
    expect(verifySignature(BM_SIGNATURE, BODY, header, 'k')).toBe(true);
    expect(verifySignature(BM_SIGNATURE, new TextEncoder().encode(BODY), header, 'k')).toBe(true);
    expect(verifySignature(BM_SIGNATURE, BODY, header.toUpperCase().replace('SHA256=', 'sha256='), 'k')).toBe(true);
  });

  test('a missing, truncated, other-secret, other-body or unprefixed signature is refused', () => {
    const header = signBody(BODY, 'k');
    expect(verifySignature(BM_SIGNATURE, BODY, null, 'k')).toBe(false);
    expect(verifySignature(BM_SIGNATURE, BODY, '', 'k')).toBe(false);
    expect(verifySignature(BM_SIGNATURE, BODY, header.slice(0, -1), 'k')).toBe(false);
    expect(verifySignature(BM_SIGNATURE, BODY, header, 'other')).toBe(false);
    expect(verifySignature(BM_SIGNATURE, `${BODY} `, header, 'k')).toBe(false);
    expect(verifySignature(BM_SIGNATURE, BODY, header.slice('sha256='.length), 'k')).toBe(false);
  });
});

describe('NetBox X-Hook-Signature', () => {
  test('is the bare HMAC-SHA512 hex of the body, as NetBox generate_signature makes it', () => {
    const expected = createHmac('sha512', 'hook-secret').update(BODY).digest('hex');
    expect(signWith(NETBOX_SIGNATURE, BODY, 'hook-secret')).toBe(expected);
    expect(verifySignature(NETBOX_SIGNATURE, BODY, expected, 'hook-secret')).toBe(true);
    expect(verifySignature(NETBOX_SIGNATURE, BODY, `sha512=${expected}`, 'hook-secret')).toBe(false);
    expect(verifySignature(NETBOX_SIGNATURE, BODY, signBody(BODY, 'hook-secret'), 'hook-secret')).toBe(false);
  });
});
