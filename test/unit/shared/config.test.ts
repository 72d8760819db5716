import { expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileConfigValidator } from '../../../shared/config-ajv.ts';
import {
  ConfigError,
  mergeLayers,
  netboxConnectionSchema,
  readJsonConfigFile,
  resolveNetboxToken,
  type NetboxConnectionConfig,
} from '../../../shared/config.ts';

const validate = compileConfigValidator<{ netbox: NetboxConnectionConfig }>({
  type: 'object',
  additionalProperties: false,
  required: ['netbox'],
  properties: { netbox: netboxConnectionSchema },
});

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

test('defaults are filled in', () => {
  const config = validate({ netbox: { url: 'http://127.0.0.1:8000', token: 't' } }, 'test');
  expect(config.netbox).toMatchObject({ timeoutMs: 5000, deadlineMs: 20000, retries: 3 });
});

test('a misspelt key is named with its full path', () => {
  const issues = issuesOf(() => validate({ netbox: { url: 'http://x', tiemoutMs: 5 } }, 'hook.json'));
  expect(issues).toContainEqual({ key: 'netbox.tiemoutMs', message: 'unknown key (check the spelling); did you mean timeoutMs?' });
});

test('a wrong type is named with its full path', () => {
  const issues = issuesOf(() => validate({ netbox: { url: 'http://x', timeoutMs: 'fast' } }, 'hook.json'));
  expect(issues).toContainEqual({ key: 'netbox.timeoutMs', message: 'must be integer' });
});

test('a missing required key is named', () => {
  const issues = issuesOf(() => validate({ netbox: {} }, 'env'));
  expect(issues).toContainEqual({ key: 'netbox.url', message: 'is required' });
});

test('the error message lists the source and every bad key', () => {
  expect(() => validate({ netbox: { url: 'ftp://x', retries: -1 } }, '/etc/bm-provision/hook.json')).toThrow(
    /\/etc\/bm-provision\/hook\.json.*netbox\.url.*netbox\.retries|\/etc\/bm-provision\/hook\.json.*netbox\.retries.*netbox\.url/,
  );
});

test('layers merge deeply, later wins, undefined is skipped', () => {
  expect(mergeLayers({ a: { b: 1, c: 2 }, d: [1] }, { a: { c: 3 }, d: [2], e: undefined }, null)).toEqual({ a: { b: 1, c: 3 }, d: [2] });
});

test('config files: missing optional is undefined, bad JSON is a ConfigError naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  expect(readJsonConfigFile(join(dir, 'none.json'), { optional: true })).toBeUndefined();
  expect(() => readJsonConfigFile(join(dir, 'none.json'))).toThrow(ConfigError);
  writeFileSync(join(dir, 'bad.json'), '{"netbox": ');
  expect(() => readJsonConfigFile(join(dir, 'bad.json'))).toThrow(/bad\.json.*not valid JSON/);
});

test('the token comes from the file when not given inline, and the file content never appears in errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  writeFileSync(join(dir, 'token'), 'nbt_abc.def\n');
  expect(resolveNetboxToken({ tokenFile: join(dir, 'token') })).toBe('nbt_abc.def');
  writeFileSync(join(dir, 'empty'), '\n');
  expect(() => resolveNetboxToken({ tokenFile: join(dir, 'empty') })).toThrow(/netbox\.tokenFile: token file is empty/);
  expect(() => resolveNetboxToken({})).toThrow(/netbox\.token: is required/);
});
