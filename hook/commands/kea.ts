/**
 * `bm-hook [--config FILE] [--no-drain] kea [--] HOOK_POINT`: Kea run_script's entry; leases come in
 * LEASES4_AT<i>_* variables (ingest.ts). main.ts serves it on the fast path, where everything after
 * `kea` is data (options go before it); this yargs command gives its help text.
 */
import type { Argv } from 'yargs';
import type { CliContext } from '../context.ts';
import { spoolKeaLeases } from '../ingest.ts';

export const keaCommand = (ctx: CliContext) => ({
  command: 'kea [hookPoint] [args..]',
  describe: "Kea's libdhcp_run_script.so entry (acts on leases4_committed; options before `kea`)",
  builder: (y: Argv) =>
    y
      .usage(
        "bm-hook [--config FILE] [--no-drain] kea [--] HOOK_POINT, or as Kea's run_script calls it: bm-hook HOOK_POINT\n\n" +
          "Kea's libdhcp_run_script.so entry (acts on leases4_committed; the leases come in LEASES4_AT<i>_* variables). " +
          'Everything after `kea` (or the hook point) is data, so options go before it. This help: bm-hook --help kea',
      )
      .positional('hookPoint', { type: 'string', describe: 'hook point name Kea passes as argv[1]' })
      .positional('args', { type: 'string', array: true, describe: 'ignored' })
      .option('drain', { type: 'boolean', default: true, describe: 'start a detached drainer (--no-drain before `kea`: spool only)' }),
  handler: (args: { hookPoint?: string; config?: string; drain?: boolean }) => {
    ctx.setExitCode(spoolKeaLeases(ctx, args.hookPoint, args.config, args.drain !== false));
  },
});
