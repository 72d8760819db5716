import { expect, test } from 'bun:test';
import { createMemoryLogger } from '../../../shared/log.ts';
import { redact, redactUrl, redactValue, registerSecret } from '../../../shared/redact.ts';

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

test('a password written into a URL is redacted, wherever the URL appears; the rest of the URL stays', () => {
  expect(redactUrl('http://user:pass@netbox.example.net/api/')).toBe('http://user:[REDACTED]@netbox.example.net/api/');
  // The WHATWG parser takes the last @ before the host: an unencoded @ in the password is still all redacted.
  expect(redactUrl('https://u:p@ss@nb:8443/?next=a@b')).toBe('https://u:[REDACTED]@nb:8443/?next=a@b');
  expect(redactUrl('https://s3cr3tt0ken@nb/')).toBe('https://[REDACTED]@nb/');
  expect(redactUrl('HTTP://A:B@H')).toBe('HTTP://A:[REDACTED]@H');
  for (const plain of ['https://nb.example.net/api/?q=a@b', 'http://[::1]:8000/', 'mailto:ops@example.net', 'ops@example.net'])
    expect(redactUrl(plain)).toBe(plain);
  expect(redact('GET "http://bob:pw1@nb/api/status/" failed; see ftp://a:pw2@c')).toBe(
    'GET "http://bob:[REDACTED]@nb/api/status/" failed; see ftp://a:[REDACTED]@c',
  );
  expect(redactValue({ url: 'http://bob:pw1@nb/' })).toEqual({ url: 'http://bob:[REDACTED]@nb/' });
});

test('log lines carry no URL password (the logger redacts every line)', () => {
  const log = createMemoryLogger();
  log.error('cannot reach NetBox', { url: 'http://bob:pw1@nb/', error: 'fetch http://bob:pw1@nb/api/ failed' });
  expect(log.lines.join('\n')).not.toContain('pw1');
  expect(log.lines[0]).toContain('url=http://bob:[REDACTED]@nb/');
});
