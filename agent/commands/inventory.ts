/** `bm-agent inventory`: what this machine is (system, BIOS, CPUs, DIMMs, disks, NICs, BMC). */
import type { Argv } from 'yargs';
import { createLogger } from '../../shared/log.ts';
import type { CliContext } from '../context.ts';
import { collectInventory } from '../inventory/collect.ts';
import { inventoryTable } from '../inventory/table.ts';
import { markdownTable } from '../report.ts';
import { createToolRunner } from '../tools/run-tool.ts';

export const inventoryCommand = (ctx: CliContext) => ({
  command: 'inventory',
  describe: 'print this machine’s inventory (reads only; no NetBox)',
  builder: (y: Argv) => y.option('json', { type: 'boolean', default: false, describe: 'JSON output' }),
  handler: async (args: { json?: boolean }) => {
    const log = createLogger({ name: 'bm-agent', level: 'warning', write: ctx.writeErr });
    const { inventory, notes } = await collectInventory({ run: createToolRunner({ log }) });
    if (args.json) {
      ctx.print(JSON.stringify({ inventory, notes }, null, 2));
      return;
    }
    ctx.print(markdownTable(inventoryTable(inventory)));
    for (const note of notes) ctx.print(`note: ${note}`);
  },
});
