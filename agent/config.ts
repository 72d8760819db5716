/**
 * bm-agent's config: CLI > environment > file (/etc/bm-agent/config.json) >
 * kernel command line (`bm.*`) > the JSON fetched from `bm.config_url`.
 * Merged into one object and validated by ajv; errors name the key. The
 * token may come from a file; it is never printed.
 */
import { ConfigError, mergeLayers, netboxConnectionSchema, netboxEnvLayer, readJsonConfigFile, type NetboxConnectionConfig } from '../shared/config.ts';
import { compileConfigValidator } from '../shared/config-ajv.ts';
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

const schema = {
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

const validate = compileConfigValidator<AgentConfig>(schema);

/** Kernel command line → a config layer (top-level keys) and tunables (`bm.area.knob`). Pure. */
export function cmdlineLayer(cmdline: string): { layer: Record<string, unknown>; configUrl?: string } {
  const params = bmParameters(cmdline);
  const steps: TunableLayer = {};
  const top: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    const dot = key.indexOf('.');
    if (dot > 0) (steps[key.slice(0, dot)] ??= {})[key.slice(dot + 1)] = value;
    else top[key] = value;
  }
  const netbox = { url: top.netbox_url, token: top.netbox_token, tokenFile: top.token_file };
  const hasNetbox = Object.values(netbox).some((v) => v !== undefined);
  const callback = top.callback_url ? { url: top.callback_url, secretFile: top.callback_secret_file } : undefined;
  return {
    layer: {
      netbox: hasNetbox ? netbox : undefined,
      callback,
      profile: top.profile,
      onFailure: top.on_failure,
      evidenceDir: top.evidence_dir,
      steps: Object.keys(steps).length ? steps : undefined,
    },
    configUrl: top.config_url,
  };
}

/** Environment → a config layer (empty values ignored). Pure. */
export function envLayer(env: Record<string, string | undefined>): Record<string, unknown> {
  const value = (name: string) => (env[name] ? env[name] : undefined);
  const callbackUrl = value('BM_CALLBACK_URL');
  return {
    netbox: netboxEnvLayer(env),
    callback: callbackUrl ? { url: callbackUrl, secret: value('BM_CALLBACK_SECRET'), secretFile: value('BM_CALLBACK_SECRET_FILE') } : undefined,
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

export async function loadAgentConfig(sources: AgentConfigSources): Promise<AgentConfig> {
  const path = sources.configPath ?? sources.env.BM_AGENT_CONFIG ?? DEFAULT_AGENT_CONFIG_PATH;
  const explicit = sources.configPath !== undefined || sources.env.BM_AGENT_CONFIG !== undefined;
  const file = readJsonConfigFile(path, { optional: !explicit });
  const { layer: cmdline, configUrl } = cmdlineLayer(sources.cmdline);
  let fetched: unknown;
  if (configUrl) {
    if (!sources.fetchConfigUrl) throw new ConfigError('kernel command line', [{ key: 'bm.config_url', message: 'cannot be fetched here' }]);
    fetched = await sources.fetchConfigUrl(configUrl);
  }
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
