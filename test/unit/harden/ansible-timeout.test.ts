/**
 * runAnsible's time limit ends the playbook's whole process group: a stand-in ansible-playbook whose child
 * (like Ansible's workers and the modules they run) holds stdout open and would go on talking to the BMC is
 * gone too, and the run returns at the limit instead of when the straggler finishes.
 */
import { afterEach, expect, test } from 'bun:test';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnsibleError, runAnsible } from '../../../harden/ansible.ts';
import { waitUntil } from '../../helpers/wait.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Gone or a zombie waiting for its reaper: either way it does nothing more. */
function ended(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return true;
  return readFileSync(stat, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
}

test('the time limit kills the process group: a worker holding stdout does not outlive it', async () => {
  dir = mkdtempSync(join(tmpdir(), 'bmt-ansible-timeout-'));
  const pidFile = join(dir, 'worker.pid');
  const fake = join(dir, 'ansible-playbook');
  writeFileSync(fake, `#!/bin/sh\nsleep 60 &\necho $! > '${pidFile}'\nwait\n`);
  chmodSync(fake, 0o755);
  const started = Date.now();
  const error = await runAnsible(
    { command: fake, playbook: join(dir, 'harden.yml'), timeoutMs: 1000, callback: 'ansible.posix.json' },
    {
      target: { host: 'bmc-1', scheme: 'https', baseUri: '127.0.0.1:1', validateCerts: true },
      credentials: { username: 'u', password: 'p' },
      desired: { bios_attributes: {}, network_protocols: { IPMI: false } },
      rebootAllowed: false,
    },
    { PATH: process.env.PATH },
  ).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AnsibleError);
  expect((error as AnsibleError).kind).toBe('timeout');
  expect((error as AnsibleError).message).toContain('did not finish within 1000 ms (ansible.timeoutMs)');
  // SIGTERM reaches the sleeping worker at once; without the group kill stdout stays open for its 60 s.
  expect(Date.now() - started).toBeLessThan(10_000);
  const worker = Number(readFileSync(pidFile, 'utf8'));
  await waitUntil(() => ended(worker), { timeoutMs: 5000, intervalMs: 50, what: `the worker (pid ${worker}) to end` });
}, 20_000);
