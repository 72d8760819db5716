/**
 * bm-hook's config: a JSON file (dhcpd passes only PATH in the environment),
 * `/etc/bm-provision/hook.json` by default (`BM_CONFIG` or `--config` to
 * override), then NETBOX_URL / NETBOX_TOKEN / NETBOX_TOKEN_FILE / BM_SPOOL_DIR
 * from the environment on top. Validated with ajv; errors name the key.
 *
 * Strict (exit 2 naming the key): an unknown key at any depth of the file (with
 * the closest known one), `__proto__` / `constructor` / `prototype` anywhere in
 * it, and a variable that looks like a misspelt one of HOOK_ENV_NAMES (the rule:
 * shared/config.ts unknownEnvironmentIssues). The defaults-only config that
 * `commit` falls back to never refuses the environment: a lease is spooled anyway.
 */
import {
  assertKnownEnvironment,
  ConfigError,
  configValidatorFrom,
  mergeLayers,
  NETBOX_ENV_NAMES,
  netboxEnvLayer,
  readJsonConfigFile,
  type NetboxConnectionConfig,
} from '../shared/config.ts';
import type { LogLevel } from '../shared/log.ts';
import { parseOui, type Oui } from '../shared/mac.ts';
import { DEFAULT_BMC_OUIS, type OuiEntry } from './default-ouis.ts';
import { DEFAULT_HOOK_PATH, DEFAULT_SPOOL_DIR, hookConfigSchema } from './config-schema.ts';
import validateHookConfigSchema from './generated/validate-hook-config.ts';

export { DEFAULT_HOOK_PATH, DEFAULT_SPOOL_DIR };

export const DEFAULT_CONFIG_PATH = '/etc/bm-provision/hook.json';

export interface HookConfig {
  /** Absent when neither the file nor the environment names NetBox: leases are still spooled. */
  netbox?: NetboxConnectionConfig;
  ouis: {
    /** `extend` adds `entries` to the built-in BMC list; `replace` uses only `entries`. */
    mode: 'extend' | 'replace';
    entries: OuiEntry[];
  };
  bmc: {
    /** Regular expressions (case-insensitive) naming BMC interfaces besides mgmt-only ones. */
    interfaceNames: string[];
  };
  spool: {
    dir: string;
    /** Events kept before coalescing by MAC (newest per MAC kept); default 10000. */
    maxEvents: number;
  };
  ip: {
    /** NetBox IP status for recorded BMC addresses; default `dhcp`. */
    status: string;
    /** Prefix length when no NetBox prefix contains the IP; default 32 (claims nothing it does not know). */
    defaultPrefixLength: number;
    /** VRF (id or name) for BMC IPs; absent = the VRF of the most specific prefix containing the IP. */
    vrf?: number | string;
  };
  drain: {
    /** How long one drainer run keeps retrying before leaving events for the next; default 120000 ms. */
    budgetMs: number;
    /**
     * How `commit` gets a drainer going: `spawn` (default) starts a detached `bm-hook drain`; `systemd` starts
     * nothing, systemd's bm-hook-drain.path unit sees the event land in new/ (docs/hook.md). bench/README.md.
     */
    trigger: 'spawn' | 'systemd';
  };
  /** Path dhcpd executes (for the generated snippet); default /usr/local/sbin/bm-hook. */
  hookPath: string;
  logLevel: LogLevel;
}

// Generated ahead of time from config-schema.ts (make generate): commit must start fast, so no ajv compile here.
const validate = configValidatorFrom<HookConfig>(validateHookConfigSchema, hookConfigSchema);

export interface ConfigSources {
  /** `--config`, else BM_CONFIG, else the default path. */
  path?: string;
  env: Record<string, string | undefined>;
}

export function configPathOf({ path, env }: ConfigSources): string {
  return path ?? env.BM_CONFIG ?? DEFAULT_CONFIG_PATH;
}

/**
 * The environment variables bm-hook reads (docs/hook.md): config overrides, BM_CONFIG, and
 * BM_HOOK_NO_SYSLOG (hook/context.ts: no syslog copy, for tests). Near misses are refused.
 */
export const HOOK_ENV_NAMES: readonly string[] = [...NETBOX_ENV_NAMES, 'BM_CONFIG', 'BM_SPOOL_DIR', 'BM_HOOK_NO_SYSLOG'];

/** Environment overrides as a config layer (empty values ignored). */
export function envLayer(env: Record<string, string | undefined>): Record<string, unknown> {
  return {
    netbox: netboxEnvLayer(env),
    spool: env.BM_SPOOL_DIR ? { dir: env.BM_SPOOL_DIR } : undefined,
  };
}

/** Reads and validates the config; the default path may be absent, an explicit one may not. */
export function loadHookConfig(sources: ConfigSources): HookConfig {
  assertKnownEnvironment(sources.env, HOOK_ENV_NAMES);
  const path = configPathOf(sources);
  const explicit = sources.path !== undefined || sources.env.BM_CONFIG !== undefined;
  const file = readJsonConfigFile(path, { optional: !explicit }) ?? {};
  return validateHookConfig(mergeLayers(file, envLayer(sources.env)), path);
}

export function validateHookConfig(value: unknown, source: string): HookConfig {
  const config = validate(structuredClone(value), source);
  const badOuis = config.ouis.entries
    .map((entry, index) => ({ key: `ouis.entries.${index}.oui`, ok: parseOui(entry.oui) !== null, value: entry.oui }))
    .filter((e) => !e.ok)
    .map((e) => ({ key: e.key, message: `not an OUI: ${JSON.stringify(e.value)} (expected e.g. 94:40:c9)` }));
  const badNames = config.bmc.interfaceNames
    .map((pattern, index) => ({ key: `bmc.interfaceNames.${index}`, problem: regexProblem(pattern) }))
    .filter((e) => e.problem !== null)
    .map((e) => ({ key: e.key, message: `not a regular expression: ${e.problem}` }));
  if (badOuis.length || badNames.length) throw new ConfigError(source, [...badOuis, ...badNames]);
  return config;
}

/** Why `pattern` is not a usable regular expression, or null. Pure. */
function regexProblem(pattern: string): string | null {
  try {
    new RegExp(pattern, 'i');
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Defaults only (no file, no environment): what the spool path of `commit` falls back to. */
export function defaultHookConfig(env: Record<string, string | undefined> = {}): HookConfig {
  const layer = envLayer(env);
  delete layer.netbox;
  return validate(mergeLayers(layer), 'defaults');
}

/** The effective OUI set. */
export function ouiSetOf(config: Pick<HookConfig, 'ouis'>): { set: ReadonlySet<Oui>; entries: OuiEntry[] } {
  const entries = [...(config.ouis.mode === 'extend' ? DEFAULT_BMC_OUIS : []), ...config.ouis.entries];
  const normalised = entries.map((e) => ({ oui: parseOui(e.oui)!, vendor: e.vendor }));
  return { set: new Set(normalised.map((e) => e.oui)), entries: normalised };
}
