/** `bm-hook fsm`: the state machine, from the table the code runs. */
import type { Argv } from 'yargs';
import type { CliContext } from '../context.ts';
import { renderFsmDot } from '../fsm-dot.ts';
import { FSM } from '../fsm.ts';

export const fsmCommand = (ctx: CliContext) => ({
  command: 'fsm',
  describe: 'print the lease state machine (a table, or Graphviz with --dot)',
  builder: (y: Argv) => y.option('dot', { type: 'boolean', default: false, describe: 'Graphviz dot output' }),
  handler: (args: { dot?: boolean }) => {
    if (args.dot) {
      ctx.print(renderFsmDot().trimEnd());
      return;
    }
    for (const row of FSM) {
      ctx.print(`${row.from.join('|').padEnd(30)} ${row.when.join('|').padEnd(34)} ${(row.actions.join(', ') || '-').padEnd(52)} ${row.note}`);
    }
  },
});
