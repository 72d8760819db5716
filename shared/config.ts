/**
 * Config plumbing shared by both binaries: layered sources merged into one
 * object and validated by an ajv schema, with errors that name the bad key.
 * Each binary owns its schema; the NetBox connection part is defined here.
 *
 * Strictness, the same for every source (file, fetched JSON, kernel command
 * line, environment, flags): an unknown key is a ConfigError naming it (with
 * the closest known key when one is near, see closestMatch); the keys
 * `__proto__`, `constructor` and `prototype` are refused wherever they appear
 * (FORBIDDEN_KEYS, assertSafeKey, assertSafeTree), so no layer can reach
 * Object.prototype; every duration a schema accepts fits a timer (MAX_TIMER_MS).
 *
 * This module does not load ajv: validators are compiled at run time by
 * config-ajv.ts, or ahead of time (ajv standalone) where start-up time matters
 * (bm-hook's commit path, which dhcpd waits for).
 */
import { readFileSync } from 'node:fs';
import type { ErrorObject, Options } from 'ajv';
import { isJsonObject, type JsonObject } from './json.ts';
import { BmError } from './errors.ts';

export interface ConfigIssue {
  /** Dotted key path, e.g. `netbox.timeoutMs`; `(root)` for the whole object. */
  key: string;
  message: string;
}

export class ConfigError extends BmError {
  override readonly name = 'ConfigError';
  constructor(
    readonly source: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(`invalid config (${source}): ${issues.map((i) => `${i.key}: ${i.message}`).join('; ')}`);
  }

  override get failureCause() {
    return 'config' as const;
  }

  override details() {
    return { source: this.source, issues: this.issues };
  }
}

/** The ajv options every config validator is built with, at run time or ahead of time. */
export const AJV_OPTIONS: Options = { allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true };

/**
 * The longest delay a timer holds: setTimeout keeps 32-bit signed milliseconds and fires at
 * once for anything longer (about 24.8 days). Every duration in a schema has a maximum at or
 * below it (seconds: MAX_TIMER_S); test/unit/shared/config.test.ts checks the schemas.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** MAX_TIMER_MS in whole seconds, for settings given in seconds (`*_s`). */
export const MAX_TIMER_S = Math.floor(MAX_TIMER_MS / 1000);

/**
 * Keys never accepted from any config source: assigning or merging them reaches
 * Object.prototype (`__proto__`) or shadows what every object inherits.
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

function forbiddenKeyIssue(path: string): ConfigIssue {
  return { key: path, message: `forbidden key: ${[...FORBIDDEN_KEYS].join(', ')} are never config keys` };
}

/**
 * Throws a ConfigError when `key` is one of FORBIDDEN_KEYS. `source` says where it came from
 * (`kernel command line`, `--set`, a file path); `shownAs` is the key as the operator wrote it
 * (`bm.__proto__.x`), default the key itself. Call it before using an untrusted key as a property name.
 */
export function assertSafeKey(key: string, source: string, shownAs = key): void {
  if (FORBIDDEN_KEYS.has(key)) throw new ConfigError(source, [forbiddenKeyIssue(shownAs)]);
}

/** Every forbidden key anywhere in a parsed JSON value, as issues with dotted paths under `prefix`. Pure. */
export function forbiddenKeyIssues(value: unknown, prefix = ''): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const walk = (node: unknown, path: string) => {
    if (Array.isArray(node)) {
      for (const [index, item] of node.entries()) walk(item, path ? `${path}.${index}` : String(index));
    }
    if (!isJsonObject(node)) return;
    for (const key of Object.keys(node)) {
      const at = path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) issues.push(forbiddenKeyIssue(at));
      else walk(node[key], at);
    }
  };
  walk(value, prefix);
  return issues;
}

/** Throws a ConfigError naming `source` and every forbidden key anywhere in `value` (nested objects and arrays too). */
export function assertSafeTree(value: unknown, source: string, prefix = ''): void {
  const issues = forbiddenKeyIssues(value, prefix);
  if (issues.length) throw new ConfigError(source, issues);
}

/** An empty object without a prototype: for layers whose keys come from outside (kernel command line, --set). */
export function nullProtoRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). Pure. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate closest to `word` (case-insensitive), for "did you mean …?": within `maxDistance`
 * edits and less than half the word's length; undefined when none is that close. Ties go to
 * the earlier candidate. Pure.
 */
