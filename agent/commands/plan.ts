/**
 * `bm-agent plan`: what `run` would do on this machine — each disk and the
 * destructive guard's decision, the memory test's size, the NICs LLDP waits
 * on, each step's time limit. Reads only; runs no test. Each answer comes from
 * the module the step itself uses (disk/gather.ts, memory/facts.ts,
 * lldp/select.ts), so the plan cannot drift from the run. With NetBox
 * configured it runs 01-init itself (inventory and the device lookup; it
 * writes nothing) so NetBox's say on writing disks counts exactly as in `run`;
 * `--dry-run` shows what `run --dry-run` does (no disk written).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { resolveNetboxToken } from '../../shared/config.ts';
import { createLogger, type Logger } from '../../shared/log.ts';
import { createNetboxClient, type Device, type NetboxClient } from '../../shared/netbox/index.ts';
import type { CliContext } from '../context.ts';
import { gatherDiskPlan } from '../disk/gather.ts';
import { createEvidenceStore } from '../evidence.ts';
import { readPhysicalNics } from '../inventory/nics.ts';
import { nicsToCheck, splitNicList } from '../lldp/select.ts';
import { planFromFacts, readMemoryFacts } from '../memory/facts.ts';
import { fioReserveEstimateBytes } from '../pipeline.ts';
import { markdownTable } from '../report.ts';
import { type INIT_TUNABLES, initStep } from '../steps/01-init.ts';
import { REPORT_STEP_ID, VALIDATION_STEPS } from '../steps/index.ts';
import { REPORT_TUNABLES } from '../steps/05-report.ts';
import { createToolRunner, type ToolRunner } from '../tools/run-tool.ts';
import type { AnyTunableValues, Profile, Step, StepDefinition, StepResult } from '../step.ts';
import { resolveAllTunables, type TunableValues } from '../tunables.ts';
import { formatBytes, formatSeconds } from '../../shared/units.ts';
import { loadConfigFor, RUN_OPTIONS, tunableLayersOf, type RunArgs } from './run.ts';

/** What NetBox said about this machine, for the plan: its device (as 01-init found it) or why there is none. */
export interface PlanNetboxView {
  consulted: boolean;
  device: Device | undefined;
  /** 01-init's summary: which device was found and how, or why none was. */
  summary: string;
}

/**
 * 01-init's device, found the way `run` finds it (the step itself runs, against a throwaway evidence directory):
 * whatever NetBox says on writing disks then counts in the plan as in the run. Never throws for NetBox trouble.
 */
