/** `bm-hook kea HOOK_POINT`: Kea run_script's entry; leases come in LEASES4_AT<i>_* variables. */
import type { Argv } from 'yargs';
import type { CliContext } from '../context.ts';
import { keaLeases, MAX_KEA_LEASES } from '../kea.ts';
import { spoolLeases } from './commit.ts';

/** Spools the BMC leases of one Kea call; the exit status for Kea's log. */
export function spoolKeaLeases(ctx: CliContext, hookPoint: string | undefined, configPath: string | undefined, drain: boolean): number {
  const { leases, truncated } = keaLeases(hookPoint, ctx.env);
  if (truncated) ctx.logger().warning('Kea committed more leases than bm-hook takes at once; the rest wait for renewal', { max: MAX_KEA_LEASES });
  return leases.length ? spoolLeases(ctx, leases, 'kea', configPath, { drain }) : 0;
}

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
