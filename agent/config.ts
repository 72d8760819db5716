/**
 * bm-agent's config: CLI > environment > file (/etc/bm-agent/config.json) >
 * kernel command line (`bm.*`) > the JSON fetched from `bm.config_url`.
 * Merged into one object and validated by ajv; errors name the key. The
 * token may come from a file; it is never printed.
 *
 * Strict at every level (exit 2 naming the key): a top-level kernel parameter
 * not in KERNEL_PARAMETERS, an unknown key in the file or the fetched JSON
 * (at any depth), a variable that looks like a misspelt one of AGENT_ENV_NAMES
 * (the rule: shared/config.ts unknownEnvironmentIssues), and `__proto__` /
 * `constructor` / `prototype` anywhere. Step settings (`bm.<area>.<knob>`,
 * `steps.<area>`) are checked against the steps' declarations by tunables.ts.
 */
import {
  assertKnownEnvironment,
  assertSafeKey,
  assertSafeTree,
  ConfigError,
  mergeLayers,
  NETBOX_ENV_NAMES,
  netboxConnectionSchema,
  netboxEnvLayer,
  nullProtoRecord,
  readJsonConfigFile,
  unknownKeyMessage,
  type ConfigIssue,
  type NetboxConnectionConfig,
} from '../shared/config.ts';
import { compileConfigValidator } from '../shared/config-ajv.ts';
import type { JsonObject } from '../shared/json.ts';
import type { LogLevel } from '../shared/log.ts';
import { bmParameters } from './kernel-cmdline.ts';
import type { Profile } from './step.ts';
import type { TunableLayer } from './tunables.ts';

export const DEFAULT_AGENT_CONFIG_PATH = '/etc/bm-agent/config.json';

export interface CallbackConfig {
  url: string;
  /** Shared secret for the `X-BM-Signature-256` HMAC header; prefer secretFile. */
  secret?: string;
  secretFile?: string;
  /** Per attempt; default 10000 ms. */
  timeoutMs: number;
}

export interface AgentConfig {
  netbox?: NetboxConnectionConfig;
  callback?: CallbackConfig;
  profile: Profile;
  /** Where each run's evidence bundle goes (a sub-directory per run); default /var/lib/bm-agent/runs. */
  evidenceDir: string;
  /** Device status on failure: `failed`, or `leave` it unchanged; default failed. */
  onFailure: 'failed' | 'leave';
  /** How long to keep retrying the journal/status/callback when NetBox or the receiver is down; default 30 min. */
  deliveryDeadlineMs: number;
  /** Step tunables: area → knob → value (`steps.disk.allow_write`). */
  steps: TunableLayer;
  logLevel: LogLevel;
}

/** The JSON schema of bm-agent's config (file, fetched JSON, and every layer merged). */
export const AGENT_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['profile', 'evidenceDir', 'onFailure', 'deliveryDeadlineMs', 'steps', 'logLevel'],
  properties: {
    netbox: netboxConnectionSchema,
    callback: {
      type: 'object',
      additionalProperties: false,
      required: ['url', 'timeoutMs'],
      properties: {
        url: { type: 'string', pattern: '^https?://[^\\s]+$' },
        secret: { type: 'string', minLength: 1 },
        secretFile: { type: 'string', minLength: 1 },
        timeoutMs: { type: 'integer', minimum: 100, maximum: 600000, default: 10000 },
      },
    },
    profile: { type: 'string', enum: ['quick', 'full'], default: 'full' },
    evidenceDir: { type: 'string', minLength: 1, default: '/var/lib/bm-agent/runs' },
    onFailure: { type: 'string', enum: ['failed', 'leave'], default: 'failed' },
    deliveryDeadlineMs: { type: 'integer', minimum: 0, maximum: 86400000, default: 1800000 },
    steps: {
      type: 'object',
      default: {},
      additionalProperties: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
    },
    logLevel: { type: 'string', enum: ['debug', 'info', 'notice', 'warning', 'error'], default: 'info' },
  },
} as const;

const validate = compileConfigValidator<AgentConfig>(AGENT_CONFIG_SCHEMA);

/**
 * The top-level kernel parameters (`bm.<name>=`) and the config key each sets; `null` for those
 * read elsewhere: `config_url` (fetched by loadAgentConfig) and `on_finish` (read by the image's
 * bm-agent-boot once the run has ended). The one list: cmdlineLayer builds the layer from it and
 * refuses any other top-level name. docs/agent.md's table lists the same.
 */
export const KERNEL_PARAMETERS: Readonly<Record<string, string | null>> = {
  netbox_url: 'netbox.url',
  netbox_token: 'netbox.token',
  token_file: 'netbox.tokenFile',
  callback_url: 'callback.url',
  callback_secret_file: 'callback.secretFile',
  config_url: null,
  profile: 'profile',
  on_failure: 'onFailure',
  evidence_dir: 'evidenceDir',
  on_finish: null,
};

const CMDLINE = 'kernel command line';

/** Sets `a.b.c` in a layer of null-prototype objects. */
function setPath(layer: JsonObject, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = layer;
  for (const part of parts.slice(0, -1)) node = (node[part] ??= nullProtoRecord()) as JsonObject;
  node[parts.at(-1)!] = value;
}

