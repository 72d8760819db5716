/**
 * bm-agent's config: CLI > environment > file (/etc/bm-agent/config.json) >
 * kernel command line (`bm.*`) > the JSON fetched from `bm.config_url`.
 * Merged into one object and validated by ajv; errors name the key. The
 * token may come from a file; it is never printed.
 *
 * Step settings are not merged: each source's `steps` stays its own layer
 * (`stepLayers`: bm.config_url, kernel command line, file, lowest first), so
 * the disk guard sees every explicit `allow_write` — an explicit 0 in one
 * layer is not lost under a 1 in a later one (the most restrictive explicit
 * setting wins: agent/disk/settings.ts).
 *
 * Every URL setting (URL_SETTINGS, and bm.config_url before it is fetched) is
 * checked by one rule, shared/config.ts httpUrlProblem: a URL no client can use
 * (`http://:99999`, `ftp://x`) is a config error naming the setting (exit 2),
 * with any credentials in it redacted.
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
  httpUrlProblem,
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
import { isJsonObject, type JsonObject } from '../shared/json.ts';
import type { LogLevel } from '../shared/log.ts';
import { redactUrl } from '../shared/redact.ts';
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
  /** HTTP PUT the evidence tarball here after the report (WebDAV, S3 presigned URL); shown without credentials or query. */
  evidenceUrl?: string;
  /** Device status on failure: `failed`, or `leave` it unchanged; default failed. */
  onFailure: 'failed' | 'leave';
  /** How long to keep retrying the journal/status/callback when NetBox or the receiver is down; default 30 min. */
  deliveryDeadlineMs: number;
  /**
   * Step tunables (area → knob → value, `steps.disk.allow_write`), one layer per source that set any,
   * lowest first (bm.config_url, kernel command line, file, flags): never merged, so every explicit value reaches the guard.
   */
  stepLayers: StepSettingsLayer[];
  logLevel: LogLevel;
}

/** One source's step settings: `source` names it in messages (`bm.disk.allow_write=0 (from kernel command line)`). */
export interface StepSettingsLayer {
  source: string;
  values: TunableLayer;
}

/** What ajv validates: every layer merged (step settings included, for their shape). */
type MergedAgentConfig = Omit<AgentConfig, 'stepLayers'> & { steps: TunableLayer };

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
        url: { type: 'string', minLength: 1 },
        secret: { type: 'string', minLength: 1 },
        secretFile: { type: 'string', minLength: 1 },
        timeoutMs: { type: 'integer', minimum: 100, maximum: 600000, default: 10000 },
      },
    },
    profile: { type: 'string', enum: ['quick', 'full'], default: 'full' },
    evidenceDir: { type: 'string', minLength: 1, default: '/var/lib/bm-agent/runs' },
    evidenceUrl: { type: 'string', minLength: 1 },
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

const validate = compileConfigValidator<MergedAgentConfig>(AGENT_CONFIG_SCHEMA);

/**
 * The config keys holding a URL, and where an operator sets each (for the message). Each is checked
 * with httpUrlProblem when config is loaded; a new URL setting is added here.
 */
export const URL_SETTINGS: Readonly<Record<string, string>> = {
  'netbox.url': 'bm.netbox_url=, NETBOX_URL, --netbox-url, netbox.url in the file',
  'callback.url': 'bm.callback_url=, BM_CALLBACK_URL, --callback-url, callback.url in the file',
  evidenceUrl: 'bm.evidence_url=, evidenceUrl in the file',
};

/** The issue of one URL setting's value, or null when it is a usable http(s) URL; the value is shown with credentials redacted. Pure. */
export function urlIssue(key: string, value: unknown, where: string): ConfigIssue | null {
  if (typeof value !== 'string') return null; // not a string: the schema names it
  const problem = httpUrlProblem(value);
  return problem ? { key, message: `${JSON.stringify(redactUrl(value))} is not a usable URL: ${problem} (set in ${where})` } : null;
}

/** Every URL setting of a merged config that is not a usable http(s) URL (URL_SETTINGS). Pure. */
export function urlIssues(merged: JsonObject): ConfigIssue[] {
  return Object.entries(URL_SETTINGS).flatMap(([key, where]) => {
    const value = key.split('.').reduce<unknown>((node, part) => (isJsonObject(node) ? node[part] : undefined), merged);
    const issue = urlIssue(key, value, where);
    return issue ? [issue] : [];
  });
}

/**
 * One source's step settings as a layer, or null when it sets none; an area that is not an object
 * (`"steps": {"disk": 1}`) is a ConfigError naming it and the source.
 */
function stepLayerOf(layer: unknown, source: string): StepSettingsLayer | null {
  const steps = isJsonObject(layer) ? layer.steps : undefined;
  if (steps === undefined) return null;
  if (!isJsonObject(steps)) return null; // not an object: the schema names it
  const issues = Object.entries(steps)
    .filter(([, settings]) => !isJsonObject(settings))
    .map(([area]) => ({ key: `steps.${area}`, message: 'must be an object of settings (area → knob → value)' }));
  if (issues.length) throw new ConfigError(source, issues);
  return Object.keys(steps).length ? { source, values: steps as TunableLayer } : null;
}

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
  evidence_url: 'evidenceUrl',
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
  const fetchedFrom = configUrl ? `bm.config_url (${redactUrl(configUrl)})` : '';
  if (configUrl) {
    const issue = urlIssue('bm.config_url', configUrl, 'the kernel command line');
    if (issue) throw new ConfigError(CMDLINE, [issue]);
    if (!sources.fetchConfigUrl) throw new ConfigError(CMDLINE, [{ key: 'bm.config_url', message: 'cannot be fetched here' }]);
    fetched = await sources.fetchConfigUrl(configUrl);
    assertSafeTree(fetched, redactUrl(configUrl));
  }
  assertSafeTree(sources.cli, 'command line flags');
  const merged = mergeLayers(fetched, cmdline, file, envLayer(sources.env), sources.cli);
  const sourcesText = configUrl ? `${path}, kernel command line and ${redactUrl(configUrl)}` : `${path} and kernel command line`;
  const badUrls = urlIssues(merged);
  if (badUrls.length) throw new ConfigError(sourcesText, badUrls);
  // A token given at a higher level replaces a token file from a lower one, and vice versa.
  const netbox = merged.netbox as Record<string, unknown> | undefined;
  if (netbox?.token && netbox.tokenFile) {
    const cliOrEnvFile = (sources.cli.netbox as Record<string, unknown> | undefined)?.tokenFile ?? sources.env.NETBOX_TOKEN_FILE;
    if (cliOrEnvFile) delete netbox.token;
    else delete netbox.tokenFile;
  }
  const { steps: _merged, ...config } = validate(merged, sourcesText);
  const stepLayers = [
    stepLayerOf(fetched, fetchedFrom),
    stepLayerOf(cmdline, CMDLINE),
    stepLayerOf(file, path),
    stepLayerOf(sources.cli, 'command line flags'),
  ].filter((layer): layer is StepSettingsLayer => layer !== null);
  return { ...config, stepLayers };
}
