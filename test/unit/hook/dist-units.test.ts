/**
 * The systemd units make install ships (hook/dist-files): systemd-analyze verify accepts
 * them (where this machine has it), the drain runs as the spool's owner with the system
 * read-only but the spool, and the .path unit watches the spool's new/ (PathChanged=,
 * not DirectoryNotEmpty=, which would loop on events waiting out their back-off).
 */
import { describe, expect, test } from 'bun:test';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_HOOK_PATH, DEFAULT_SPOOL_DIR } from '../../../hook/config-schema.ts';

const DIST = 'hook/dist-files';
const UNITS = ['bm-hook-drain.service', 'bm-hook-drain.path', 'bm-hook-drain.timer'];

/** `Key=value` lines of a unit file (comments and sections dropped); repeated keys keep every value. */
function directives(file: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of readFileSync(join(DIST, file), 'utf8').split('\n')) {
    const match = line.match(/^([A-Za-z]+)=(.*)$/);
    if (match) map.set(match[1]!, [...(map.get(match[1]!) ?? []), match[2]!]);
  }
  return map;
}
const one = (map: Map<string, string[]>, key: string) => map.get(key)?.join(' ');

describe('bm-hook-drain.service', () => {
  const service = directives('bm-hook-drain.service');
  test('drains as the spool owner, not root, with the binary make install puts in place', () => {
    expect(one(service, 'User')).toBe('bm-hook');
    expect(one(service, 'Group')).toBe('bm-hook');
    expect(one(service, 'ExecStart')).toStartWith(`${DEFAULT_HOOK_PATH} drain`);
  });
  test('everything read-only but the spool; no privileges, devices, home or foreign address families', () => {
    expect(one(service, 'ProtectSystem')).toBe('strict');
    expect(one(service, 'ReadWritePaths')).toBe(DEFAULT_SPOOL_DIR);
    for (const key of ['NoNewPrivileges', 'PrivateTmp', 'ProtectHome', 'PrivateDevices', 'RestrictSUIDSGID']) expect(one(service, key)).toBe('yes');
    expect(one(service, 'CapabilityBoundingSet')).toBe('');
    expect(one(service, 'RestrictAddressFamilies')).toBe('AF_INET AF_INET6 AF_UNIX');
    // Bun's JIT needs W+X pages: this one would kill every drain.
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
  });
});

test('bm-hook-drain.path starts the drain on a change in the spool new/, never on "not empty"', () => {
  const path = directives('bm-hook-drain.path');
  expect(one(path, 'PathChanged')).toBe(`${DEFAULT_SPOOL_DIR}/new`);
  expect(path.has('DirectoryNotEmpty')).toBe(false);
  expect(one(path, 'Unit')).toBe('bm-hook-drain.service');
  expect(one(path, 'WantedBy')).toBe('paths.target');
});

test('sysusers and tmpfiles create the owner and the private spool the units name', () => {
  expect(readFileSync(join(DIST, 'bm-hook.sysusers'), 'utf8')).toMatch(/^u bm-hook - /m);
  expect(readFileSync(join(DIST, 'bm-hook.tmpfiles'), 'utf8')).toMatch(new RegExp(`^d ${DEFAULT_SPOOL_DIR} 0700 bm-hook bm-hook -$`, 'm'));
});

const analyze = Bun.which('systemd-analyze');
test.skipIf(!analyze)('systemd-analyze verify accepts the units without a warning', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-hook-units-'));
  for (const unit of UNITS) copyFileSync(join(DIST, unit), join(dir, unit));
  // verify checks that ExecStart= is executable: point it at one that exists here.
  const service = join(dir, 'bm-hook-drain.service');
  writeFileSync(service, readFileSync(service, 'utf8').replaceAll(DEFAULT_HOOK_PATH, process.execPath));
  const run = Bun.spawnSync([analyze!, 'verify', ...UNITS.map((unit) => join(dir, unit))], { stdout: 'pipe', stderr: 'pipe' });
  expect({ exitCode: run.exitCode, stderr: run.stderr.toString() }).toEqual({ exitCode: 0, stderr: '' });
});
