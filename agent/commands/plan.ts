/**
 * `bm-agent plan`: what `run` would do on this machine — each disk and the
 * destructive guard's decision, the memory test's size, the NICs LLDP waits
 * on, each step's time limit. Reads only; runs no test.
 */
import type { Argv } from 'yargs';
import { createLogger } from '../../shared/log.ts';
import type { CliContext } from '../context.ts';
import { formatBytes } from '../disk/plan.ts';
import { fioReserveEstimateBytes } from '../pipeline.ts';
import { markdownTable } from '../report.ts';
import { planFromFacts, readMemoryFacts } from '../steps/02-memory.ts';
import { gatherDiskPlan } from '../steps/03-disk.ts';
import { physicalNicsFromSysfs } from '../steps/04-lldp.ts';
import { VALIDATION_STEPS } from '../steps/index.ts';
import { createToolRunner } from '../tools/run-tool.ts';
import { parseSetOptions, resolveTunables } from '../tunables.ts';
import { loadConfigFor, RUN_OPTIONS, type RunArgs } from './run.ts';

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
    const tunablesOf = new Map(VALIDATION_STEPS.map((s) => [s.id, resolveTunables(s, profile, layers)]));
    const run = createToolRunner({ log });
    const disk = await gatherDiskPlan({ run, profile, tunables: tunablesOf.get('03-disk')!, signal: new AbortController().signal });
    const memoryTunables = tunablesOf.get('02-memory')! as { size_mb: number; processes: number; reserve_mb: number; loops: number };
    const memory = planFromFacts(readMemoryFacts(), memoryTunables, fioReserveEstimateBytes(undefined));
    const lldpSetting = String(tunablesOf.get('04-lldp')!.interfaces ?? '');
    const nics = lldpSetting ? lldpSetting.split(',').map((n) => n.trim()).filter(Boolean) : physicalNicsFromSysfs('/sys');
    const limits = VALIDATION_STEPS.map((s) => ({ id: s.id, title: s.title, timeoutMs: s.timeoutMs({ profile, tunables: tunablesOf.get(s.id)! }) }));
    const plan = { profile, disks: disk.planSet?.disks ?? [], diskProblem: disk.problem, memory: { ...memory, loops: memoryTunables.loops }, lldpInterfaces: nics, timeLimits: limits };
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
    ctx.print(`\nTime limits: ${limits.map((l) => `${l.id} ${Math.round(l.timeoutMs / 1000)} s`).join(', ')}`);
  },
});
