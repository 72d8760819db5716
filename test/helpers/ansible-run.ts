/**
 * Runs harden/ansible/harden.yml against test BMCs the way bm-harden does (docs/harden.md): a generated
 * inventory (one host per BMC, connection local), non-secret vars in a JSON file, credentials in a 0600 JSON
 * file, bm-harden's own argv and child environment (harden/ansible-inputs.ts, harden/ansible.ts) and its way
 * of finding the json callback's document; unlike bm-harden it keeps every task's full result. For the
 * playbook's own tests; argv is recorded so tests can prove no secret is in it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ansibleEnvironment } from '../../harden/ansible.ts';
import { ansibleArgv } from '../../harden/ansible-inputs.ts';
import { extractJsonReport } from '../../harden/ansible.parse.ts';
import { ANSIBLE_PLAYBOOK, type Sushy } from './sushy.ts';

const REPO = resolve(import.meta.dir, '../..');
export const PLAYBOOK = join(REPO, 'harden', 'ansible', 'harden.yml');

export interface BmcCredentials {
  username: string;
  password: string;
  new_password?: string;
}

export interface PlaybookTask {
  name: string;
  changed: boolean;
  failed: boolean;
  skipped: boolean;
  msg?: string;
  result: Record<string, unknown>;
}

export interface PlaybookRun {
  exitCode: number;
  argv: string[];
  stdout: string;
  stderr: string;
  /** Per host: the json callback's stats (ok, changed, failures, unreachable, skipped). */
  stats: Record<string, Record<string, number>>;
  /** Per host: its tasks in order. */
  tasks: Record<string, PlaybookTask[]>;
}

/** The inventory for emulated BMCs: host = device name, Redfish connection details as host vars. */
export function inventoryFor(hosts: Record<string, { sushy: Sushy; credentialsFile: string; validateCerts?: boolean }>): Record<string, unknown> {
  const hostvars: Record<string, unknown> = {};
  for (const [name, { sushy, credentialsFile, validateCerts = true }] of Object.entries(hosts)) {
    hostvars[name] = {
      ansible_connection: 'local',
      ansible_python_interpreter: join(REPO, '.venv', 'bin', 'python'),
      bmc_baseuri: sushy.baseUri,
      bmc_scheme: sushy.scheme,
      bmc_validate_certs: validateCerts,
      ...(sushy.caPath ? { bmc_ca_path: sushy.caPath } : {}),
      bmc_credentials_file: credentialsFile,
    };
  }
  return { all: { hosts: hostvars } };
}

/** Parses the json stdout callback's document into stats and per-host task results. */
export function parseJsonCallback(stdout: string): Pick<PlaybookRun, 'stats' | 'tasks'> {
  const report = extractJsonReport(stdout);
  if (report === undefined) throw new Error(`ansible-playbook printed no JSON:\n${stdout}`);
  const doc = report as {
    stats: Record<string, Record<string, number>>;
    plays: { tasks: { task: { name: string }; hosts: Record<string, Record<string, unknown>> }[] }[];
  };
  const tasks: Record<string, PlaybookTask[]> = {};
  for (const play of doc.plays) {
    for (const { task, hosts } of play.tasks) {
      for (const [host, result] of Object.entries(hosts)) {
        (tasks[host] ??= []).push({
          name: task.name,
          changed: result.changed === true,
          failed: result.failed === true,
          skipped: result.skipped === true,
          ...(typeof result.msg === 'string' ? { msg: result.msg } : {}),
          result,
        });
      }
    }
  }
  return { stats: doc.stats, tasks };
}

/** A temp dir holding a 0600 credentials file; rm() removes it. */
export function credentialsFile(credentials: BmcCredentials): { path: string; dir: string; rm(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'bmt-creds-'));
  const path = join(dir, 'bmc.json');
  writeFileSync(path, JSON.stringify(credentials), { mode: 0o600 });
  return { path, dir, rm: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs the playbook once (json callback, or the default one with `verbose` for -v output as an operator sees it). */
export async function runPlaybook(
  inventory: Record<string, unknown>,
  vars: Record<string, unknown>,
  { check = false, verbose = false, timeoutMs = 120_000 } = {},
): Promise<PlaybookRun> {
  const dir = mkdtempSync(join(tmpdir(), 'bmt-ansible-'));
  try {
    const inventoryPath = join(dir, 'inventory.json');
    const varsPath = join(dir, 'vars.json');
    writeFileSync(inventoryPath, JSON.stringify(inventory));
    writeFileSync(varsPath, JSON.stringify(vars));
    const argv = [ANSIBLE_PLAYBOOK, ...ansibleArgv(PLAYBOOK, inventoryPath, varsPath, check), ...(verbose ? ['-v'] : [])];
    const settings = { command: ANSIBLE_PLAYBOOK, playbook: PLAYBOOK, timeoutMs, callback: verbose ? 'default' : 'ansible.posix.json' };
    const env = ansibleEnvironment(settings, dir, { PATH: `${join(REPO, '.venv', 'bin')}:${process.env.PATH ?? ''}` });
    const proc = Bun.spawn(argv, { cwd: dir, stdout: 'pipe', stderr: 'pipe', env });
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    clearTimeout(timer);
    if (!verbose && !stdout.includes('{')) throw new Error(`ansible-playbook exited with ${exitCode} and printed no JSON:\n${stdout}\n${stderr}`);
    const parsed = verbose ? { stats: {}, tasks: {} } : parseJsonCallback(stdout);
    return { exitCode, argv, stdout, stderr, ...parsed };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
