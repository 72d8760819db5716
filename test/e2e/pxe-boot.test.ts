/**
 * The image end to end, booted the ways servers boot: `make image`'s boot tree served by
 * a boot server configured as docs/image.md shows, to a qemu machine (TCG) in a network
 * namespace with the NetBox simulator, a callback receiver, an nginx WebDAV evidence
 * server and an lldpd "switch" on the VM's link (test/helpers/pxe-lab.ts). Variants:
 *   - legacy BIOS PXE: SeaBIOS, the NIC's iPXE, the site script and boot.ipxe over HTTP (dnsmasq);
 *   - UEFI PXE with Secure Boot enforced: OVMF secboot with Microsoft's keys, the firmware's
 *     PXE → Debian's signed shim → signed network GRUB → signed kernel, over TFTP (ISC dhcpd);
 *     the kernel says Secure Boot is on and locks itself down, and the agent reports it;
 *   - UEFI HTTP boot: OVMF without Secure Boot, vendor class HTTPClient, the boot file a URL (Kea);
 *   - a server NetBox does not match, booted legacy over TFTP: it fails and is marked failed.
 * The agent is configured by the kernel command line the shipped boot.ipxe / grub.cfg build
 * from the site settings (site.ipxe, grub/site.cfg). The variants boot side by side, as many
 * at a time as there are cores (each qemu under TCG keeps one busy; BM_E2E_PARALLEL overrides),
 * longest first; each test awaits its own variant. Every serial console and boot-server log is
 * copied to .test-results/; times go to stdout and .test-results/e2e-pxe-measurements.jsonl.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { BOOT_FILES, firstBootFile } from '../../image/boot-server.ts';
import { runPool } from '../helpers/pool.ts';
import { DHCP_SERVER_TOOLS, type DhcpServerKind, leaseAckPattern } from '../helpers/pxe-boot-server.ts';
import { createPxeLab, labSeed, type LabUrls, missingBootFiles, PXE_LAB_TOOLS } from '../helpers/pxe-lab.ts';
import { type Firmware, missingFirmware, type NetBoot } from '../helpers/pxe-qemu.ts';
import { requirementsMet } from '../helpers/requirements.ts';
import { waitUntil } from '../helpers/wait.ts';

const REPO = resolve(import.meta.dir, '../..');
const IMAGE_DIR = join(REPO, 'dist/image');
const RESULTS = join(REPO, '.test-results');
const TOKEN = '0123456789abcdef0123456789abcdef01234567';
const SWITCH = 'e2e-leaf1';
const SWITCH_PORT = 'swp7';
const BOOT_TIMEOUT_MS = 600_000; // qemu start → bm-agent start: ~75-95 s legacy under TCG, UEFI longer (firmware, TFTP)
const RUN_TIMEOUT_MS = 300_000; // bm-agent start → its verdict in NetBox (quick profile, small sizes)
const INITRD_BUDGET_MIB = 150;
const CONFIG_DOCUMENT = 'agent-config.json';
/**
 * Small sizes (quick profile): the e2e proves the chain and the steps, not the hardware. memtester under TCG is the
 * longest step, and its per-process time limit is estimated from the size alone (agent/memory/sizing.ts; timeout_s
 * does not raise it): 32 MiB in one process (one vCPU) finishes well inside it even with two VMs on two cores.
 */
const STEP_SETTINGS = 'bm.memory.size_mb=32 bm.disk.runtime_s=2 bm.disk.size_mb=64 bm.lldp.deadline_s=20';

interface Variant {
  key: string;
  title: string;
  firmware: Firmware;
  netBoot: NetBoot;
  dhcp: DhcpServerKind;
  /** How iPXE fetches its scripts and the image (legacy BIOS only). */
  ipxeTransport: 'http' | 'tftp';
  subnet: string;
  serial: string;
  mac: string;
  expectStatus: 'staged' | 'failed';
  localContext?: Record<string, unknown>;
  /**
   * `cmdline`: bm.netbox_token on the kernel command line (kept off the console by `quiet`);
   * `config-url`: in the bm.config_url document, for a variant whose kernel console is verbose.
   */
  tokenVia: 'cmdline' | 'config-url';
  /** Kernel arguments of this variant only. */
  kernelArgs: string[];
  /** 01-init's boot facts (agent/lockdown.ts) this boot must report. */
  bootFacts: { uefi: boolean; secureBoot: boolean | null; kernelLockdown: string };
  /** The 01-init journal entry's inventory row for them. */
  secureBootRow: string;
}

