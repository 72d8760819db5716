/**
 * `make demo`: the whole pipeline on this machine against the embedded NetBox
 * simulator (`make demo NETBOX=real`, i.e. `--netbox real`: against a real NetBox
 * started for the demo from test/netbox-real and stopped afterwards; root). NetBox holds this machine as `srv-demo` (offline) with a BMC MAC and
 * this machine's own NIC. Phase 0: a BMC lease goes through the compiled
 * bm-hook exactly as dhcpd would hand it over → discovered. Phase 1: the
 * compiled bm-agent validates this machine (quick profile) → staged. Phase 2: a
 * sushy-emulator (test/helpers/sushy.ts, from the venv `make deps` creates) stands
 * in for srv-demo's BMC on 127.0.0.1 (`redfish.host`: the oob_ip from the lease is
 * not on this machine) and the compiled bm-harden plans, then runs: Ansible applies
 * the demo profile, a fresh Redfish read verifies → ready. Without the venv Phase 2
 * is skipped, loudly. Then the device's journal is printed as an operator would read it.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createNetboxClient, getDevice, listDeviceJournal } from '../../shared/netbox/index.ts';
import { startSimulator } from '../netbox-sim/index.ts';
import { startRealNetbox, stopRealNetbox } from '../netbox-real/index.ts';
import { createFixtures } from '../helpers/netbox-fixtures.ts';
import { createLoopLab } from '../helpers/loop-devices.ts';
import { thisMachinesNic } from '../helpers/this-machine.ts';
import { ANSIBLE_PLAYBOOK, startSushy, sushyMissing, type Sushy } from '../helpers/sushy.ts';

const say = (line = '') => console.log(line);
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

async function run(argv: string[], env: Record<string, string>, indent = '  '): Promise<number> {
  const child = Bun.spawn(argv, { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env }, stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  for (const line of `${err}${out}`.trimEnd().split('\n')) if (line) say(`${indent}${line}`);
  return code;
}

const which = process.argv.includes('--netbox') ? process.argv[process.argv.indexOf('--netbox') + 1] : 'sim';
if (which !== 'sim' && which !== 'real') {
  console.error(`usage: run-demo.ts [--netbox sim|real] (got ${which})`);
  process.exit(2);
}

/** The NetBox of the demo: the state is built with `adminToken`, the binaries run with `token`. */
interface DemoNetbox {
  url: string;
  adminToken: string;
  token: string;
  describe: string;
  requestCount?: () => number;
  close(): Promise<void>;
}

async function startDemoNetbox(): Promise<DemoNetbox> {
  if (which === 'real') {
    if (process.getuid?.() !== 0) throw new Error('make demo NETBOX=real needs root (the real NetBox runs in a chroot)');
    say('starting a real NetBox (test/netbox-real; the first time it is built, ~8 min)…');
    const real = startRealNetbox();
    // The binaries use the least-privilege token: exactly the permissions docs/netbox.md lists.
    return {
      url: real.url,
      adminToken: real.admin.tokens.v2,
      token: real.leastPrivilege.tokens.v2,
      describe: `real NetBox ${real.version}`,
      close: async () => stopRealNetbox(real),
    };
  }
  const sim = await startSimulator({ port: 0, flavour: '4.6' });
  return {
    url: sim.url,
    adminToken: sim.token,
    token: sim.token,
    describe: `NetBox simulator ${sim.version}`,
    requestCount: () => sim.requests().length,
    close: () => sim.close(),
  };
}

/**
 * bm-harden's files for the demo in `dir`: the BMC credentials (0600, with a new password for the rotation),
 * an operator profile matching srv-demo's manufacturer (reboot allowed: the emulator restarts in seconds), and
 * the config pointing Redfish at the emulator (`redfish.host`) with its self-signed certificate as the CA bundle.
 */
