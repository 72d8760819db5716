/**
 * `bm-hook drain`: apply the spooled leases to NetBox now. By hand it tries every waiting
 * event at once; machines (the timer, the .path unit, the drainer `commit` starts) pass
 * `--respect-backoff` so that an outage is not hammered by each of them.
 */
import type { Argv } from 'yargs';
import { ConfigError, resolveNetboxToken } from '../../shared/config.ts';
import { EXIT } from '../../shared/cli/exit-codes.ts';
import { createNetboxClient, type NetboxClient } from '../../shared/netbox/index.ts';
import { loadHookConfig, type HookConfig } from '../config.ts';
import type { CliContext } from '../context.ts';
import { drainSpool } from '../drain.ts';
import { pendingNames } from '../spool.ts';
import { spoolVersionStore } from '../version-cache.ts';

export const drainCommand = (ctx: CliContext) => ({
  command: 'drain',
  describe: 'apply spooled leases to NetBox now (dhcpd/Kea start this detached; a timer may too)',
  builder: (y: Argv) =>
    y.option('budget-ms', { type: 'number', describe: 'keep retrying NetBox this long (default: config drain.budgetMs)' }).option('respect-backoff', {
      type: 'boolean',
      default: false,
      describe: "leave events whose retry back-off has not expired (the timer and dhcpd's drainer pass it); without it, every event is tried now",
    }),
  handler: async (args: { config?: string; budgetMs?: number; respectBackoff?: boolean }) => {
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
      // Off dhcpd's clock: hook defaults wait for a slow NetBox (config-schema.ts); the budget bounds the run (drain.ts).
      client = createNetboxClient({
        ...config.netbox,
        token: resolveNetboxToken(config.netbox),
        logger: log,
        versionStore: spoolVersionStore(config.spool.dir),
      });
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
        ignoreStoredBackoff: !args.respectBackoff,
        bmcInterfaceNames: config.bmc.interfaceNames,
        log,
      });
      if (summary.locked) {
        log.debug('another drainer is running; it will take these events');
        return;
      }
      if (summary.applied || summary.failed || summary.remaining || summary.stuck) {
        log.info('drain finished', {
          applied: summary.applied,
          failed: summary.failed,
          stuck: summary.stuck,
          coalesced: summary.coalesced,
          waiting: summary.remaining,
        });
      }
      // Entries that could not be moved aside (a full disk) stay in new/: running again would not help.
      if (summary.stuck > 0) {
        ctx.setExitCode(EXIT.internal);
        return;
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
