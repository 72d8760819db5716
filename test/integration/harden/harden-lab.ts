/**
 * One bm-harden test setup: a NetBox simulator (its own, port 0) with a staged device whose
 * oob_ip is 127.0.0.1, a sushy-emulator BMC (test/helpers/sushy.ts) behind it whose SerialNumber
 * is the device's serial (LAB_SERIAL: the identity check passes unless a test says otherwise), a config file,
 * a 0600 credentials file and a profile directory; `run(argv)` runs bm-harden in-process
 * (harden/main.ts) and returns exit code, stdout and stderr. close() stops both by PID/handle.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../../../harden/main.ts';
import { getDevice, listDeviceJournal, setDeviceOobIp, type JournalEntry } from '../../../shared/netbox/index.ts';
import { createFixtures, type Fixtures } from '../../helpers/netbox-fixtures.ts';
import { startNetboxTarget, type NetboxTarget } from '../../helpers/netbox-target.ts';
import { ANSIBLE_PLAYBOOK, startSushy, sushyMissing, type Sushy, type SushyOptions, type SushySystemSpec } from '../../helpers/sushy.ts';

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
    netbox = await startNetboxTarget();
    const fx = await createFixtures(netbox.url, netbox.token);
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
