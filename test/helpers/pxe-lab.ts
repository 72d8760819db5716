/**
 * A PXE lab for the image's end-to-end test, all inside one network namespace
 * this process creates (`bmt-pxe-<pid>…`), on a bridge with the boot server's
 * address:
 *   - dnsmasq: DHCP, and TFTP for the boot files; iPXE clients (option 175) get
 *     the site script's URL (HTTP or TFTP), other PXE ROMs get undionly.kpxe;
 *   - busybox httpd serving the same directory (vmlinuz, initrd.zst, boot.ipxe,
 *     the site script that sets the bm.* arguments and chains boot.ipxe);
 *   - the NetBox simulator (`test/netbox-sim/main.ts --host`), seeded from JSON;
 *   - a callback receiver (test/e2e/fixtures/callback-sink.ts) writing JSON lines;
 *   - nginx as a WebDAV server (`dav_methods PUT`) storing what bm.evidence_url
 *     uploads under `<work dir>/dav/evidence/`;
 *   - lldpd as the "switch" on the tap port the VM's NIC is plugged into;
 *   - qemu (`-accel tcg`: this machine's /dev/kvm cannot boot a stock kernel),
 *     PXE-booting (`-boot n`) with a DMI serial, a blank and a partitioned disk,
 *     firmware (SeaBIOS, iPXE) and Linux console on one serial port, written to a
 *     file read as it grows; the NIC's option ROM is qemu's own iPXE.
 * Daemons and qemu are killed by PID; close() deletes the namespace and the
 * work directory (the serial log is copied out first by the caller).
 */
import { chmodSync, chownSync, copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Subprocess } from 'bun';
import { lldpdUser } from '../../agent/tools/lldpd.ts';
import type { SeedData } from '../netbox-sim/index.ts';
import { waitUntil } from './wait.ts';

const PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
const REPO = resolve(import.meta.dir, '../..');
const BUN = process.execPath;
const UNDIONLY = '/usr/lib/ipxe/undionly.kpxe';

/** What the VM's DMI (SMBIOS type 1) says; NetBox's manufacturer and device type must match. */
export const VM_MANUFACTURER = 'QEMU';
export const VM_PRODUCT = 'BM-E2E';

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

/** A file in `dir` with the content of `source`: a hard link when possible, else a copy. */
function place(source: string, dir: string, name: string): void {
  const target = join(dir, name);
  try {
    linkSync(source, target);
  } catch {
    copyFileSync(source, target);
  }
}

export interface PxeLabOptions {
  /** First three octets of the lab's /24, e.g. `10.77.1`. */
  subnet: string;
  /** Directory holding vmlinuz, initrd.zst and boot.ipxe (`make image` output). */
  imageDir: string;
  /** How iPXE fetches the site script and the image. */
  transport: 'http' | 'tftp';
  netbox: { seed: SeedData; token: string };
  /** The lldpd "switch" on the VM's link: system name and the port's name. */
  switchName: string;
  switchPort: string;
  /** iPXE variables for boot.ipxe (`bm-netbox-url`, `bm-token-arg`, `bm-extra`, …), written to the site script. */
  ipxeVars: (lab: { serverIp: string; netboxUrl: string; callbackUrl: string; evidenceBase: string }) => Record<string, string>;
}

export interface VmOptions {
  serial: string;
  mac: string;
  memoryMiB: number;
  /** Disks as raw files: name → size in MiB and whether it gets a partition table. */
  disks: { name: string; sizeMiB: number; partitioned: boolean }[];
}

export interface Vm {
  process: Subprocess<'ignore', 'pipe', 'pipe'>;
  startedAt: number;
  serialLog: string;
  /** The serial console so far. */
  serial(): string;
  disks: Record<string, string>;
  /** Waits until the serial console shows `text` (or matches it); returns ms since qemu started. */
  waitForSerial(text: string | RegExp, timeoutMs: number): Promise<number>;
  exited(): boolean;
}

