/**
 * Hardening profiles: data, never code paths per vendor. A profile declares the BMC
 * state it wants (BIOS attributes, network protocols, NTP/syslog targets, account
 * rotation, firmware baseline) and which devices it is for (manufacturer, device type,
 * platform slugs). Built-in profiles live in harden/profiles/*.json (builtin-profiles.ts
 * compiles them into the binary); an operator's directory of *.json adds profiles or
 * replaces a built-in one of the same name. Every profile is validated by PROFILE_SCHEMA
 * (ajv): an error names the file and the key.
 *
 * Selection (selectProfile, pure): among the profiles whose every given criterion
 * includes the device's slug, the most specific wins (platform 4, device type 2,
 * manufacturer 1; a profile without `match` is the fallback, 0). Two different
 * profiles equally specific is a config error naming both: never a silent pick.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type ConfigIssue, readJsonConfigFile } from '../shared/config.ts';
import { compileConfigValidator } from '../shared/config-ajv.ts';
import { parseFirmwareVersion } from './firmware.ts';
import type { BiosValue } from './redfish.ts';

export interface FirmwareBaseline {
  /** Matched against the FirmwareInventory members' Id, then Name, case-insensitively (firmware.ts: `BMC`, `System ROM`). */
  component: string;
  /** The oldest acceptable version, in the BMC's own format (firmware.ts reads `6.10.30.00`, `U46 v2.80 (01/26/2023)`). */
  minimumVersion: string;
  /** HTTP(S) URL of the update image for UpdateService.SimpleUpdate; without it a below-baseline component is only reported. */
  image?: string;
  /** SimpleUpdate's TransferProtocol, for BMCs that want it besides the URL's scheme. */
  transferProtocol?: 'HTTP' | 'HTTPS';
  /** SimpleUpdate's Targets (Redfish URIs), for BMCs that need to be told what the image is for. */
  targets?: string[];
}

export interface HardenProfile {
  name: string;
  description?: string;
  match?: { manufacturers?: string[]; deviceTypes?: string[]; platforms?: string[] };
  /** Verify the BMC's TLS certificate; `verify: false` is an explicit, logged opt-out. */
  tls: { verify: boolean };
  /** A setting the BMC does not offer: `fail` (not compliant, the default) or `report` (shown, not blocking). */
  onUnsupported: 'fail' | 'report';
  /** Power-cycle through Redfish when BIOS changes need a reboot; otherwise they are reported as pending. */
  rebootAllowed: boolean;
  bios: Record<string, BiosValue>;
  /** ProtocolEnabled wanted per ManagerNetworkProtocol property (IPMI, SSDP, SSH, HTTPS, …). */
  networkProtocols: Record<string, boolean>;
  ntpServers?: string[];
  syslogServers?: string[];
  accounts?: { rotateUsername: string };
  firmware: FirmwareBaseline[];
}

const slugList = { type: 'array', items: { type: 'string', pattern: '^[-a-zA-Z0-9_]+$' }, minItems: 1, uniqueItems: true } as const;
const hostList = { type: 'array', items: { type: 'string', minLength: 1, pattern: '^[^\\s]+$' }, uniqueItems: true } as const;

export const PROFILE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string', pattern: '^[a-z0-9][-a-z0-9_.]*$', description: 'unique name; an operator profile of the same name replaces a built-in one' },
    description: { type: 'string' },
    match: {
      type: 'object',
      additionalProperties: false,
      properties: { manufacturers: slugList, deviceTypes: slugList, platforms: slugList },
    },
    tls: { type: 'object', additionalProperties: false, properties: { verify: { type: 'boolean', default: true } }, default: {} },
    onUnsupported: { enum: ['fail', 'report'], default: 'fail' },
    rebootAllowed: { type: 'boolean', default: false },
    bios: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_]*$' },
      additionalProperties: { type: ['string', 'number', 'boolean'] },
      default: {},
    },
    networkProtocols: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_]*$' },
      additionalProperties: { type: 'boolean' },
      default: {},
    },
    ntpServers: hostList,
    syslogServers: hostList,
    accounts: { type: 'object', additionalProperties: false, required: ['rotateUsername'], properties: { rotateUsername: { type: 'string', minLength: 1 } } },
    firmware: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['component', 'minimumVersion'],
        properties: {
          component: { type: 'string', minLength: 1, description: "FirmwareInventory member's Id, else its Name" },
          minimumVersion: { type: 'string', minLength: 1 },
          image: { type: 'string', pattern: '^https?://[^\\s]+$', description: 'HTTP(S) URL of the update image (SimpleUpdate ImageURI)' },
          transferProtocol: { enum: ['HTTP', 'HTTPS'] },
          targets: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^/redfish/v1/[^\\s]*$' } },
        },
      },
    },
  },
} as const;

