/**
 * `bm-hook [--config FILE] [--no-drain] commit [--] IP MAC [HOSTNAME]`: dhcpd's entry.
 * main.ts serves it on the fast path (fast-path.ts, ingest.ts), where every argument
 * after `commit` is lease data; this yargs command is its help text, and refuses what
 * reaches it (more than three arguments after `commit`, or options the fast path does
 * not take), so the full CLI never reads a client's hostname as an option either.
 */
import type { Argv } from 'yargs';
import { UsageError } from '../../shared/cli/shell.ts';
import type { CliContext } from '../context.ts';

/** How dhcpd must call the hook; in the help text and in the refusal. */
export const COMMIT_USAGE = 'bm-hook [--config FILE] [--no-drain] commit [--] IP MAC [HOSTNAME]';

export const commitCommand = (_ctx: CliContext) => ({
  command: 'commit [ip] [mac] [hostname]',
  describe: "dhcpd's on-commit entry: spool a BMC lease and return at once (options before `commit`)",
  builder: (y: Argv) =>
    y
      .usage(
        `${COMMIT_USAGE}\n\ndhcpd's on-commit entry: spool a BMC lease and return at once. Every argument after \`commit\` ` +
          'is lease data (a client hostname "--help" is a hostname), so options go before it. This help: bm-hook --help commit',
      )
      .positional('ip', { type: 'string', describe: 'leased IPv4 address' })
      .positional('mac', { type: 'string', describe: 'client MAC, any form (94:40:c9:1:a:56 too)' })
      .positional('hostname', { type: 'string', describe: 'client hostname (optional; dropped when not a valid hostname)' })
      .option('drain', { type: 'boolean', default: true, describe: 'start a detached drainer (--no-drain before `commit`: spool only)' }),
  handler: () => {
    throw new UsageError(`commit takes at most IP MAC HOSTNAME after it, and no options there; call it as ${COMMIT_USAGE}`);
  },
});