export interface PxeLab {
  ns: string;
  workDir: string;
  serverIp: string;
  netboxUrl: string;
  callbackUrl: string;
  /** The WebDAV directory URL bm.evidence_url may PUT under (`http://<server>:8082/evidence/`). */
  evidenceBase: string;
  bootDir: string;
  /** Where the WebDAV server stored `/evidence/<name>`, or null when nothing was uploaded there. */
  evidenceFile(name: string): string | null;
  /** GET on the NetBox simulator from inside the namespace (the simulator listens only there). */
  netboxGet<T = unknown>(path: string): Promise<T>;
  /** The callbacks received so far (one JSON document per POST). */
  callbacks(): { path: string; headers: Record<string, string>; json: unknown }[];
  /** The boot server's log lines so far (dnsmasq DHCP/TFTP, httpd). */
  serverLog(): string;
  startVm(options: VmOptions): Vm;
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
  const davDir = join(workDir, 'dav');
  const daemons: Daemon[] = [];
  const vms: Vm[] = [];
  let serverLog = '';
  let nsCreated = false;

  const spawnInNs = (name: string, argv: string[], logToServer = false): Daemon => {
    const child = Bun.spawn(['ip', 'netns', 'exec', ns, ...argv], { env: { PATH, HOME: workDir }, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
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
  const execInNs = async (argv: string[]) => {
    const child = Bun.spawn(['ip', 'netns', 'exec', ns, ...argv], { env: { PATH }, stdout: 'pipe', stderr: 'pipe' });
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
    for (const vm of vms) await stop(vm.process);
    for (const daemon of daemons.reverse()) await stop(daemon.child);
    if (nsCreated) Bun.spawnSync(['ip', 'netns', 'del', ns]);
    rmSync(workDir, { recursive: true, force: true });
  };
  const waitForOutput = (daemon: Daemon, pattern: RegExp, what: string) =>
    waitUntil(() => pattern.test(daemon.output()) || daemon.child.exitCode !== null, { timeoutMs: 20_000, intervalMs: 50, what }).then(() => {
      if (!pattern.test(daemon.output())) throw new Error(`${daemon.name} did not start: ${daemon.output().trim()}`);
    });

  try {
    // The boot directory: the image as `make image` left it, plus the site script and undionly.kpxe.
    mkdirSync(bootDir);
    for (const file of ['vmlinuz', 'initrd.zst', 'boot.ipxe']) {
      const source = join(options.imageDir, file);
      if (!existsSync(source)) throw new Error(`${source} is missing: run make image`);
      place(source, bootDir, file);
    }
    if (existsSync(UNDIONLY)) place(UNDIONLY, bootDir, 'undionly.kpxe');
    const base = options.transport === 'http' ? `http://${serverIp}:8080` : `tftp://${serverIp}`;
    const vars = options.ipxeVars({ serverIp, netboxUrl, callbackUrl, evidenceBase });
    writeFileSync(
      join(bootDir, 'site.ipxe'),
      [
        '#!ipxe',
        '# Site settings for the e2e lab; the shipped boot.ipxe does the rest.',
        ...Object.entries(vars).map(([k, v]) => `set ${k} ${v}`),
        `chain ${base}/boot.ipxe`,
        '',
      ].join('\n'),
    );
    writeFileSync(join(workDir, 'seed.json'), JSON.stringify(options.netbox.seed));

    ip('netns', 'add', ns);
    nsCreated = true;
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'add', bridge, 'type', 'bridge');
    ip('-n', ns, 'addr', 'add', `${serverIp}/24`, 'dev', bridge);
    ip('-n', ns, 'link', 'set', bridge, 'up');
    // The VM's NIC: a tap port on the bridge, named like the switch port NetBox's cable ends on.
    ip('-n', ns, 'tuntap', 'add', 'dev', options.switchPort, 'mode', 'tap');
    ip('-n', ns, 'link', 'set', options.switchPort, 'master', bridge);
    ip('-n', ns, 'link', 'set', options.switchPort, 'alias', 'lab server eno1');
    ip('-n', ns, 'link', 'set', options.switchPort, 'up');

    const dnsmasq = spawnInNs(
      'dnsmasq',
      [
        'dnsmasq',
        '--no-daemon',
        '--conf-file=/dev/null',
        '--port=0',
        `--interface=${bridge}`,
        '--bind-interfaces',
        `--dhcp-range=${options.subnet}.100,${options.subnet}.199,255.255.255.0,10m`,
        `--dhcp-leasefile=${join(workDir, 'leases')}`,
        `--pid-file=${join(workDir, 'dnsmasq.pid')}`,
        '--log-dhcp',
        '--log-facility=-',
        '--dhcp-authoritative',
        '--enable-tftp',
        `--tftp-root=${bootDir}`,
        // iPXE says so in option 175: give it the site script; any other PXE ROM chain-loads iPXE first.
        '--dhcp-match=set:ipxe,175',
        `--dhcp-boot=tag:ipxe,${base}/site.ipxe`,
        '--dhcp-boot=tag:!ipxe,undionly.kpxe',
      ],
      true,
    );
    await waitForOutput(dnsmasq, /started, version|DHCP, IP range/, 'dnsmasq to start');
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
      async () =>
        (await execInNs(['busybox', 'wget', '-q', '-O', '/dev/null', `http://${serverIp}:8080/boot.ipxe`])).exitCode === 0 || httpd.child.exitCode !== null,
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
    startVm(vmOptions) {
      const disks: Record<string, string> = {};
      const driveArgs: string[] = [];
      vmOptions.disks.forEach((disk, i) => {
        const file = join(workDir, `${disk.name}.raw`);
        run(['truncate', '-s', `${disk.sizeMiB}M`, file]);
        if (disk.partitioned) run(['sh', '-c', `printf 'label: gpt\\n,32M,L\\n,,L\\n' | sfdisk --quiet ${file}`]);
        disks[disk.name] = file;
        driveArgs.push('-drive', `file=${file},format=raw,if=none,id=d${i},cache=unsafe`, '-device', `virtio-blk-pci,drive=d${i},serial=${disk.name}`);
      });
      const serialLog = join(workDir, 'serial.log');
      writeFileSync(serialLog, '');
      const argv = [
        'qemu-system-x86_64',
        '-accel',
        'tcg',
        '-machine',
        'q35,graphics=off',
        '-cpu',
        'max',
        '-smp',
        '2',
        '-m',
        String(vmOptions.memoryMiB),
        '-smbios',
        `type=1,manufacturer=${VM_MANUFACTURER},product=${VM_PRODUCT},serial=${vmOptions.serial}`,
        '-netdev',
        `tap,id=n0,ifname=${options.switchPort},script=no,downscript=no`,
        '-device',
        `virtio-net-pci,netdev=n0,mac=${vmOptions.mac}`,
        ...driveArgs,
        '-boot',
        'n',
        '-no-reboot',
        '-display',
        'none',
        '-monitor',
        'none',
        '-nodefaults',
        '-chardev',
        `file,id=ser0,path=${serialLog}`,
        '-serial',
        'chardev:ser0',
      ];
      const startedAt = Date.now();
      const child = Bun.spawn(['ip', 'netns', 'exec', ns, ...argv], { env: { PATH }, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
      let qemuOutput = '';
      collect(child.stdout, (t) => (qemuOutput += t));
      collect(child.stderr, (t) => (qemuOutput += t));
      const serial = () => readFileSync(serialLog, 'latin1');
      const vm: Vm = {
        process: child,
        startedAt,
        serialLog,
        serial,
        disks,
        exited: () => child.exitCode !== null || child.signalCode !== null,
        async waitForSerial(text, timeoutMs) {
          const seen = () => (typeof text === 'string' ? serial().includes(text) : text.test(serial()));
          await waitUntil(() => seen() || vm.exited(), { timeoutMs, intervalMs: 250, what: `"${String(text)}" on the VM's serial console` });
          if (!seen()) throw new Error(`qemu ended (exit ${child.exitCode}) before "${String(text)}" appeared: ${qemuOutput.trim()}\n${serial().slice(-3000)}`);
          return Date.now() - startedAt;
        },
      };
      vms.push(vm);
      return vm;
    },
    close,
  };
}