/** Longest first: the pool starts them in this order. */
const VARIANTS: readonly Variant[] = [
  {
    key: 'uefi-pxe-secureboot',
    title: 'UEFI PXE with Secure Boot enforced (OVMF secboot, Microsoft keys; shim → GRUB → kernel over TFTP; ISC dhcpd)',
    firmware: 'uefi-secureboot',
    netBoot: 'pxe',
    dhcp: 'isc-dhcpd',
    ipxeTransport: 'http',
    subnet: '10.77.2',
    serial: 'E2E-PXE-0002',
    mac: '52:54:00:b3:00:02',
    expectStatus: 'staged',
    tokenVia: 'config-url',
    // The kernel's own Secure Boot and lockdown lines are KERN_INFO/NOTICE: below `quiet`.
    kernelArgs: ['loglevel=7'],
    bootFacts: { uefi: true, secureBoot: true, kernelLockdown: 'integrity' },
    secureBootRow: '| Secure Boot | on; kernel lockdown integrity |',
  },
  {
    key: 'uefi-http',
    title: 'UEFI HTTP boot (OVMF, vendor class HTTPClient, boot file a URL; Kea)',
    firmware: 'uefi',
    netBoot: 'http',
    dhcp: 'kea',
    ipxeTransport: 'http',
    subnet: '10.77.3',
    serial: 'E2E-PXE-0003',
    mac: '52:54:00:b3:00:03',
    expectStatus: 'staged',
    tokenVia: 'cmdline',
    kernelArgs: [],
    bootFacts: { uefi: true, secureBoot: false, kernelLockdown: 'none' },
    secureBootRow: '| Secure Boot | off; kernel lockdown none |',
  },
  {
    key: 'legacy-pxe',
    title: 'legacy BIOS PXE (SeaBIOS, iPXE over HTTP; dnsmasq)',
    firmware: 'bios',
    netBoot: 'pxe',
    dhcp: 'dnsmasq',
    ipxeTransport: 'http',
    subnet: '10.77.1',
    serial: 'E2E-PXE-0001',
    mac: '52:54:00:b3:00:01',
    expectStatus: 'staged',
    tokenVia: 'cmdline',
    kernelArgs: [],
    bootFacts: { uefi: false, secureBoot: null, kernelLockdown: 'none' },
    secureBootRow: '| Secure Boot | legacy BIOS boot; kernel lockdown none |',
  },
  {
    key: 'legacy-tftp-failed',
    title: 'a server NetBox does not match (legacy BIOS PXE, iPXE over TFTP; dnsmasq)',
    firmware: 'bios',
    netBoot: 'pxe',
    dhcp: 'dnsmasq',
    ipxeTransport: 'tftp',
    subnet: '10.77.4',
    serial: 'E2E-PXE-0004',
    mac: '52:54:00:b3:00:04',
    expectStatus: 'failed',
    // NetBox expects far more memory than the VM has: 01-init fails the run.
    localContext: { bm_expect: { memoryGB: 4096 } },
    tokenVia: 'cmdline',
    // The verdict is 01-init's: the other steps still run, as small as they go.
    kernelArgs: ['bm.memory.size_mb=8'],
    bootFacts: { uefi: false, secureBoot: null, kernelLockdown: 'none' },
    secureBootRow: '| Secure Boot | legacy BIOS boot; kernel lockdown none |',
  },
];

/** BM_E2E_ONLY=key,key boots only those variants (while working on one); the others' tests are skipped, loudly. */
const ONLY = process.env.BM_E2E_ONLY?.split(',').filter(Boolean);
const SELECTED = VARIANTS.filter((v) => !ONLY || ONLY.includes(v.key));
if (ONLY) process.stderr.write(`\n!!! BM_E2E_ONLY: booting only ${SELECTED.map((v) => v.key).join(', ')}; the other variants' tests are skipped\n\n`);

