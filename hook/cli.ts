/**
 * bm-hook's full command line (yargs): every command, --help, --version. The
 * commit/kea fast path in main.ts avoids loading this module.
 */
import { finishParser, runParser } from '../shared/cli/shell.ts';
import yargs, { type CommandModule } from 'yargs';
import { checkConfigCommand } from './commands/check-config.ts';
import { commitCommand } from './commands/commit.ts';
import { dhcpdSnippetCommand } from './commands/dhcpd-snippet.ts';
import { drainCommand } from './commands/drain.ts';
import { fsmCommand } from './commands/fsm.ts';
import { keaCommand } from './commands/kea.ts';
import { statusCommand } from './commands/status.ts';
import { DEFAULT_CONFIG_PATH } from './config.ts';
import { createCliContext } from './context.ts';

const EPILOGUE = `Config: ${DEFAULT_CONFIG_PATH} (or BM_CONFIG / --config); NETBOX_URL, NETBOX_TOKEN,
NETBOX_TOKEN_FILE and BM_SPOOL_DIR override it. Logs go to stderr and, when
/dev/log exists, to syslog/journald (tag bm-hook).

The commit and kea commands exit 0 when a lease was spooled, ignored (not a BMC)
or rejected as malformed (logged); non-zero only when a BMC lease could not be
written to the spool.`;

/** Parses and runs one bm-hook command line (not the fast path); returns the exit code. */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined>,
  print = (text: string) => process.stdout.write(`${text}\n`),
  writeErr = (line: string) => process.stderr.write(`${line}\n`),
): Promise<number> {
  const ctx = createCliContext(env, print, writeErr);
  const parser = yargs(argv)
    .scriptName('bm-hook')
    .usage('$0 <command> [options]\n\nRecords BMC DHCP leases in NetBox: offline → discovered, BMC IP and oob_ip.')
    .option('config', { type: 'string', describe: `config file (default ${DEFAULT_CONFIG_PATH}, or BM_CONFIG)`, global: true })
    .command(commitCommand(ctx))
    .command(keaCommand(ctx))
    .command(drainCommand(ctx))
    .command(dhcpdSnippetCommand(ctx))
    .command(fsmCommand(ctx))
    .command(checkConfigCommand(ctx) as CommandModule<{ config: string | undefined }>)
    .command(statusCommand(ctx));
  await runParser(finishParser(parser, ctx, EPILOGUE), argv, ctx);
  await ctx.close();
  return ctx.exitCode;
}
