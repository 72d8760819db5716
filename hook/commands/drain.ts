/** `bm-hook drain`: apply the spooled leases to NetBox now. */
import type { Argv } from 'yargs';
import { ConfigError, resolveNetboxToken } from '../../shared/config.ts';
import { EXIT } from '../../shared/cli/exit-codes.ts';
import { createNetboxClient, type NetboxClient } from '../../shared/netbox/index.ts';
import { loadHookConfig, type HookConfig } from '../config.ts';
import type { CliContext } from '../context.ts';
import { drainSpool } from '../drain.ts';
import { pendingNames } from '../spool.ts';

export const drainCommand = (ctx: CliContext) => ({
  command: 'drain',
  describe: 'apply spooled leases to NetBox now (dhcpd/Kea start this detached; a timer may too)',
  builder: (y: Argv) => y.option('budget-ms', { type: 'number', describe: 'keep retrying NetBox this long (default: config drain.budgetMs)' }),
  handler: async (args: { config?: string; budgetMs?: number }) => {
    let config: HookConfig;
    try {
      config = loadHookConfig({ path: args.config, env: ctx.env });
    } catch (error) {
      ctx.logger().error('invalid config; nothing drained, leases stay spooled', { error: (error as Error).message });
      ctx.setExitCode(EXIT.usage);
      return;
    }
    const log = ctx.logger(config.logLevel);
    let client: NetboxClient | null = null;
    let notConfiguredReason: string | undefined;
    try {
      if (!config.netbox) throw new ConfigError('config', [{ key: 'netbox.url', message: 'is required (or set NETBOX_URL)' }]);
      client = createNetboxClient({ ...config.netbox, token: resolveNetboxToken(config.netbox), logger: log });
    } catch (error) {
      notConfiguredReason = (error as Error).message;
      log.error('NetBox not configured; leases stay spooled', { error: notConfiguredReason });
    }
    const budgetMs = args.budgetMs ?? config.drain.budgetMs;
    for (;;) {
      const summary = await drainSpool({
        dir: config.spool.dir,
        client,
        notConfiguredReason,
        ipStatus: config.ip.status,
        defaultPrefixLength: config.ip.defaultPrefixLength,
        ...(config.ip.vrf !== undefined ? { vrf: config.ip.vrf } : {}),
        budgetMs,
        log,
      });
      if (summary.locked) {
        log.debug('another drainer is running; it will take these events');
        return;
      }
      if (summary.applied || summary.failed || summary.remaining) {
        log.info('drain finished', { applied: summary.applied, failed: summary.failed, coalesced: summary.coalesced, waiting: summary.remaining });
      }
      // Events spooled while we held the lock, whose own drainer found it taken.
      if (summary.remaining > 0 || pendingNames(config.spool.dir).length === 0) {
        // Non-zero while leases wait on NetBox, so a timer unit or an operator sees it.
        ctx.setExitCode(summary.remaining > 0 ? EXIT.netbox : EXIT.ok);
        return;
      }
    }
  },
});
