/**
 * What every command of both binaries gets from main(): its name, the
 * environment, stdout and stderr lines, and the exit code to return. Each
 * binary extends it with only what its commands need (bm-agent: the terminal,
 * OOM protection, signals, the evidence archive; bm-hook: the syslog logger).
 * No yargs here, so bm-hook's fast path can use it without loading the parser.
 */

export interface CliContext {
  /** The binary's name (`bm-agent`, `bm-hook`), for messages and logs. */
  readonly name: string;
  readonly env: Record<string, string | undefined>;
  /** stdout text (reports, tables, JSON, --help). */
  print(text: string): void;
  /** One line to stderr. */
  writeErr(line: string): void;
  /** Sets the code main() returns; the last call wins. */
  setExitCode(code: number): void;
  /** What main() returns: 0 until a command sets it. */
  readonly exitCode: number;
}

/**
 * The base context. A binary adds its own members with `Object.assign(createCliContext(…), extras)`
 * (not a spread: a spread would copy `exitCode` once instead of keeping the getter).
 */
export function createCliContext(
  name: string,
  env: Record<string, string | undefined>,
  print: (text: string) => void,
  writeErr: (line: string) => void,
): CliContext {
  let exitCode = 0;
  return {
    name,
    env,
    print,
    writeErr,
    setExitCode(code: number) {
      exitCode = code;
    },
    get exitCode() {
      return exitCode;
    },
  };
}
