/**
 * What both binaries' command lines share around yargs: the netbox-check
 * command, the common settings (strict, version, epilogue, no process.exit) and
 * running the parser with one place that turns errors into a message and an
 * exit code. The commands themselves live in each binary.
 */
import type { Argv } from 'yargs';
import { describeError, exitCodeFor } from './errors.ts';
import { EXIT } from './exit-codes.ts';
import { NETBOX_CHECK_OPTIONS, runNetboxCheck, type NetboxCheckArgs } from './netbox-check.ts';
import { VERSION } from '../version.ts';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface CliShell {
  name: string;
  env: Record<string, string | undefined>;
  print(text: string): void;
  writeErr(line: string): void;
  setExitCode(code: number): void;
}

/** Adds netbox-check and the common settings; returns the parser ready to run. */
export function finishParser<T>(parser: Argv<T>, shell: CliShell, epilogue: string): Argv<T> {
  return parser
    .command(
      'netbox-check',
      'check that NetBox is reachable and accepts the token',
      (y) => y.options(NETBOX_CHECK_OPTIONS),
      async (args) => shell.setExitCode(await runNetboxCheck(args as NetboxCheckArgs, shell.env, shell.print)),
    )
    .demandCommand(1, 'name a command (see --help)')
    .strict()
    .version(VERSION)
    .epilogue(epilogue)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
}

/** Runs the parser; --help/--version text goes to print, errors to writeErr with their exit code. */
export async function runParser<T>(parser: Argv<T>, argv: string[], shell: CliShell): Promise<void> {
  try {
    const output = await new Promise<string>((resolve, reject) => {
      parser.parseAsync(argv, {}, (error, _parsed, text) => (error ? reject(error) : resolve(text))).catch(reject);
    });
    if (output) shell.print(output);
  } catch (error) {
    if (error instanceof UsageError) {
      shell.writeErr(`${shell.name}: ${error.message} (see ${shell.name} --help)`);
      shell.setExitCode(EXIT.usage);
    } else {
      shell.writeErr(`${shell.name}: ${describeError(error)}`);
      shell.setExitCode(exitCodeFor(error));
    }
  }
}
