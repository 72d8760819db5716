/**
 * bm-harden's configuration: one JSON file (--config, BM_HARDEN_CONFIG, else
 * /etc/bm-provision/harden.json when present) under the environment (NETBOX_URL,
 * NETBOX_TOKEN[_FILE], BM_HARDEN_CREDENTIALS), validated by an ajv schema whose errors
 * name the key (shared/config.ts: unknown keys, forbidden keys, near-miss variables).
 * Secrets are never config values here: the NetBox token and the BMC credentials are
 * files (or NETBOX_TOKEN), read when needed.
 */
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import {
  assertKnownEnvironment,
  MAX_TIMER_MS,
  mergeLayers,
  NETBOX_ENV_NAMES,
  netboxConnectionSchema,
  netboxEnvLayer,
  readJsonConfigFile,
  type NetboxConnectionConfig,
} from '../shared/config.ts';
import { compileConfigValidator } from '../shared/config-ajv.ts';

export const DEFAULT_HARDEN_CONFIG_PATH = '/etc/bm-provision/harden.json';
export const DEFAULT_CREDENTIALS_PATH = '/etc/bm-provision/bmc-credentials.json';

/** The environment variables bm-harden reads (docs/harden.md). */
export const HARDEN_ENV_NAMES: readonly string[] = [
  ...NETBOX_ENV_NAMES,
  'BM_HARDEN_CONFIG',
  'BM_HARDEN_CREDENTIALS',
  'BM_HARDEN_CALLBACK_SECRET',
  'BM_HARDEN_WEBHOOK_SECRET',
];

export interface HardenConfig {
  netbox: NetboxConnectionConfig;
  /** JSON `{"username","password","new_password"?}`, mode 0600 (group/world-readable files are refused). */
  credentialsFile: string;
  /** Operator profiles (*.json) added to the built-in ones; same name replaces. */
  profilesDir?: string;
  /** What `run` does to a BMC that is not compliant after apply: set `failed` (default) or leave the status. */
  onNonCompliant: 'failed' | 'leave';
  /** `host`: talk to this BMC address instead of the device's oob_ip (labs and demos: an emulator standing in for the BMC). */
  redfish: { scheme: 'https' | 'http'; host?: string; port?: number; timeoutMs: number; retries: number; caBundle?: string };
  ansible: { command: string; playbook?: string; timeoutMs: number; callback: string; collectionsPath?: string };
}

export const HARDEN_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['netbox'],
  properties: {
    netbox: netboxConnectionSchema,
    credentialsFile: { type: 'string', minLength: 1, default: DEFAULT_CREDENTIALS_PATH },
    profilesDir: { type: 'string', minLength: 1 },
    onNonCompliant: { enum: ['failed', 'leave'], default: 'failed' },
    redfish: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        scheme: { enum: ['https', 'http'], default: 'https', description: 'http only for emulators and labs' },
        host: { type: 'string', minLength: 1, description: "the BMC's address instead of the device's oob_ip (labs: an emulator standing in for it)" },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        timeoutMs: { type: 'integer', minimum: 100, maximum: 600_000, default: 10_000 },
        retries: { type: 'integer', minimum: 0, maximum: 10, default: 2 },
        caBundle: { type: 'string', minLength: 1, description: 'PEM file of the CA(s) that signed the BMC certificates' },
      },
    },
    ansible: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        command: { type: 'string', minLength: 1, default: 'ansible-playbook' },
        playbook: { type: 'string', minLength: 1 },
        timeoutMs: { type: 'integer', minimum: 1000, maximum: MAX_TIMER_MS, default: 900_000 },
        callback: { type: 'string', minLength: 1, default: 'ansible.posix.json' },
        collectionsPath: { type: 'string', minLength: 1 },
      },
    },
  },
} as const;

const validate = compileConfigValidator<HardenConfig>(HARDEN_CONFIG_SCHEMA);

export interface HardenConfigSources {
  env: Record<string, string | undefined>;
  /** --config. */
  configPath?: string;
  /** Flags as a config layer (highest). */
  cli?: Record<string, unknown>;
}

/** Reads the file, merges environment and flags, validates; a ConfigError names the key (exit 2). */
export function loadHardenConfig(sources: HardenConfigSources): HardenConfig {
  assertKnownEnvironment(sources.env, HARDEN_ENV_NAMES);
  const explicit = sources.configPath ?? sources.env.BM_HARDEN_CONFIG;
  const path = explicit ?? DEFAULT_HARDEN_CONFIG_PATH;
  const file = readJsonConfigFile(path, { optional: explicit === undefined });
  const envLayer = { netbox: netboxEnvLayer(sources.env), credentialsFile: sources.env.BM_HARDEN_CREDENTIALS || undefined };
  const merged = mergeLayers(file, envLayer, sources.cli ?? {});
  const netbox = merged.netbox as Record<string, unknown> | undefined;
  if (sources.env.NETBOX_TOKEN_FILE && netbox) delete netbox.token;
  return validate(merged, explicit ? path : `${path} and environment`);
}

/**
 * Where the playbook is when ansible.playbook is not set: next to an installed binary
 * (`<prefix>/sbin/bm-harden` → `<prefix>/share/bm-provision/ansible/harden.yml`), else in
 * the source tree (`harden/ansible/harden.yml`, running from source). Undefined when neither exists.
 */
export function defaultPlaybook(execPath: string, moduleDir: string, exists: (path: string) => boolean = existsSync): string | undefined {
  const candidates = [join(dirname(execPath), '..', 'share', 'bm-provision', 'ansible', 'harden.yml'), join(moduleDir, 'ansible', 'harden.yml')];
  return candidates.find((path) => exists(path));
}
