/**
 * Starts `bm-hook drain` detached (own session, stdio to /dev/null or a log),
 * so `commit` can return to dhcpd at once. The drainer takes the spool lock
 * itself; starting one while another runs costs one process that exits at once.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, lstatSync, openSync, renameSync } from 'node:fs';

/** drain.log is kept under this size; the previous one is drain.log.1. */
const MAX_LOG_BYTES = 1024 * 1024;

/** argv that re-runs this program: the compiled binary, or bun + the script in development. */
export function selfCommand(): string[] {
  const script = process.argv[1];
  return script && /\.(ts|js)$/.test(script) ? [process.execPath, script] : [process.execPath];
}

export function spawnDrainer(extraArgs: readonly string[], logFile?: string): number | undefined {
  const [command, ...args] = selfCommand();
  let logFd: number | 'ignore' = 'ignore';
  if (logFile) {
    try {
      if ((lstatSync(logFile, { throwIfNoEntry: false })?.size ?? 0) > MAX_LOG_BYTES) renameSync(logFile, `${logFile}.1`);
    } catch {
      // another commit rotated it first
    }
    try {
      // O_NOFOLLOW: a drain.log planted as a symlink is not written through (the log is then dropped).
      logFd = openSync(logFile, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW, 0o600);
    } catch {
      logFd = 'ignore';
    }
  }
  try {
    const child = spawn(command!, [...args, 'drain', '--respect-backoff', ...extraArgs], { detached: true, stdio: ['ignore', 'ignore', logFd] });
    child.unref();
    return child.pid;
  } finally {
    if (typeof logFd === 'number') closeSync(logFd);
  }
}
