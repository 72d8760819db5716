/**
 * Taking leases in: what `commit` (dhcpd) and `kea` (Kea) share. Validate each
 * lease, keep the BMC ones (OUI filter), spool them durably and get a drainer
 * going: a detached `bm-hook drain` (drain.trigger "spawn"), or nothing at all when
 * systemd's bm-hook-drain.path unit watches new/ (drain.trigger "systemd"). No
 * network here: dhcpd waits for us (bench/README.md has the numbers). Loaded by
 * the fast path in main.ts, so it must not import yargs, ky or ajv (a test walks
 * its imports), and does no work it can skip.
 */
import { join } from 'node:path';
import { type Mac, ouiOf, parseOui } from '../shared/mac.ts';
import { defaultHookConfig, loadHookConfig, type HookConfig } from './config.ts';
import type { CliContext } from './context.ts';
import { DEFAULT_BMC_OUIS } from './default-ouis.ts';
import { keaLeases, MAX_KEA_LEASES } from './kea.ts';
import { parseLease, type LeaseSource } from './lease.ts';
import { spawnDrainer } from './spawn-drainer.ts';
import { appendEvent, coalesceByMac, ensureSpool } from './spool.ts';

/** A lease as the DHCP server hands it over: unvalidated strings. */
export interface RawLease {
  ip?: string;
  mac?: string;
  hostname?: string;
}

/**
 * Validate, filter by OUI, spool durably, start a drainer. Exit status 0 unless a
 * valid BMC lease could not be spooled (malformed and non-BMC leases are logged and
 * ignored; an invalid config spools with defaults so no lease is lost).
 */
export function spoolLeases(
  ctx: CliContext,
  leases: readonly RawLease[],
  source: LeaseSource,
  configPath: string | undefined,
  options: { drain: boolean },
): number {
  let config: HookConfig;
  const bootLog = ctx.logger();
  try {
    config = loadHookConfig({ path: configPath, env: ctx.env });
  } catch (error) {
    bootLog.error('invalid config; spooling with defaults, NetBox updates wait until it is fixed', { error: (error as Error).message });
    config = defaultHookConfig(ctx.env);
  }
  const log = ctx.logger(config.logLevel);
  let spooled = 0;
  let exitCode = 0;
  for (const raw of leases) {
    const parsed = parseLease(raw.ip, raw.mac, raw.hostname, source, new Date());
    if (!parsed.ok) {
      log.warning('malformed lease ignored', { source, reason: parsed.reason });
      continue;
    }
    const { event } = parsed;
    if (parsed.droppedHostname !== undefined) log.info('client hostname dropped (not a valid hostname)', { mac: event.mac, hostname: parsed.droppedHostname });
    if (!isBmcOui(event.mac, config.ouis)) {
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
      log.error('cannot spool BMC lease; it is lost unless DHCP renews', {
        mac: event.mac,
        ip: event.ip,
        spool: config.spool.dir,
        error: (error as Error).message,
      });
      exitCode = 1;
    }
  }
  if (spooled > 0 && options.drain) {
    if (config.drain.trigger === 'systemd') {
      log.debug('drainer left to systemd (bm-hook-drain.path watches new/)', { spool: config.spool.dir });
    } else {
      try {
        spawnDrainer(configPath ? ['--config', configPath] : [], join(config.spool.dir, 'drain.log'));
      } catch (error) {
        log.warning('could not start the drainer; the events wait for the next one', { error: (error as Error).message });
      }
    }
  }
  return exitCode;
}

/**
 * True when the MAC's OUI is a BMC OUI under `ouis`: the answer of
 * `macMatchesOui(mac, ouiSetOf(config).set)` without parsing the ~90 built-in
 * entries (they are stored canonical, which a test checks): building that set
 * costs about a millisecond of a cold start, on dhcpd's clock. Pure.
 */
export function isBmcOui(mac: Mac, ouis: HookConfig['ouis']): boolean {
  const oui = ouiOf(mac);
  if (ouis.mode === 'extend' && DEFAULT_BMC_OUIS.some((entry) => entry.oui === oui)) return true;
  return ouis.entries.some((entry) => parseOui(entry.oui) === oui);
}

/** Spools the BMC leases of one Kea call (LEASES4_AT<i>_* variables); the exit status for Kea's log. */
export function spoolKeaLeases(ctx: CliContext, hookPoint: string | undefined, configPath: string | undefined, drain: boolean): number {
  const { leases, truncated } = keaLeases(hookPoint, ctx.env);
  if (truncated) ctx.logger().warning('Kea committed more leases than bm-hook takes at once; the rest wait for renewal', { max: MAX_KEA_LEASES });
  return leases.length ? spoolLeases(ctx, leases, 'kea', configPath, { drain }) : 0;
}
