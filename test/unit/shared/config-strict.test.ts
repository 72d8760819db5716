/**
 * The strictness every config source shares (shared/config.ts): forbidden keys never reach
 * Object.prototype, "did you mean", the environment rule, ranges in messages, and every
 * duration a schema accepts fits a timer.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_CONFIG_SCHEMA, AGENT_ENV_NAMES } from '../../../agent/config.ts';
import { HOOK_ENV_NAMES } from '../../../hook/config.ts';
import { hookConfigSchema } from '../../../hook/config-schema.ts';
import { compileConfigValidator } from '../../../shared/config-ajv.ts';
import {
  assertSafeKey,
  closestMatch,
  editDistance,
  FORBIDDEN_KEYS,
  forbiddenKeyIssues,
  MAX_TIMER_MS,
  MAX_TIMER_S,
  mergeLayers,
  netboxConnectionSchema,
  readJsonConfigFile,
  unknownEnvironmentIssues,
} from '../../../shared/config.ts';
import { configErrorOf } from '../../helpers/config-error.ts';

const jsonFile = (text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'strict-')), 'config.json');
  writeFileSync(path, text);
  return path;
};

const prototypeIsClean = () => {
  const probe: Record<string, unknown> = {};
  return probe.polluted === undefined && probe.x === undefined && Object.keys(Object.prototype).length === 0;
};

describe('forbidden keys', () => {
  afterEach(() => expect(prototypeIsClean()).toBe(true));

  test('are __proto__, constructor and prototype', () => {
    expect([...FORBIDDEN_KEYS]).toEqual(['__proto__', 'constructor', 'prototype']);
  });

  test('assertSafeKey names the source and the key as written', async () => {
    const error = await configErrorOf(() => assertSafeKey('__proto__', '--set', 'bm.__proto__.x'));
    expect(error.source).toBe('--set');
    expect(error.issues).toEqual([{ key: 'bm.__proto__.x', message: 'forbidden key: __proto__, constructor, prototype are never config keys' }]);
    expect(() => assertSafeKey('disk', '--set')).not.toThrow();
  });

  test('are found at any depth, arrays included, with dotted paths', () => {
    const value = JSON.parse('{"a": {"__proto__": {"polluted": 1}}, "b": [{"constructor": 1}], "prototype": 2}');
    expect(forbiddenKeyIssues(value, 'root').map((i) => i.key)).toEqual(['root.a.__proto__', 'root.b.0.constructor', 'root.prototype']);
  });

  test('a JSON config file holding one is a ConfigError naming the file and the key', async () => {
    for (const [text, key] of [
      ['{"netbox": {"url": "http://x", "__proto__": {"polluted": true}}}', 'netbox.__proto__'],
      ['{"constructor": {"prototype": {"polluted": true}}}', 'constructor'],
      ['{"ouis": {"entries": [{"oui": "aa:bb:cc", "prototype": "x"}]}}', 'ouis.entries.0.prototype'],
    ] as const) {
      const path = jsonFile(text);
      const error = await configErrorOf(() => readJsonConfigFile(path));
      expect(error.source).toBe(path);
      expect(error.issues.map((i) => i.key)).toEqual([key]);
    }
  });

  test('mergeLayers refuses them at every level and leaves Object.prototype alone', async () => {
    expect((await configErrorOf(() => mergeLayers({ a: 1 }, JSON.parse('{"__proto__": {"polluted": 1}}')))).issues[0]?.key).toBe('__proto__');
    expect((await configErrorOf(() => mergeLayers({ a: { b: 1 } }, JSON.parse('{"a": {"__proto__": {"polluted": 1}}}')))).issues[0]?.key).toBe('a.__proto__');
    expect((await configErrorOf(() => mergeLayers({ constructor: { prototype: { polluted: 1 } } }))).issues[0]?.key).toBe('constructor');
  });
});

describe('did you mean', () => {
  test('the closest key within two edits, case-insensitive, transpositions count once', () => {
    expect(closestMatch('netbox_ur', ['netbox_url', 'netbox_token'])).toBe('netbox_url');
    expect(closestMatch('tiemoutMs', ['timeoutMs', 'deadlineMs'])).toBe('timeoutMs');
    expect(closestMatch('PROFILE', ['profile'])).toBe('profile');
    expect(closestMatch('note', ['profile', 'netbox_url'])).toBeUndefined();
    expect(closestMatch('ab', ['cd'])).toBeUndefined();
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});

describe('the environment rule', () => {
  test('a near miss of a known variable in the BM_/NETBOX_ namespace is named with the right name', () => {
    expect(unknownEnvironmentIssues({ BM_PROFLE: 'quick', NETBOX_ULR: 'http://x', bm_profile: 'full' }, AGENT_ENV_NAMES)).toEqual([
      { key: 'BM_PROFLE', message: 'unknown environment variable; did you mean BM_PROFILE? (fix the name or unset it)' },
      { key: 'NETBOX_ULR', message: 'unknown environment variable; did you mean NETBOX_URL? (fix the name or unset it)' },
      { key: 'bm_profile', message: 'unknown environment variable; did you mean BM_PROFILE? (fix the name or unset it)' },
    ]);
    expect(unknownEnvironmentIssues({ BM_SPOOL_DR: '/x' }, HOOK_ENV_NAMES).map((i) => i.key)).toEqual(['BM_SPOOL_DR']);
  });

  test('other variables are left alone: other namespaces, empty values, far names, the test harness', () => {
    const harness = { BM_NETBOX_REAL_STATE: '/x', BM_CACHE_DIR: '/x', BM_NETBOX_DB_PORT: '1', BM_NETBOX_IN_NS: '1', BM_NETBOX_PEPPER: 'x' };
    const env = { ...harness, BM_NETBOX_SECRET_KEY: 'x', BM_NETBOX_REDIS_PORT: '1', PROFLE: 'x', BM_PROFLE: '', BM_SOMETHING_ELSE: '1' };
    expect(unknownEnvironmentIssues(env, AGENT_ENV_NAMES)).toEqual([]);
    expect(unknownEnvironmentIssues(env, HOOK_ENV_NAMES)).toEqual([]);
  });

  test("neither binary refuses the other's variables", () => {
    const all = [...new Set([...AGENT_ENV_NAMES, ...HOOK_ENV_NAMES])];
    const env = Object.fromEntries(all.map((name) => [name, 'x']));
    expect(unknownEnvironmentIssues(env, AGENT_ENV_NAMES)).toEqual([]);
    expect(unknownEnvironmentIssues(env, HOOK_ENV_NAMES)).toEqual([]);
  });
});

describe('durations and ranges', () => {
  type Schema = { [key: string]: unknown };
  /** Every numeric property that is a duration (`…Ms`, `…_s`, `timeout…`) in a schema, with its path. */
  const durations = (schema: Schema, path = ''): { path: string; schema: Schema }[] => {
    const out: { path: string; schema: Schema }[] = [];
    for (const [key, value] of Object.entries((schema.properties as Record<string, Schema>) ?? {})) {
      const at = path ? `${path}.${key}` : key;
      if (/Ms$|_s$|^timeout/i.test(key)) out.push({ path: at, schema: value });
      out.push(...durations(value, at));
    }
    if (schema.items) out.push(...durations(schema.items as Schema, `${path}[]`));
    return out;
  };
  /** Every object schema with listed properties that lets other keys through. */
  const openObjects = (schema: Schema, path = '(root)'): string[] => {
    const out: string[] = [];
    if (schema.properties && schema.additionalProperties !== false) out.push(path);
    for (const [key, value] of Object.entries((schema.properties as Record<string, Schema>) ?? {})) out.push(...openObjects(value, `${path}.${key}`));
    if (schema.items) out.push(...openObjects(schema.items as Schema, `${path}[]`));
    return out;
  };
  const schemas: Record<string, Schema> = { agent: AGENT_CONFIG_SCHEMA, hook: hookConfigSchema, netbox: netboxConnectionSchema };

  test('the bound is what setTimeout holds', () => {
    expect(MAX_TIMER_MS).toBe(2147483647);
    expect(MAX_TIMER_S).toBe(2147483);
  });

  test.each(Object.keys(schemas))('every duration in the %s schema has a maximum a timer holds', (name) => {
    const found = durations(schemas[name]!);
    expect(found.length).toBeGreaterThan(0);
    for (const { path, schema } of found) {
      const bound = path.endsWith('_s') ? MAX_TIMER_S : MAX_TIMER_MS;
      expect({ path, ok: typeof schema.maximum === 'number' && schema.maximum <= bound && typeof schema.minimum === 'number' }).toEqual({ path, ok: true });
    }
  });

  test.each(Object.keys(schemas))('every object with listed keys in the %s schema refuses other keys', (name) => {
    expect(openObjects(schemas[name]!)).toEqual([]);
  });

  test('an out-of-range value is refused with the allowed range', async () => {
    const validate = compileConfigValidator<unknown>(netboxConnectionSchema);
    const error = await configErrorOf(() => validate({ url: 'http://x', timeoutMs: 2 ** 31, retries: -1 }, 'test'));
    expect(error.issues).toEqual([
      { key: 'timeoutMs', message: 'must be between 100 and 600000' },
      { key: 'retries', message: 'must be between 0 and 20' },
    ]);
  });
});
