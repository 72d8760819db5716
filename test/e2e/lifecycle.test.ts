/**
 * The whole lifecycle in one test, offline → discovered → staged → ready, with no human step:
 *   1. a BMC (its own namespace on the lab's link) asks for a lease; the lab's real ISC dhcpd runs the compiled
 *      bm-hook from the `on commit` block `bm-hook dhcpd-snippet` prints; the hook spools the lease and its drainer
 *      marks the device `discovered` in NetBox (the simulator) with the BMC's address as oob_ip;
 *   2. the BMC's Redfish service comes up on that address (sushy-emulator, HTTPS, a self-signed certificate);
 *      `bm-harden pxe-boot` proves the BMC belongs to the device (serial) and powers the server on with a one-time
 *      PXE boot. sushy's own external notifier reports the power change; the test turns "On, boot from Pxe" into
 *      qemu's start — what sushy's libvirt driver would do, which cannot run here (no libvirt);
 *   3. the server PXE-boots the image from the same dhcpd (its NIC's MAC is no BMC's: the hook is not run), the agent
 *      validates it, sets `staged` and sends its signed callback to `bm-harden serve`;
 *   4. `bm-harden serve` verifies the signature and hardens the BMC (Ansible against the emulator), verifies by a fresh
 *      read and sets `ready`.
 * Times per phase go to stdout and .test-results/e2e-pxe-measurements.jsonl.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chmodSync, copyFileSync, existsSync, mkdirSync, appendFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compiledBinary } from '../helpers/compiled-binary.ts';
import { DHCP_SERVER_TOOLS, leaseAckPattern } from '../helpers/pxe-boot-server.ts';
import { createPxeLab, type LabHost, labSeed, missingBootFiles, type PxeLab, PXE_LAB_TOOLS, type Vm } from '../helpers/pxe-lab.ts';
import { requirementsMet } from '../helpers/requirements.ts';
import { ANSIBLE_PLAYBOOK, DEFAULT_BIOS, type Sushy, startSushy, sushyMissing } from '../helpers/sushy.ts';
import { waitUntil } from '../helpers/wait.ts';

const REPO = resolve(import.meta.dir, '../..');
const IMAGE_DIR = join(REPO, 'dist/image');
const RESULTS = join(REPO, '.test-results');
const TOKEN = '0123456789abcdef0123456789abcdef01234567';
const CALLBACK_SECRET = 'lifecycle-callback-secret-0123456789';
const SUBNET = '10.77.5';
const DEVICE = 'lifecycle-server';
const SERIAL = 'E2E-LIFE-0005';
const SERVER_MAC = '52:54:00:b3:00:05';
/** An HPE iLO OUI (hook/default-ouis.ts): dhcpd runs bm-hook for it. */
const BMC_MAC = '94:40:c9:e2:e0:05';
const SWITCH = 'e2e-leaf1';
const SWITCH_PORT = 'swp7';
const SERVE_PORT = 8084;
const CONFIG_DOCUMENT = 'agent-config.json';
const STEP_SETTINGS = 'bm.memory.size_mb=32 bm.disk.runtime_s=2 bm.disk.size_mb=64 bm.lldp.deadline_s=20';
/** The hardening profile for the lab's BMC (matched by the device type's manufacturer): it starts out violating it. */
const PROFILE = {
  name: 'lifecycle-lab',
  description: 'the e2e lifecycle lab: the emulated BMC starts with IPMI and SSDP on, virtualisation and Secure Boot off',
  match: { manufacturers: ['qemu'] },
  tls: { verify: true },
  onUnsupported: 'fail',
  rebootAllowed: true,
  bios: { ProcVirtualization: 'Enabled', SecureBoot: 'Enabled' },
  networkProtocols: { IPMI: false, SSDP: false, HTTPS: true },
  firmware: [],
};

