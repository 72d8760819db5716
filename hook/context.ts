/** What every bm-hook command gets from main(): environment, output, logging, exit code. */
import { createLogger, type Logger, type LogLevel } from '../shared/log.ts';
import { openSyslogSink, type SyslogSink } from './syslog-sink.ts';

export interface CliContext {
  env: Record<string, string | undefined>;
  /** stdout, for command output (snippet, dot, status). */
  print(text: string): void;
  /** Logger to stderr (syslog style) and, where present, the journal. */
  logger(level?: LogLevel): Logger;
  setExitCode(code: number): void;
  /** Flushes log sinks; main() awaits it before returning. */
  close(): Promise<void>;
}

export function createCliContext(env: Record<string, string | undefined>, print: (text: string) => void, writeErr: (line: string) => void): CliContext & { exitCode: number } {
  let syslog: SyslogSink | null | undefined;
  const ctx = {
    env,
    print,
    exitCode: 0,
    logger(level: LogLevel = 'info') {
      if (syslog === undefined) syslog = env.BM_HOOK_NO_SYSLOG ? null : openSyslogSink('bm-hook');
      return createLogger({
        name: 'bm-hook',
        level,
        priorityPrefix: true,
        write: (line) => {
          writeErr(line);
          syslog?.write(line);
        },
      });
    },
    setExitCode(code: number) {
      ctx.exitCode = code;
    },
    async close() {
      await syslog?.close();
    },
  };
  return ctx;
}