export async function netboxViewForPlan(options: {
  netbox: NetboxClient | null;
  profile: Profile;
  tunables: TunableValues<typeof INIT_TUNABLES>;
  run: ToolRunner;
  log: Logger;
  /** 01-init (a stand-in in tests). */
  init?: StepDefinition<'01-init', typeof INIT_TUNABLES>;
}): Promise<PlanNetboxView> {
  if (!options.netbox) return { consulted: false, device: undefined, summary: 'not configured: only the settings here decide' };
  const init = options.init ?? initStep;
  const dir = mkdtempSync(join(tmpdir(), 'bm-agent-plan-'));
  try {
    const signal = AbortSignal.timeout(init.timeoutMs({ profile: options.profile, tunables: options.tunables }));
    let result: StepResult;
    try {
      result = await init.run(
        {
          profile: options.profile,
          tunables: options.tunables,
          signal,
          log: options.log.child({ step: init.id }),
          evidence: createEvidenceStore(dir),
          run: options.run,
          netbox: options.netbox,
          reservedForOtherStepsBytes: 0,
          results: {},
          dryRun: true,
        },
        () => {},
      );
    } catch (error) {
      return { consulted: true, device: undefined, summary: `01-init failed: ${(error as Error).message}` };
    }
    const device = result.outputs?.device;
    return { consulted: true, device, summary: device ? result.summary : `no device: ${result.summary}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The NICs 04-lldp would listen on for this `bm.lldp.interfaces` setting (the same choice as the step's). */
export function plannedLldpNics(interfacesSetting: string, sysRoot = '/sys'): string[] {
  return nicsToCheck({ configured: splitNicList(interfacesSetting), physical: readPhysicalNics(sysRoot) }).nics;
}

export const planCommand = (ctx: CliContext) => ({
  command: 'plan',
  describe: 'show what run would do here: disks and the guard’s decision, memory size, NICs, time limits',
  builder: (y: Argv) =>
    y.options({
      profile: RUN_OPTIONS.profile,
      set: RUN_OPTIONS.set,
      'cmdline-file': RUN_OPTIONS['cmdline-file'],
      json: RUN_OPTIONS.json,
      'dry-run': { type: 'boolean', default: false, describe: 'show what run --dry-run would do (no disk is written)' },
      'netbox-url': RUN_OPTIONS['netbox-url'],
      'token-file': RUN_OPTIONS['token-file'],
    }),
  handler: async (args: RunArgs) => {
    const config = await loadConfigFor(args, ctx.env);
    const log = createLogger({ name: 'bm-agent', level: 'warning', write: ctx.writeErr });
    const profile = config.profile;
    const dryRun = args.dryRun === true;
    // 05-report's settings (bm.report.*) are checked too: the same command line must pass here and in run.
    const tunables = resolveAllTunables([...VALIDATION_STEPS, { id: REPORT_STEP_ID, tunables: REPORT_TUNABLES }], profile, tunableLayersOf(config, args));
    const run = createToolRunner({ log });
    const netbox = config.netbox ? createNetboxClient({ ...config.netbox, token: resolveNetboxToken(config.netbox), logger: log }) : null;
    const view = await netboxViewForPlan({ netbox, profile, tunables: tunables['01-init'], run, log });
    const disk = await gatherDiskPlan({
      run,
      profile,
      tunables: tunables['03-disk'],
      device: view.device,
      dryRun,
      signal: new AbortController().signal,
    });
    const memoryTunables = tunables['02-memory'];
    const memory = planFromFacts(readMemoryFacts(), memoryTunables, fioReserveEstimateBytes(undefined));
    const nics = plannedLldpNics(tunables['04-lldp'].interfaces);
    const steps: readonly Step[] = VALIDATION_STEPS;
    const byId: Readonly<Record<string, AnyTunableValues>> = tunables;
    const limits = steps.map((s) => ({ id: s.id, title: s.title, timeoutMs: s.timeoutMs({ profile, tunables: byId[s.id]! }) }));
    const { allowWriteBy, writeForbiddenBy, writeBlank } = disk.settings;
    const plan = {
      profile,
      dryRun,
      netbox: { consulted: view.consulted, device: view.device ? { id: view.device.id, name: view.device.name } : null, summary: view.summary },
      diskWrites: { allowWriteBy, writeForbiddenBy, writeBlank, dryRun },
      disks: disk.planSet?.disks ?? [],
      diskProblem: disk.problem,
      memory: { ...memory, loops: memoryTunables.loops },
      lldpInterfaces: nics,
      timeLimits: limits,
    };
    if (args.json) {
      ctx.print(JSON.stringify(plan, null, 2));
      return;
    }
    ctx.print(`Profile: ${profile}${dryRun ? ' (dry run: no disk is written)' : ''}\nNetBox: ${view.summary}`);
    ctx.print(`Writing disks that hold data: ${writeSummary(plan.diskWrites)}\n\nDisks${disk.problem ? ` (${disk.problem})` : ''}:`);
    ctx.print(
      markdownTable({
        columns: ['disk', 'size', 'class', 'decision', 'why'],
        rows: plan.disks.map((d) => [d.path, formatBytes(d.sizeBytes), d.mediaClass, d.decision, d.why]),
      }),
    );
    ctx.print(
      `\nMemory: ${memory.insufficient ?? `${memory.totalMiB} MiB in ${memory.processes} memtester process(es) of ${memory.perProcessMiB} MiB, ${memoryTunables.loops} loop(s) (reserve ${formatBytes(memory.reserveBytes)}, limited by ${memory.limitedBy})`}`,
    );
    ctx.print(`LLDP: listens on ${nics.join(', ') || 'no physical NIC'}`);
    ctx.print(`\nTime limits: ${limits.map((l) => `${l.id} ${formatSeconds(l.timeoutMs)}`).join(', ')}`);
  },
});

/** One line on who allows or forbids writing disks that hold data. Pure. */
export function writeSummary(writes: { allowWriteBy: string | null; writeForbiddenBy: readonly string[]; writeBlank: boolean; dryRun: boolean }): string {
  if (writes.dryRun) return 'never (dry run)';
  if (writes.writeForbiddenBy.length) return `forbidden by ${writes.writeForbiddenBy.join(', ')}`;
  if (!writes.writeBlank) return 'never (bm.disk.write_blank=0)';
  return writes.allowWriteBy ? `allowed by ${writes.allowWriteBy}` : 'not allowed (no bm.disk.allow_write=1, nothing in NetBox)';
}
