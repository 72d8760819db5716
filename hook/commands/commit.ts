/** `bm-hook commit IP MAC [HOSTNAME]`: dhcpd's entry. Spool and return; no network here. */
import type { Argv } from 'yargs';
import { macMatchesOui } from '../../shared/mac.ts';
import { defaultHookConfig, loadHookConfig, ouiSetOf, type HookConfig } from '../config.ts';
import type { CliContext } from '../context.ts';
import { parseLease, type LeaseSource } from '../lease.ts';
import { appendEvent, coalesceByMac, ensureSpool } from '../spool.ts';
import { spawnDrainer } from '../spawn-drainer.ts';
import { join } from 'node:path';

export interface RawLease {
  ip?: string;
  mac?: string;
  hostname?: string;
}

/**
 * Shared by `commit` and `kea`: validate, filter by OUI, spool durably, start a
 * drainer. Exit status 0 unless a valid BMC lease could not be spooled.
 */
export function spoolLeases(ctx: CliContext, leases: readonly RawLease[], source: LeaseSource, configPath: string | undefined, options: { drain: boolean }): number {
  let config: HookConfig;
  const bootLog = ctx.logger();
  try {
    config = loadHookConfig({ path: configPath, env: ctx.env });
  } catch (error) {
    bootLog.error('invalid config; spooling with defaults, NetBox updates wait until it is fixed', { error: (error as Error).message });
    config = defaultHookConfig(ctx.env);
  }
  const log = ctx.logger(config.logLevel);
  const ouis = ouiSetOf(config).set;
  let spooled = 0;
  let exitCode = 0;
  for (const raw of leases) {
    const parsed = parseLease(raw.ip, raw.mac, raw.hostname, source, new Date());
    if (!parsed.ok) {
      log.warning('malformed lease ignored', { source, reason: parsed.reason });
      continue;
    }
    const { event } = parsed;
    if (!macMatchesOui(event.mac, ouis)) {
      log.debug('not a BMC MAC; ignored', { mac: event.mac, ip: event.ip });
      continue;
    }
    try {
      ensureSpool(config.spool.dir);
      const removed = coalesceByMac(config.spool.dir, config.spool.maxEvents);
      if (removed > 0) log.warning('spool full; coalesced older events by MAC (newest per MAC kept)', { removed, max: config.spool.maxEvents });
      const name = appendEvent(config.spool.dir, event);
      log.info('BMC lease spooled', { mac: event.mac, ip: event.ip, hostname: event.hostname ?? undefined, event: name });
      spooled++;
    } catch (error) {
      log.error('cannot spool BMC lease; it is lost unless DHCP renews', { mac: event.mac, ip: event.ip, spool: config.spool.dir, error: (error as Error).message });
      exitCode = 1;
    }
  }
  if (spooled > 0 && options.drain) {
    try {
      spawnDrainer(configPath ? ['--config', configPath] : [], join(config.spool.dir, 'drain.log'));
    } catch (error) {
      log.warning('could not start the drainer; the events wait for the next one', { error: (error as Error).message });
    }
  }
  return exitCode;
}

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
