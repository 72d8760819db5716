/**
 * The image end to end: `make image`'s kernel + initrd PXE-booted by qemu (TCG)
 * in a network namespace with a DHCP/TFTP/HTTP boot server, the NetBox
 * simulator, a callback receiver and an lldpd "switch" on the VM's link. The
 * agent is configured by the kernel command line only (the shipped boot.ipxe,
 * chained from a site script). The evidence bundle is uploaded to an nginx WebDAV
 * server on the boot server (bm.evidence_url) and checked there after power-off. The serial console is the evidence: it is
 * copied to .test-results/ and printed on failure. Timings and sizes go to
 * stdout and .test-results/e2e-pxe-measurements.json.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SeedData } from '../netbox-sim/index.ts';
import { createPxeLab, PXE_LAB_TOOLS, VM_MANUFACTURER, VM_PRODUCT, type PxeLab, type Vm } from '../helpers/pxe-lab.ts';
import { requirementsMet } from '../helpers/requirements.ts';
import { waitUntil } from '../helpers/wait.ts';

const REPO = resolve(import.meta.dir, '../..');
const IMAGE_DIR = join(REPO, 'dist/image');
const RESULTS = join(REPO, '.test-results');
const TOKEN = '0123456789abcdef0123456789abcdef01234567';
const SWITCH = 'e2e-leaf1';
const SWITCH_PORT = 'swp7';
const BOOT_TIMEOUT_MS = 240_000; // qemu start → bm-agent start: ~70 s under TCG, bounded generously
const RUN_TIMEOUT_MS = 300_000; // bm-agent start → its verdict in NetBox (quick profile, small sizes)
const INITRD_BUDGET_MIB = 150;

const ready = requirementsMet('PXE boot of the image in qemu', { root: true, tools: PXE_LAB_TOOLS }) && imageBuilt();

function imageBuilt(): boolean {
  const missing = ['vmlinuz', 'initrd.zst', 'boot.ipxe'].filter((f) => !existsSync(join(IMAGE_DIR, f)));
  if (missing.length === 0) return true;
  const message = `dist/image/${missing.join(', ')} missing: run make image (make e2e does)`;
  if (process.env.CI) throw new Error(message);
  process.stderr.write(`\n!!! SKIPPED SUITE "PXE boot": ${message}\n\n`);
  return false;
}

interface Journal {
  results: { kind: { value: string }; comments: string }[];
}

/** Server + switch in NetBox: the server found by its DMI serial, its NIC cabled to the switch port lldpd announces. */
function seed(serial: string, mac: string, localContext?: Record<string, unknown>): SeedData {
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
      { name: 'pxe-e2e-server', site: 1, role: 1, device_type: 1, serial, status: 'discovered', ...(localContext ? { local_context_data: localContext } : {}) },
      { name: SWITCH, site: 1, role: 2, device_type: 2, status: 'active' },
    ],
    interfaces: [
      { device: 1, name: 'eno1', type: '1000base-t' },
      { device: 1, name: 'bmc', type: '1000base-t', mgmt_only: true },
      { device: 2, name: SWITCH_PORT, type: '1000base-t' },
    ],
    'mac-addresses': [
      { mac_address: mac, assigned_object_type: 'dcim.interface', assigned_object_id: 1 },
      { mac_address: '02:bd:00:00:00:99', assigned_object_type: 'dcim.interface', assigned_object_id: 2 },
    ],
    cables: [{ a_terminations: [{ object_type: 'dcim.interface', object_id: 1 }], b_terminations: [{ object_type: 'dcim.interface', object_id: 3 }] }],
  };
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function mib(bytes: number): number {
  return Math.round((bytes / 1048576) * 10) / 10;
}

/** initrd sizes: zstd as served, and unpacked (what the tmpfs root holds). */
function initrdSizes(): { zstdMiB: number; unpackedMiB: number } {
  const file = join(IMAGE_DIR, 'initrd.zst');
  const unpacked = Bun.spawnSync(['sh', '-c', `zstd -dc '${file}' | wc -c`], { stdout: 'pipe' });
  return { zstdMiB: mib(statSync(file).size), unpackedMiB: mib(Number(unpacked.stdout.toString().trim())) };
}

function record(name: string, data: Record<string, unknown>): void {
  mkdirSync(RESULTS, { recursive: true });
  const line = JSON.stringify({ test: name, ...data });
  appendFileSync(join(RESULTS, 'e2e-pxe-measurements.jsonl'), `${line}\n`);
  console.log(`[e2e measurements] ${line}`);
}

