/**
 * A network-boot lab for the image's end-to-end test, all inside one network
 * namespace this process creates (`bmt-pxe-<pid>…`), on a bridge with the boot
 * server's address:
 *   - the boot server, configured as docs/image.md shows (image/boot-server.ts through
 *     ./pxe-boot-server.ts): dnsmasq (DHCP + TFTP), or ISC dhcpd or Kea with dnsmasq as
 *     TFTP server; legacy BIOS PXE → undionly.kpxe → iPXE → the site script; UEFI PXE →
 *     shim → GRUB over TFTP; UEFI HTTP boot → the same chain by URL;
 *   - busybox httpd serving the boot tree (`make image`'s dist/image/ as BOOT_FILES lists
 *     it, plus the site's settings: site.ipxe for iPXE, grub/site.cfg for GRUB — also put
 *     into a lab copy of any disk image (`*.img`, UEFI HTTP boot's RAM disk) with mcopy —
 *     and any extra file such as a bm.config_url document);
 *   - the NetBox simulator (`test/netbox-sim/main.ts --host`), seeded from JSON;
 *   - a callback receiver (test/e2e/fixtures/callback-sink.ts) writing JSON lines;
 *   - nginx as a WebDAV server (`dav_methods PUT`) storing what bm.evidence_url
 *     uploads under `<work dir>/dav/evidence/`;
 *   - lldpd as the "switch" on the tap port the VM's NIC is plugged into;
 *   - qemu (./pxe-qemu.ts: SeaBIOS + iPXE, or OVMF with or without Secure Boot, PXE
 *     or HTTP boot) with a DMI serial, a blank and a partitioned disk, firmware and
 *     Linux console on one serial port written to a file read as it grows.
 * Daemons and qemu are killed by PID; close() deletes the namespace and the
 * work directory (the caller copies the serial log out first).
 */
import { chmodSync, chownSync, copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Subprocess } from 'bun';
import { lldpdUser } from '../../agent/tools/lldpd.ts';
import { BOOT_FILES } from '../../image/boot-server.ts';
import { renderGrubSiteConfig, renderIpxeSiteScript } from '../../image/boot-scripts.ts';
import type { SeedData } from '../netbox-sim/index.ts';
import { plugHost } from './netns.ts';
import { bootServerPlan, type DhcpServerKind } from './pxe-boot-server.ts';
import { type Firmware, type NetBoot, OVMF_DIR, OVMF_FILES, qemuArgv } from './pxe-qemu.ts';
import { waitUntil } from './wait.ts';

const PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
const REPO = resolve(import.meta.dir, '../..');
const BUN = process.execPath;

/** What the VM's DMI (SMBIOS type 1) says; NetBox's manufacturer and device type must match. */
export const VM_MANUFACTURER = 'QEMU';
export const VM_PRODUCT = 'BM-E2E';

/** The files of the boot tree (BOOT_FILES) that `imageDir` lacks, as paths relative to it. */
export function missingBootFiles(imageDir: string): string[] {
  return BOOT_FILES.map((f) => f.path).filter((path) => !existsSync(join(imageDir, path)));
}

/** The NetBox a lab's server is validated against (labSeed). */
export interface LabSeedOptions {
  /** The server: its name, DMI serial, status, the MAC of its NIC (eno1) and of its BMC (interface `bmc`, mgmt-only). */
  server: { name: string; serial: string; status: string; mac: string; bmcMac: string; localContext?: Record<string, unknown> };
  /** The switch lldpd plays and the port the server's NIC is cabled to. */
  switchName: string;
  switchPort: string;
  /** Prefixes to create (e.g. the BMC subnet, so bm-hook records the lease with its mask). */
  prefixes?: string[];
}

