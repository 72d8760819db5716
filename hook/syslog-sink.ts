/**
 * Copies log lines to syslog/journald through util-linux `logger`, when the
 * machine has a /dev/log socket (journald or a syslog daemon listens there).
 * One `logger` process per run, fed through a pipe; nothing here can block or
 * fail the caller: a missing socket or binary just means stderr only.
 */
import { existsSync } from 'node:fs';

export interface SyslogSink {
  write(line: string): void;
  /** Flushes the pipe; call before exiting. */
  close(): Promise<void>;
}

export function openSyslogSink(tag: string, socketPath = '/dev/log'): SyslogSink | null {
  if (!existsSync(socketPath)) return null;
  const logger = Bun.which('logger', { PATH: `${process.env.PATH ?? ''}:/usr/bin:/bin` });
  if (!logger) return null;
  let child: ReturnType<typeof Bun.spawn<'pipe', 'ignore', 'ignore'>>;
  try {
    child = Bun.spawn([logger, '--prio-prefix', '--socket', socketPath, '-t', tag], { stdin: 'pipe', stdout: 'ignore', stderr: 'ignore' });
  } catch {
    return null;
  }
  return {
    write(line) {
      // `logger -t` adds the program name; keep only the `<N>` priority and the message.
      child.stdin.write(`${line.replace(/^(<\d>)?[^\s:]+\[\d+\]: /, '$1')}\n`);
    },
    async close() {
      try {
        await child.stdin.end();
      } catch {
        // logger went away; the stderr copy remains
      }
    },
  };
}
