/**
 * `04-lldp`: which switch port is each NIC plugged into, and is that where
 * NetBox's cable ends?
 *
 * 1. NICs to check (agent/lldp/select.ts, shared with `bm-agent plan`):
 *    `bm.lldp.interfaces`, else every physical NIC sysfs lists (agent/inventory/nics.ts).
 * 2. The device's NetBox interfaces and their far ends (`connected_endpoints`);
 *    a cabled interface whose path ends nowhere is traced to name the patch
 *    panel port it stops at. Each far-end switch's record (serial, primary and
 *    OOB IPs) and interfaces (labels, descriptions, MACs) are read to identify
 *    it from what it sends (agent/lldp/identify.ts).
 * 3. i40e and ice NICs: the firmware LLDP agent swallows LLDP frames, so it is stopped
 *    through the driver's ethtool private flag and put back afterwards (agent/lldp/firmware.ts;
 *    no debugfs: kernel lockdown refuses it).
 * 4. NICs brought up; lldpd started (receive-only, LLDP and CDP, own socket) on exactly them.
 * 5. `lldpcli -f json0 show neighbors details` polled every `poll_ms` until every
 *    awaited NIC (carrier, or cabled in NetBox) has a neighbour, or `deadline_s`.
 * 6. lldpd stopped by PID; the last output saved as evidence and compared with
 *    NetBox (agent/lldp/compare.ts): fail on a mismatch, a missing neighbour or no
 *    link on a cabled port, warn on a neighbour nothing identifies, with a table
 *    NIC / MAC / NetBox says / LLDP sees / VLAN / mgmt IP / verdict.
 */
import { tmpdir } from 'node:os';
import { pause } from '../../shared/pause.ts';
import { causeOf } from '../../shared/failure.ts';
import { getDevice, listDeviceInterfaces, pathStopsShort, traceInterface, type CableTrace, type Interface } from '../../shared/netbox/index.ts';
import { awaitedNics, cablingTable, compareCabling, netboxPortsOf, type CablingComparison, type NetboxPort, type NicObservation } from '../lldp/compare.ts';
import { nicsWithFirmwareLldp, restoreFirmwareLldp, stopFirmwareLldp, type FirmwareLldpAction } from '../lldp/firmware.ts';
import { farDeviceOf, type FarDevice } from '../lldp/identify.ts';
import { nicsToCheck, splitNicList } from '../lldp/select.ts';
import { readPhysicalNics } from '../inventory/nics.ts';
import { errorResult, skipResult, type EvidenceRef, type StepContext, type StepDefinition, type StepResult } from '../step.ts';
import { createLldpdRuntime, DaemonStartError, lldpdArgv, spawnDaemon, type DaemonProcess, type DaemonStarter } from '../tools/lldpd.ts';
import { showNeighbours, showNeighboursArgs } from '../tools/lldpcli.ts';
import { neighboursByInterface, type LldpNeighbour } from '../tools/lldpcli.parse.ts';
import { readLinks, setLinkUp } from '../tools/ip.ts';
import type { LinkState } from '../tools/ip.parse.ts';
import { defineTunables } from '../tunables.ts';

export const NEIGHBOURS_EVIDENCE = '04-lldp/neighbors.json';
export const LLDPD_LOG_EVIDENCE = '04-lldp/lldpd.log';

export interface LldpStepDeps {
  /** Starts lldpd; default Bun.spawn. Tests wrap it to enter a network namespace. */
  startDaemon?: DaemonStarter;
  /** Root of sysfs (NIC discovery and drivers); default `/sys`. */
  sysRoot?: string;
  /** Where lldpd's socket/PID/config directory is created; default the OS temp dir. */
  runtimeDir?: string;
}

export const LLDP_TUNABLES = defineTunables({
  deadline_s: {
    default: 35,
    min: 1,
    unit: 's',
    description:
      'Longest wait for LLDP neighbours, in seconds (switches send every 30 s by default); the wait ends as soon as every linked or cabled NIC has one.',
  },
  interfaces: { default: '', description: 'Comma-separated NICs to check; empty: every physical NIC under /sys/class/net, cabled or not.' },
  poll_ms: { default: 1000, min: 100, unit: 'ms', description: 'How often lldpd is asked for neighbours while waiting, in milliseconds.' },
  require_neighbour: {
    default: true,
    description: 'Fail when a NIC cabled in NetBox (or, without NetBox, a linked NIC) has no LLDP neighbour; off: warn only.',
  },
});