export function closestMatch(word: string, candidates: Iterable<string>, maxDistance = 2): string | undefined {
  const limit = Math.min(maxDistance, Math.ceil(word.length / 2) - 1);
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

/**
 * "unknown key" with the closest known one ("…; did you mean bm.profile?"), else the known ones
 * when few enough to list, then `hint` (e.g. where other keys go). Pure.
 */
export function unknownKeyMessage(what: string, key: string, known: readonly string[], hint = ''): string {
  const near = closestMatch(key, known);
  if (near) return `${what} (check the spelling); did you mean ${near}?`;
  const list = known.length && known.length <= 12 ? `; known: ${known.join(', ')}` : '';
  return `${what} (check the spelling)${list}${hint}`;
}

/**
 * The environment rule, the same for both binaries: each reads a fixed table of variables
 * (`known`; docs/agent.md, docs/hook.md). The environment is shared (the shell, sudo, systemd,
 * the test harness, the other binary), so a variable the binary does not read is ignored, with
 * one exception: a non-empty variable in the project's namespaces (names starting with `BM_` or
 * `NETBOX_`, any case) that is within two edits of a name in the table, or equal to one but for
 * case, is a typo (BM_PROFLE, NETBOX_ULR, bm_profile) and an issue naming it. The tables of the
 * two binaries are more than two edits apart (a unit test checks), so neither binary refuses
 * the other's variables. Pure.
 */
export function unknownEnvironmentIssues(env: Record<string, string | undefined>, known: readonly string[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!value || known.includes(name) || !/^(BM|NETBOX)_/i.test(name)) continue;
    const near = closestMatch(name, known);
    if (near) issues.push({ key: name, message: `unknown environment variable; did you mean ${near}? (fix the name or unset it)` });
  }
  return issues;
}

/** Throws a ConfigError (source `environment`) for the variables unknownEnvironmentIssues finds. */
export function assertKnownEnvironment(env: Record<string, string | undefined>, known: readonly string[]): void {
  const issues = unknownEnvironmentIssues(env, known);
  if (issues.length) throw new ConfigError('environment', issues);
}

function decodePointer(part: string): string {
  return part.replaceAll('~1', '/').replaceAll('~0', '~');
}

/**
 * The sub-schema holding the keyword an ajv error's `schemaPath` names (`#/properties/netbox/maximum`
 * → the netbox.timeoutMs schema's parent object holding `maximum`); undefined when it cannot be followed. Pure.
 */
