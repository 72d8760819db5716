/**
 * `04-lldp`: which switch port is each NIC plugged into, and is that where
 * NetBox's cable ends?
 *
 * 1. NICs to check: `bm.lldp.interfaces`, else the physical NICs of the
 *    inventory, else those under /sys/class/net with a device behind them.
 * 2. The device's NetBox interfaces and their far ends (`connected_endpoints`);
 *    a cabled interface whose path ends nowhere is traced to name the patch
 *    panel port it stops at.
 * 3. i40e NICs: the firmware LLDP agent swallows LLDP frames, so it is stopped
 *    (`lldp stop` to debugfs where present, else ethtool's `disable-fw-lldp`).
 * 4. NICs brought up; lldpd started (receive-only, own socket) on exactly them.
 * 5. `lldpcli -f json0 show neighbors details` polled every `poll_ms` until every
 *    awaited NIC (carrier, or cabled in NetBox) has a neighbour, or `deadline_s`.
 * 6. lldpd stopped by PID; the last output saved as evidence and compared with
 *    NetBox (agent/lldp/compare.ts): fail on a mismatch or a missing neighbour on
 *    a cabled port, with a table NIC / MAC / NetBox says / LLDP sees / VLAN /
 *    mgmt IP / verdict.
 */
import { existsSync, readdirSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pause } from '../../shared/pause.ts';
import { listDeviceInterfaces, pathStopsShort, traceInterface, type CableTrace, type Interface } from '../../shared/netbox/index.ts';
import { awaitedNics, cablingTable, compareCabling, netboxPortsOf, type CablingComparison, type NetboxPort, type NicObservation } from '../lldp/compare.ts';
import { parseIpLinkJson, type LinkState } from '../lldp/links.ts';
import { errorResult, skipResult, type EvidenceRef, type Step, type StepContext, type StepResult } from '../step.ts';
import { createLldpdRuntime, DaemonStartError, lldpdArgv, spawnDaemon, type DaemonProcess, type DaemonStarter } from '../tools/lldpd.ts';
import { showNeighbours, showNeighboursArgs } from '../tools/lldpcli.ts';
import { neighboursByInterface, type LldpNeighbour } from '../tools/lldpcli.parse.ts';
import { describeToolFailure } from '../tools/run-tool.ts';

export const NEIGHBOURS_EVIDENCE = '04-lldp/neighbors.json';
export const LLDPD_LOG_EVIDENCE = '04-lldp/lldpd.log';

export interface LldpStepDeps {
  /** Starts lldpd; default Bun.spawn. Tests wrap it to enter a network namespace. */
  startDaemon?: DaemonStarter;
  /** Root of sysfs (NIC discovery, drivers, i40e debugfs under `<sysRoot>/kernel/debug`); default `/sys`. */
  sysRoot?: string;
  /** Where lldpd's socket/PID/config directory is created; default the OS temp dir. */
  runtimeDir?: string;
}

interface LldpTunables {
  deadlineMs: number;
  interfaces: string[];
  pollMs: number;
  requireNeighbour: boolean;
}

function tunablesOf(ctx: Pick<StepContext, 'tunables'>): LldpTunables {
  const t = ctx.tunables;
  const number = (value: unknown, fallback: number) => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback);
  return {
    deadlineMs: Math.round(number(t.deadline_s, 35) * 1000),
    interfaces: String(t.interfaces ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    pollMs: Math.max(100, number(t.poll_ms, 1000)),
    requireNeighbour: t.require_neighbour !== false,
  };
}

/** NICs with a device behind them under `<sysRoot>/class/net` (no loopback, bridges, veths, bonds). */
export function physicalNicsFromSysfs(sysRoot: string): string[] {
  const dir = join(sysRoot, 'class/net');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((name) => existsSync(join(dir, name, 'device'))).sort();
}

function driverOf(sysRoot: string, nic: string): string | null {
  try {
    return basename(readlinkSync(join(sysRoot, 'class/net', nic, 'device/driver')));
  } catch {
    return null;
  }
}

export interface FirmwareLldpAction {
  nic: string;
  pciAddress: string | null;
  /** `debugfs`: wrote `lldp stop`; `ethtool`: set disable-fw-lldp; `none`: neither was possible. */
  method: 'debugfs' | 'ethtool' | 'none';
  ok: boolean;
  detail: string;
}

/**
 * Stops the firmware LLDP agent of an i40e NIC: `lldp stop` into
 * `/sys/kernel/debug/i40e/<pci address>/command` when that file exists (older
 * kernels), otherwise `ethtool --set-priv-flags <nic> disable-fw-lldp on`.
 */