/** How many VMs boot at once: one per core (TCG keeps one core busy per VM), BM_E2E_PARALLEL to override. */
const PARALLEL = Number(process.env.BM_E2E_PARALLEL ?? Math.max(1, availableParallelism()));
/** One vCPU each when VMs share the cores, two when a VM has the machine to itself; BM_E2E_VM_CPUS overrides. */
const VM_CPUS = Number(process.env.BM_E2E_VM_CPUS ?? (PARALLEL > 1 ? 1 : 2));

/** Serial console lines whose first appearance is timed (ms after qemu's start). */
const MILESTONES: Record<string, RegExp> = {
  firmwareNetBoot: /Start (PXE|HTTP Boot) over IPv4|iPXE initialising|iPXE \d/,
  loader: /bm-agent: booting/,
  systemd: /Welcome to \S*Debian/,
  agentStart: /bm-agent-boot: starting bm-agent run/,
};
/** bm-agent-boot's line when the agent ended without a verdict (exit 2 config, 3 NetBox unreachable, 4 internal). */
const NO_VERDICT = /bm-agent exited with code [2-9]/;
/** A console showing one of these will not reach the agent: fail now, not at the deadline. */
const STUCK = /grub> |grub rescue>|Access Denied|Security Violation|Verification failed|Kernel panic|No bootable option or device was found/;

const ready = requirementsMet('network boot of the image in qemu', {
  root: true,
  tools: [
    ...new Set([
      ...PXE_LAB_TOOLS,
      ...VARIANTS.flatMap((v) => DHCP_SERVER_TOOLS[v.dhcp]),
      // A disk image in the boot tree gets the site's grub/site.cfg with mcopy.
      ...(BOOT_FILES.some((f) => f.path.endsWith('.img')) ? ['mcopy'] : []),
    ]),
  ],
  other: [
    ...missingBootFiles(IMAGE_DIR).map((path) => `dist/image/${path} (run make image; make e2e does)`),
    ...missingFirmware(VARIANTS.map((v) => v.firmware)).map((file) => `${file} (Debian package ovmf: make image-deps)`),
  ],
});

interface Journal {
  results: { kind: { value: string }; comments: string }[];
}

