/**
 * A Redfish BMC for tests: OpenStack's sushy-emulator (fake driver, from the venv `make deps` creates) on
 * 127.0.0.1, with HTTP basic auth from an htpasswd file and (by default) TLS with a self-signed certificate made
 * here, so community.general's Redfish modules (HTTPS only) and bm-harden can talk to it like to a real BMC.
 * test/helpers/sushy-emulator.py adds what sushy's fake driver lacks (BIOS attributes, firmware versions, the system's
 * SerialNumber) and, on request, ManagerNetworkProtocol, AccountService and FirmwareInventory with a SimpleUpdate model;
 * docs/harden.md lists what is sushy's and what is ours.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitUntil } from './wait.ts';

const REPO = resolve(import.meta.dir, '../..');
/** The venv `make deps` links to: bin/ansible-playbook, bin/python (with sushy-tools). */
export const VENV_DIR = join(REPO, '.venv');
export const VENV_PYTHON = join(VENV_DIR, 'bin', 'python');
export const ANSIBLE_PLAYBOOK = join(VENV_DIR, 'bin', 'ansible-playbook');
const LAUNCHER = join(import.meta.dir, 'sushy-emulator.py');

export type BiosValue = string | number | boolean;

/** One emulated server (a ComputerSystem with its Manager) in the emulator. */
export interface SushySystemSpec {
  name: string;
  uuid?: string;
  powerState?: 'On' | 'Off';
  /** The ComputerSystem's SerialNumber (ours: sushy's fake driver has none); absent when not given, like a BMC that reports none. */
  serial?: string;
  /** Initial BIOS attributes; a PATCH naming any other attribute is rejected with 400. */
  bios?: Record<string, BiosValue>;
  /** 'on-reset' (default): a PATCH stays pending (GET Bios/Settings) until a restart or power-on, like real BMCs. */
  biosApply?: 'immediate' | 'on-reset';
  /** Fault: the BMC answers 204 to a BIOS PATCH but changes nothing. */
  biosPatchIgnored?: boolean;
  /** Fault: a PATCH naming one of these attributes is refused with 400 and the reason; nothing is applied. */
  biosRejected?: Record<string, string>;
  /** Fault: the next `times` (default 1) BIOS PATCHes wait `seconds` before being handled (a slow BMC). */
  biosPatchDelay?: { seconds: number; times?: number };
  biosVersion?: string;
  /** The BMC's firmware version (FirmwareInventory `BMC`, the Manager's FirmwareVersion; with `firmwareInventory`). */
  bmcVersion?: string;
  /** When a BIOS image from SimpleUpdate becomes the BIOS version: at the next restart (default, like real servers) or at once. */
  firmwareApply?: 'immediate' | 'on-reset';
  /** Fault: SimpleUpdate's task completes but no version changes. */
  firmwareUpdateIgnored?: boolean;
  /** Initial ManagerNetworkProtocol (with `networkProtocol: true`), e.g. { IPMI: { ProtocolEnabled: true } }. */
  protocols?: Record<string, Record<string, unknown>>;
  /**
   * sushy's own external notifier: every change of this system (power, boot device, …) is PUT as JSON to the
   * emulator's `externalNotificationUrl` — what lets a test power a real (qemu) machine on when Redfish says On.
   */
  externalNotifier?: boolean;
}

export interface SushyOptions {
  systems?: SushySystemSpec[];
  username?: string;
  password?: string;
  /** HTTPS with a self-signed certificate for 127.0.0.1 (default true; the Redfish modules speak HTTPS only). */
  tls?: boolean;
  /** Serve Managers/<id>/NetworkProtocol (not in sushy-tools; ours). Default false. */
  networkProtocol?: boolean;
  /** Serve AccountService with the htpasswd users; a Password PATCH rewrites the htpasswd (ours). Default false. */
  accountService?: boolean;
  /**
   * Run inside this network namespace (a BMC on a lab's link), listening on `listenIp` (its address there) and
   * `port` (default 443, as BMCs do). request() then goes through curl in that namespace. Default: 127.0.0.1, a free port.
   */
  netns?: { name: string; listenIp: string; port?: number };
  /** Where systems with `externalNotifier` report their changes (sushy's EXTERNAL_NOTIFICATION_URL). */
  externalNotificationUrl?: string;
  /** Serve UpdateService/FirmwareInventory and our SimpleUpdate (image downloaded, version from its file name; ours). Default false. */
  firmwareInventory?: boolean;
}