async function stopI40eFirmwareLldp(ctx: StepContext, sysRoot: string, nic: string): Promise<FirmwareLldpAction> {
  let pciAddress: string | null = null;
  try {
    pciAddress = basename(realpathSync(join(sysRoot, 'class/net', nic, 'device')));
  } catch {
    // No device link: not a PCI NIC after all.
  }
  const command = pciAddress ? join(sysRoot, 'kernel/debug/i40e', pciAddress, 'command') : null;
  if (command && existsSync(command)) {
    try {
      writeFileSync(command, 'lldp stop');
      ctx.log.info('stopped the i40e firmware LLDP agent', { nic, file: command });
      return { nic, pciAddress, method: 'debugfs', ok: true, detail: `wrote "lldp stop" to ${command}` };
    } catch (error) {
      ctx.log.warning('could not stop the i40e firmware LLDP agent through debugfs', { nic, file: command, error });
    }
  }
  const result = await ctx.run({ tool: 'ethtool', args: ['--set-priv-flags', nic, 'disable-fw-lldp', 'on'], timeoutMs: 10_000, signal: ctx.signal });
  if (result.exitCode === 0) {
    ctx.log.info('stopped the i40e firmware LLDP agent', { nic, via: 'ethtool disable-fw-lldp' });
    return { nic, pciAddress, method: 'ethtool', ok: true, detail: 'ethtool --set-priv-flags disable-fw-lldp on' };
  }
  const detail = `no ${command ?? 'i40e debugfs command file'}; ${describeToolFailure(result)}`;
  ctx.log.warning('i40e firmware LLDP agent left running: neighbours may stay invisible', { nic, detail });
  return { nic, pciAddress, method: 'none', ok: false, detail };
}

async function readLinks(ctx: StepContext): Promise<{ links: LinkState[] | null; problem: string | null }> {
  const result = await ctx.run({ tool: 'ip', args: ['-j', 'link', 'show'], timeoutMs: 5000, signal: ctx.signal });
  if (result.exitCode !== 0) return { links: null, problem: describeToolFailure(result) };
  try {
    return { links: parseIpLinkJson(result.stdout), problem: null };
  } catch (error) {
    return { links: null, problem: (error as Error).message };
  }
}

function observe(nics: readonly string[], links: readonly LinkState[], inventoryMacs: ReadonlyMap<string, string>): NicObservation[] {
  return nics.map((name) => {
    const link = links.find((l) => l.name === name);
    return { name, mac: link?.mac ?? inventoryMacs.get(name) ?? null, carrier: link?.carrier ?? false };
  });
}


/** Traces of the cabled interfaces whose path ends nowhere (a trace that fails only costs the port's name). */
async function tracesOfShortPaths(ctx: StepContext, interfaces: readonly Interface[]): Promise<Map<number, CableTrace>> {
  const traces = new Map<number, CableTrace>();
  for (const iface of interfaces.filter((i) => !i.mgmt_only && pathStopsShort(i))) {
    try {
      traces.set(iface.id, await traceInterface(ctx.netbox!, iface.id));
    } catch (error) {
      ctx.log.warning('could not trace a cable path in NetBox; naming its first hop instead', { interface: iface.name, error });
    }
  }
  return traces;
}

function summaryOf(comparison: CablingComparison, nicCount: number): string {
  const failing = comparison.rows.filter((r) => r.severity === 'failure');
  const matched = comparison.rows.filter((r) => r.verdict === 'match').length;
  const warn = comparison.warnings.length ? `; ${comparison.warnings.length} warning${comparison.warnings.length > 1 ? 's' : ''}` : '';
  if (failing.length > 0) {
    const list = failing.map((r) => `${r.nic ?? r.netboxInterface} (${r.verdict})`).join(', ');
    return comparison.withNetbox ? `cabling differs from NetBox on ${list}${warn}` : `no LLDP neighbour on ${list}${warn}`;
  }
  if (!comparison.withNetbox) {
    const seen = comparison.rows.filter((r) => r.verdict === 'seen').length;
    return `LLDP neighbours on ${seen} of ${nicCount} NICs (no NetBox cabling to compare with)${warn}`;
  }
  const cabled = comparison.rows.filter((r) => r.expected !== null && r.nic !== null).length;
  return `${matched} of ${cabled} cabled NICs are where NetBox says${warn}`;
}

