/**
 * A password written into the NetBox URL (`http://user:pass@netbox/`) is never
 * printed or logged: `bm-hook check-config`, `netbox-check` of both binaries (text
 * and --json) and a drainer's log, as the compiled binaries run them, against the
 * simulator. shared/redact.ts has the one rule (redactUrl); unit tests there.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compiledBinary } from '../../helpers/compiled-binary.ts';
import { runHook } from '../../helpers/hook-harness.ts';
import { startNetboxTarget, type NetboxTarget } from '../../helpers/netbox-target.ts';

const PASSWORD = 'pw-in-the-url-7f3a';

async function run(binary: string, args: string[], env: Record<string, string> = {}) {
  const child = Bun.spawn([binary, ...args], {
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', BM_HOOK_NO_SYSLOG: '1', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { exitCode, output: stdout + stderr };
}

describe('a password in the NetBox URL is never printed', () => {
  let target: NetboxTarget;
  let url: string;
  let dir: string;
  beforeAll(async () => {
    target = await startNetboxTarget({ flavour: '4.6' });
    const parsed = new URL(target.url);
    url = `${parsed.protocol}//ops:${PASSWORD}@${parsed.host}/`;
    dir = mkdtempSync(join(tmpdir(), 'bm-url-creds-'));
  });
  afterAll(async () => {
    await target?.close();
  });

  test('bm-hook check-config shows the URL with the password redacted', async () => {
    const config = join(dir, 'hook.json');
    writeFileSync(config, JSON.stringify({ netbox: { url, token: target.token }, spool: { dir: join(dir, 'spool') } }));
    const result = await runHook(['check-config', '--config', config]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`netbox: ${url.replace(PASSWORD, '[REDACTED]')} (token: inline`);
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  }, 60_000);

  for (const [name, entry] of [
    ['bm-hook', 'hook/main.ts'],
    ['bm-agent', 'agent/main.ts'],
  ] as const) {
    test(`${name} netbox-check (text and --json), reachable or not`, async () => {
      const binary = compiledBinary(entry, name);
      for (const args of [[], ['--json']]) {
        const reachable = await run(binary, ['netbox-check', ...args], { NETBOX_URL: url, NETBOX_TOKEN: target.token });
        expect({ exitCode: reachable.exitCode, redacted: reachable.output.includes('ops:[REDACTED]@') }).toEqual({ exitCode: 0, redacted: true });
        expect(reachable.output).not.toContain(PASSWORD);
        const unreachable = await run(binary, ['netbox-check', ...args, '--timeout-ms', '500'], {
          NETBOX_URL: `http://ops:${PASSWORD}@127.0.0.1:9/`,
          NETBOX_TOKEN: target.token,
        });
        expect(unreachable.exitCode).not.toBe(0);
        expect(unreachable.output).not.toContain(PASSWORD);
      }
    }, 60_000);
  }

  test("a drainer's log lines, NetBox unreachable", async () => {
    const config = join(dir, 'hook-down.json');
    const spool = join(dir, 'spool-down');
    writeFileSync(
      config,
      JSON.stringify({
        netbox: { url: `http://ops:${PASSWORD}@127.0.0.1:9/`, token: target.token, timeoutMs: 300, retries: 0 },
        spool: { dir: spool },
        logLevel: 'debug',
      }),
    );
    expect((await runHook(['--config', config, '--no-drain', 'commit', '10.7.9.5', '94:40:c9:00:00:05'])).exitCode).toBe(0);
    const drained = await runHook(['drain', '--budget-ms', '1000', '--config', config]);
    expect(drained.stderr).toContain('lease kept for retry');
    expect(drained.stdout + drained.stderr).not.toContain(PASSWORD);
  });
});