describe.skipIf(!ready)('PXE boot of the bm-agent image (qemu, TCG)', () => {
  let lab: PxeLab | undefined;
  let vm: Vm | undefined;
  let evidenceName = '';

  afterEach(async () => {
    if (vm && evidenceName) {
      mkdirSync(RESULTS, { recursive: true });
      copyFileSync(vm.serialLog, join(RESULTS, `${evidenceName}-serial.log`));
      writeFileSync(join(RESULTS, `${evidenceName}-boot-server.log`), lab?.serverLog() ?? '');
      console.log(`serial console: .test-results/${evidenceName}-serial.log`);
    }
    await lab?.close();
    lab = undefined;
    vm = undefined;
  });

  /** Boots the VM, waits for the agent to start and for the device to leave `discovered`; returns timings. */
  async function bootAndWait(device: number, expectStatus: string) {
    const agentStartMs = await vm!.waitForSerial('bm-agent-boot: starting bm-agent run', BOOT_TIMEOUT_MS).catch((error: Error) => {
      throw new Error(`${error.message}\n--- serial (tail)\n${vm!.serial().slice(-4000)}\n--- boot server (tail)\n${lab!.serverLog().slice(-3000)}`);
    });
    let status = 'discovered';
    await waitUntil(
      async () => {
        status = (await lab!.netboxGet<{ status: { value: string } }>(`/api/dcim/devices/${device}/?exclude=config_context`)).status.value;
        return status !== 'discovered' || vm!.exited();
      },
      { timeoutMs: RUN_TIMEOUT_MS, intervalMs: 1000, what: 'the device status to change in NetBox' },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n--- serial (tail)\n${vm!.serial().slice(-6000)}`);
    });
    const verdictMs = Date.now() - vm!.startedAt;
    if (status !== expectStatus) throw new Error(`device is ${status}, expected ${expectStatus}\n--- serial (tail)\n${vm!.serial().slice(-6000)}`);
    // bm.on_finish=poweroff: qemu (-no-reboot) ends once the agent has delivered everything.
    await waitUntil(() => vm!.exited(), { timeoutMs: 120_000, intervalMs: 500, what: 'the VM to power off (bm.on_finish=poweroff)' });
    return { agentStartMs, verdictMs, poweredOffMs: Date.now() - vm!.startedAt };
  }

  /** A boot server for one server in NetBox, and its VM with a blank and a partitioned disk. */
  async function startServer(options: { subnet: string; transport: 'http' | 'tftp'; serial: string; mac: string; localContext?: Record<string, unknown> }) {
    lab = await createPxeLab({
      subnet: options.subnet,
      imageDir: IMAGE_DIR,
      transport: options.transport,
      netbox: { seed: seed(options.serial, options.mac, options.localContext), token: TOKEN },
      switchName: SWITCH,
      switchPort: SWITCH_PORT,
      ipxeVars: ({ netboxUrl, callbackUrl, evidenceBase }) => ({
        'bm-netbox-url': netboxUrl,
        'bm-token-arg': `bm.netbox_token=${TOKEN}`,
        'bm-profile': 'quick',
        'bm-on-finish': 'poweroff',
        'bm-extra': [
          `bm.callback_url=${callbackUrl}`,
          `bm.evidence_url=${evidenceBase}${options.serial}.tar.gz`,
          'bm.memory.size_mb=64 bm.disk.runtime_s=2 bm.disk.size_mb=64 bm.lldp.deadline_s=20',
        ].join(' '),
      }),
    });
    vm = lab.startVm({
      serial: options.serial,
      mac: options.mac,
      memoryMiB: 2560,
      disks: [
        { name: 'blank0', sizeMiB: 256, partitioned: false },
        { name: 'parted0', sizeMiB: 256, partitioned: true },
      ],
    });
    return { lab, vm };
  }

  test('a PXE-booted server with a blank and a partitioned disk is validated and staged, over HTTP', async () => {
    evidenceName = 'e2e-pxe-http-staged';
    const { lab, vm } = await startServer({ subnet: '10.77.1', transport: 'http', serial: 'E2E-PXE-0001', mac: '52:54:00:b3:00:01' });
    const partitionedBefore = sha256(vm.disks.parted0!);
    const blankBefore = sha256(vm.disks.blank0!);

    const timings = await bootAndWait(1, 'staged');

    // Every step journaled, then the verdict.
    const journal = await lab.netboxGet<Journal>('/api/extras/journal-entries/?assigned_object_type=dcim.device&assigned_object_id=1&limit=1000');
    const firstLines = journal.results.map((j) => j.comments.split('\n')[0]!);
    for (const id of ['01-init', '02-memory', '03-disk', '04-lldp']) expect(firstLines.filter((l) => l.startsWith(`**bm-agent ${id} `))).toHaveLength(1);
    expect(firstLines.at(-1)).toContain('Validation PASSED');
    // The LLDP neighbour on the VM's NIC is the switch and port NetBox's cable ends on.
    const lldp = journal.results.find((j) => j.comments.startsWith('**bm-agent 04-lldp'))!.comments;
    expect(lldp).toContain(SWITCH);
    expect(lldp).toContain(SWITCH_PORT);
    expect(lldp).toMatch(/match/i);
    // The callback, with the verdict.
    await waitUntil(() => lab!.callbacks().length > 0, { timeoutMs: 30_000, intervalMs: 250, what: 'the callback' });
    expect(lab.callbacks()).toHaveLength(1);
    expect(lab.callbacks()[0]!.json).toMatchObject({ verdict: 'pass', status: 'staged', device: { id: 1 } });
    // The partitioned disk was only read; the blank one was write-tested.
    expect(sha256(vm.disks.parted0!)).toBe(partitionedBefore);
    expect(sha256(vm.disks.blank0!)).not.toBe(blankBefore);
    // The evidence bundle survived power-off: nginx's WebDAV holds the tarball, report.json in it,
    // and the final journal entry links it.
    const uploaded = lab.evidenceFile('E2E-PXE-0001.tar.gz');
    expect(uploaded).not.toBeNull();
    const listing = Bun.spawnSync(['tar', '-tzf', uploaded!], { stdout: 'pipe', stderr: 'pipe' });
    expect({ exitCode: listing.exitCode, stderr: listing.stderr.toString() }).toEqual({ exitCode: 0, stderr: '' });
    const reportEntry = listing.stdout
      .toString()
      .split('\n')
      .find((f) => f.endsWith('/report.json'));
    expect(reportEntry).toBeDefined();
    const uploadedReport = JSON.parse(Bun.spawnSync(['tar', '-xzOf', uploaded!, reportEntry!], { stdout: 'pipe' }).stdout.toString());
    expect(uploadedReport).toMatchObject({ verdict: 'pass', evidence: { url: `${lab.evidenceBase}E2E-PXE-0001.tar.gz` } });
    expect(journal.results.at(-1)!.comments).toContain(`**Evidence**: <${lab.evidenceBase}E2E-PXE-0001.tar.gz>`);
    // The boot really went DHCP → iPXE → HTTP, and the token never reached the console.
    expect(lab.serverLog()).toMatch(/DHCPACK.*52:54:00:b3:00:01/);
    expect(lab.serverLog()).toContain('initrd.zst');
    expect(vm.serial()).not.toContain(TOKEN);

    const sizes = initrdSizes();
    expect(sizes.zstdMiB).toBeLessThanOrEqual(INITRD_BUDGET_MIB);
    record(evidenceName, {
      initrdZstdMiB: sizes.zstdMiB,
      initrdUnpackedMiB: sizes.unpackedMiB,
      qemuStartToAgentStartS: timings.agentStartMs / 1000,
      qemuStartToStagedS: timings.verdictMs / 1000,
      qemuStartToPowerOffS: timings.poweredOffMs / 1000,
      evidenceTarballKiB: Math.round(statSync(uploaded!).size / 1024),
    });
  });

  test('a server that does not match NetBox fails validation and is marked failed, booted over TFTP', async () => {
    evidenceName = 'e2e-pxe-tftp-failed';
    // NetBox expects far more memory than the VM has: 01-init fails the run.
    const { lab, vm } = await startServer({
      subnet: '10.77.2',
      transport: 'tftp',
      serial: 'E2E-PXE-0002',
      mac: '52:54:00:b3:00:02',
      localContext: { bm_expect: { memoryGB: 4096 } },
    });
    const partitionedBefore = sha256(vm.disks.parted0!);

    const timings = await bootAndWait(1, 'failed');

    const journal = await lab.netboxGet<Journal>('/api/extras/journal-entries/?assigned_object_type=dcim.device&assigned_object_id=1&limit=1000');
    const final = journal.results.at(-1)!.comments;
    expect(final).toContain('Validation FAILED');
    expect(final).toMatch(/01-init: .*memory/i);
    await waitUntil(() => lab!.callbacks().length > 0, { timeoutMs: 30_000, intervalMs: 250, what: 'the callback' });
    expect(lab.callbacks()[0]!.json).toMatchObject({ verdict: 'fail', status: 'failed' });
    expect(sha256(vm.disks.parted0!)).toBe(partitionedBefore);
    expect(lab.serverLog()).toMatch(/sent .*initrd\.zst/);
    expect(vm.serial()).toContain('bm-agent exited with code 1');
    record(evidenceName, { qemuStartToAgentStartS: timings.agentStartMs / 1000, qemuStartToFailedS: timings.verdictMs / 1000 });
  });
});
