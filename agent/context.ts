/**
 * What bm-agent's commands get from main(): the shared CLI context (shared/cli/context.ts)
 * plus the process-level effects a run needs (terminal, OOM protection, signals, archive).
 */
import { writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { execa } from 'execa';
import { createCliContext as createBaseContext, type CliContext as BaseCliContext } from '../shared/cli/context.ts';
import type { Logger } from '../shared/log.ts';
import { redactUrl } from '../shared/redact.ts';

export interface CliContext extends BaseCliContext {
  /** The terminal, for the live view. */
  stdout: { write(text: string): void; isTTY?: boolean; columns?: number };
  /** oom_score_adj -1000 for the agent itself (memtester may use nearly all RAM). */
  protectFromOom(log: Logger): void;
  /** SIGINT/SIGTERM handler; returns a function that removes it. */
  onTerminate(handler: () => void): () => void;
  /** Packs a run's evidence directory into <dir>.tar.gz; null when tar failed (logged). */
  archive(dir: string, log: Logger): Promise<string | null>;
}

/** bm-agent's context on the real process: stdout, /proc/self/oom_score_adj, signals, tar. */
export function createCliContext(env: Record<string, string | undefined>, print: (text: string) => void, writeErr: (line: string) => void): CliContext {
  // No credentials written into a URL (`http://user:pass@host/`) reach stdout or stderr, whatever prints it.
  const printRedacted = (text: string) => print(redactUrl(text));
  const writeErrRedacted = (line: string) => writeErr(redactUrl(line));
  return Object.assign(createBaseContext('bm-agent', env, printRedacted, writeErrRedacted), {
    stdout: process.stdout,
    protectFromOom(log: Logger) {
      try {
        writeFileSync('/proc/self/oom_score_adj', '-1000');
      } catch (error) {
        log.debug('could not set oom_score_adj (not root?)', { error: (error as Error).message });
      }
    },
    onTerminate(handler: () => void) {
      let count = 0;
      const listener = () => {
        count++;
        if (count > 1) process.exit(130);
        handler();
      };
      process.on('SIGINT', listener);
      process.on('SIGTERM', listener);
      return () => {
        process.off('SIGINT', listener);
        process.off('SIGTERM', listener);
      };
    },
    async archive(dir: string, log: Logger) {
      const tarball = `${dir}.tar.gz`;
      const result = await execa('tar', ['-C', dirname(dir), '-czf', tarball, basename(dir)], { reject: false });
      if (result.exitCode === 0) return tarball;
      log.warning('could not pack the evidence bundle; the directory is complete', { dir, error: String(result.stderr).slice(0, 200) });
      return null;
    },
  });
}
