/** `bm-hook kea HOOK_POINT`: Kea run_script's entry; leases come in LEASES4_AT<i>_* variables (ingest.ts). */
import type { Argv } from 'yargs';
import type { CliContext } from '../context.ts';
import { spoolKeaLeases } from '../ingest.ts';

export const keaCommand = (ctx: CliContext) => ({
  command: 'kea [hookPoint] [args..]',
  describe: "Kea's libdhcp_run_script.so entry (acts on leases4_committed)",
  builder: (y: Argv) =>
    y
      .positional('hookPoint', { type: 'string', describe: 'hook point name Kea passes as argv[1]' })
      .positional('args', { type: 'string', array: true, describe: 'ignored' })
      .option('drain', { type: 'boolean', default: true, describe: 'start a detached drainer (--no-drain: spool only)' }),
  handler: (args: { hookPoint?: string; config?: string; drain?: boolean }) => {
    ctx.setExitCode(spoolKeaLeases(ctx, args.hookPoint, args.config, args.drain !== false));
  },
});
