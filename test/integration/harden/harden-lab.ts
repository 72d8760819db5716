/**
 * One bm-harden test setup: a NetBox simulator (its own, port 0) with a staged device whose
 * oob_ip is 127.0.0.1, a sushy-emulator BMC (test/helpers/sushy.ts) behind it whose SerialNumber
 * is the device's serial (LAB_SERIAL: the identity check passes unless a test says otherwise), a config file,
 * a 0600 credentials file and a profile directory; `run(argv)` runs bm-harden in-process
 * (harden/main.ts) and returns exit code, stdout and stderr. close() stops both by PID/handle.
 * With `netbox: { flavour: 'real' }` the device lives in the real NetBox of the test level
 * instead, and close() deletes what the lab created there. `startServe` runs `bm-harden serve`
 * as a real process on the lab's config.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Subprocess } from 'bun';
import { main } from '../../../harden/main.ts';
import { getDevice, listDeviceJournal, setDeviceOobIp, type JournalEntry } from '../../../shared/netbox/index.ts';
import { createFixtures, type Fixtures } from '../../helpers/netbox-fixtures.ts';
import { startNetboxTarget, type NetboxTarget, type TargetOptions } from '../../helpers/netbox-target.ts';
import { ANSIBLE_PLAYBOOK, startSushy, sushyMissing, type Sushy, type SushyOptions, type SushySystemSpec } from '../../helpers/sushy.ts';
import { waitUntil } from '../../helpers/wait.ts';

const REPO = resolve(import.meta.dir, '../../..');

export const PLAYBOOK = resolve(import.meta.dir, '../../../harden/ansible/harden.yml');

/** The serial of the lab's device in NetBox and of its emulated BMC's ComputerSystem. */
export const LAB_SERIAL = 'SN-LAB-7Q4X2';

/** The profile the lab's BMC starts out violating: two BIOS attributes and two protocols differ. */
export const LAB_PROFILE = {
  name: 'sushy-lab',
  description: 'test profile for the sushy-emulator lab',
  tls: { verify: true },
  onUnsupported: 'fail',
  rebootAllowed: true,
  bios: { BootMode: 'Uefi', ProcVirtualization: 'Enabled', SriovGlobalEnable: 'Enabled' },
  networkProtocols: { IPMI: false, SSDP: false, HTTPS: true },
};

/**
 * Why the lab cannot run here (no venv with sushy-tools, or no ansible-playbook when `ansible`), else undefined.
 * Loud on stderr; in CI (where make test runs as root after make deps) an error instead of a skip.
 */
export function labMissing(what: string, ansible: boolean): string | undefined {
  const missing = sushyMissing() ?? (ansible && !existsSync(ANSIBLE_PLAYBOOK) ? `no ${ANSIBLE_PLAYBOOK} (run make deps)` : undefined);
  if (!missing) return undefined;
  if (process.env.CI) throw new Error(`${what} cannot run: ${missing}`);
  process.stderr.write(`\n!!! SKIPPED: ${what}: ${missing}\n\n`);
  return missing;
}

export interface LabOptions {
  system?: Partial<SushySystemSpec>;
  sushy?: Partial<SushyOptions>;
  profile?: Record<string, unknown>;
  status?: string;
  /** The NetBox device's serial (default LAB_SERIAL; the BMC's is `system.serial`, default LAB_SERIAL too). */
  serial?: string;
  /** The credentials file's content; default the emulator's own. */
  credentials?: (sushy: Sushy) => Record<string, string>;
  /** The BMC port bm-harden is told (default the emulator's). */
  port?: (sushy: Sushy) => number;
  /** Top-level config keys replacing the lab's (e.g. a whole `redfish` object). */
  config?: (sushy: Sushy) => Record<string, unknown>;
  /** The NetBox (default: a simulator of its own; `{ flavour: 'real' }`: the test level's real NetBox). */
  netbox?: TargetOptions;
}

export interface Lab {
  sushy: Sushy;
  netbox: NetboxTarget;
  fx: Fixtures;
  deviceId: number;
  deviceName: string;
  dir: string;
  run(argv: string[]): Promise<{ code: number; out: string; err: string }>;
  status(): Promise<string>;
  journal(): Promise<JournalEntry[]>;
  close(): Promise<void>;
}