/** Server + switch in NetBox: the server found by its DMI serial, its NIC cabled to the switch port lldpd announces. Pure. */
export function labSeed(options: LabSeedOptions): SeedData {
  const { server } = options;
  return {
    sites: [{ name: 'E2E', slug: 'e2e' }],
    manufacturers: [{ name: VM_MANUFACTURER, slug: 'qemu' }],
    'device-types': [
      { manufacturer: 1, model: VM_PRODUCT, slug: 'bm-e2e' },
      { manufacturer: 1, model: 'Leaf', slug: 'leaf' },
    ],
    'device-roles': [
      { name: 'Server', slug: 'server' },
      { name: 'Leaf', slug: 'leaf' },
    ],
    devices: [
      {
        name: server.name,
        site: 1,
        role: 1,
        device_type: 1,
        serial: server.serial,
        status: server.status,
        ...(server.localContext ? { local_context_data: server.localContext } : {}),
      },
      { name: options.switchName, site: 1, role: 2, device_type: 2, status: 'active' },
    ],
    interfaces: [
      { device: 1, name: 'eno1', type: '1000base-t' },
      { device: 1, name: 'bmc', type: '1000base-t', mgmt_only: true },
      { device: 2, name: options.switchPort, type: '1000base-t' },
    ],
    'mac-addresses': [
      { mac_address: server.mac, assigned_object_type: 'dcim.interface', assigned_object_id: 1 },
      { mac_address: server.bmcMac, assigned_object_type: 'dcim.interface', assigned_object_id: 2 },
    ],
    cables: [{ a_terminations: [{ object_type: 'dcim.interface', object_id: 1 }], b_terminations: [{ object_type: 'dcim.interface', object_id: 3 }] }],
    ...(options.prefixes ? { prefixes: options.prefixes.map((prefix) => ({ prefix, status: 'active' })) } : {}),
  };
}

/** What every lab runs; the DHCP server kinds add theirs (DHCP_SERVER_TOOLS). */
export const PXE_LAB_TOOLS = ['qemu-system-x86_64', 'dnsmasq', 'busybox', 'lldpd', 'lldpcli', 'curl', 'sfdisk', 'ip', 'nginx'];

/** nginx's config for the lab's WebDAV server: PUT only, under /evidence/, everything it writes in `workDir`. */
export function webdavConfig(workDir: string, listen: string): string {
  return [
    'daemon off;',
    'master_process off;',
    `pid ${join(workDir, 'nginx.pid')};`,
    'error_log stderr info;',
    'events { worker_connections 64; }',
    'http {',
    `  access_log ${join(workDir, 'nginx-access.log')};`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${join(workDir, 'nginx-tmp', kind)};`),
    '  server {',
    `    listen ${listen};`,
    `    root ${join(workDir, 'dav')};`,
    '    client_max_body_size 512m;',
    '    location /evidence/ {',
    '      dav_methods PUT;',
    '      create_full_put_path on;',
    '      dav_access user:rw group:r all:r;',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');
}

function ip(...args: string[]): void {
  const result = Bun.spawnSync(['ip', ...args], { stdout: 'pipe', stderr: 'pipe' });
  if (result.exitCode !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr.toString().trim()}`);
}

function run(argv: string[]): string {
  const result = Bun.spawnSync(argv, { stdout: 'pipe', stderr: 'pipe', env: { PATH } });
  if (result.exitCode !== 0) throw new Error(`${argv.join(' ')} exited ${result.exitCode}: ${result.stderr.toString().trim()}`);
  return result.stdout.toString();
}

/** `target` with the content of `source`: a hard link when possible, else a copy. */
function place(source: string, target: string): void {
  try {
    linkSync(source, target);
  } catch {
    copyFileSync(source, target);
  }
}

/** The lab's addresses, for the site settings and extra files that point at them. */
export interface LabUrls {
  serverIp: string;
  netboxUrl: string;
  callbackUrl: string;
  evidenceBase: string;
  /** The boot tree over HTTP, ending in `/`. */
  httpBase: string;
}

export interface PxeLabOptions {
  /** First three octets of the lab's /24, e.g. `10.77.1`. */
  subnet: string;
  /** The boot tree `make image` wrote (dist/image): every file of BOOT_FILES. */
  imageDir: string;
  /** The DHCP server (and with it who serves TFTP). */
  dhcp: DhcpServerKind;
  /** How iPXE (legacy BIOS clients) fetches the site script, boot.ipxe and the image. */
  ipxeTransport: 'http' | 'tftp';
  netbox: { seed: SeedData; token: string };
  /** The lldpd "switch" on the VM's link: system name and the port's name. */
  switchName: string;
  switchPort: string;
  /** The site's boot settings (image/boot-scripts.ts BOOT_VARIABLES by name): site.ipxe and grub/site.cfg both set them. */
  site: (lab: LabUrls) => Record<string, string>;
  /** Further files for the boot tree (path → content), served over HTTP and TFTP. */
  files?: (lab: LabUrls) => Record<string, string>;
  /** Appended to ISC dhcpd's generated config (e.g. bm-hook's `on commit` block); only with `dhcp: 'isc-dhcpd'`. */
  dhcpdConfigExtra?: (lab: LabUrls & { workDir: string }) => string;
}

