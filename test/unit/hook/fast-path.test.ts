import { expect, test } from 'bun:test';
import { generateHookConfigValidator, GENERATED_PATH } from '../../../hook/generate-config-validator.ts';
import { parseFastPath } from '../../../hook/fast-path.ts';
import { readFileSync } from 'node:fs';

test("dhcpd's commit call takes the fast path with its arguments", () => {
  expect(parseFastPath(['commit', '10.0.0.5', '94:40:c9:1:a:56', 'ilo'])).toEqual({
    kind: 'commit',
    ip: '10.0.0.5',
    mac: '94:40:c9:1:a:56',
    hostname: 'ilo',
    configPath: undefined,
    drain: true,
  });
  expect(parseFastPath(['commit', '10.0.0.5', 'x', '', '--config', '/c.json', '--no-drain'])).toEqual({
    kind: 'commit',
    ip: '10.0.0.5',
    mac: 'x',
    hostname: '',
    configPath: '/c.json',
    drain: false,
  });
  expect(parseFastPath(['commit', '--config=/c.json'])).toMatchObject({ kind: 'commit', ip: undefined, configPath: '/c.json' });
});

test("Kea's hook-point call takes the fast path", () => {
  expect(parseFastPath(['leases4_committed'])).toEqual({ kind: 'kea', hookPoint: 'leases4_committed', configPath: undefined, drain: true });
  expect(parseFastPath(['kea', 'lease4_renew'])).toMatchObject({ kind: 'kea', hookPoint: 'lease4_renew' });
});

test('help, unknown options, extra arguments and other commands go to the full CLI', () => {
  for (const argv of [
    ['commit', '--help'],
    ['commit', '-h'],
    ['commit', 'a', 'b', 'c', 'd'],
    ['commit', '--bogus'],
    ['commit', '--config'],
    ['drain'],
    ['--version'],
    [],
  ]) {
    expect(parseFastPath(argv)).toBeNull();
  }
});

test('the committed ahead-of-time config validator matches the schema (make generate)', () => {
  expect(readFileSync(GENERATED_PATH, 'utf8')).toBe(generateHookConfigValidator());
});