const ready = requirementsMet('the whole lifecycle (dhcpd + bm-hook, Redfish power-on, PXE image, bm-harden)', {
  root: true,
  tools: [...new Set([...PXE_LAB_TOOLS, ...DHCP_SERVER_TOOLS['isc-dhcpd']])],
  other: [
    ...missingBootFiles(IMAGE_DIR).map((path) => `dist/image/${path} (run make image; make e2e does)`),
    ...[sushyMissing()].filter((m): m is string => m !== undefined),
    ...(existsSync(ANSIBLE_PLAYBOOK) ? [] : [`${ANSIBLE_PLAYBOOK} (run make deps)`]),
  ],
});

/** A 0600 file (secrets and the files that name them). */
function secretFile(path: string, content: string): string {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

interface Device {
  status: { value: string };
  oob_ip: { address: string } | null;
}

interface Journal {
  results: { kind: { value: string }; comments: string; created: string }[];
}

function record(data: Record<string, unknown>): void {
  mkdirSync(RESULTS, { recursive: true });
  const line = JSON.stringify({ test: 'e2e-lifecycle', ...data });
  appendFileSync(join(RESULTS, 'e2e-pxe-measurements.jsonl'), `${line}\n`);
  console.log(`[e2e measurements] ${line}`);
}

describe.skipIf(!ready)('the whole lifecycle: offline → discovered → staged → ready, no human step', () => {
  let lab: PxeLab;
  let bmc: LabHost;
  let sushy: Sushy | undefined;
  let vm: Vm | undefined;
  let dir: string;
  const hook = compiledBinary('hook/main.ts', 'bm-hook');
  const harden = compiledBinary('harden/main.ts', 'bm-harden');

  beforeAll(async () => {
    lab = await createPxeLab({
      subnet: SUBNET,
      imageDir: IMAGE_DIR,
      dhcp: 'isc-dhcpd',
      ipxeTransport: 'http',
      netbox: {
        // The server is offline: NetBox knows its serial, its NIC's and its BMC's MACs, its cabling and the BMC subnet.
        seed: labSeed({
          server: { name: DEVICE, serial: SERIAL, status: 'offline', mac: SERVER_MAC, bmcMac: BMC_MAC },
          switchName: SWITCH,
          switchPort: SWITCH_PORT,
          prefixes: [`${SUBNET}.0/24`],
        }),
        token: TOKEN,
      },
      switchName: SWITCH,
      switchPort: SWITCH_PORT,
      site: (urls) => ({
        'netbox-url': urls.netboxUrl,
        // The NetBox token and the callback secret come with the config document, never on the command line.
        'token-arg': `bm.config_url=${urls.httpBase}${CONFIG_DOCUMENT}`,
        profile: 'quick',
        'on-finish': 'poweroff',
        extra: [`bm.callback_url=http://${urls.serverIp}:${SERVE_PORT}/callback`, STEP_SETTINGS].join(' '),
      }),
      files: () => ({ [CONFIG_DOCUMENT]: JSON.stringify({ netbox: { token: TOKEN }, callback: { secret: CALLBACK_SECRET } }) }),
      // dhcpd runs bm-hook for BMC leases: the block `bm-hook dhcpd-snippet` prints for the lab's hook config.
      dhcpdConfigExtra: ({ workDir, netboxUrl }) => {
        const tokenFile = secretFile(join(workDir, 'netbox-token'), `${TOKEN}\n`);
        const config = join(workDir, 'hook.json');
        const wrapper = join(workDir, 'bm-hook');
        writeFileSync(
          config,
          JSON.stringify({ netbox: { url: netboxUrl, tokenFile }, spool: { dir: join(workDir, 'spool') }, drain: { budgetMs: 30_000 }, hookPath: wrapper }),
        );
        // dhcpd passes only PATH: the wrapper names the config, then runs the compiled hook as dhcpd would.
        writeFileSync(wrapper, `#!/bin/sh\nBM_CONFIG=${config} BM_HOOK_NO_SYSLOG=1 exec ${hook} "$@"\n`, { mode: 0o755 });
        const snippet = Bun.spawnSync([hook, 'dhcpd-snippet', '--config', config], { stdout: 'pipe', stderr: 'pipe', env: { PATH: process.env.PATH } });
        if (snippet.exitCode !== 0) throw new Error(`bm-hook dhcpd-snippet: ${snippet.stderr.toString()}`);
        return snippet.stdout.toString();
      },
    });
    dir = lab.workDir;
  });

  afterAll(async () => {
    mkdirSync(RESULTS, { recursive: true });
    if (vm) copyFileSync(vm.serialLog, join(RESULTS, 'e2e-lifecycle-serial.log'));
    if (lab) writeFileSync(join(RESULTS, 'e2e-lifecycle-boot-server.log'), lab.serverLog());
    if (sushy) writeFileSync(join(RESULTS, 'e2e-lifecycle-bmc.log'), sushy.log());
    await sushy?.stop();
    await lab?.close();
  });

  test('a BMC lease makes it discovered; Redfish powers it on to PXE; the image stages it; bm-harden makes it ready', async () => {
    const t0 = Date.now();
    const seen: Record<string, number> = {};
    const device = () => lab.netboxGet<Device>('/api/dcim/devices/1/?exclude=config_context');
    const waitStatus = async (status: string, timeoutMs: number, failFast?: () => string | undefined) => {
      let last = '';
      await waitUntil(
        async () => {
          last = (await device()).status.value;
          const why = failFast?.();
          if (why) throw new Error(`${why} (device is ${last})`);
          return last === status;
        },
        { timeoutMs, intervalMs: 1000, what: `the device to become ${status}` },
      ).catch((error: Error) => {
        throw new Error(
          `${error.message}; last status ${last}\n--- serial (tail)\n${vm?.serial().slice(-4000) ?? ''}\n--- boot server (tail)\n${lab.serverLog().slice(-3000)}`,
        );
      });
      seen[status] = Date.now() - t0;
    };

    // 1. The BMC's DHCP lease: dhcpd → bm-hook → spool → drainer → NetBox.
    bmc = lab.addHost(BMC_MAC);
    const bound = join(dir, 'udhcpc-bound');
    writeFileSync(bound, '#!/bin/sh\n[ "$1" = bound ] || exit 0\nip addr add "$ip/$mask" dev "$interface" && echo "leased $ip/$mask"\n', { mode: 0o755 });
    const lease = await bmc.exec(['busybox', 'udhcpc', '-i', 'eth0', '-f', '-q', '-n', '-t', '10', '-T', '2', '-s', bound, '-x', 'hostname:ilo-lifecycle']);
    const leased = /leased ([\d.]+)\/(\d+)/.exec(lease.stdout);
    expect(leased, `udhcpc: ${lease.stdout}${lease.stderr}`).not.toBeNull();
    const bmcIp = leased![1]!;
    seen.leased = Date.now() - t0;
    await waitStatus('discovered', 60_000);
    expect((await device()).oob_ip?.address).toBe(`${bmcIp}/24`);
    expect(lab.serverLog()).toMatch(leaseAckPattern('isc-dhcpd', BMC_MAC));

    // 2. The BMC's Redfish service on its leased address; every change of the system is PUT to the lab's receiver.
    sushy = await startSushy({
      netns: { name: bmc.ns, listenIp: bmcIp },
      networkProtocol: true,
      externalNotificationUrl: `http://${lab.serverIp}:8081/bmc-notifications`,
      systems: [
        {
          name: DEVICE,
          powerState: 'Off',
          serial: SERIAL,
          externalNotifier: true,
          bios: { ...DEFAULT_BIOS },
          protocols: { IPMI: { ProtocolEnabled: true }, SSDP: { ProtocolEnabled: true }, HTTPS: { ProtocolEnabled: true } },
        },
      ],
    });
    const credentialsFile = secretFile(join(dir, 'bmc-credentials.json'), JSON.stringify({ username: sushy.username, password: sushy.password }));
    const profiles = join(dir, 'profiles');
    mkdirSync(profiles, { recursive: true });
    writeFileSync(join(profiles, 'lifecycle.json'), JSON.stringify(PROFILE));
    const hardenConfig = join(dir, 'harden.json');
    writeFileSync(
      hardenConfig,
      JSON.stringify({
        netbox: { url: lab.netboxUrl, tokenFile: join(dir, 'netbox-token') },
        credentialsFile,
        profilesDir: profiles,
        redfish: { caBundle: sushy.caPath, timeoutMs: 10_000, retries: 1 },
        ansible: { command: ANSIBLE_PLAYBOOK, playbook: join(REPO, 'harden/ansible/harden.yml'), timeoutMs: 300_000 },
      }),
    );
    const secret = secretFile(join(dir, 'callback-secret'), `${CALLBACK_SECRET}\n`);
    await lab.startDaemon(
      'bm-harden-serve',
      [harden, 'serve', '--listen', `${lab.serverIp}:${SERVE_PORT}`, '--callback-secret-file', secret, '--config', hardenConfig],
      {
        ready: /listening on/,
      },
    );

    // 3. Powered on with a one-time PXE boot through Redfish; the power notification starts the machine.
    const pxeBoot = await lab.exec([harden, 'pxe-boot', '--device', DEVICE, '--config', hardenConfig]);
    expect({ code: pxeBoot.exitCode, err: pxeBoot.stderr }).toMatchObject({ code: 0 });
    seen.poweredOn = Date.now() - t0;
    const notifications = () => lab.callbacks().filter((c) => c.path === '/bmc-notifications');
    const poweredOnToPxe = () =>
      notifications().some((n) => (n.json as { power_state?: string }).power_state === 'On' && (n.json as { boot_device?: string }).boot_device === 'Pxe');
    await waitUntil(poweredOnToPxe, { timeoutMs: 30_000, intervalMs: 250, what: 'the BMC to report the server on, booting from PXE' });
    vm = lab.startVm({
      serial: SERIAL,
      mac: SERVER_MAC,
      memoryMiB: 2560,
      cpus: 1,
      firmware: 'bios',
      netBoot: 'pxe',
      disks: [{ name: 'blank0', sizeMiB: 256, partitioned: false }],
    });
    const vmEnded = () =>
      vm!.exited() && !/bm-agent-boot: starting bm-agent run/.test(vm!.serial()) ? 'the server powered off before the agent started' : undefined;
    await waitStatus('staged', 900_000, vmEnded);
    // 4. The agent's signed callback reached bm-harden serve, which hardens and verifies: ready.
    await waitStatus('ready', 300_000);
    const total = Date.now() - t0;

    const journal = await lab.netboxGet<Journal>('/api/extras/journal-entries/?assigned_object_type=dcim.device&assigned_object_id=1&limit=1000');
    const entries = journal.results.map((j) => j.comments);
    // Every phase left its entry, in order: the hook, the power-on, the agent's verdict, bm-harden's table.
    const index = (pattern: RegExp) => entries.findIndex((c) => pattern.test(c));
    const phases = [/BMC seen by DHCP/, /one-time PXE/i, /Validation PASSED/, /bm-harden run/i].map(index);
    expect(
      phases.every((i) => i >= 0),
      entries.map((c) => c.split('\n')[0]).join('\n'),
    ).toBe(true);
    expect([...phases].sort((a, b) => a - b)).toEqual(phases);
    // The BMC is in the profile's state (read back from the emulator, not from bm-harden's word).
    const bios = await sushy.get(`/redfish/v1/Systems/${sushy.systems[0]!.uuid}/BIOS`);
    expect(bios.Attributes).toMatchObject(PROFILE.bios);
    const protocol = await sushy.get(`/redfish/v1/Managers/${sushy.systems[0]!.uuid}/NetworkProtocol`);
    expect(protocol).toMatchObject({ IPMI: { ProtocolEnabled: false }, SSDP: { ProtocolEnabled: false } });
    // dhcpd leased to both; the hook ran for the BMC only (the server's NIC is no BMC's).
    expect(lab.serverLog()).toMatch(leaseAckPattern('isc-dhcpd', SERVER_MAC));
    expect(lab.daemonLog('bm-harden-serve')).toMatch(/callback/i);
    expect(vm.serial()).not.toContain(TOKEN);
    record({ ...Object.fromEntries(Object.entries(seen).map(([k, v]) => [`${k}S`, v / 1000])), totalS: total / 1000 });
  });
});
