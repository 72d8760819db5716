/**
 * BMC credentials from the configured source: a JSON file `{"username", "password",
 * "new_password"?}` that only its owner may read (mode 0600 or stricter). A file that
 * the group or others can read is refused before it is read, so a misplaced secret
 * is noticed instead of used. The values are registered with shared/redact.ts so
 * they never reach a log, an error or the journal; they never go on a command line.
 */
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '../shared/config.ts';
import { isJsonObject } from '../shared/json.ts';
import { registerSecret } from '../shared/redact.ts';

export interface BmcCredentials {
  username: string;
  password: string;
  /** The password the profile's account rotation sets (written only to the Ansible side's 0600 file). */
  newPassword?: string;
}

/** Why a file mode is too open for a secret (group or world may read or write it), or null. Pure. */
export function secretFileModeProblem(mode: number): string | null {
  const loose = mode & 0o077;
  if (!loose) return null;
  return `mode ${(mode & 0o777).toString(8).padStart(4, '0')} lets ${mode & 0o070 ? 'the group' : 'others'} read or change it (chmod 600 it)`;
}

/** Parses the credentials file's text; every problem names the key, never the value. Pure. */
export function parseCredentials(text: string, source: string): BmcCredentials {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(source, [{ key: '(file)', message: 'not valid JSON (expected {"username": …, "password": …})' }]);
  }
  if (!isJsonObject(parsed)) throw new ConfigError(source, [{ key: '(root)', message: 'must be an object {"username": …, "password": …}' }]);
  const issues = [];
  for (const key of ['username', 'password']) {
    if (typeof parsed[key] !== 'string' || parsed[key] === '') issues.push({ key, message: 'is required (a non-empty string)' });
  }
  if (parsed.new_password !== undefined && (typeof parsed.new_password !== 'string' || parsed.new_password.length < 8)) {
    issues.push({ key: 'new_password', message: 'must be a string of at least 8 characters' });
  }
  for (const key of Object.keys(parsed)) {
    if (!['username', 'password', 'new_password'].includes(key)) issues.push({ key, message: 'unknown key (known: username, password, new_password)' });
  }
  if (issues.length) throw new ConfigError(source, issues);
  const credentials: BmcCredentials = { username: parsed.username as string, password: parsed.password as string };
  if (typeof parsed.new_password === 'string') credentials.newPassword = parsed.new_password;
  return credentials;
}

/** Reads the credentials file after checking its mode; registers the secrets for redaction. */
export function readCredentialsFile(path: string): BmcCredentials {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    throw new ConfigError(path, [{ key: 'credentialsFile', message: `cannot read: ${(error as NodeJS.ErrnoException).code ?? 'error'}` }]);
  }
  const problem = secretFileModeProblem(mode);
  if (problem) throw new ConfigError(path, [{ key: 'credentialsFile', message: `refused: ${problem}` }]);
  const credentials = parseCredentials(readFileSync(path, 'utf8'), path);
  registerSecret(credentials.password);
  registerSecret(credentials.newPassword);
  return credentials;
}
