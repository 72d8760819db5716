/**
 * `bm-agent plan`: what `run` would do on this machine — each disk and the
 * destructive guard's decision, the memory test's size, the NICs LLDP waits
 * on, each step's time limit. Reads only; runs no test. Each answer comes from
 * the module the step itself uses (disk/gather.ts, memory/facts.ts,
 * lldp/select.ts), so the plan cannot drift from the run.
 */
import type { Argv } from 'yargs';
import { createLogger } from '../../shared/log.ts';
import type { CliContext } from '../context.ts';
import { gatherDiskPlan } from '../disk/gather.ts';
import { readPhysicalNics } from '../inventory/nics.ts';
import { nicsToCheck, splitNicList } from '../lldp/select.ts';
import { planFromFacts, readMemoryFacts } from '../memory/facts.ts';
import { fioReserveEstimateBytes } from '../pipeline.ts';
import { markdownTable } from '../report.ts';
import { VALIDATION_STEPS } from '../steps/index.ts';
import { createToolRunner } from '../tools/run-tool.ts';
import type { AnyTunableValues, Step } from '../step.ts';
import { parseSetOptions, resolveAllTunables } from '../tunables.ts';
import { formatBytes, formatSeconds } from '../units.ts';
import { loadConfigFor, RUN_OPTIONS, type RunArgs } from './run.ts';

/** The NICs 04-lldp would listen on for this `bm.lldp.interfaces` setting (the same choice as the step's). */
export function plannedLldpNics(interfacesSetting: string, sysRoot = '/sys'): string[] {
  return nicsToCheck({ configured: splitNicList(interfacesSetting), physical: readPhysicalNics(sysRoot) }).nics;
}

export const planCommand = (ctx: CliContext) => ({
  command: 'plan',
  describe: 'show what run would do here: disks and the guard’s decision, memory size, NICs, time limits',
  builder: (y: Argv) => y.options({ profile: RUN_OPTIONS.profile, set: RUN_OPTIONS.set, 'cmdline-file': RUN_OPTIONS['cmdline-file'], json: RUN_OPTIONS.json }),
  handler: async (args: RunArgs) => {
    const config = await loadConfigFor(args, ctx.env);
    const log = createLogger({ name: 'bm-agent', level: 'warning', write: ctx.writeErr });
    const layers = [
      { source: 'config', values: config.steps },
      { source: '--set', values: parseSetOptions(args.set ?? []) },
    ];
    const profile = config.profile;
    const tunables = resolveAllTunables(VALIDATION_STEPS, profile, layers);
    const run = createToolRunner({ log });
    const disk = await gatherDiskPlan({ run, profile, tunables: tunables['03-disk'], signal: new AbortController().signal });
    const memoryTunables = tunables['02-memory'];
    const memory = planFromFacts(readMemoryFacts(), memoryTunables, fioReserveEstimateBytes(undefined));
    const nics = plannedLldpNics(tunables['04-lldp'].interfaces);
    const steps: readonly Step[] = VALIDATION_STEPS;
    const byId: Readonly<Record<string, AnyTunableValues>> = tunables;
    const limits = steps.map((s) => ({ id: s.id, title: s.title, timeoutMs: s.timeoutMs({ profile, tunables: byId[s.id]! }) }));
    const plan = {
      profile,
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
    ctx.print(`Profile: ${profile}\n\nDisks${disk.problem ? ` (${disk.problem})` : ''}:`);
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
