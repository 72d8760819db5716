import { expect, test } from 'bun:test';
import { redact, redactValue, registerSecret } from '../../../shared/redact.ts';

const V1 = '0123456789abcdef0123456789abcdef01234567';
const V2 = 'nbt_AbCdEf012345.s3cr3tS3cr3tS3cr3t';

test('v1 and v2 tokens are scrubbed from free text', () => {
  expect(redact(`Authorization: Token ${V1}`)).toBe('Authorization: Token [REDACTED]');
  expect(redact(`Authorization: Bearer ${V2}`)).toBe('Authorization: Bearer [REDACTED]');
  expect(redact(`token=${V1} ok`)).toBe('token=[REDACTED] ok');
  expect(redact(`see ${V2} here`)).toBe('see [REDACTED] here');
});

test('prose mentioning a token is left readable', () => {
  expect(redact('cannot read token file: ENOENT')).toBe('cannot read token file: ENOENT');
  expect(redact('check the NetBox token (v1 "Token …")')).toBe('check the NetBox token (v1 "Token …")');
});

test('a registered secret of any form is scrubbed wherever it appears', () => {
  registerSecret('hunter2-not-a-pattern');
  expect(redact('url?x=hunter2-not-a-pattern&y=1')).toBe('url?x=[REDACTED]&y=1');
});

test('values under secret-like keys are blanked in objects', () => {
  expect(redactValue({ url: 'http://nb', token: 'abc', nested: { Authorization: 'x', ok: `t ${V1}` } })).toEqual({
    url: 'http://nb',
    token: '[REDACTED]',
    nested: { Authorization: '[REDACTED]', ok: 't [REDACTED]' },
  });
});