export interface VmOptions {
  serial: string;
  mac: string;
  memoryMiB: number;
  cpus: number;
  firmware: Firmware;
  netBoot: NetBoot;
  /** Disks as raw files: name → size in MiB and whether it gets a partition table. */
  disks: { name: string; sizeMiB: number; partitioned: boolean }[];
  /** Serial console lines to time: name → pattern; Vm.milestones() says when each first appeared. */
  milestones?: Record<string, RegExp>;
}

export interface Vm {
  process: Subprocess<'ignore', 'pipe', 'pipe'>;
  startedAt: number;
  serialLog: string;
  /** The serial console so far. */
  serial(): string;
  disks: Record<string, string>;
  /**
   * Waits until the serial console shows `text` (or matches it); returns ms since qemu started.
   * Fails at once when qemu ends or the console matches `stuck` (a boot loader's prompt, a refusal).
   */
  waitForSerial(text: string | RegExp, timeoutMs: number, stuck?: RegExp): Promise<number>;
  /** ms after qemu's start at which each milestone (VmOptions.milestones) was first seen (to within 0.5 s). */
  milestones(): Record<string, number>;
  exited(): boolean;
}

/** Another machine on the lab's link: its own namespace, `eth0` with the given MAC on the lab's bridge. */
export interface LabHost {
  ns: string;
  mac: string;
  /** Runs a command in this host's namespace to its end. */
  exec(argv: string[], env?: Record<string, string>): Promise<{ stdout: string; stderr: string; exitCode: number }>;
}

export interface PxeLab extends LabUrls {
  ns: string;
  workDir: string;
  bootDir: string;
  /** Where the WebDAV server stored `/evidence/<name>`, or null when nothing was uploaded there. */
  evidenceFile(name: string): string | null;
  /** GET on the NetBox simulator from inside the namespace (the simulator listens only there). */
  netboxGet<T = unknown>(path: string): Promise<T>;
  /** What the callback receiver got so far (one JSON document per POST or PUT), oldest first. */
  callbacks(): { method: string; path: string; headers: Record<string, string>; json: unknown }[];
  /** The boot server's log lines so far (DHCP server, TFTP, httpd). */
  serverLog(): string;
  /** One daemon's output so far, by its name (`dnsmasq`, `dnsmasq-tftp`, `dhcpd`, `kea-dhcp4`, `httpd`, `nginx`, …). */
  daemonLog(name: string): string;
  startVm(options: VmOptions): Vm;
  /** Runs a command in the lab's namespace to its end (e.g. a CLI talking to the lab's daemons). */
  exec(argv: string[], env?: Record<string, string>): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  /** Plugs another machine (e.g. a BMC) into the lab's bridge: a namespace of its own, removed by close(). */
  addHost(mac: string): LabHost;
  /**
   * Starts a long-running process in the lab's namespace (or `ns`), killed by PID on close(); its output is kept
   * under `name` (daemonLog). Resolves once its output matches `ready`; fails when it exits first or stays silent.
   */
  startDaemon(name: string, argv: string[], options: { ready: RegExp; env?: Record<string, string>; ns?: string }): Promise<void>;
  close(): Promise<void>;
}

let labCounter = 0;

interface Daemon {
  name: string;
  child: Subprocess<'ignore', 'pipe', 'pipe'>;
  output: () => string;
}

function collect(stream: ReadableStream<Uint8Array>, sink: (text: string) => void): void {
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for await (const chunk of stream) sink(decoder.decode(chunk, { stream: true }));
    } catch {
      // The stream ends with the process.
    }
  })();
}