function observe(nics: readonly string[], links: readonly LinkState[], sysfsMacs: ReadonlyMap<string, string | null>): NicObservation[] {
  return nics.map((name) => {
    const link = links.find((l) => l.name === name);
    return { name, mac: link?.mac ?? sysfsMacs.get(name) ?? null, carrier: link?.carrier ?? false };
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

/**
 * NetBox's records of the devices the cables end on, to identify them from what they
 * send. One that cannot be read only narrows the comparison to names: a warning in the log.
 */
async function farDevicesOf(ctx: StepContext, ports: readonly NetboxPort[]): Promise<Map<number, FarDevice>> {
  const far = new Map<number, FarDevice>();
  for (const id of new Set(ports.flatMap((p) => (p.farEnd ? [p.farEnd.deviceId] : [])))) {
    try {
      far.set(id, farDeviceOf(await getDevice(ctx.netbox!, id), await listDeviceInterfaces(ctx.netbox!, id)));
    } catch (error) {
      ctx.log.warning('could not read a far-end switch from NetBox; comparing its device and port names only', { deviceId: id, error });
    }
  }
  return far;
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

export function createLldpStep(deps: LldpStepDeps = {}): StepDefinition<'04-lldp', typeof LLDP_TUNABLES> {
  const sysRoot = deps.sysRoot ?? '/sys';
  const startDaemon = deps.startDaemon ?? spawnDaemon;
  return {
    id: '04-lldp',
    title: 'LLDP neighbours vs NetBox cabling',
    needs: ['01-init'],
    abortable: true,
    tunables: LLDP_TUNABLES,
    timeoutMs: ({ tunables }) => Math.round(tunables.deadline_s * 1000) + 30_000,
    async run(ctx, progress): Promise<StepResult> {
      const tunables = {
        deadlineMs: Math.round(ctx.tunables.deadline_s * 1000),
        interfaces: splitNicList(ctx.tunables.interfaces),
        pollMs: ctx.tunables.poll_ms,
        requireNeighbour: ctx.tunables.require_neighbour,
      };
      const physical = readPhysicalNics(sysRoot);
      const { nics } = nicsToCheck({ configured: tunables.interfaces, physical });
      if (nics.length === 0) return skipResult('no physical NICs to check');
      const sysfsMacs = new Map(physical.map((n) => [n.name, n.mac] as const));
      const ip = { signal: ctx.signal };

      // NetBox's view first: it decides which NICs are worth waiting for.
      let netboxPorts: NetboxPort[] | null = null;
      if (ctx.netbox && ctx.device) {
        try {
          const interfaces: Interface[] = await listDeviceInterfaces(ctx.netbox, ctx.device.id);
          netboxPorts = netboxPortsOf(interfaces, await tracesOfShortPaths(ctx, interfaces));
        } catch (error) {
          return errorResult(
            'could not read the device’s interfaces and cables from NetBox',
            [`${(error as Error).name}: ${(error as Error).message}`],
            [],
            causeOf(error),
          );
        }
      } else {
        ctx.log.info('no NetBox device: LLDP neighbours are reported, not compared');
      }

      const before = await readLinks(ctx.run, ip);
      if (!before.links) return errorResult('could not read the NICs’ link state', [`ip -j link show: ${before.problem}`], [], 'tool-failed');
      const unknown = nics.filter((name) => !before.links!.some((l) => l.name === name));
      if (unknown.length > 0)
        return errorResult(
          `no such NIC: ${unknown.join(', ')}`,
          [`${unknown.join(', ')} ${unknown.length > 1 ? 'do' : 'does'} not exist here (check bm.lldp.interfaces)`],
          [],
          tunables.interfaces.length ? 'config' : 'internal',
        );

      const firmware: FirmwareLldpAction[] = [];
      for (const nic of nicsWithFirmwareLldp(nics, physical)) {
        firmware.push(await stopFirmwareLldp({ run: ctx.run, log: ctx.log, signal: ctx.signal }, nic));
      }
      for (const nic of nics) {
        if (before.links.find((l) => l.name === nic)?.up) continue;
        const problem = await setLinkUp(ctx.run, nic, ip);
        if (problem) ctx.log.warning('could not bring a NIC up', { nic, problem });
      }

      // The far-end switches are read while lldpd listens (never rejects: one that cannot be read is left out).
      const farDevicesRead = netboxPorts ? farDevicesOf(ctx, netboxPorts) : Promise.resolve(new Map<number, FarDevice>());
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
          if (error instanceof DaemonStartError)
            return errorResult(
              error.missing ? 'lldpd is not installed' : 'lldpd could not be started',
              [error.message],
              [],
              error.missing ? 'tool-missing' : 'tool-failed',
            );
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
            return errorResult('lldpd stopped on its own', [`lldpd exited ${code ?? 'by a signal'}${tail ? `: ${tail}` : ''}`], evidence, 'tool-failed');
          }
          const now = await readLinks(ctx.run, ip);
          if (now.links) links = now.links;
          const shown = await showNeighbours(ctx.run, { socketPath, timeoutMs: 5000, signal: ctx.signal });
          if (shown.neighbours) latest = { neighbours: shown.neighbours, raw: shown.result.stdout };
          else lastProblem = shown.problem;
          const elapsed = performance.now() - started;
          if (latest) {
            const { awaited, waiting } = awaitedNics({
              nics: observe(nics, links, sysfsMacs),
              neighbours: neighboursByInterface(latest.neighbours),
              netboxPorts,
            });
            progress({
              fraction: Math.min(1, elapsed / tunables.deadlineMs),
              message: `${awaited.length - waiting.length} of ${awaited.length} NICs have an LLDP neighbour`,
            });
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
        if (ctx.signal.aborted) return errorResult('LLDP check cancelled', [`cancelled after ${waitedMs} ms`], evidence, 'aborted');

        // The final answer, saved as evidence, is what the verdict is based on.
        const final = await showNeighbours(ctx.run, { socketPath, timeoutMs: 5000, signal: ctx.signal, evidenceAs: NEIGHBOURS_EVIDENCE });
        // When that last call fails, the last good poll stands in (and becomes the evidence). A runner
        // built without an evidence store does not save anything: then the step does.
        const neighbours = final.neighbours ?? latest?.neighbours ?? null;
        const raw = final.neighbours || !latest ? final.result.stdout : latest.raw;
        const saved = final.neighbours && final.result.evidence ? final.result.evidence : ctx.evidence.save(NEIGHBOURS_EVIDENCE, raw);
        evidence.push({
          file: saved,
          command: final.result.command,
          exitCode: final.neighbours || !latest ? final.result.exitCode : 0,
          durationMs: final.result.durationMs,
        });
        if (!neighbours)
          return errorResult(
            'lldpd never answered',
            [`lldpcli ${showNeighboursArgs(socketPath).join(' ')}: ${final.problem ?? lastProblem ?? 'no output'}`],
            evidence,
            'tool-failed',
          );
        const finalLinks = (await readLinks(ctx.run, ip)).links ?? links;

        const observations = observe(nics, finalLinks, sysfsMacs);
        const byNic = neighboursByInterface(neighbours);
        const farDevices = await farDevicesRead;
        const comparison = compareCabling({ nics: observations, neighbours: byNic, netboxPorts, farDevices, requireNeighbour: tunables.requireNeighbour });
        const count = (verdict: string) => comparison.rows.filter((r) => r.verdict === verdict).length;
        for (const row of comparison.rows)
          ctx.log[row.severity === 'failure' ? 'warning' : 'info']('lldp', { nic: row.nic, verdict: row.verdict, note: row.note });
        return {
          status: comparison.failures.length > 0 ? 'fail' : 'pass',
          ...(comparison.failures.length > 0 ? { cause: 'check-failed' as const } : {}),
          summary: summaryOf(comparison, nics.length),
          reasons: comparison.failures,
          metrics: {
            nics: nics.length,
            linked: observations.filter((o) => o.carrier).length,
            withNeighbour: observations.filter((o) => (byNic.get(o.name)?.length ?? 0) > 0).length,
            matched: count('match'),
            mismatched: count('mismatch'),
            unidentified: count('unidentified'),
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
          if (!evidence.some((e) => e.file === LLDPD_LOG_EVIDENCE))
            evidence.push({ file: ctx.evidence.save(LLDPD_LOG_EVIDENCE, daemon.output()), command: argv });
        }
        runtime.remove();
        // The firmware agents go back to how they were found (the actions in the result record it).
        for (const action of firmware) await restoreFirmwareLldp({ run: ctx.run, log: ctx.log }, action);
        // No NetBox read outlives the step.
        await farDevicesRead;
      }
    },
  };
}

export const lldpStep = createLldpStep();
