/** harden/credentials.ts: a 0600 JSON file; looser modes refused; errors never show a value. */
import { afterAll, describe, expect, test } from 'bun:test';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCredentials, readCredentialsFile, secretFileModeProblem } from '../../../harden/credentials.ts';
import { redact } from '../../../shared/redact.ts';

const dir = mkdtempSync(join(tmpdir(), 'bmt-harden-cred-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(content: string, mode: number): string {
  const path = join(dir, `c-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

describe('secretFileModeProblem', () => {
  test.each([0o600, 0o400, 0o700])('%o is fine', (mode) => expect(secretFileModeProblem(mode)).toBeNull());
  test.each([
    [0o640, 'the group'],
    [0o644, 'the group'],
    [0o604, 'others'],
    [0o660, 'the group'],
  ])('%o is refused (%s)', (mode, who) => expect(secretFileModeProblem(mode)).toContain(who));
});

describe('readCredentialsFile', () => {
  test('a 0600 file is read, and its secrets are redacted from then on', () => {
    const path = file('{"username":"admin","password":"cred-test-pw-5521","new_password":"cred-test-new-7730"}', 0o600);
    expect(readCredentialsFile(path)).toEqual({ username: 'admin', password: 'cred-test-pw-5521', newPassword: 'cred-test-new-7730' });
    expect(redact('login with cred-test-pw-5521 then cred-test-new-7730')).toBe('login with [REDACTED] then [REDACTED]');
  });

  test('a group-readable file is refused before it is read, with the fix', () => {
    const path = file('{"username":"admin","password":"x"}', 0o640);
    expect(() => readCredentialsFile(path)).toThrow(/credentialsFile: refused: mode 0640 lets the group read or change it \(chmod 600 it\)/);
  });

  test('a missing file names the key', () => {
    expect(() => readCredentialsFile(join(dir, 'nope.json'))).toThrow(/credentialsFile: cannot read: ENOENT/);
  });
});

test('parse errors name the key, never the value', () => {
  const attempt = () => parseCredentials('{"username":"","password":"s3cr3t-value","new_password":"short","extra":1}', 'f');
  expect(attempt).toThrow(/username: is required.*new_password: must be a string of at least 8 characters.*extra: unknown key/);
  try {
    attempt();
  } catch (error) {
    expect(String((error as Error).message)).not.toContain('s3cr3t-value');
    expect(String((error as Error).message)).not.toContain('short');
  }
  expect(() => parseCredentials('not json s3cr3t', 'f')).toThrow(/not valid JSON/);
  expect(() => parseCredentials('not json s3cr3t', 'f')).not.toThrow(/s3cr3t/);
});
