/**
 * Config plumbing shared by both binaries: layered sources merged into one
 * object and validated by an ajv schema, with errors that name the bad key.
 * Each binary owns its schema; the NetBox connection part is defined here.
 *
 * This module does not load ajv: validators are compiled at run time by
 * config-ajv.ts, or ahead of time (ajv standalone) where start-up time matters
 * (bm-hook's commit path, which dhcpd waits for).
 */
import { readFileSync } from 'node:fs';
import type { ErrorObject, Options } from 'ajv';
import { isJsonObject, type JsonObject } from './json.ts';

export interface ConfigIssue {
  /** Dotted key path, e.g. `netbox.timeoutMs`; `(root)` for the whole object. */
  key: string;
  message: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly source: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(`invalid config (${source}): ${issues.map((i) => `${i.key}: ${i.message}`).join('; ')}`);
  }

  toJSON() {
    return { type: this.name, message: this.message, details: { source: this.source, issues: this.issues } };
  }
}

/** The ajv options every config validator is built with, at run time or ahead of time. */
export const AJV_OPTIONS: Options = { allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true };

function keyOf(error: ErrorObject): string {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (error.keyword === 'additionalProperties') path.push(String(error.params.additionalProperty));
  if (error.keyword === 'required') path.push(String(error.params.missingProperty));
  return path.length ? path.join('.') : '(root)';
}

function messageOf(error: ErrorObject): string {
  switch (error.keyword) {
    case 'additionalProperties':
      return 'unknown key (check the spelling)';
    case 'required':
      return 'is required';
    case 'enum':
      return `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return error.message ?? error.keyword;
  }
}

/** An ajv validate function, compiled at run time or generated ahead of time. */
export interface AjvValidateFunction {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/** Wraps a validate function: validates (filling defaults) or throws a ConfigError naming each bad key. */
export function configValidatorFrom<T>(validate: AjvValidateFunction): (value: unknown, source: string) => T {
  return (value, source) => {
    if (validate(value)) return value as T;
    const seen = new Set<string>();
    const issues: ConfigIssue[] = [];
    for (const error of validate.errors ?? []) {
      const issue = { key: keyOf(error), message: messageOf(error) };
      const id = `${issue.key}\0${issue.message}`;
      if (!seen.has(id)) issues.push(issue);
      seen.add(id);
    }
    throw new ConfigError(source, issues);
  };
}


/** Deep-merges layers, later ones winning; arrays and scalars are replaced, `undefined` is skipped. */
export function mergeLayers(...layers: readonly unknown[]): JsonObject {
  const out: JsonObject = {};
  for (const layer of layers) {
    if (!isJsonObject(layer)) continue;
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      out[key] = isJsonObject(value) && isJsonObject(out[key]) ? mergeLayers(out[key], value) : value;
    }
  }
  return out;
}

/** Reads a JSON config file; a missing file is `undefined` when optional, every other problem a ConfigError. */
export function readJsonConfigFile(path: string, { optional = false } = {}): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (optional && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(path, [{ key: '(file)', message: `cannot read: ${(error as Error).message}` }]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(path, [{ key: '(file)', message: `not valid JSON: ${(error as Error).message}` }]);
  }
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
