/**
 * `bm-hook status`: spool depth, oldest waiting event, failures (the count of failed/ and
 * the newest), how the last drain ended (ok, waiting, failed, error) and the last error.
 * "last success" is shown as such, never as the last run's outcome.
 */
import type { Argv } from 'yargs';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { loadHookConfig } from '../config.ts';
import type { CliContext } from '../context.ts';
import { type DrainStatus, failedNames, pendingNames, readEvent, readStatus } from '../spool.ts';

export const statusCommand = (ctx: CliContext) => ({
  command: 'status',
  describe: 'show the spool: waiting events, oldest, failed, last drain and last error',
  builder: (y: Argv) => y.option('json', { type: 'boolean', default: false, describe: 'JSON output' }),
  handler: (args: { config?: string; json?: boolean }) => {
    const config = loadHookConfig({ path: args.config, env: ctx.env });
    const dir = config.spool.dir;
    const pending = pendingNames(dir);
    const oldest = pending[0] ? readEvent(dir, pending[0]) : undefined;
    const oldestEvent = oldest?.ok ? oldest.spooled : undefined;
    const failed = failedNames(dir);
    const { netboxVersions: _versions, ...drain } = readStatus(dir);
    const report = {
      spool: dir,
      waiting: pending.length,
      oldest: oldestEvent
        ? {
            event: oldestEvent.name,
            mac: oldestEvent.event.mac,
            ip: oldestEvent.event.ip,
            receivedAt: oldestEvent.event.receivedAt,
            attempts: oldestEvent.progress?.attempts ?? 0,
            lastError: oldestEvent.progress?.lastError,
          }
        : null,
      failed: failed.length,
      newestFailed: failed.at(-1) ? { event: failed.at(-1), at: statSync(join(dir, 'failed', failed.at(-1)!)).mtime.toISOString() } : null,
      ...drain,
    };
    if (args.json) {
      ctx.print(JSON.stringify(report, null, 2));
      return;
    }
    ctx.print(`spool ${dir}: ${report.waiting} waiting, ${report.failed} failed`);
    if (report.oldest)
      ctx.print(
        `oldest: ${report.oldest.mac} ${report.oldest.ip} since ${report.oldest.receivedAt} (${report.oldest.attempts} attempts${report.oldest.lastError ? `; last error: ${report.oldest.lastError}` : ''})`,
      );
    if (report.newestFailed) ctx.print(`newest failure: ${report.newestFailed.event} at ${report.newestFailed.at} (see ${join(dir, 'failed')})`);
    ctx.print(`last drain: ${lastRunText(drain)}; last success: ${drain.lastSuccessAt ?? 'never'}; applied so far: ${drain.applied ?? 0}`);
    if (drain.lastError) ctx.print(`last error: ${drain.lastError} (${drain.lastErrorAt})`);
  },
});

const RESULT_TEXT: Record<NonNullable<DrainStatus['lastRunResult']>, string> = {
  ok: 'everything applied',
  waiting: 'leases waiting on NetBox',
  failed: 'FAILED (events moved to failed/, or stuck in new/)',
  error: 'FAILED (the drainer stopped with an error)',
};

/** The last run in one phrase: when, how it ended and its counts. Pure. */
export function lastRunText(status: DrainStatus): string {
  if (!status.lastRunAt) return 'never';
  if (!status.lastRunResult) return status.lastRunAt;
  const counts = status.lastRun;
  const detail = counts
    ? ` (${counts.applied} applied, ${counts.failed} failed${counts.stuck ? `, ${counts.stuck} stuck` : ''}, ${counts.waiting} waiting)`
    : '';
  return `${status.lastRunAt}, ${RESULT_TEXT[status.lastRunResult]}${detail}`;
}