export function createLldpStep(deps: LldpStepDeps = {}): Step {
  const sysRoot = deps.sysRoot ?? '/sys';
  const startDaemon = deps.startDaemon ?? spawnDaemon;
  return {
    id: '04-lldp',
    title: 'LLDP neighbours vs NetBox cabling',
    needs: ['01-init'],
    abortable: true,
    tunables: {
      deadline_s: { default: 35, description: 'Longest wait for LLDP neighbours, in seconds (switches send every 30 s by default); the wait ends as soon as every linked or cabled NIC has one.' },
      interfaces: { default: '', description: 'Comma-separated NICs to check; empty: every physical NIC (inventory, else /sys/class/net).' },
      poll_ms: { default: 1000, description: 'How often lldpd is asked for neighbours while waiting, in milliseconds.' },
      require_neighbour: { default: true, description: 'Fail when a NIC cabled in NetBox (or, without NetBox, a linked NIC) has no LLDP neighbour; off: warn only.' },
    },
    timeoutMs: (ctx) => tunablesOf(ctx).deadlineMs + 30_000,
    async run(ctx, progress): Promise<StepResult> {
      const tunables = tunablesOf(ctx);
      const inventoryNics = ctx.inventory?.nics.filter((n) => n.physical) ?? [];
      const nics = tunables.interfaces.length > 0 ? tunables.interfaces : ctx.inventory ? inventoryNics.map((n) => n.name) : physicalNicsFromSysfs(sysRoot);
      if (nics.length === 0) return skipResult('no physical NICs to check');
      const inventoryMacs = new Map((ctx.inventory?.nics ?? []).map((n) => [n.name, n.mac] as const));

      // NetBox's view first: it decides which NICs are worth waiting for.
      let netboxPorts: NetboxPort[] | null = null;
      if (ctx.netbox && ctx.device) {
        try {
          const interfaces: Interface[] = await listDeviceInterfaces(ctx.netbox, ctx.device.id);
          netboxPorts = netboxPortsOf(interfaces, await tracesOfShortPaths(ctx, interfaces));
        } catch (error) {
          return errorResult('could not read the device’s interfaces and cables from NetBox', [`${(error as Error).name}: ${(error as Error).message}`]);
        }
      } else {
        ctx.log.info('no NetBox device: LLDP neighbours are reported, not compared');
      }

      const before = await readLinks(ctx);
      if (!before.links) return errorResult('could not read the NICs’ link state', [`ip -j link show: ${before.problem}`]);
      const unknown = nics.filter((name) => !before.links!.some((l) => l.name === name));
      if (unknown.length > 0) return errorResult(`no such NIC: ${unknown.join(', ')}`, [`${unknown.join(', ')} ${unknown.length > 1 ? 'do' : 'does'} not exist here (check bm.lldp.interfaces)`]);

      const firmware: FirmwareLldpAction[] = [];
      for (const nic of nics) {
        const driver = inventoryNics.find((n) => n.name === nic)?.driver ?? driverOf(sysRoot, nic);
        if (driver === 'i40e') firmware.push(await stopI40eFirmwareLldp(ctx, sysRoot, nic));
      }
      for (const nic of nics) {
        if (before.links.find((l) => l.name === nic)?.up) continue;
        const result = await ctx.run({ tool: 'ip', args: ['link', 'set', 'dev', nic, 'up'], timeoutMs: 5000, signal: ctx.signal });
        if (result.exitCode !== 0) ctx.log.warning('could not bring a NIC up', { nic, problem: describeToolFailure(result) });
      }

      const runtime = createLldpdRuntime(deps.runtimeDir ?? tmpdir());
      const { socketPath } = runtime;
      const argv = lldpdArgv({ interfaces: nics, socketPath, pidFile: runtime.pidFile, configFile: runtime.configFile });
      const evidence: EvidenceRef[] = [];
      let daemon: DaemonProcess | null = null;
      try {
        ctx.log.info('starting lldpd', { command: argv.join(' ') });
        try {
          daemon = startDaemon(argv);
        } catch (error) {
          if (error instanceof DaemonStartError) return errorResult(error.missing ? 'lldpd is not installed' : 'lldpd could not be started', [error.message]);
          throw error;
        }
        const started = performance.now();
        const deadline = started + tunables.deadlineMs;
        let latest: { neighbours: LldpNeighbour[]; raw: string } | null = null;
        let lastProblem: string | null = null;
        let links: LinkState[] = before.links;
        let allHeardMs: number | null = null;

        for (;;) {
          if (ctx.signal.aborted) break;
          if (daemon.hasExited()) {
            const code = await daemon.exited;
            const tail = daemon.output().trim().split('\n').slice(-3).join(' | ');
            evidence.push({ file: ctx.evidence.save(LLDPD_LOG_EVIDENCE, daemon.output()), command: argv, exitCode: code });
            return errorResult('lldpd stopped on its own', [`lldpd exited ${code ?? 'by a signal'}${tail ? `: ${tail}` : ''}`], evidence);
          }
          const now = await readLinks(ctx);
          if (now.links) links = now.links;
          const shown = await showNeighbours(ctx.run, { socketPath, timeoutMs: 5000, signal: ctx.signal });
          if (shown.neighbours) latest = { neighbours: shown.neighbours, raw: shown.result.stdout };
          else lastProblem = shown.problem;
          const elapsed = performance.now() - started;
          if (latest) {
            const { awaited, waiting } = awaitedNics({ nics: observe(nics, links, inventoryMacs), neighbours: neighboursByInterface(latest.neighbours), netboxPorts });
            progress({ fraction: Math.min(1, elapsed / tunables.deadlineMs), message: `${awaited.length - waiting.length} of ${awaited.length} NICs have an LLDP neighbour` });
            if (awaited.length > 0 && waiting.length === 0) {
              allHeardMs = Math.round(elapsed);
              break;
            }
          } else {
            progress({ fraction: Math.min(1, elapsed / tunables.deadlineMs), message: 'waiting for lldpd' });
          }
          if (performance.now() >= deadline) break;
          await pause(Math.min(tunables.pollMs, Math.max(0, deadline - performance.now())), ctx.signal);
        }
        const waitedMs = Math.round(performance.now() - started);
        if (ctx.signal.aborted) return errorResult('LLDP check cancelled', [`cancelled after ${waitedMs} ms`], evidence);

        // The final answer, saved as evidence, is what the verdict is based on.
        const final = await showNeighbours(ctx.run, { socketPath, timeoutMs: 5000, signal: ctx.signal, evidenceAs: NEIGHBOURS_EVIDENCE });
        // When that last call fails, the last good poll stands in (and becomes the evidence). A runner
        // built without an evidence store does not save anything: then the step does.
        const neighbours = final.neighbours ?? latest?.neighbours ?? null;
        const raw = final.neighbours || !latest ? final.result.stdout : latest.raw;
        const saved = final.neighbours && final.result.evidence ? final.result.evidence : ctx.evidence.save(NEIGHBOURS_EVIDENCE, raw);
        evidence.push({ file: saved, command: final.result.command, exitCode: final.neighbours || !latest ? final.result.exitCode : 0, durationMs: final.result.durationMs });
        if (!neighbours) return errorResult('lldpd never answered', [`lldpcli ${showNeighboursArgs(socketPath).join(' ')}: ${final.problem ?? lastProblem ?? 'no output'}`], evidence);
        const finalLinks = (await readLinks(ctx)).links ?? links;

        const observations = observe(nics, finalLinks, inventoryMacs);
        const byNic = neighboursByInterface(neighbours);
        const comparison = compareCabling({ nics: observations, neighbours: byNic, netboxPorts, requireNeighbour: tunables.requireNeighbour });
        const count = (verdict: string) => comparison.rows.filter((r) => r.verdict === verdict).length;
        for (const row of comparison.rows) ctx.log[row.severity === 'failure' ? 'warning' : 'info']('lldp', { nic: row.nic, verdict: row.verdict, note: row.note });
        return {
          status: comparison.failures.length > 0 ? 'fail' : 'pass',
          summary: summaryOf(comparison, nics.length),
          reasons: comparison.failures,
          metrics: {
            nics: nics.length,
            linked: observations.filter((o) => o.carrier).length,
            withNeighbour: observations.filter((o) => (byNic.get(o.name)?.length ?? 0) > 0).length,
            matched: count('match'),
            mismatched: count('mismatch'),
            missing: count('missing') + comparison.rows.filter((r) => r.verdict === 'no-link' && r.severity !== 'info').length,
            warnings: comparison.warnings.length,
            comparedWithNetbox: comparison.withNetbox,
            deadlineMs: tunables.deadlineMs,
            waitedMs,
            allNeighboursMs: allHeardMs,
            earlyExit: allHeardMs !== null,
          },
          table: cablingTable(comparison),
          evidence,
          details: { rows: comparison.rows, warnings: comparison.warnings, firmwareLldp: firmware, lldpd: argv },
        };
      } finally {
        if (daemon) {
          await daemon.stop();
          // `evidence` is the very array the returned result holds: lldpd's log joins it here.
          if (!evidence.some((e) => e.file === LLDPD_LOG_EVIDENCE)) evidence.push({ file: ctx.evidence.save(LLDPD_LOG_EVIDENCE, daemon.output()), command: argv });
        }
        runtime.remove();
      }
    },
  };
}

export const lldpStep: Step = createLldpStep();
