/**
 * The few lines every binary's entry point runs on the real process: a closed
 * stdout pipe (`bm-hook fsm | head`) is the reader's choice, so EPIPE exits 0
 * instead of crashing; then main()'s result becomes the exit code. No yargs here:
 * bm-hook's fast path loads it.
 */

export type Main = (argv: string[], env: Record<string, string | undefined>) => Promise<number>;

/** The part of `process` runBin touches (injectable for tests). */
export interface BinProcess {
  argv: string[];
  env: Record<string, string | undefined>;
  stdout: { on(event: 'error', listener: (error: NodeJS.ErrnoException) => void): unknown };
  exit(code: number): never;
  exitCode?: number | string | null | undefined;
}

/** Runs main with the process's arguments and environment; resolves once process.exitCode is set. */
export function runBin(main: Main, proc: BinProcess = process): Promise<void> {
  proc.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') proc.exit(0);
  });
  return main(proc.argv.slice(2), proc.env).then((code) => {
    proc.exitCode = code;
  });
}
