/** `bm-hook commit IP MAC [HOSTNAME]`: dhcpd's entry. Spool and return; no network here (ingest.ts). */
import type { Argv } from 'yargs';
import type { CliContext } from '../context.ts';
import { spoolLeases } from '../ingest.ts';

export const commitCommand = (ctx: CliContext) => ({
  command: 'commit [ip] [mac] [hostname]',
  describe: "dhcpd's on-commit entry: spool a BMC lease and return at once",
  builder: (y: Argv) =>
    y
      .positional('ip', { type: 'string', describe: 'leased IPv4 address' })
      .positional('mac', { type: 'string', describe: 'client MAC, any form (94:40:c9:1:a:56 too)' })
      .positional('hostname', { type: 'string', describe: 'client hostname (optional)' })
      .option('drain', { type: 'boolean', default: true, describe: 'start a detached drainer (--no-drain: spool only)' }),
  handler: (args: { ip?: string; mac?: string; hostname?: string; config?: string; drain?: boolean }) => {
    ctx.setExitCode(spoolLeases(ctx, [args], 'dhcpd', args.config, { drain: args.drain !== false }));
  },
});