function hardenDemoFiles(dir: string, sushy: Sushy, manufacturer: string): { config: string; profile: string } {
  const credentials = join(dir, 'bmc-credentials.json');
  const newPassword = `demo-${crypto.randomUUID()}`;
  writeFileSync(credentials, JSON.stringify({ username: sushy.username, password: sushy.password, new_password: newPassword }), { mode: 0o600 });
  const profiles = join(dir, 'profiles');
  mkdirSync(profiles);
  const profile = join(profiles, 'srv-demo-lab.json');
  writeFileSync(
    profile,
    JSON.stringify({
      name: 'srv-demo-lab',
      description: 'make demo: UEFI, virtualisation and SR-IOV on; IPMI-over-LAN and SSDP off; the factory password rotated',
      match: { manufacturers: [manufacturer] },
      tls: { verify: true },
      onUnsupported: 'fail',
      rebootAllowed: true,
      bios: { BootMode: 'Uefi', ProcVirtualization: 'Enabled', SriovGlobalEnable: 'Enabled' },
      networkProtocols: { IPMI: false, SSDP: false, HTTPS: true },
      accounts: { rotateUsername: sushy.username },
    }),
  );
  const config = join(dir, 'harden.json');
  const port = Number(new URL(sushy.url).port);
  writeFileSync(
    config,
    JSON.stringify({
      credentialsFile: credentials,
      profilesDir: profiles,
      redfish: { scheme: sushy.scheme, host: '127.0.0.1', port, ...(sushy.caPath ? { caBundle: sushy.caPath } : {}) },
      ansible: { command: ANSIBLE_PLAYBOOK, playbook: resolve(import.meta.dir, '../../harden/ansible/harden.yml') },
    }),
  );
  return { config, profile };
}