/**
 * Kernel command line → a config layer (top-level keys, through KERNEL_PARAMETERS) and step
 * settings (`bm.area.knob` → `steps.area.knob`, checked later by tunables.ts). An unknown
 * top-level name is a ConfigError naming it with the closest known one; a forbidden key
 * (`bm.__proto__.x`) too. Pure.
 */
export function cmdlineLayer(cmdline: string): { layer: JsonObject; configUrl?: string } {
  const layer = nullProtoRecord<unknown>();
  const steps: TunableLayer = nullProtoRecord();
  const issues: ConfigIssue[] = [];
  let configUrl: string | undefined;
  for (const [name, value] of Object.entries(bmParameters(cmdline))) {
    const [first, ...rest] = name.split('.');
    for (const part of [first!, ...rest]) assertSafeKey(part, CMDLINE, `bm.${name}`);
    if (rest.length && first) {
      (steps[first] ??= nullProtoRecord())[rest.join('.')] = value;
    } else if (!Object.hasOwn(KERNEL_PARAMETERS, name)) {
      const known = Object.keys(KERNEL_PARAMETERS).map((k) => `bm.${k}`);
      const message = unknownKeyMessage('unknown kernel parameter', `bm.${name}`, known, '; step settings are bm.<area>.<setting>');
      issues.push({ key: `bm.${name}`, message });
    } else if (name === 'config_url') {
      configUrl = value;
    } else if (KERNEL_PARAMETERS[name]) {
      setPath(layer, KERNEL_PARAMETERS[name], value);
    }
  }
  if (issues.length) throw new ConfigError(CMDLINE, issues);
  if (Object.keys(steps).length) layer.steps = steps;
  return { layer, configUrl };
}

/** The environment variables bm-agent reads (docs/agent.md); near misses are refused (see unknownEnvironmentIssues). */
export const AGENT_ENV_NAMES: readonly string[] = [
  ...NETBOX_ENV_NAMES,
  'BM_AGENT_CONFIG',
  'BM_CALLBACK_URL',
  'BM_CALLBACK_SECRET',
  'BM_CALLBACK_SECRET_FILE',
  'BM_PROFILE',
  'BM_EVIDENCE_DIR',
];

/** Environment → a config layer (empty values ignored). Pure. */
export function envLayer(env: Record<string, string | undefined>): Record<string, unknown> {
  const value = (name: string) => (env[name] ? env[name] : undefined);
  const callback = { url: value('BM_CALLBACK_URL'), secret: value('BM_CALLBACK_SECRET'), secretFile: value('BM_CALLBACK_SECRET_FILE') };
  return {
    netbox: netboxEnvLayer(env),
    callback: Object.values(callback).some((v) => v !== undefined) ? callback : undefined,
    profile: value('BM_PROFILE'),
    evidenceDir: value('BM_EVIDENCE_DIR'),
  };
}

export interface AgentConfigSources {
  /** Flags as a config layer (highest). */
  cli: Record<string, unknown>;
  env: Record<string, string | undefined>;
  /** `--config`, else BM_AGENT_CONFIG, else the default path (optional when default). */
  configPath?: string;
  cmdline: string;
  /** Fetches `bm.config_url` (I/O injected). */
  fetchConfigUrl?: (url: string) => Promise<unknown>;
}

/**
 * Reads, merges and validates every source; any problem is a ConfigError naming the key and
 * where it came from (exit 2).
 */
export async function loadAgentConfig(sources: AgentConfigSources): Promise<AgentConfig> {
  assertKnownEnvironment(sources.env, AGENT_ENV_NAMES);
  const path = sources.configPath ?? sources.env.BM_AGENT_CONFIG ?? DEFAULT_AGENT_CONFIG_PATH;
  const explicit = sources.configPath !== undefined || sources.env.BM_AGENT_CONFIG !== undefined;
  const file = readJsonConfigFile(path, { optional: !explicit });
  const { layer: cmdline, configUrl } = cmdlineLayer(sources.cmdline);
  let fetched: unknown;
  if (configUrl) {
    if (!sources.fetchConfigUrl) throw new ConfigError('kernel command line', [{ key: 'bm.config_url', message: 'cannot be fetched here' }]);
    fetched = await sources.fetchConfigUrl(configUrl);
    assertSafeTree(fetched, configUrl);
  }
  assertSafeTree(sources.cli, 'command line flags');
  const merged = mergeLayers(fetched, cmdline, file, envLayer(sources.env), sources.cli);
  // A token given at a higher level replaces a token file from a lower one, and vice versa.
  const netbox = merged.netbox as Record<string, unknown> | undefined;
  if (netbox?.token && netbox.tokenFile) {
    const cliOrEnvFile = (sources.cli.netbox as Record<string, unknown> | undefined)?.tokenFile ?? sources.env.NETBOX_TOKEN_FILE;
    if (cliOrEnvFile) delete netbox.token;
    else delete netbox.tokenFile;
  }
  return validate(merged, configUrl ? `${path}, kernel command line and ${configUrl}` : `${path} and kernel command line`);
}
