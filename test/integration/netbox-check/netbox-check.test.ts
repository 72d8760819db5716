/**
 * `bm-agent netbox-check` and `bm-hook netbox-check` (shared/cli/netbox-check.ts), as the
 * compiled binaries, against the simulator and the real NetBox: both token forms,
 * the least-privilege token, a token file, and a token NetBox refuses.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../../shared/cli/exit-codes.ts';
import { compiledBinary } from '../../helpers/compiled-binary.ts';
import { startNetboxTarget, targetAvailable, type NetboxTarget, type TargetOptions } from '../../helpers/netbox-target.ts';

const BINARIES = [
  { name: 'bm-agent', entry: 'agent/main.ts' },
  { name: 'bm-hook', entry: 'hook/main.ts' },
] as const;

const CASES: { label: string; options: TargetOptions; scheme: 'Token' | 'Bearer' }[] = [
  { label: 'simulator 4.6, v1 token', options: { flavour: '4.6', tokenScheme: 'v1' }, scheme: 'Token' },
  { label: 'simulator 4.6, v2 token', options: { flavour: '4.6', tokenScheme: 'v2' }, scheme: 'Bearer' },
  { label: 'real NetBox, v1 token', options: { flavour: 'real', tokenScheme: 'v1' }, scheme: 'Token' },
  { label: 'real NetBox, v2 token', options: { flavour: 'real', tokenScheme: 'v2' }, scheme: 'Bearer' },
  { label: 'real NetBox, least-privilege v2 token', options: { flavour: 'real', tokenScheme: 'v2', leastPrivilege: true }, scheme: 'Bearer' },
];

async function netboxCheck(binary: string, args: string[], env: Record<string, string>) {
  const child = Bun.spawn([binary, 'netbox-check', ...args], {
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', BM_HOOK_NO_SYSLOG: '1', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { exitCode, output: stdout + stderr, stdout };
}

for (const { name, entry } of BINARIES) {
  describe(`${name} netbox-check`, () => {
    let binary: string;
    beforeAll(() => {
      binary = compiledBinary(entry, name);
    });

    for (const { label, options, scheme } of CASES) {
      describe.skipIf(!targetAvailable(options.flavour!))(label, () => {
        let target: NetboxTarget;
        beforeAll(async () => {
          target = await startNetboxTarget(options);
        });
        afterAll(async () => {
          await target?.close();
        });

        test('says the token is accepted, with the version and what the NetBox can do', async () => {
          const result = await netboxCheck(binary, ['--json'], { NETBOX_URL: target.url, NETBOX_TOKEN: target.token });
          expect({ exitCode: result.exitCode, output: result.exitCode ? result.output : '' }).toEqual({ exitCode: EXIT.ok, output: '' });
          const probe = JSON.parse(result.stdout);
          expect(probe.authScheme).toBe(scheme);
          expect(probe.visibleDevices).toBeGreaterThanOrEqual(0);
          if (options.flavour === 'real')
            expect(probe).toMatchObject({
              version: { major: 4, minor: 7 },
              capabilities: { macAddressModel: true, fieldsParameter: true, oobIp: true, v2Tokens: true },
            });
          expect(result.output).not.toContain(target.token);
        });

        test('reads the token from a file', async () => {
          const file = join(mkdtempSync(join(tmpdir(), 'bm-token-')), 'token');
          writeFileSync(file, `${target.token}\n`, { mode: 0o600 });
          const result = await netboxCheck(binary, ['--url', target.url, '--token-file', file], {});
          expect(result.exitCode).toBe(EXIT.ok);
          expect(result.output).toContain('token accepted');
        });

        test('a token NetBox refuses is exit 3 and says so, without printing it', async () => {
          const wrong = scheme === 'Token' ? '0123456789abcdef0123456789abcdef01234567' : 'nbt_AAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';
          const result = await netboxCheck(binary, [], { NETBOX_URL: target.url, NETBOX_TOKEN: wrong });
          expect(result.exitCode).toBe(EXIT.netbox);
          expect(result.output).toMatch(/403|401|token/i);
          expect(result.output).not.toContain(wrong);
        });
      });
    }
  });
}