/** The site's boot settings (BOOT_VARIABLES by name) for one variant: quick profile, small sizes, power off when done. */
function siteSettings(variant: Variant, lab: LabUrls): Record<string, string> {
  return {
    'netbox-url': lab.netboxUrl,
    // config-url: the token comes with the bm.config_url document, never on the (printed) command line.
    'token-arg': variant.tokenVia === 'cmdline' ? `bm.netbox_token=${TOKEN}` : `bm.config_url=${lab.httpBase}${CONFIG_DOCUMENT}`,
    profile: 'quick',
    'on-finish': 'poweroff',
    extra: [`bm.callback_url=${lab.callbackUrl}`, `bm.evidence_url=${lab.evidenceBase}${variant.serial}.tar.gz`, STEP_SETTINGS, ...variant.kernelArgs].join(
      ' ',
    ),
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

/** What one boot left behind, gathered before its lab is torn down. */
interface Outcome {
  status: string;
  /** ms after qemu's start. */
  timings: { agentStartMs: number; verdictMs: number; poweredOffMs: number; milestones: Record<string, number> };
  journal: Journal;
  callbacks: { json: unknown }[];
  evidenceBase: string;
  /** The uploaded tarball's listing and report.json, or null when nothing was uploaded. */
  evidence: { listing: { exitCode: number; stderr: string; files: string[] }; report: Record<string, unknown> | null; kib: number } | null;
  disks: { partitionedBefore: string; partitionedAfter: string; blankBefore: string; blankAfter: string };
  serial: string;
  serverLog: string;
  daemonLogs: Record<string, string>;
}

/** Boots one variant in its own lab, waits for the verdict and power-off, and gathers the evidence. */
async function boot(variant: Variant): Promise<Outcome> {
  const lab = await createPxeLab({
    subnet: variant.subnet,
    imageDir: IMAGE_DIR,
    dhcp: variant.dhcp,
    ipxeTransport: variant.ipxeTransport,
    netbox: {
      seed: labSeed({
        server: {
          name: 'pxe-e2e-server',
          serial: variant.serial,
          status: 'discovered',
          mac: variant.mac,
          bmcMac: '02:bd:00:00:00:99',
          localContext: variant.localContext,
        },
        switchName: SWITCH,
        switchPort: SWITCH_PORT,
      }),
      token: TOKEN,
    },
    switchName: SWITCH,
    switchPort: SWITCH_PORT,
    site: (urls) => siteSettings(variant, urls),
    files: (): Record<string, string> => (variant.tokenVia === 'config-url' ? { [CONFIG_DOCUMENT]: JSON.stringify({ netbox: { token: TOKEN } }) } : {}),
  });
  const vm = lab.startVm({
    serial: variant.serial,
    mac: variant.mac,
    memoryMiB: 2560,
    cpus: VM_CPUS,
    firmware: variant.firmware,
    netBoot: variant.netBoot,
    disks: [
      { name: 'blank0', sizeMiB: 256, partitioned: false },
      { name: 'parted0', sizeMiB: 256, partitioned: true },
    ],
    milestones: MILESTONES,
  });
  const tails = () => `\n--- serial (tail)\n${vm.serial().slice(-6000)}\n--- boot server (tail)\n${lab.serverLog().slice(-3000)}`;
  try {
    const partitionedBefore = sha256(vm.disks.parted0!);
    const blankBefore = sha256(vm.disks.blank0!);
    const agentStartMs = await vm.waitForSerial('bm-agent-boot: starting bm-agent run', BOOT_TIMEOUT_MS, STUCK).catch((error: Error) => {
      throw new Error(`${variant.key}: ${error.message}${tails()}`);
    });
    let status = 'discovered';
    await waitUntil(
      async () => {
        status = (await lab.netboxGet<{ status: { value: string } }>(`/api/dcim/devices/1/?exclude=config_context`)).status.value;
        // Exit codes 2-4 (config, NetBox unreachable, internal) leave no verdict: no use waiting for one.
        return status !== 'discovered' || vm.exited() || NO_VERDICT.test(vm.serial());
      },
      { timeoutMs: RUN_TIMEOUT_MS, intervalMs: 1000, what: `${variant.key}: the device status to change in NetBox` },
    ).catch((error: Error) => {
      throw new Error(`${error.message}${tails()}`);
    });
    const verdictMs = Date.now() - vm.startedAt;
    if (status === 'discovered') throw new Error(`${variant.key}: the agent left no verdict in NetBox (the device is still discovered)${tails()}`);
    // bm.on_finish=poweroff: qemu (-no-reboot) ends once the agent has delivered everything.
    await waitUntil(() => vm.exited(), { timeoutMs: 120_000, intervalMs: 500, what: `${variant.key}: the VM to power off (bm.on_finish=poweroff)` });
    const poweredOffMs = Date.now() - vm.startedAt;
    await waitUntil(() => lab.callbacks().length > 0, { timeoutMs: 30_000, intervalMs: 250, what: `${variant.key}: the callback` }).catch(() => {});
    const journal = await lab.netboxGet<Journal>('/api/extras/journal-entries/?assigned_object_type=dcim.device&assigned_object_id=1&limit=1000');
    const uploaded = lab.evidenceFile(`${variant.serial}.tar.gz`);
    let evidence: Outcome['evidence'] = null;
    if (uploaded) {
      const listing = Bun.spawnSync(['tar', '-tzf', uploaded], { stdout: 'pipe', stderr: 'pipe' });
      const files = listing.stdout.toString().split('\n').filter(Boolean);
      const reportEntry = files.find((f) => f.endsWith('/report.json'));
      const report = reportEntry ? JSON.parse(Bun.spawnSync(['tar', '-xzOf', uploaded, reportEntry], { stdout: 'pipe' }).stdout.toString()) : null;
      evidence = { listing: { exitCode: listing.exitCode, stderr: listing.stderr.toString(), files }, report, kib: Math.round(statSync(uploaded).size / 1024) };
    }
    const daemonLogs = Object.fromEntries(
      ['dnsmasq', 'dnsmasq-tftp', 'dhcpd', 'kea-dhcp4', 'httpd'].flatMap((name) => {
        try {
          return [[name, lab.daemonLog(name)]];
        } catch {
          return [];
        }
      }),
    );
    return {
      status,
      timings: { agentStartMs, verdictMs, poweredOffMs, milestones: vm.milestones() },
      journal,
      callbacks: lab.callbacks(),
      evidenceBase: lab.evidenceBase,
      evidence,
      disks: { partitionedBefore, partitionedAfter: sha256(vm.disks.parted0!), blankBefore, blankAfter: sha256(vm.disks.blank0!) },
      serial: vm.serial(),
      serverLog: lab.serverLog(),
      daemonLogs,
    };
  } finally {
    mkdirSync(RESULTS, { recursive: true });
    copyFileSync(vm.serialLog, join(RESULTS, `e2e-${variant.key}-serial.log`));
    writeFileSync(join(RESULTS, `e2e-${variant.key}-boot-server.log`), lab.serverLog());
    console.log(`${variant.key}: serial console .test-results/e2e-${variant.key}-serial.log`);
    await lab.close();
  }
}

const firstLines = (journal: Journal) => journal.results.map((j) => j.comments.split('\n')[0]!);
const stepEntry = (journal: Journal, id: string) => journal.results.find((j) => j.comments.startsWith(`**bm-agent ${id} `))?.comments ?? '';
const stepMetrics = (outcome: Outcome, id: string) =>
  ((outcome.evidence?.report?.steps ?? []) as { id: string; metrics: Record<string, unknown> }[]).find((s) => s.id === id)?.metrics;

/** What every variant that ends staged must show: the same as the legacy boot always had to. */
function expectStaged(variant: Variant, outcome: Outcome): void {
  expect(outcome.status).toBe('staged');
  // Every step journaled, then the verdict.
  const lines = firstLines(outcome.journal);
  for (const id of ['01-init', '02-memory', '03-disk', '04-lldp']) expect(lines.filter((l) => l.startsWith(`**bm-agent ${id} `))).toHaveLength(1);
  expect(lines.at(-1)).toContain('Validation PASSED');
  // The LLDP neighbour on the VM's NIC is the switch and port NetBox's cable ends on.
  const lldp = stepEntry(outcome.journal, '04-lldp');
  expect(lldp).toContain(SWITCH);
  expect(lldp).toContain(SWITCH_PORT);
  expect(lldp).toMatch(/match/i);
  // The callback, with the verdict.
  expect(outcome.callbacks).toHaveLength(1);
  expect(outcome.callbacks[0]!.json).toMatchObject({ verdict: 'pass', status: 'staged', device: { id: 1 } });
  // The partitioned disk was only read; the blank one was write-tested.
  expect(outcome.disks.partitionedAfter).toBe(outcome.disks.partitionedBefore);
  expect(outcome.disks.blankAfter).not.toBe(outcome.disks.blankBefore);
  // The evidence bundle survived power-off: nginx's WebDAV holds the tarball, report.json in it; the final journal entry links it.
  const url = `${outcome.evidenceBase}${variant.serial}.tar.gz`;
  expect(outcome.evidence).not.toBeNull();
  expect({ exitCode: outcome.evidence!.listing.exitCode, stderr: outcome.evidence!.listing.stderr }).toEqual({ exitCode: 0, stderr: '' });
  expect(outcome.evidence!.report).toMatchObject({ verdict: 'pass', evidence: { url } });
  expect(outcome.journal.results.at(-1)!.comments).toContain(`**Evidence**: <${url}>`);
  // This variant's DHCP server gave the lease; the image was served; the token never reached the console.
  expect(outcome.serverLog).toMatch(leaseAckPattern(variant.dhcp, variant.mac));
  expect(outcome.serial).not.toContain(TOKEN);
  // How it booted, as the agent saw it (agent/lockdown.ts), in the report and in the journal.
  expect(stepMetrics(outcome, '01-init')).toMatchObject(variant.bootFacts);
  expect(stepEntry(outcome.journal, '01-init')).toContain(variant.secureBootRow);
}

function recordTimes(variant: Variant, outcome: Outcome, extra: Record<string, unknown> = {}): void {
  const s = (ms: number | undefined) => (ms === undefined ? null : ms / 1000);
  const m = outcome.timings.milestones;
  record(`e2e-${variant.key}`, {
    firmware: variant.firmware,
    netBoot: variant.netBoot,
    dhcp: variant.dhcp,
    vmCpus: VM_CPUS,
    parallel: PARALLEL,
    qemuStartToFirmwareNetBootS: s(m.firmwareNetBoot),
    qemuStartToLoaderS: s(m.loader),
    qemuStartToSystemdS: s(m.systemd),
    qemuStartToAgentStartS: s(outcome.timings.agentStartMs),
    [`qemuStartTo${outcome.status[0]!.toUpperCase()}${outcome.status.slice(1)}S`]: s(outcome.timings.verdictMs),
    qemuStartToPowerOffS: s(outcome.timings.poweredOffMs),
    evidenceTarballKiB: outcome.evidence?.kib ?? null,
    ...extra,
  });
}

const byKey = (key: string) => VARIANTS.find((v) => v.key === key)!;
const booted = (key: string) => SELECTED.some((v) => v.key === key);

describe.skipIf(!ready)('network boot of the bm-agent image, legacy BIOS, UEFI Secure Boot and UEFI HTTP (qemu, TCG)', () => {
  let outcomes: Record<string, Promise<Outcome>>;
  let suiteStartedAt = 0;
  const finished: { key: string; outcome?: Outcome; error?: string }[] = [];

  beforeAll(() => {
    suiteStartedAt = Date.now();
    console.log(`[e2e] ${SELECTED.length} boots, ${PARALLEL} at a time, ${VM_CPUS} vCPU each`);
    outcomes = runPool(
      SELECTED.map((variant) => ({
        key: variant.key,
        run: () =>
          boot(variant).then(
            (outcome) => {
              finished.push({ key: variant.key, outcome });
              return outcome;
            },
            (error: Error) => {
              finished.push({ key: variant.key, error: error.message.split('\n')[0] });
              throw error;
            },
          ),
      })),
      PARALLEL,
    );
  });

  afterAll(async () => {
    // Every boot has ended (or failed) before the summary; a test that failed early does not cut the others short.
    await Promise.allSettled(Object.values(outcomes ?? {}));
    const totalS = (Date.now() - suiteStartedAt) / 1000;
    console.log('\n[e2e] boot times (s after qemu start): variant — agent start / verdict / power-off');
    for (const { key, outcome, error } of finished) {
      if (outcome) {
        const t = outcome.timings;
        console.log(`[e2e]   ${key.padEnd(22)} ${t.agentStartMs / 1000} / ${t.verdictMs / 1000} (${outcome.status}) / ${t.poweredOffMs / 1000}`);
      } else console.log(`[e2e]   ${key.padEnd(22)} FAILED: ${error}`);
    }
    console.log(`[e2e] all boots: ${totalS.toFixed(1)} s wall clock, ${PARALLEL} at a time`);
    record('e2e-total', { wallClockS: totalS, parallel: PARALLEL, vmCpus: VM_CPUS, boots: SELECTED.length });
  });

  test.skipIf(!booted('legacy-pxe'))(
    'legacy BIOS PXE: a server with a blank and a partitioned disk is validated and staged (iPXE over HTTP, dnsmasq)',
    async () => {
      const variant = byKey('legacy-pxe');
      const outcome = await outcomes[variant.key]!;
      expectStaged(variant, outcome);
      // The chain: the NIC's iPXE ran the site script, boot.ipxe came over HTTP.
      expect(outcome.daemonLogs.httpd).toMatch(/url:\/site\.ipxe/);
      expect(outcome.daemonLogs.httpd).toMatch(/url:\/boot\.ipxe/);
      expect(outcome.daemonLogs.httpd).toMatch(/url:\/initrd\.zst/);
      const sizes = initrdSizes();
      expect(sizes.zstdMiB).toBeLessThanOrEqual(INITRD_BUDGET_MIB);
      recordTimes(variant, outcome, { initrdZstdMiB: sizes.zstdMiB, initrdUnpackedMiB: sizes.unpackedMiB });
    },
  );

  test.skipIf(!booted('uefi-pxe-secureboot'))(
    'UEFI PXE with Secure Boot enforced: shim → GRUB → kernel, the kernel locked down, validated and staged (ISC dhcpd)',
    async () => {
      const variant = byKey('uefi-pxe-secureboot');
      const outcome = await outcomes[variant.key]!;
      expectStaged(variant, outcome);
      // The firmware's PXE fetched shim over TFTP, shim fetched GRUB, GRUB its config and the image.
      for (const file of ['shimx64.efi', 'grubx64.efi', 'grub/grub.cfg', 'grub/site.cfg', 'vmlinuz', 'initrd.zst']) {
        expect(outcome.daemonLogs['dnsmasq-tftp']).toMatch(new RegExp(`sent \\S*/boot/${file.replaceAll('.', '\\.')} to`));
      }
      // The kernel saw Secure Boot on and locked itself down (Debian's kernel does so under Secure Boot).
      expect(outcome.serial).toContain('secureboot: Secure boot enabled');
      // (Debian 12's 6.1 says "from EFI Secure Boot;", later kernels "from EFI Secure Boot mode;".)
      expect(outcome.serial).toMatch(/Kernel is locked down from EFI Secure Boot( mode)?; see man kernel_lockdown\.7/);
      // The token came with the bm.config_url document, not on the command line the kernel printed.
      expect(outcome.daemonLogs.httpd).toMatch(new RegExp(`url:/${CONFIG_DOCUMENT}`));
      expect(outcome.serial).toMatch(/Kernel command line: .*bm\.config_url=/);
      recordTimes(variant, outcome);
    },
  );

  test.skipIf(!booted('uefi-http'))('UEFI HTTP boot: the firmware fetches the chain by URL, validated and staged (Kea)', async () => {
    const variant = byKey('uefi-http');
    const outcome = await outcomes[variant.key]!;
    expectStaged(variant, outcome);
    // The firmware asked as an HTTP client and got a URL (firstBootFile: what the generated configs hand out);
    // everything came over HTTP: the TFTP server next to Kea sent nothing.
    const first = new URL(firstBootFile('uefi-http', { httpBase: 'http://boot.invalid/' })).pathname;
    expect(outcome.daemonLogs.httpd).toContain(`url:${first}`);
    expect(outcome.daemonLogs['dnsmasq-tftp']).not.toMatch(/sent /);
    expect(outcome.serial).toMatch(/Start HTTP Boot over IPv4/);
    recordTimes(variant, outcome);
  });

  test.skipIf(!booted('legacy-tftp-failed'))(
    'a server that does not match NetBox fails validation and is marked failed (iPXE over TFTP, dnsmasq)',
    async () => {
      const variant = byKey('legacy-tftp-failed');
      const outcome = await outcomes[variant.key]!;
      expect(outcome.status).toBe('failed');
      const final = outcome.journal.results.at(-1)!.comments;
      expect(final).toContain('Validation FAILED');
      expect(final).toMatch(/01-init: .*memory/i);
      expect(outcome.callbacks[0]?.json).toMatchObject({ verdict: 'fail', status: 'failed' });
      expect(outcome.disks.partitionedAfter).toBe(outcome.disks.partitionedBefore);
      expect(outcome.serverLog).toMatch(/sent .*initrd\.zst/);
      expect(outcome.serial).toContain('bm-agent exited with code 1');
      recordTimes(variant, outcome);
    },
  );
});