export interface RedfishAnswer {
  status: number;
  json: unknown;
}

/** A running emulator. `baseUri` and `scheme` are what an inventory's bmc_baseuri / bmc_scheme take. */
export interface Sushy {
  baseUri: string;
  scheme: 'http' | 'https';
  url: string;
  /** With TLS: the self-signed certificate (PEM), to be used as the CA bundle. */
  caPath?: string;
  username: string;
  password: string;
  systems: { name: string; uuid: string }[];
  dir: string;
  pid: number;
  /** A Redfish request with basic auth (the given credentials or the initial ones); never throws on a status. */
  request(method: string, path: string, body?: unknown, credentials?: { username: string; password: string }): Promise<RedfishAnswer>;
  /** GET a path and return its JSON; throws naming the path and status on anything but 200. */
  get(path: string): Promise<Record<string, unknown>>;
  log(): string;
  stop(): Promise<void>;
}

/** The default BIOS of an emulated system: names and values in the style of a Dell/Lenovo attribute registry. */
export const DEFAULT_BIOS: Readonly<Record<string, BiosValue>> = {
  BootMode: 'Uefi',
  ProcVirtualization: 'Disabled',
  SecureBoot: 'Disabled',
  TpmSecurity: 'Off',
  SriovGlobalEnable: 'Disabled',
  NumCores: 8,
  QuietBoot: true,
};

/** Why the emulator cannot run here (the venv is missing), or undefined when it can. */
export function sushyMissing(): string | undefined {
  if (!existsSync(VENV_PYTHON)) return `no Python venv at ${VENV_DIR} (run make deps; it creates the venv with sushy-tools and Ansible)`;
  const probe = Bun.spawnSync([VENV_PYTHON, '-c', 'import sushy_tools.emulator.main, bcrypt, cryptography'], { stderr: 'pipe' });
  if (probe.exitCode !== 0) return `the venv at ${VENV_DIR} lacks sushy-tools (${probe.stderr.toString().trim().split('\n').at(-1)}); run make deps`;
  return undefined;
}

/** A Python config file for sushy-emulator: each value as JSON read back with json.loads (no Python literals to get wrong). */
export function sushyConfig(settings: Record<string, unknown>): string {
  const lines = Object.entries(settings)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key} = json.loads(${JSON.stringify(JSON.stringify(value))})`);
  return ['import json', ...lines, ''].join('\n');
}

/** The fake-driver system entries for the config (SUSHY_EMULATOR_FAKE_SYSTEMS), with the launcher's additions. */
export function fakeSystems(specs: SushySystemSpec[]): Record<string, unknown>[] {
  return specs.map((spec) => ({
    uuid: spec.uuid ?? randomUUID(),
    name: spec.name,
    power_state: spec.powerState ?? 'On',
    ...(spec.serial !== undefined ? { serial: spec.serial } : {}),
    external_notifier: spec.externalNotifier ?? false,
    nics: [{ mac: '52:54:00:12:34:56', ip: '127.0.0.1' }],
    bios: spec.bios ?? { ...DEFAULT_BIOS },
    bios_apply: spec.biosApply ?? 'on-reset',
    bios_patch_ignored: spec.biosPatchIgnored ?? false,
    ...(spec.biosRejected ? { bios_rejected: spec.biosRejected } : {}),
    ...(spec.biosPatchDelay ? { bios_patch_delay: { times: 1, ...spec.biosPatchDelay } } : {}),
    versions: { BiosVersion: spec.biosVersion ?? '1.0.0', BmcVersion: spec.bmcVersion ?? '1.00' },
    ...(spec.firmwareApply ? { firmware_apply: spec.firmwareApply } : {}),
    ...(spec.firmwareUpdateIgnored ? { firmware_update_ignored: true } : {}),
    ...(spec.protocols ? { network_protocol: protocolsWithDefaults(spec.protocols) } : {}),
  }));
}

function protocolsWithDefaults(protocols: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
  const base: Record<string, Record<string, unknown>> = {};
  for (const name of ['HTTP', 'HTTPS', 'SSH', 'IPMI', 'SSDP', 'SNMP', 'Telnet', 'KVMIP', 'VirtualMedia', 'NTP']) {
    base[name] = { ProtocolEnabled: false, Port: null, ...(name === 'NTP' ? { NTPServers: [] } : {}), ...protocols[name] };
  }
  return base;
}

async function freePort(): Promise<number> {
  return await new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

/** A self-signed certificate for the BMC's address (SAN IP), made with the venv's `cryptography` (no openssl needed). */
function makeCertificate(dir: string, address: string): { cert: string; key: string } {
  const cert = join(dir, 'bmc-cert.pem');
  const key = join(dir, 'bmc-key.pem');
  const script = `