export async function createPxeLab(options: PxeLabOptions): Promise<PxeLab> {
  const tag = `${process.pid.toString(36)}${(labCounter++).toString(36)}`;
  const ns = `bmt-pxe-${tag}`;
  const bridge = 'br0';
  const serverIp = `${options.subnet}.1`;
  const workDir = mkdtempSync(join(tmpdir(), 'bmt-pxe-'));
  // dnsmasq (TFTP) and lldpd drop privileges: they must be able to reach their files.
  chmodSync(workDir, 0o755);
  const bootDir = join(workDir, 'boot');
  const netboxUrl = `http://${serverIp}:8000`;
  const callbackUrl = `http://${serverIp}:8081/bm-callback`;
  const callbackFile = join(workDir, 'callbacks.jsonl');
  const evidenceBase = `http://${serverIp}:8082/evidence/`;
  const httpBase = `http://${serverIp}:8080/`;
  const davDir = join(workDir, 'dav');
  const daemons: Daemon[] = [];
  const vms: Vm[] = [];
  const watchers: ReturnType<typeof setInterval>[] = [];
  let serverLog = '';
  let nsCreated = false;
  /** Namespaces of addHost's machines. */
  const hosts: string[] = [];

  const spawnInNs = (name: string, argv: string[], logToServer = false, env: Record<string, string> = {}, inNs = ns): Daemon => {
    const child = Bun.spawn(['ip', 'netns', 'exec', inNs, ...argv], {
      env: { PATH, HOME: workDir, ...env },
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
    });
    let text = '';
    const sink = (chunk: string) => {
      text += chunk;
      if (logToServer) serverLog += chunk;
    };
    collect(child.stdout, sink);
    collect(child.stderr, sink);
    const daemon = { name, child, output: () => text };
    daemons.push(daemon);
    return daemon;
  };
  const execInNs = async (argv: string[], inNs = ns, env: Record<string, string> = {}) => {
    const child = Bun.spawn(['ip', 'netns', 'exec', inNs, ...argv], { env: { PATH, ...env }, stdout: 'pipe', stderr: 'pipe' });
    const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    return { stdout, stderr, exitCode };
  };
  const stop = async (child: Subprocess) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const ended = await Promise.race([child.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
    if (!ended) {
      child.kill('SIGKILL');
      await child.exited;
    }
  };
  const close = async () => {
    for (const watch of watchers) clearInterval(watch);
    for (const vm of vms) await stop(vm.process);
    for (const daemon of daemons.reverse()) await stop(daemon.child);
    for (const host of hosts) Bun.spawnSync(['ip', 'netns', 'del', host]);
    if (nsCreated) Bun.spawnSync(['ip', 'netns', 'del', ns]);
    rmSync(workDir, { recursive: true, force: true });
  };
  const waitForOutput = (daemon: Daemon, pattern: RegExp, what: string) =>
    waitUntil(() => pattern.test(daemon.output()) || daemon.child.exitCode !== null, { timeoutMs: 20_000, intervalMs: 50, what }).then(() => {
      if (!pattern.test(daemon.output())) throw new Error(`${daemon.name} did not start: ${daemon.output().trim()}`);
    });

  try {
    // The boot tree: the image as `make image` left it, plus the site's settings for iPXE and GRUB.
    mkdirSync(bootDir);
    const missing = missingBootFiles(options.imageDir);
    if (missing.length) throw new Error(`${options.imageDir} lacks ${missing.join(', ')}: run make image`);
    for (const { path } of BOOT_FILES) {
      mkdirSync(join(bootDir, path, '..'), { recursive: true });
      // A disk image (UEFI HTTP boot's RAM disk) gets the site's GRUB settings inside: a copy of its own.
      if (path.endsWith('.img')) copyFileSync(join(options.imageDir, path), join(bootDir, path));
      else place(join(options.imageDir, path), join(bootDir, path));
    }
    const ipxeBase = options.ipxeTransport === 'http' ? httpBase : `tftp://${serverIp}/`;
    const urls: LabUrls = { serverIp, netboxUrl, callbackUrl, evidenceBase, httpBase };
    const site = options.site(urls);
    const extraFiles = {
      'site.ipxe': renderIpxeSiteScript(site, `${ipxeBase}boot.ipxe`),
      'grub/site.cfg': renderGrubSiteConfig(site),
      ...options.files?.(urls),
    };
    for (const [path, text] of Object.entries(extraFiles)) {
      mkdirSync(join(bootDir, path, '..'), { recursive: true });
      writeFileSync(join(bootDir, path), text);
    }
    for (const { path } of BOOT_FILES.filter((f) => f.path.endsWith('.img'))) {
      const result = Bun.spawnSync(['mcopy', '-o', '-i', join(bootDir, path), join(bootDir, 'grub/site.cfg'), '::/grub/site.cfg'], {
        env: { PATH, MTOOLS_SKIP_CHECK: '1' },
        stderr: 'pipe',
      });
      if (result.exitCode !== 0) throw new Error(`adding grub/site.cfg to ${path} (mcopy, package mtools): ${result.stderr.toString().trim()}`);
    }
    writeFileSync(join(workDir, 'seed.json'), JSON.stringify(options.netbox.seed));

    ip('netns', 'add', ns);
    nsCreated = true;
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'add', bridge, 'type', 'bridge');
    ip('-n', ns, 'addr', 'add', `${serverIp}/24`, 'dev', bridge);
    ip('-n', ns, 'link', 'set', bridge, 'up');
    // The switch's other ports: one that always has carrier, so the bridge is "running" before qemu opens the VM's
    // tap (a bridge whose only port is a closed tap has no carrier, and Kea opens no socket on such an interface:
    // DHCPSRV_OPEN_SOCKET_FAIL "not running"). A real switch's VLAN interface is up while any of its ports is.
    ip('-n', ns, 'link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'uplink-peer');
    ip('-n', ns, 'link', 'set', 'uplink', 'master', bridge, 'up');
    ip('-n', ns, 'link', 'set', 'uplink-peer', 'up');
    await waitUntil(async () => (await execInNs(['ip', '-o', 'link', 'show', bridge])).stdout.includes('LOWER_UP'), {
      timeoutMs: 10_000,
      intervalMs: 50,
      what: `${bridge} to have carrier`,
    });
    // The VM's NIC: a tap port on the bridge, named like the switch port NetBox's cable ends on.
    ip('-n', ns, 'tuntap', 'add', 'dev', options.switchPort, 'mode', 'tap');
    ip('-n', ns, 'link', 'set', options.switchPort, 'master', bridge);
    ip('-n', ns, 'link', 'set', options.switchPort, 'alias', 'lab server eno1');
    ip('-n', ns, 'link', 'set', options.switchPort, 'up');

    // The boot server: DHCP (and TFTP) as generated for docs/image.md.
    const plan = bootServerPlan({
      kind: options.dhcp,
      interface: bridge,
      workDir,
      serverIp,
      subnet: `${options.subnet}.0/24`,
      range: [`${options.subnet}.100`, `${options.subnet}.199`],
      tftpRoot: bootDir,
      httpBase,
      ipxeScriptUrl: `${ipxeBase}site.ipxe`,
    });
    const dhcpdExtra = options.dhcpdConfigExtra?.({ ...urls, workDir });
    if (dhcpdExtra !== undefined && options.dhcp !== 'isc-dhcpd') throw new Error('dhcpdConfigExtra needs dhcp: isc-dhcpd');
    for (const daemon of plan) {
      if (daemon.name === 'dhcpd' && dhcpdExtra) {
        const conf = daemon.argv[daemon.argv.indexOf('-cf') + 1]!;
        daemon.files[conf] = `${daemon.files[conf]}\n${dhcpdExtra}`;
      }
      for (const [path, text] of Object.entries(daemon.files)) writeFileSync(path, text);
      await waitForOutput(spawnInNs(daemon.name, daemon.argv, true, daemon.env), daemon.ready, `${daemon.name} to start`);
    }
    const httpd = spawnInNs('httpd', ['busybox', 'httpd', '-f', '-vv', '-p', `${serverIp}:8080`, '-h', bootDir], true);
    const sim = spawnInNs('netbox-sim', [
      BUN,
      join(REPO, 'test/netbox-sim/main.ts'),
      '--host',
      serverIp,
      '--port',
      '8000',
      '--flavour',
      '4.6',
      '--token',
      options.netbox.token,
      '--data',
      join(workDir, 'seed.json'),
    ]);
    const sink = spawnInNs('callback-sink', [
      BUN,
      join(REPO, 'test/e2e/fixtures/callback-sink.ts'),
      '--host',
      serverIp,
      '--port',
      '8081',
      '--out',
      callbackFile,
    ]);
    // The evidence server: nginx WebDAV, PUT only (the agent never reads back).
    mkdirSync(join(davDir, 'evidence'), { recursive: true });
    for (const kind of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(workDir, 'nginx-tmp', kind), { recursive: true });
    writeFileSync(join(workDir, 'nginx.conf'), webdavConfig(workDir, `${serverIp}:8082`));
    const nginx = spawnInNs('nginx', ['nginx', '-p', workDir, '-e', 'stderr', '-c', join(workDir, 'nginx.conf')], true);
    await waitForOutput(sim, /listening on/, 'the NetBox simulator');
    await waitForOutput(sink, /listening on/, 'the callback receiver');
    await waitUntil(
      async () => (await execInNs(['busybox', 'wget', '-q', '-O', '/dev/null', `${httpBase}boot.ipxe`])).exitCode === 0 || httpd.child.exitCode !== null,
      { timeoutMs: 10_000, intervalMs: 50, what: 'busybox httpd' },
    );
    if (httpd.child.exitCode !== null) throw new Error(`busybox httpd did not start: ${httpd.output()}`);
    // A PUT that lands is the readiness check; the probe file is removed again.
    await waitUntil(
      async () => (await execInNs(['curl', '-sS', '--fail', '-T', '/dev/null', `${evidenceBase}.probe`])).exitCode === 0 || nginx.child.exitCode !== null,
      { timeoutMs: 10_000, intervalMs: 50, what: 'nginx WebDAV' },
    );
    if (nginx.child.exitCode !== null) throw new Error(`nginx did not start: ${nginx.output()}`);
    rmSync(join(davDir, 'evidence', '.probe'), { force: true });

    // The switch: lldpd on the VM's port, 1 s tx-interval, port id = interface name.
    const lldpRuntime = join(workDir, 'lldpd');
    mkdirSync(lldpRuntime);
    const user = lldpdUser();
    if (user) chownSync(lldpRuntime, user.uid, user.gid);
    const socket = join(lldpRuntime, 'switch.socket');
    writeFileSync(join(lldpRuntime, 'switch.conf'), '');
    spawnInNs('lldpd', [
      'lldpd',
      '-d',
      '-u',
      socket,
      '-p',
      join(lldpRuntime, 'switch.pid'),
      '-O',
      join(lldpRuntime, 'switch.conf'),
      '-I',
      options.switchPort,
      '-m',
      serverIp,
    ]);
    await waitUntil(async () => (await execInNs(['lldpcli', '-u', socket, 'show', 'configuration'])).exitCode === 0, {
      timeoutMs: 10_000,
      intervalMs: 50,
      what: "the switch lldpd's control socket",
    });
    for (const args of [
      ['configure', 'system', 'hostname', options.switchName],
      ['configure', 'lldp', 'tx-interval', '1'],
      ['configure', 'lldp', 'portidsubtype', 'ifname'],
    ]) {
      const result = await execInNs(['lldpcli', '-u', socket, ...args]);
      if (result.exitCode !== 0) throw new Error(`lldpcli ${args.join(' ')}: ${result.stderr}`);
    }
  } catch (error) {
    const logs = daemons.map((d) => `--- ${d.name}\n${d.output().slice(-2000)}`).join('\n');
    await close();
    throw new Error(`${(error as Error).message}\n${logs}`, { cause: error });
  }

  return {
    ns,
    workDir,
    serverIp,
    netboxUrl,
    callbackUrl,
    evidenceBase,
    httpBase,
    bootDir,
    evidenceFile(name) {
      const path = join(davDir, 'evidence', name);
      return existsSync(path) ? path : null;
    },
    async netboxGet<T>(path: string): Promise<T> {
      const result = await execInNs([
        'curl',
        '-sS',
        '--fail-with-body',
        '--max-time',
        '10',
        '-H',
        `Authorization: Token ${options.netbox.token}`,
        '-H',
        'Accept: application/json',
        `${netboxUrl}${path}`,
      ]);
      if (result.exitCode !== 0) throw new Error(`GET ${path} on the simulator: curl exit ${result.exitCode}: ${result.stderr}${result.stdout}`);
      return JSON.parse(result.stdout) as T;
    },
    callbacks() {
      if (!existsSync(callbackFile)) return [];
      return readFileSync(callbackFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line));
    },
    serverLog: () => serverLog,
    daemonLog(name) {
      const daemon = daemons.find((d) => d.name === name);
      if (!daemon) throw new Error(`no daemon "${name}" in this lab: ${daemons.map((d) => d.name).join(', ')}`);
      return daemon.output();
    },
    exec: (argv, env) => execInNs(argv, ns, env),
    addHost(mac) {
      const hostNs = `${ns}-h${hosts.length}`;
      const port = `h${hosts.length}`;
      hosts.push(hostNs);
      plugHost(ns, bridge, port, hostNs, mac);
      return { ns: hostNs, mac, exec: (argv, env) => execInNs(argv, hostNs, env) };
    },
    async startDaemon(name, argv, daemonOptions) {
      const daemon = spawnInNs(name, argv, false, daemonOptions.env ?? {}, daemonOptions.ns ?? ns);
      await waitForOutput(daemon, daemonOptions.ready, `${name} to start`);
    },
    startVm(vmOptions) {
      const disks: Record<string, string> = {};
      vmOptions.disks.forEach((disk) => {
        const file = join(workDir, `${disk.name}.raw`);
        run(['truncate', '-s', `${disk.sizeMiB}M`, file]);
        if (disk.partitioned) run(['sh', '-c', `printf 'label: gpt\\n,32M,L\\n,,L\\n' | sfdisk --quiet ${file}`]);
        disks[disk.name] = file;
      });
      // UEFI: the VM's own variable store, from the template (Secure Boot: Microsoft's keys enrolled).
      let varsFile: string | undefined;
      if (vmOptions.firmware !== 'bios') {
        varsFile = join(workDir, 'OVMF_VARS.fd');
        copyFileSync(join(OVMF_DIR, OVMF_FILES[vmOptions.firmware].vars), varsFile);
      }
      const serialLog = join(workDir, 'serial.log');
      writeFileSync(serialLog, '');
      const argv = qemuArgv({
        firmware: vmOptions.firmware,
        netBoot: vmOptions.netBoot,
        memoryMiB: vmOptions.memoryMiB,
        cpus: vmOptions.cpus,
        smbios: { manufacturer: VM_MANUFACTURER, product: VM_PRODUCT, serial: vmOptions.serial },
        nic: { tap: options.switchPort, mac: vmOptions.mac },
        disks: Object.entries(disks).map(([name, file]) => ({ file, serial: name })),
        serialLog,
        varsFile,
      });
      const startedAt = Date.now();
      const child = Bun.spawn(['ip', 'netns', 'exec', ns, ...argv], { env: { PATH }, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
      let qemuOutput = '';
      collect(child.stdout, (t) => (qemuOutput += t));
      collect(child.stderr, (t) => (qemuOutput += t));
      const serial = () => readFileSync(serialLog, 'latin1');
      const exited = () => child.exitCode !== null || child.signalCode !== null;
      const seenAt: Record<string, number> = {};
      const pending = Object.entries(vmOptions.milestones ?? {});
      const watch = setInterval(() => {
        if (exited() || pending.every(([name]) => name in seenAt) || !existsSync(serialLog)) {
          clearInterval(watch);
          return;
        }
        const text = serial();
        for (const [name, pattern] of pending) if (!(name in seenAt) && pattern.test(text)) seenAt[name] = Date.now() - startedAt;
      }, 500);
      watchers.push(watch);
      const vm: Vm = {
        process: child,
        startedAt,
        serialLog,
        serial,
        disks,
        exited,
        milestones: () => ({ ...seenAt }),
        async waitForSerial(text, timeoutMs, stuck) {
          const seen = () => (typeof text === 'string' ? serial().includes(text) : text.test(serial()));
          const blocked = () => stuck?.exec(serial())?.[0];
          await waitUntil(() => seen() || vm.exited() || blocked() !== undefined, {
            timeoutMs,
            intervalMs: 250,
            what: `"${String(text)}" on the VM's serial console`,
          });
          if (seen()) return Date.now() - startedAt;
          const why = blocked() !== undefined ? `the console shows "${blocked()}"` : `qemu ended (exit ${child.exitCode})`;
          throw new Error(`${why} before "${String(text)}" appeared: ${qemuOutput.trim()}\n${serial().slice(-3000)}`);
        },
      };
      vms.push(vm);
      return vm;
    },
    close,
  };
}
