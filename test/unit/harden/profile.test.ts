/** harden/profile.ts and the built-in profiles: schema errors name the key, selection is by specificity. */
import { describe, expect, test } from 'bun:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_PROFILE_FILES, builtinProfiles } from '../../../harden/builtin-profiles.ts';
import { type HardenProfile, mergeProfiles, parseProfile, selectProfile } from '../../../harden/profile.ts';
import { ConfigError } from '../../../shared/config.ts';

function issuesOf(value: unknown): { key: string; message: string }[] {
  try {
    parseProfile(value, 'test.json');
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const profile = (name: string, match?: HardenProfile['match']): HardenProfile => parseProfile({ name, ...(match ? { match } : {}) }, name);

describe('profile schema', () => {
  test('a minimal profile gets safe defaults: TLS verified, unsupported settings fail, no reboot', () => {
    expect(parseProfile({ name: 'x' }, 'x')).toEqual({
      name: 'x',
      tls: { verify: true },
      onUnsupported: 'fail',
      rebootAllowed: false,
      bios: {},
      networkProtocols: {},
      firmware: [],
    });
  });

  test('a misspelt key is named with the closest known one', () => {
    expect(issuesOf({ name: 'x', networkProtocol: {} })).toEqual([
      { key: 'networkProtocol', message: expect.stringContaining('did you mean networkProtocols') },
    ]);
  });

  test('a wrong type deep inside is named by its dotted path', () => {
    const issues = issuesOf({ name: 'x', networkProtocols: { IPMI: 'off' }, firmware: [{ component: 'BMC' }], tls: { verify: 'no' } });
    expect(issues.map((i) => i.key).sort()).toEqual(['firmware.0.minimumVersion', 'networkProtocols.IPMI', 'tls.verify']);
  });

  test('a BIOS value that is an object, and a bad attribute name, are refused', () => {
    const keys = issuesOf({ name: 'x', bios: { BootMode: { a: 1 }, 'bad name': 'x' } }).map((i) => i.key);
    expect(keys).toContain('bios.BootMode');
    expect(keys.some((k) => k.startsWith('bios'))).toBe(true);
    expect(keys.length).toBeGreaterThanOrEqual(2);
  });

  test('the error message names the file', () => {
    expect(() => parseProfile({ name: 'x', onUnsupported: 'ignore' }, '/etc/bm-provision/profiles/x.json')).toThrow(
      /\/etc\/bm-provision\/profiles\/x.json.*onUnsupported: must be one of "fail", "report"/,
    );
  });

  test('a firmware entry: image an HTTP(S) URL, transferProtocol HTTP(S), targets Redfish URIs; each error names its key', () => {
    const entry = { component: 'BIOS', minimumVersion: '2.1.0' };
    expect(parseProfile({ name: 'f', firmware: [{ ...entry, image: 'https://repo/bios-2.1.0.bin', transferProtocol: 'HTTPS' }] }, 'f').firmware).toHaveLength(
      1,
    );
    const issues = issuesOf({
      name: 'f',
      firmware: [{ ...entry, image: 'ftp://repo/bios.bin', transferProtocol: 'TFTP', targets: ['Systems/1'], imageUrl: 'https://x/y' }],
    });
    expect(issues.map((i) => i.key).sort()).toEqual(['firmware.0.image', 'firmware.0.imageUrl', 'firmware.0.targets.0', 'firmware.0.transferProtocol']);
  });

  test('a minimum version bm-harden cannot compare, or a component twice, is refused naming the entry', () => {
    expect(
      issuesOf({
        name: 'f',
        firmware: [
          { component: 'BIOS', minimumVersion: 'latest' },
          { component: 'bios', minimumVersion: '1.0' },
        ],
      }),
    ).toEqual([
      { key: 'firmware.0.minimumVersion', message: 'cannot be compared: "latest" has no dotted version number (write e.g. 2.10.0)' },
      { key: 'firmware.1.component', message: 'bios is already in the baseline' },
    ]);
  });

  test('every file of harden/profiles/ is a built-in profile, and each is valid', () => {
    const files = readdirSync(join(import.meta.dir, '../../../harden/profiles')).filter((f) => f.endsWith('.json'));
    expect(Object.keys(BUILTIN_PROFILE_FILES).sort()).toEqual(files.sort());
    expect(builtinProfiles().map((p) => p.name)).toContain('generic');
  });
});

describe('selectProfile', () => {
  const device = { manufacturer: 'dell', deviceType: 'poweredge-r650', platform: 'ubuntu' };
  const fallback = profile('generic');
  const byVendor = profile('dell', { manufacturers: ['dell'] });
  const byType = profile('r650', { manufacturers: ['dell'], deviceTypes: ['poweredge-r650'] });
  const byPlatform = profile('ubuntu', { platforms: ['ubuntu'] });

  test('the most specific match wins: platform over device type over manufacturer over the fallback', () => {
    expect(selectProfile([fallback, byVendor], device).name).toBe('dell');
    expect(selectProfile([fallback, byVendor, byType], device).name).toBe('r650');
    expect(selectProfile([fallback, byVendor, byType, byPlatform], device).name).toBe('ubuntu');
    expect(selectProfile([fallback, byVendor], { manufacturer: 'hpe', deviceType: 'dl360' }).name).toBe('generic');
  });

  test('a profile naming a platform never matches a device without one', () => {
    expect(selectProfile([fallback, byPlatform], { manufacturer: 'dell', deviceType: 'x' }).name).toBe('generic');
  });

  test('two equally specific profiles are a config error naming both', () => {
    expect(() => selectProfile([byVendor, profile('dell2', { manufacturers: ['dell'] })], device)).toThrow(/dell and dell2 match .* equally/);
  });

  test('no match at all says what to add', () => {
    expect(() => selectProfile([byVendor], { manufacturer: 'hpe', deviceType: 'x' })).toThrow(/no profile matches manufacturer hpe/);
  });

  test('--profile forces one by name; an unknown name lists the known ones', () => {
    expect(selectProfile([fallback, byVendor], device, 'generic').name).toBe('generic');
    expect(() => selectProfile([fallback], device, 'nope')).toThrow(/no profile named nope \(known: generic\)/);
  });

  test('an operator profile replaces the built-in one of the same name and adds new ones', () => {
    const mine = parseProfile({ name: 'generic', networkProtocols: { IPMI: false } }, 'mine');
    const merged = mergeProfiles([fallback, byVendor], [mine, byType]);
    expect(merged.map((p) => p.name)).toEqual(['generic', 'dell', 'r650']);
    expect(merged[0]!.networkProtocols).toEqual({ IPMI: false });
  });
});