import datetime, ipaddress, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, sys.argv[3])])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(sys.argv[3]))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
open(sys.argv[1], "wb").write(cert.public_bytes(serialization.Encoding.PEM))
open(sys.argv[2], "wb").write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
`;
  const run = Bun.spawnSync([VENV_PYTHON, '-c', script, cert, key, address], { stderr: 'pipe' });
  if (run.exitCode !== 0) throw new Error(`could not make the emulator's certificate: ${run.stderr.toString()}`);
  return { cert, key };
}

/** A Redfish request with curl inside a namespace (the test process cannot reach it); credentials, URL and body via stdin. */
async function curlInNs(
  ns: string,
  url: string,
  method: string,
  body: unknown,
  credentials: { username: string; password: string },
  caPath: string | undefined,
): Promise<RedfishAnswer> {
  const argv = ['ip', 'netns', 'exec', ns, 'curl', '-sS', '--max-time', '20', '-K', '-', '-X', method, '-w', '\n%{http_code}'];
  if (caPath) argv.push('--cacert', caPath);
  // curl's config syntax: one option per line, values as double-quoted strings (JSON's escapes are a subset).
  const config = [
    `user = ${JSON.stringify(`${credentials.username}:${credentials.password}`)}`,
    `url = ${JSON.stringify(url)}`,
    ...(body === undefined ? [] : ['header = "content-type: application/json"', `data-binary = ${JSON.stringify(JSON.stringify(body))}`]),
  ];
  const child = Bun.spawn(argv, {
    stdin: new Blob([`${config.join('\n')}\n`]),
    stdout: 'pipe',
    stderr: 'pipe',
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  if (code !== 0) throw new Error(`curl ${method} ${url} in ${ns}: exit ${code}: ${err.trim()}`);
  const cut = out.lastIndexOf('\n');
  const text = out.slice(0, cut);
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: Number(out.slice(cut + 1)), json };
}

/**
 * Starts sushy-emulator (on a free loopback port, or on a BMC's address inside a namespace) and waits until its
 * ServiceRoot answers. Throws (with the emulator's log) when the venv is missing or the emulator exits or stays
 * silent; stop() ends it by PID.
 */
export async function startSushy(options: SushyOptions = {}): Promise<Sushy> {
  const missing = sushyMissing();
  if (missing) throw new Error(`sushy-emulator cannot run: ${missing}`);
  const dir = mkdtempSync(join(tmpdir(), 'bmt-sushy-'));
  const username = options.username ?? 'admin';
  const password = options.password ?? `pw-${randomBytes(9).toString('base64url')}`;
  const tls = options.tls ?? true;
  const systems = fakeSystems(options.systems ?? [{ name: 'server-1' }]);
  const authFile = join(dir, 'htpasswd');
  writeFileSync(authFile, `${username}:${Bun.password.hashSync(password, { algorithm: 'bcrypt', cost: 4 })}\n`, { mode: 0o600 });
  const listenIp = options.netns?.listenIp ?? '127.0.0.1';
  const certificate = tls ? makeCertificate(dir, listenIp) : undefined;
  const port = options.netns ? (options.netns.port ?? 443) : await freePort();
  const configPath = join(dir, 'emulator.conf');
  writeFileSync(
    configPath,
    sushyConfig({
      SUSHY_EMULATOR_LISTEN_IP: listenIp,
      SUSHY_EMULATOR_LISTEN_PORT: port,
      SUSHY_EMULATOR_FAKE_DRIVER: true,
      SUSHY_EMULATOR_FAKE_SYSTEMS: systems,
      SUSHY_EMULATOR_STATE_DIR: join(dir, 'state'),
      SUSHY_EMULATOR_AUTH_FILE: authFile,
      SUSHY_EMULATOR_SSL_CERT: certificate?.cert,
      SUSHY_EMULATOR_SSL_KEY: certificate?.key,
      BM_NETWORK_PROTOCOL: options.networkProtocol ?? false,
      BM_ACCOUNT_SERVICE: options.accountService ?? false,
      EXTERNAL_NOTIFICATION_URL: options.externalNotificationUrl,
      BM_FIRMWARE_INVENTORY: options.firmwareInventory ?? false,
    }),
  );
  const logPath = join(dir, 'emulator.log');
  const logFd = openSync(logPath, 'a');
  const inNs = options.netns ? ['ip', 'netns', 'exec', options.netns.name] : [];
  const proc = Bun.spawn([...inNs, VENV_PYTHON, LAUNCHER, '--config', configPath], {
    stdio: ['ignore', logFd, logFd],
    env: { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8' },
  });
  closeSync(logFd);
  const scheme = tls ? 'https' : 'http';
  const url = `${scheme}://${listenIp}:${port}`;
  const ca = certificate ? readFileSync(certificate.cert, 'utf8') : undefined;
  const log = () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '');

  const request = async (method: string, path: string, body?: unknown, credentials = { username, password }): Promise<RedfishAnswer> => {
    if (options.netns) return await curlInNs(options.netns.name, `${url}${path}`, method, body, credentials, certificate?.cert);
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(ca ? { tls: { ca } } : {}),
    });
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: response.status, json };
  };

  let exited = false;
  void proc.exited.then(() => {
    exited = true;
  });
  const stop = async () => {
    if (!exited) proc.kill('SIGTERM');
    const done = await Promise.race([proc.exited.then(() => true), Bun.sleep(5_000).then(() => false)]);
    if (!done) {
      proc.kill('SIGKILL');
      await proc.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitUntil(
      async () => {
        if (exited) throw new Error(`sushy-emulator exited with ${proc.exitCode} before answering:\n${log()}`);
        try {
          return (await request('GET', '/redfish/v1/')).status === 200;
        } catch {
          return false;
        }
      },
      { timeoutMs: 20_000, intervalMs: 100, what: `sushy-emulator's ServiceRoot at ${url}` },
    );
  } catch (error) {
    const text = log();
    await stop();
    throw new Error(`${(error as Error).message}\n--- emulator log ---\n${text}`);
  }

  return {
    baseUri: `${listenIp}:${port}`,
    scheme,
    url,
    ...(certificate ? { caPath: certificate.cert } : {}),
    username,
    password,
    systems: systems.map((s) => ({ name: String(s.name), uuid: String(s.uuid) })),
    dir,
    pid: proc.pid,
    request,
    async get(path) {
      const answer = await request('GET', path);
      if (answer.status !== 200) throw new Error(`GET ${path} on the emulator answered ${answer.status}: ${JSON.stringify(answer.json)}`);
      return answer.json as Record<string, unknown>;
    },
    log,
    stop,
  };
}