const netbox = await startDemoNetbox();
let bmc: Sushy | undefined;
const asRoot = process.getuid?.() === 0;
const loops = asRoot ? createLoopLab('bm-demo-') : null;
try {
  const nic = thisMachinesNic();
  say(`${netbox.describe} at ${netbox.url}`);
  const fx = await createFixtures(netbox.url, netbox.adminToken);
  // The serial is what bm-harden proves the BMC's identity with (Phase 2): the emulated BMC reports the same.
  const server = await fx.createDevice({ name: 'srv-demo', status: 'offline', serial: 'CZ3A0456DM' });
  await fx.createInterface(server.id, { name: 'bmc', mac: '94:40:c9:01:0a:56', mgmtOnly: true });
  if (nic) await fx.createInterface(server.id, { name: nic.name, mac: nic.mac });
  await fx.createPrefix('10.20.0.0/16');
  await fx.createPrefix('10.20.30.0/24');
  say(`NetBox holds srv-demo (offline): BMC 94:40:c9:01:0a:56${nic ? `, ${nic.name} ${nic.mac} (this machine's NIC)` : ''}`);
  const env = { NETBOX_URL: netbox.url, NETBOX_TOKEN: netbox.token };

  say('\n── Phase 0: dhcpd commits 10.20.30.41 to 94:40:c9:1:a:56 (its naive MAC form) and runs bm-hook');
  const spool = mkdtempSync(join(tmpdir(), 'bm-demo-spool-'));
  const hookEnv = { ...env, BM_SPOOL_DIR: spool, BM_HOOK_NO_SYSLOG: '1' };
  const commitStarted = performance.now();
  await run(['dist/bm-hook', '--no-drain', 'commit', '--', '10.20.30.41', '94:40:c9:1:a:56', 'ilo-srv-demo'], hookEnv);
  say(`  (commit returned in ${(performance.now() - commitStarted).toFixed(0)} ms without calling NetBox; now the drainer:)`);
  await run(['dist/bm-hook', 'drain'], hookEnv);
  const client = createNetboxClient({ url: netbox.url, token: netbox.adminToken });
  let device = await getDevice(client, server.id);
  say(`  → srv-demo is ${device.status.value}, oob_ip ${device.oob_ip?.address}`);

  say('\n── Phase 1: bm-agent validates this machine (quick profile)');
  const disk = loops ? await loops.createBlank('scratch', 256) : null;
  say(
    disk
      ? `  (a blank 256 MiB loop device ${disk} stands in for a data disk; the host disk is never written)`
      : '  (not root: no scratch disk, the disk step reports what it would skip)',
  );
  const evidence = mkdtempSync(join(tmpdir(), 'bm-demo-runs-'));
  const agentArgs = [
    'dist/bm-agent',
    'run',
    '--profile',
    'quick',
    '--evidence-dir',
    evidence,
    '--cmdline-file',
    '/dev/null',
    '--set',
    'memory.size_mb=32',
    '--set',
    'lldp.deadline_s=5',
    '--set',
    'disk.runtime_s=2',
  ];
  if (disk) agentArgs.push('--set', `disk.devices=${disk}`);
  const code = await run(agentArgs, { ...env, TERM: 'dumb' });
  device = await getDevice(client, server.id);
  say(`  → bm-agent exited ${code}; srv-demo is ${device.status.value}`);

  say("\n── Phase 2: bm-harden hardens srv-demo's BMC over Redfish (Ansible applies, a fresh read verifies)");
  const phase2Missing =
    device.status.value !== 'staged'
      ? `srv-demo is ${device.status.value}, not staged (Phase 1 did not finish)`
      : (sushyMissing() ?? (existsSync(ANSIBLE_PLAYBOOK) ? undefined : `no ${ANSIBLE_PLAYBOOK} (run make deps as root)`));
  let phase2Ran = false;
  if (phase2Missing) {
    say(`\n!!! PHASE 2 SKIPPED: ${phase2Missing}`);
    say('!!! (make deps creates the Python venv with Ansible and sushy-tools; without root it cannot install python3-venv)\n');
  } else {
    const work = mkdtempSync(join(tmpdir(), 'bm-demo-harden-'));
    bmc = await startSushy({
      networkProtocol: true,
      accountService: true,
      systems: [
        {
          name: 'srv-demo',
          serial: device.serial,
          protocols: { IPMI: { ProtocolEnabled: true }, SSDP: { ProtocolEnabled: true }, HTTPS: { ProtocolEnabled: true } },
        },
      ],
    });
    const demoConfig = hardenDemoFiles(work, bmc, device.device_type.manufacturer.slug);
    say(`  (a sushy-emulator at ${bmc.url} stands in for the BMC at ${device.oob_ip?.address}: the config's redfish.host points there;`);
    say(`   profile srv-demo-lab, chosen by the manufacturer ${device.device_type.manufacturer.slug}: see ${demoConfig.profile})`);
    const hardenEnv = { ...env, BM_HARDEN_CONFIG: demoConfig.config };
    say('\n  $ bm-harden plan --device srv-demo');
    await run(['dist/bm-harden', 'plan', '--device', 'srv-demo'], hardenEnv, '    ');
    say('\n  $ bm-harden run --device srv-demo');
    const hardenStarted = performance.now();
    const hardenCode = await run(['dist/bm-harden', 'run', '--device', 'srv-demo'], hardenEnv, '    ');
    const hardenMs = performance.now() - hardenStarted;
    device = await getDevice(client, server.id);
    say(
      `  → bm-harden exited ${hardenCode} after ${(hardenMs / 1000).toFixed(1)} s (one device: read, Ansible, restart, verify); srv-demo is ${device.status.value}`,
    );
    say('\n  $ bm-harden run --device srv-demo        # again: a compliant BMC is left alone, and the journal says so');
    const againStarted = performance.now();
    await run(['dist/bm-harden', 'run', '--device', 'srv-demo'], hardenEnv, '    ');
    say(`  → ${((performance.now() - againStarted) / 1000).toFixed(1)} s`);
    rmSync(work, { recursive: true, force: true });
    phase2Ran = true;
  }

  say('\n── The journal of srv-demo, as an operator reads it in NetBox');
  for (const entry of await listDeviceJournal(client, server.id)) {
    say(`\n[${entry.kind.value}]`);
    for (const line of entry.comments.split('\n')) say(`  ${line}`);
  }
  const served = netbox.requestCount ? `${netbox.requestCount()} API requests served, every body validated against NetBox 4.6's schema; ` : '';
  say(`\n${served}demo took ${elapsed()}`);
  process.exitCode = device.status.value === (phase2Ran ? 'ready' : 'staged') ? 0 : 1;
} finally {
  await bmc?.stop();
  await loops?.cleanup();
  await netbox.close();
}
