/** `bm-agent evaluate --evidence DIR`: re-judge a saved run from its raw outputs. */
import type { Argv } from 'yargs';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { EXIT } from '../../shared/cli/exit-codes.ts';
import type { CliContext } from '../context.ts';
import { reevaluateBundle } from '../evaluate.ts';
import { markdownTable, reportProblems } from '../report.ts';

export const evaluateCommand = (ctx: CliContext) => ({
  command: 'evaluate',
  describe: 're-run the parsers and verdicts on a saved evidence bundle (directory or .tar.gz)',
  builder: (y: Argv) =>
    y
      .option('evidence', { type: 'string', demandOption: true, describe: 'the run directory or its .tar.gz' })
      .option('json', { type: 'boolean', default: false, describe: 'JSON output' }),
  handler: async (args: { evidence: string; json?: boolean }) => {
    let dir = args.evidence;
    if (dir.endsWith('.tar.gz')) {
      const out = mkdtempSync(join(tmpdir(), 'bm-evaluate-'));
      const unpacked = await execa('tar', ['-C', out, '-xzf', dir], { reject: false });
      if (unpacked.exitCode !== 0) throw new Error(`cannot unpack ${dir}: ${String(unpacked.stderr).trim()}`);
      dir = join(out, args.evidence.replace(/^.*\//, '').replace(/\.tar\.gz$/, ''));
    }
    if (!existsSync(dir)) throw new Error(`no evidence bundle at ${args.evidence}`);
    const { report, steps } = await reevaluateBundle(dir);
    const schemaProblems = reportProblems(report);
    const disagreements = steps.filter((s) => s.reevaluated !== null && s.reevaluated !== s.recorded);
    if (args.json) {
      ctx.print(JSON.stringify({ runId: report.runId, verdict: report.verdict, schemaProblems, steps, agree: disagreements.length === 0 }, null, 2));
    } else {
      ctx.print(`run ${report.runId} (${report.profile}, bm-agent ${report.agentVersion}): recorded verdict ${report.verdict.toUpperCase()}`);
      ctx.print(schemaProblems.length ? `report does NOT match the schema: ${schemaProblems.join('; ')}` : 'report matches the published schema');
      ctx.print(
        markdownTable({
          columns: ['step', 'recorded', 're-evaluated', 'note'],
          rows: steps.map((s) => [s.id, s.recorded ?? '–', s.reevaluated ?? '–', s.note]),
        }),
      );
      ctx.print(disagreements.length ? `DIFFERS for ${disagreements.map((d) => d.id).join(', ')}` : 'same verdicts');
    }
    ctx.setExitCode(disagreements.length || schemaProblems.length ? EXIT.failed : EXIT.ok);
  },
});
