/**
 * Runs the hardening playbook for one BMC: writes the inventory, vars.json and a 0600
 * credentials file into a private 0700 temporary directory (removed afterwards, also
 * on failure), runs ansible-playbook through execa with a minimal environment
 * (shared/child-env.ts: no NetBox token, no bm-harden variables; ANSIBLE_* settings
 * only for this process) and a time limit that ends its whole process group, and parses the JSON callback's report.
 * The outcome is a value (execa's `reject: false`); only a missing ansible-playbook
 * or an unusable report is thrown. Compliance is never judged from it.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { minimalChildEnvironment } from '../shared/child-env.ts';
import { BmError } from '../shared/errors.ts';
import { redact } from '../shared/redact.ts';
import { type AnsibleHostTarget, ansibleArgv, credentialsFileOf, inventoryOf, varsOf } from './ansible-inputs.ts';
import { type AnsibleHostReport, parseAnsibleJson } from './ansible.parse.ts';
import type { AnsibleDesired } from './compliance.ts';
import type { BmcCredentials } from './credentials.ts';

export class AnsibleError extends BmError {
  override readonly name = 'AnsibleError';
  constructor(
    readonly kind: 'missing' | 'timeout' | 'no-report',
    message: string,
    readonly stderrTail = '',
  ) {
    super(message);
  }

  /** A time limit hit may pass on a later run (a slow BMC, a reboot that took long); a missing tool or report will not. */
  override get failureClass() {
    return this.kind === 'timeout' ? ('retry-later' as const) : ('permanent' as const);
  }

  override get failureCause() {
    return this.kind === 'missing' ? ('tool-missing' as const) : this.kind === 'timeout' ? ('timeout' as const) : ('tool-failed' as const);
  }

  override details() {
    return { kind: this.kind, stderrTail: this.stderrTail };
  }
}

export interface AnsibleSettings {
  /** ansible-playbook to run (a path, or a name looked up on PATH). */
  command: string;
  playbook: string;
  timeoutMs: number;
  /** The stdout callback producing JSON (`ansible.posix.json`). */
  callback: string;
  /** ANSIBLE_COLLECTIONS_PATH when the collections are not where Ansible looks by default. */
  collectionsPath?: string;
}

export interface AnsibleRunInput {
  target: Omit<AnsibleHostTarget, 'credentialsFile'>;
  credentials: BmcCredentials;
  desired: AnsibleDesired;
  rebootAllowed: boolean;
  check?: boolean;
}

export interface AnsibleRunOutcome {
  /** The exact command line (no secrets: only file paths). */
  command: string;
  exitCode: number | undefined;
  durationMs: number;
  report: AnsibleHostReport;
  /** The last lines of stderr, redacted. */
  stderrTail: string;
}

/** Variables bm-harden reads itself; never passed to ansible-playbook. */
export const WITHHELD_FROM_ANSIBLE = ['NETBOX_URL', 'NETBOX_TOKEN', 'NETBOX_TOKEN_FILE', 'BM_HARDEN_CONFIG', 'BM_HARDEN_CREDENTIALS'] as const;

/** The environment of ansible-playbook. Pure. */
export function ansibleEnvironment(settings: AnsibleSettings, workDir: string, from: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return minimalChildEnvironment(
    {
      // Ansible refuses to start without a UTF-8 locale; C.UTF-8 is in every glibc since 2.35 (Debian 12).
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      HOME: workDir,
      ANSIBLE_STDOUT_CALLBACK: settings.callback,
      ANSIBLE_LOAD_CALLBACK_PLUGINS: '1',
      ANSIBLE_HOST_KEY_CHECKING: 'False',
      ANSIBLE_NOCOWS: '1',
      ANSIBLE_RETRY_FILES_ENABLED: 'False',
      ANSIBLE_LOCAL_TEMP: join(workDir, 'tmp'),
      ANSIBLE_FORCE_COLOR: '0',
      ...(settings.collectionsPath ? { ANSIBLE_COLLECTIONS_PATH: settings.collectionsPath } : {}),
    },
    from,
    WITHHELD_FROM_ANSIBLE,
  );
}

/** How long the playbook's process group has after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 5000;

/** Signals ansible-playbook's process group (it leads it: `detached`); gone already is fine. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group has exited.
  }
}

function tail(text: string, lines = 20): string {
  return redact(text.split('\n').slice(-lines).join('\n').trim());
}

/** Runs the playbook once for one BMC; the private directory is removed whatever happens. */
export async function runAnsible(
  settings: AnsibleSettings,
  input: AnsibleRunInput,
  env: Readonly<Record<string, string | undefined>>,
): Promise<AnsibleRunOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'bm-harden-'));
  try {
    chmodSync(dir, 0o700);
    mkdirSync(join(dir, 'tmp'), { mode: 0o700 });
    const credentialsFile = join(dir, 'credentials.json');
    writeFileSync(credentialsFile, credentialsFileOf(input.credentials), { mode: 0o600 });
    const inventoryPath = join(dir, 'inventory.json');
    writeFileSync(inventoryPath, JSON.stringify(inventoryOf({ ...input.target, credentialsFile }), null, 2), { mode: 0o600 });
    const varsPath = join(dir, 'vars.json');
    writeFileSync(varsPath, JSON.stringify(varsOf(input.desired, input.rebootAllowed), null, 2), { mode: 0o600 });
    const args = ansibleArgv(settings.playbook, inventoryPath, varsPath, input.check ?? false);
    const started = Date.now();
    // Its own process group, so the time limit ends the whole playbook: ansible-playbook's workers and the
    // modules they run would otherwise go on talking to the BMC (and hold stdout open) after a kill of the parent.
    const subprocess = execa(settings.command, args, {
      env: ansibleEnvironment(settings, dir, env),
      extendEnv: false,
      cwd: dir,
      stdin: 'ignore',
      reject: false,
      detached: true,
      maxBuffer: 32 * 1024 * 1024,
    });
    let timedOut = false;
    const timers: ReturnType<typeof setTimeout>[] = [];
    timers.push(
      setTimeout(() => {
        timedOut = true;
        killGroup(subprocess.pid, 'SIGTERM');
        timers.push(setTimeout(() => killGroup(subprocess.pid, 'SIGKILL'), KILL_GRACE_MS));
      }, settings.timeoutMs),
    );
    const result = await subprocess.finally(() => {
      for (const timer of timers) clearTimeout(timer);
    });
    const durationMs = Date.now() - started;
    const command = [settings.command, ...args].join(' ');
    const stderr = typeof result.stderr === 'string' ? result.stderr : '';
    const stdout = typeof result.stdout === 'string' ? result.stdout : '';
    if ((result as { code?: string }).code === 'ENOENT') {
      throw new AnsibleError('missing', `${settings.command} not found: install Ansible (make deps creates its venv) or set ansible.command`);
    }
    if (timedOut) throw new AnsibleError('timeout', `ansible-playbook did not finish within ${settings.timeoutMs} ms (ansible.timeoutMs)`, tail(stderr));
    const report = parseAnsibleJson(stdout, input.target.host);
    if (!report) {
      throw new AnsibleError(
        'no-report',
        `ansible-playbook exited ${result.exitCode ?? result.signal} without a JSON report for ${input.target.host} (is the ${settings.callback} callback installed?): ${tail(stderr, 5) || tail(stdout, 5)}`,
        tail(stderr),
      );
    }
    return { command, exitCode: result.exitCode, durationMs, report, stderrTail: tail(stderr) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
