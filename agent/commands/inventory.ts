/** `bm-agent inventory`: what this machine is (system, BIOS, CPUs, DIMMs, disks, NICs, BMC). */
import type { Argv } from 'yargs';
import { createLogger } from '../../shared/log.ts';
import type { CliContext } from '../context.ts';
import { collectInventory } from '../inventory/collect.ts';
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
    const i = inventory;
    const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
    ctx.print(
      markdownTable({
        columns: ['item', 'value'],
        rows: [
          ['system', `${i.system.manufacturer} ${i.system.model}`.trim() || 'unknown'],
          ['serial', i.system.serial || 'unknown'],
          ['BIOS', `${i.bios.vendor} ${i.bios.version}`.trim() || 'unknown'],
          ['CPU', `${i.cpus.sockets} × ${i.cpus.model} (${i.cpus.cores} cores, ${i.cpus.threads} threads)`],
          ['memory', `${gib(i.memory.totalBytes)} in ${i.memory.dimms.length} DIMMs`],
          ...i.disks.map((d): [string, string] => [`disk ${d.name}`, `${gib(d.sizeBytes)} ${d.mediaClass}${d.model ? ` ${d.model}` : ''}${d.serial ? ` s/n ${d.serial}` : ''}`]),
          ...i.nics.filter((n) => n.physical).map((n): [string, string] => [`NIC ${n.name}`, `${n.mac}${n.linkUp ? ' link up' : ''}${n.speedMbps ? ` ${n.speedMbps} Mb/s` : ''}`]),
          ['BMC', i.bmc ? `${i.bmc.ip ?? '?'} (${i.bmc.mac ?? '?'})` : 'not visible'],
        ],
      }),
    );
    for (const note of notes) ctx.print(`note: ${note}`);
  },
});
