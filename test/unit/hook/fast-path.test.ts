import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { renderDhcpdSnippet } from '../../../hook/dhcpd-snippet.ts';
import { parseFastPath } from '../../../hook/fast-path.ts';
import { GENERATED_PATH, generateHookConfigValidator } from '../../../hook/generate-config-validator.ts';
import { parseLease } from '../../../hook/lease.ts';

const MAC = '94:40:c9:1:a:56';

test("dhcpd's commit call takes the fast path with its arguments", () => {
  expect(parseFastPath(['commit', '10.0.0.5', MAC, 'ilo'])).toEqual({
    kind: 'commit',
    ip: '10.0.0.5',
    mac: MAC,
    hostname: 'ilo',
    configPath: undefined,
    drain: true,
  });
  expect(parseFastPath(['--config', '/c.json', '--no-drain', 'commit', '10.0.0.5', 'x', ''])).toEqual({
    kind: 'commit',
    ip: '10.0.0.5',
    mac: 'x',
    hostname: '',
    configPath: '/c.json',
    drain: false,
  });
  expect(parseFastPath(['--config=/c.json', 'commit'])).toMatchObject({ kind: 'commit', ip: undefined, configPath: '/c.json' });
});

test('`--` after the subcommand is skipped, with or without options before it', () => {
  const lease = { kind: 'commit', ip: '10.0.0.5', mac: MAC, hostname: '--help' };
  expect(parseFastPath(['commit', '--', '10.0.0.5', MAC, '--help'])).toMatchObject({ ...lease, configPath: undefined, drain: true });
  expect(parseFastPath(['--config', '/c.json', 'commit', '--', '10.0.0.5', MAC, '--help'])).toMatchObject({ ...lease, configPath: '/c.json' });
  // Only the first `--` is a separator: a later one is a hostname.
  expect(parseFastPath(['commit', '--', '10.0.0.5', MAC, '--'])).toMatchObject({ hostname: '--' });
});

describe('after the subcommand everything is data: a hostile DHCP hostname is a hostname', () => {
  const hostile = [
    '--help',
    '--version',
    '-v',
    '-h',
    '--no-drain',
    '--config=/etc/passwd',
    '--config',
    '$(reboot)',
    ';rm -rf /',
    'x'.repeat(300),
    'hôte-ünïcode',
    '',
    '-',
  ];
  for (const hostname of hostile) {
    test(`hostname ${JSON.stringify(hostname.slice(0, 30))}`, () => {
      for (const separator of [[], ['--']]) {
        for (const options of [[], ['--config', '/c.json']]) {
          const fast = parseFastPath([...options, 'commit', ...separator, '10.0.0.5', MAC, hostname]);
          // The lease stays a lease, the configured config and the drainer stay as configured.
          expect(fast).toEqual({ kind: 'commit', ip: '10.0.0.5', mac: MAC, hostname, configPath: options[1], drain: true });
          // lease.ts keeps a valid hostname and drops the rest (not fatal): the lease is spooled.
          const parsed = parseLease('10.0.0.5', MAC, hostname, 'dhcpd', new Date());
          expect(parsed.ok).toBe(true);
          if (parsed.ok) expect(parsed.event.hostname).toBeNull();
        }
      }
    });
  }

  test('option-like IP and MAC arguments are data too (then refused as malformed by lease.ts, with a hint)', () => {
    expect(parseFastPath(['commit', '--help'])).toEqual({
      kind: 'commit',
      ip: '--help',
      mac: undefined,
      hostname: undefined,
      configPath: undefined,
      drain: true,
    });
    expect(parseFastPath(['commit', '--bogus', '--no-drain'])).toMatchObject({ ip: '--bogus', mac: '--no-drain', drain: true });
    expect(parseFastPath(['commit', '--config'])).toMatchObject({ ip: '--config', configPath: undefined });
    expect(parseLease('--help', MAC, undefined, 'dhcpd', new Date())).toMatchObject({ ok: false, reason: expect.stringContaining('options go before it') });
  });

  test("Kea's hook point: what follows it is data too", () => {
    expect(parseFastPath(['leases4_committed', '--no-drain', '--config=/etc/passwd'])).toEqual({
      kind: 'kea',
      hookPoint: 'leases4_committed',
      configPath: undefined,
      drain: true,
    });
    expect(parseFastPath(['kea', '--', 'leases4_committed', '--help'])).toMatchObject({ kind: 'kea', hookPoint: 'leases4_committed', drain: true });
    expect(parseFastPath(['kea', '--help'])).toMatchObject({ kind: 'kea', hookPoint: '--help' });
  });
});

test("Kea's hook-point call takes the fast path", () => {
  expect(parseFastPath(['leases4_committed'])).toEqual({ kind: 'kea', hookPoint: 'leases4_committed', configPath: undefined, drain: true });
  expect(parseFastPath(['kea', 'lease4_renew'])).toMatchObject({ kind: 'kea', hookPoint: 'lease4_renew' });
  expect(parseFastPath(['--config', '/k.json', '--no-drain', 'leases4_committed'])).toEqual({
    kind: 'kea',
    hookPoint: 'leases4_committed',
    configPath: '/k.json',
    drain: false,
  });
});

test('help, version, unknown options before the subcommand, extra commit arguments and other commands go to the full CLI', () => {
  for (const argv of [
    ['--help', 'commit'],
    ['-h', 'commit', '10.0.0.5', MAC],
    ['--version'],
    ['--bogus', 'commit', '10.0.0.5', MAC],
    ['--config'],
    ['commit', 'a', 'b', 'c', 'd'],
    ['commit', '10.0.0.5', MAC, 'ilo', '--no-drain'],
    ['commit', '--', 'a', 'b', 'c', 'd'],
    ['drain'],
    ['--config', '/c.json', 'drain'],
    [],
  ]) {
    expect(parseFastPath(argv)).toBeNull();
  }
});

test("the generated dhcpd snippet's execute() call is read back as data: `--`, then IP, MAC and the raw hostname", () => {
  const snippet = renderDhcpdSnippet({ hookPath: '/usr/local/sbin/bm-hook', ouis: [{ oui: '94:40:C9', vendor: 'HPE' }] });
  const call = /execute\(("[^"]*"(?:, [^,)]+)*)\);/.exec(snippet)?.[1];
  expect(call).toBeDefined();
  const values: Record<string, string> = { bm_hook_ip: '10.0.0.5', bm_hook_mac: MAC, bm_hook_name: '--no-drain' };
  const [, ...argv] = call!.split(', ').map((part) => (part.startsWith('"') ? JSON.parse(part) : values[part]!));
  expect(argv).toEqual(['commit', '--', '10.0.0.5', MAC, '--no-drain']);
  expect(parseFastPath(argv)).toEqual({ kind: 'commit', ip: '10.0.0.5', mac: MAC, hostname: '--no-drain', configPath: undefined, drain: true });
});

test('the committed ahead-of-time config validator matches the schema (make generate)', () => {
  expect(readFileSync(GENERATED_PATH, 'utf8')).toBe(generateHookConfigValidator());
});