export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const sushy = await startSushy({
    networkProtocol: true,
    ...options.sushy,
    systems: [
      {
        name: 'lab-server',
        serial: LAB_SERIAL,
        protocols: { IPMI: { ProtocolEnabled: true }, SSDP: { ProtocolEnabled: true }, HTTPS: { ProtocolEnabled: true } },
        ...options.system,
      },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'bmt-harden-'));
  let netbox: NetboxTarget | undefined;
  try {
    netbox = await startNetboxTarget(options.netbox);
    const fx = await createFixtures(netbox.url, netbox.token);
    // The real NetBox outlives the lab (and enforces unique IPs in the global table): remove what it made there.
    const cleanup = netbox.name === 'real' ? () => fx.cleanup() : async () => {};
    const device = await fx.createDevice({ status: options.status ?? 'staged', serial: options.serial ?? LAB_SERIAL });
    const iface = await fx.createInterface(device.id, { name: 'bmc', mgmtOnly: true });
    const ip = await fx.createIp('127.0.0.1/32', iface.id);
    await setDeviceOobIp(fx.client, device.id, ip.id);

    const profiles = join(dir, 'profiles');
    await Bun.write(join(profiles, 'lab.json'), JSON.stringify(options.profile ?? LAB_PROFILE));
    const credentialsFile = join(dir, 'bmc-credentials.json');
    writeFileSync(credentialsFile, JSON.stringify(options.credentials?.(sushy) ?? { username: sushy.username, password: sushy.password }), { mode: 0o600 });
    chmodSync(credentialsFile, 0o600);
    const port = options.port ? options.port(sushy) : Number(sushy.baseUri.split(':')[1]);
    const configPath = join(dir, 'harden.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        netbox: { url: netbox.url, token: netbox.token },
        credentialsFile,
        profilesDir: profiles,
        redfish: { scheme: sushy.scheme, port, timeoutMs: 3000, retries: 1, ...(sushy.caPath ? { caBundle: sushy.caPath } : {}) },
        ansible: { command: ANSIBLE_PLAYBOOK, playbook: PLAYBOOK, timeoutMs: 180_000 },
        ...options.config?.(sushy),
      }),
    );
    const target = netbox;
    return {
      sushy,
      netbox: target,
      fx,
      deviceId: device.id,
      deviceName: device.name!,
      dir,
      async run(argv) {
        const out: string[] = [];
        const err: string[] = [];
        const code = await main(
          [...argv, '--config', configPath],
          { PATH: process.env.PATH },
          (t) => out.push(t),
          (l) => err.push(l),
        );
        return { code, out: out.join('\n'), err: err.join('\n') };
      },
      status: async () => (await getDevice(fx.client, device.id)).status.value,
      journal: () => listDeviceJournal(fx.client, device.id),
      async close() {
        await cleanup();
        await target.close();
        await sushy.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await netbox?.close();
    await sushy.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** `bm-harden serve` running as its own process: its address, everything it logged so far, the process. */
export interface ServeProcess {
  url: string;
  readonly log: string;
  proc: Subprocess<'ignore', 'pipe', 'pipe'>;
  /** SIGKILL when still running (a test that stops it itself checks the exit). */
  kill(): Promise<void>;
}

/**
 * Starts `bun harden/main.ts serve --listen 127.0.0.1:0 --config <the lab's> ...args` with only PATH and
 * `env` (the secrets) in its environment, and waits until it says where it listens.
 */
export async function startServe(lab: Pick<Lab, 'dir'>, args: string[], env: Record<string, string>): Promise<ServeProcess> {
  const argv = [process.execPath, join(REPO, 'harden/main.ts'), 'serve', '--listen', '127.0.0.1:0', '--config', join(lab.dir, 'harden.json'), ...args];
  const proc = Bun.spawn(argv, { cwd: REPO, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  let log = '';
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) log += decoder.decode(chunk, { stream: true });
  })();
  const listening = /listening on (http:\/\/127\.0\.0\.1:\d+)/;
  await waitUntil(() => listening.test(log) || proc.exitCode !== null, { timeoutMs: 20_000, what: 'serve to listen' });
  const match = listening.exec(log);
  if (!match) throw new Error(`bm-harden serve did not start (exit ${proc.exitCode}):\n${log}`);
  return {
    url: match[1]!,
    get log() {
      return log;
    },
    proc,
    async kill() {
      if (proc.exitCode !== null) return;
      proc.kill('SIGKILL');
      await proc.exited;
    },
  };
}