const validateProfile = compileConfigValidator<HardenProfile>(PROFILE_SCHEMA);

/** Validates one profile (filling defaults) or throws a ConfigError naming `source` and each bad key. */
export function parseProfile(value: unknown, source: string): HardenProfile {
  const copy = structuredClone(value);
  const profile = validateProfile(copy, source);
  delete (profile as { $schema?: string }).$schema;
  const issues = firmwareIssues(profile.firmware);
  if (issues.length) throw new ConfigError(source, issues);
  return profile;
}

/** What the schema cannot say about the firmware baseline: a minimum version firmware.ts cannot read, a component twice. Pure. */
function firmwareIssues(firmware: readonly FirmwareBaseline[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  firmware.forEach((baseline, i) => {
    const parsed = parseFirmwareVersion(baseline.minimumVersion);
    if (typeof parsed === 'string') issues.push({ key: `firmware.${i}.minimumVersion`, message: `cannot be compared: ${parsed} (write e.g. 2.10.0)` });
    const component = baseline.component.toLowerCase();
    if (seen.has(component)) issues.push({ key: `firmware.${i}.component`, message: `${baseline.component} is already in the baseline` });
    seen.add(component);
  });
  return issues;
}

/** The operator's profiles: every *.json of `dir`, validated; a missing directory is a config error. */
export function readProfileDir(dir: string): HardenProfile[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch (error) {
    throw new ConfigError(dir, [{ key: 'profilesDir', message: `cannot read the directory: ${(error as NodeJS.ErrnoException).code ?? 'error'}` }]);
  }
  return names.sort().map((name) => {
    const path = join(dir, name);
    return parseProfile(readJsonConfigFile(path), path);
  });
}

/** Built-in profiles with the operator's on top (same name replaces). Pure. */
export function mergeProfiles(builtin: readonly HardenProfile[], operator: readonly HardenProfile[]): HardenProfile[] {
  const byName = new Map<string, HardenProfile>();
  for (const profile of builtin) byName.set(profile.name, profile);
  for (const profile of operator) byName.set(profile.name, profile);
  return [...byName.values()];
}

/** What selection looks at: the device's slugs (platform may be absent). */
export interface DeviceFacets {
  manufacturer: string;
  deviceType: string;
  platform?: string;
}

/** How specific a profile is for this device, or -1 when it does not match. Pure. */
export function profileSpecificity(profile: HardenProfile, device: DeviceFacets): number {
  const m = profile.match ?? {};
  let score = 0;
  for (const [list, value, weight] of [
    [m.platforms, device.platform, 4],
    [m.deviceTypes, device.deviceType, 2],
    [m.manufacturers, device.manufacturer, 1],
  ] as const) {
    if (!list) continue;
    if (value === undefined || !list.includes(value)) return -1;
    score += weight;
  }
  return score;
}

/**
 * The profile for a device: `forced` by name when given, else the most specific match.
 * No match, or two equally specific, is a ConfigError saying what to add. Pure.
 */
export function selectProfile(profiles: readonly HardenProfile[], device: DeviceFacets, forced?: string): HardenProfile {
  const what = `manufacturer ${device.manufacturer}, device type ${device.deviceType}, platform ${device.platform ?? '(none)'}`;
  if (forced) {
    const profile = profiles.find((p) => p.name === forced);
    if (!profile)
      throw new ConfigError('--profile', [{ key: 'profile', message: `no profile named ${forced} (known: ${profiles.map((p) => p.name).join(', ')})` }]);
    return profile;
  }
  const scored = profiles.map((profile) => ({ profile, score: profileSpecificity(profile, device) })).filter((s) => s.score >= 0);
  if (!scored.length) {
    throw new ConfigError('profiles', [
      { key: 'match', message: `no profile matches ${what}: add one to the profiles directory (or a profile without match)` },
    ]);
  }
  const best = Math.max(...scored.map((s) => s.score));
  const top = scored.filter((s) => s.score === best);
  if (top.length > 1) {
    throw new ConfigError('profiles', [
      { key: 'match', message: `profiles ${top.map((s) => s.profile.name).join(' and ')} match ${what} equally: make one more specific` },
    ]);
  }
  return top[0]!.profile;
}
