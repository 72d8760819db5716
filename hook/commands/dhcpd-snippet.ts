/** `bm-hook dhcpd-snippet`: the `on commit` block for dhcpd.conf, from the configured OUIs. */
import type { Argv } from 'yargs';
import { loadHookConfig, ouiSetOf } from '../config.ts';
import type { CliContext } from '../context.ts';
import { renderDhcpdSnippet } from '../dhcpd-snippet.ts';

export const dhcpdSnippetCommand = (ctx: CliContext) => ({
  command: 'dhcpd-snippet',
  describe: 'print the dhcpd.conf `on commit` block (OUI guard, zero-padded MAC, execute)',
  builder: (y: Argv) => y.option('hook-path', { type: 'string', describe: 'path dhcpd executes (default: config hookPath)' }),
  handler: (args: { config?: string; hookPath?: string }) => {
    const config = loadHookConfig({ path: args.config, env: ctx.env });
    ctx.print(renderDhcpdSnippet({ hookPath: args.hookPath ?? config.hookPath, ouis: ouiSetOf(config).entries }));
  },
});