export function schemaHolding(schema: unknown, schemaPath: string): JsonObject | undefined {
  const parts = schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodePointer);
  parts.pop();
  let node: unknown = schema;
  for (const part of parts) {
    if (!isJsonObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return isJsonObject(node) ? node : undefined;
}

function keyOf(error: ErrorObject): string {
  const path = error.instancePath.split('/').slice(1).map(decodePointer);
  if (error.keyword === 'additionalProperties') path.push(String(error.params.additionalProperty));
  if (error.keyword === 'required') path.push(String(error.params.missingProperty));
  return path.length ? path.join('.') : '(root)';
}

const RANGE_KEYWORDS = new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']);

function messageOf(error: ErrorObject, schema: unknown): string {
  const holder = schema === undefined ? undefined : schemaHolding(schema, error.schemaPath);
  switch (error.keyword) {
    case 'additionalProperties': {
      const known = isJsonObject(holder?.properties) ? Object.keys(holder.properties) : [];
      return unknownKeyMessage('unknown key', String(error.params.additionalProperty), known);
    }
    case 'required':
      return 'is required';
    case 'enum':
      return `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      if (RANGE_KEYWORDS.has(error.keyword) && typeof holder?.minimum === 'number' && typeof holder.maximum === 'number') {
        return `must be between ${holder.minimum} and ${holder.maximum}`;
      }
      return error.message ?? error.keyword;
  }
}

/** An ajv validate function, compiled at run time or generated ahead of time. */
export interface AjvValidateFunction {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/** ajv's errors as issues naming each bad key once; `schema` (the one validated against) adds "did you mean" and ranges. */
export function configIssuesOf(errors: readonly ErrorObject[], schema?: unknown): ConfigIssue[] {
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
  for (const error of errors) {
    const issue = { key: keyOf(error), message: messageOf(error, schema) };
    const id = `${issue.key}\0${issue.message}`;
    if (!seen.has(id)) issues.push(issue);
    seen.add(id);
  }
  return issues;
}

/**
 * Wraps a validate function: validates (filling defaults) or throws a ConfigError naming each bad key.
 * Pass the schema it was compiled from for "did you mean …?" on unknown keys and ranges on numbers.
 */
export function configValidatorFrom<T>(validate: AjvValidateFunction, schema?: unknown): (value: unknown, source: string) => T {
  return (value, source) => {
    if (validate(value)) return value as T;
    throw new ConfigError(source, configIssuesOf(validate.errors ?? [], schema));
  };
}

/**
 * Deep-merges layers, later ones winning; arrays and scalars are replaced, `undefined` is skipped.
 * A forbidden key (FORBIDDEN_KEYS) anywhere in a layer is a ConfigError: check each layer with
 * assertSafeTree first where the error should name the layer's source.
 */
export function mergeLayers(...layers: readonly unknown[]): JsonObject {
  for (const layer of layers) assertSafeTree(layer, 'config layers');
  return mergeSafeLayers(layers);
}

function mergeSafeLayers(layers: readonly unknown[]): JsonObject {
  const out: JsonObject = {};
  for (const layer of layers) {
    if (!isJsonObject(layer)) continue;
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      out[key] = isJsonObject(value) && isJsonObject(out[key]) ? mergeSafeLayers([out[key], value]) : value;
    }
  }
  return out;
}

/**
 * Reads a JSON config file; a missing file is `undefined` when optional, every other problem a ConfigError
 * (a forbidden key at any depth too, named with its path and the file).
 */
export function readJsonConfigFile(path: string, { optional = false } = {}): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (optional && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(path, [{ key: '(file)', message: `cannot read: ${(error as Error).message}` }]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(path, [{ key: '(file)', message: `not valid JSON: ${(error as Error).message}` }]);
  }
  assertSafeTree(parsed, path);
  return parsed;
}

/** Reads a secret from a file (first line, trimmed); errors never include the file's content. */
export function readSecretFile(path: string, key: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [{ key, message: `cannot read token file: ${(error as NodeJS.ErrnoException).code ?? 'error'}` }]);
  }
  const secret = text.split('\n')[0]?.trim() ?? '';
  if (!secret) throw new ConfigError(path, [{ key, message: 'token file is empty' }]);
  return secret;
}

/**
 * Why `value` is not an http(s) URL a client can reach (`http://:99999` has no host, `ftp://x`
 * the wrong scheme, `not a url` no scheme), or null when it is one: the one rule for URL settings,
 * checked when config is loaded so a bad URL is a config error (exit 2) naming the setting, not a
 * failed connection later. The WHATWG URL parser decides, as fetch would. Pure.
 */
export function httpUrlProblem(value: string): string | null {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
  if (!scheme || !value.slice(scheme.length + 1).startsWith('//')) return 'not a URL (expected http://host[:port]/… or https://…)';
  if (scheme !== 'http' && scheme !== 'https') return `the scheme is ${scheme}, not http or https`;
  if (/\s/.test(value)) return 'contains whitespace';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    const authority = /^[a-z]+:\/\/(?:[^/?#@]*@)?([^/?#]*)/i.exec(value)?.[1] ?? '';
    const port = /:(\d*)$/.exec(authority)?.[1];
    if (authority === '' || authority.startsWith(':')) return 'no host';
    if (port !== undefined && (port === '' || Number(port) > 65_535)) return `port ${JSON.stringify(port)} is not a port (1–65535)`;
    return 'not a valid URL';
  }
  if (!url.hostname) return 'no host';
  if (url.port === '0') return 'port "0" is not a port (1–65535)';
  return null;
}

/** How to reach NetBox; shared by the hook and the agent. */
export interface NetboxConnectionConfig {
  url: string;
  token?: string;
  tokenFile?: string;
  /** Per-request timeout; default 5000 ms. */
  timeoutMs: number;
  /** Overall deadline for one logical operation, retries included; default 20000 ms. */
  deadlineMs: number;
  /** Retries of idempotent requests on network errors/429/502/503/504; default 3. */
  retries: number;
  /** Skip TLS verification (lab only); default false. */
  insecureTls: boolean;
}

export const netboxConnectionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: { type: 'string', pattern: '^https?://[^\\s]+$', description: 'NetBox base URL, e.g. https://netbox.example.net' },
    token: { type: 'string', minLength: 1, description: 'API token (v1 40-hex or v2 nbt_…); prefer tokenFile' },
    tokenFile: { type: 'string', minLength: 1, description: 'file whose first line is the API token' },
    timeoutMs: { type: 'integer', minimum: 100, maximum: 600000, default: 5000 },
    deadlineMs: { type: 'integer', minimum: 100, maximum: 3600000, default: 20000 },
    retries: { type: 'integer', minimum: 0, maximum: 20, default: 3 },
    insecureTls: { type: 'boolean', default: false },
  },
} as const;

/** The environment variables netboxEnvLayer reads; part of each binary's environment table. */
export const NETBOX_ENV_NAMES = ['NETBOX_URL', 'NETBOX_TOKEN', 'NETBOX_TOKEN_FILE'] as const;

/** NETBOX_URL / NETBOX_TOKEN / NETBOX_TOKEN_FILE as a config layer (empty values ignored); undefined when none is set. */
export function netboxEnvLayer(env: Record<string, string | undefined>): Partial<NetboxConnectionConfig> | undefined {
  const value = (name: string) => (env[name] ? env[name] : undefined);
  const netbox = { url: value('NETBOX_URL'), token: value('NETBOX_TOKEN'), tokenFile: value('NETBOX_TOKEN_FILE') };
  return Object.values(netbox).some((v) => v !== undefined) ? netbox : undefined;
}

/** The token from `token` or `tokenFile`; a ConfigError when neither is set. */
export function resolveNetboxToken(config: Pick<NetboxConnectionConfig, 'token' | 'tokenFile'>, keyPrefix = 'netbox'): string {
  if (config.token) return config.token;
  if (config.tokenFile) return readSecretFile(config.tokenFile, `${keyPrefix}.tokenFile`);
  throw new ConfigError('config', [{ key: `${keyPrefix}.token`, message: 'is required (or set tokenFile / NETBOX_TOKEN)' }]);
}
