/**
 * What every bm-hook command gets from main(): the shared CLI context
 * (shared/cli/context.ts) plus a logger to stderr and syslog, flushed by close().
 * Loaded by the commit/kea fast path: keep it free of yargs, ky and ajv.
 */
import { createCliContext as createBaseContext, type CliContext as BaseCliContext } from '../shared/cli/context.ts';
import { createLogger, type Logger, type LogLevel } from '../shared/log.ts';
import { openSyslogSink, type SyslogSink } from './syslog-sink.ts';

export interface CliContext extends BaseCliContext {
  /** Logger to stderr (syslog style) and, where present, the journal. */
  logger(level?: LogLevel): Logger;
  /** Flushes log sinks; main() awaits it before returning. */
  close(): Promise<void>;
}

/** bm-hook's context; the syslog sink opens on the first logger() call (not at all with BM_HOOK_NO_SYSLOG). */
export function createCliContext(env: Record<string, string | undefined>, print: (text: string) => void, writeErr: (line: string) => void): CliContext {
  let syslog: SyslogSink | null | undefined;
  return Object.assign(createBaseContext('bm-hook', env, print, writeErr), {
    logger(level: LogLevel = 'info') {
      if (syslog === undefined) syslog = env.BM_HOOK_NO_SYSLOG ? null : openSyslogSink('bm-hook');
      return createLogger({
        name: 'bm-hook',
        level,
        priorityPrefix: true,
        write: (line: string) => {
          writeErr(line);
          syslog?.write(line);
        },
      });
    },
    async close() {
      await syslog?.close();
    },
  });
}
