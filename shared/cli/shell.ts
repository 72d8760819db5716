/**
 * What both binaries' command lines share around yargs: the netbox-check
 * command, the common settings (strict, version, epilogue with the exit codes,
 * no process.exit) and running the parser with one place that turns errors into
 * a message and an exit code. The commands themselves live in each binary; what
 * they get is the CliContext of context.ts (extended by each binary).
 */
import type { Argv } from 'yargs';
import type { CliContext } from './context.ts';
import { describeError, exitCodeFor } from './errors.ts';
import { EXIT, exitCodesText } from './exit-codes.ts';
import { NETBOX_CHECK_OPTIONS, runNetboxCheck, type NetboxCheckArgs } from './netbox-check.ts';
import { VERSION } from '../version.ts';
import { BmError } from '../errors.ts';

export class UsageError extends BmError {
  override readonly name = 'UsageError';

  override get failureCause() {
    return 'config' as const;
  }
}

/**
 * Adds netbox-check and the common settings; returns the parser ready to run. The
 * epilogue is the binary's own text; the exit-code table (exit-codes.ts) is appended to it.
 */
export function finishParser<T>(parser: Argv<T>, ctx: CliContext, epilogue: string): Argv<T> {
  return parser
    .command(
      'netbox-check',
      'check that NetBox is reachable and accepts the token',
      (y) => y.options(NETBOX_CHECK_OPTIONS),
      async (args) => ctx.setExitCode(await runNetboxCheck(args as NetboxCheckArgs, ctx.env, ctx.print)),
    )
    .demandCommand(1, 'name a command (see --help)')
    .strict()
    .version(VERSION)
    .epilogue(`${epilogue}\n\n${exitCodesText()}`)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
}

/** Runs the parser; --help/--version text goes to print, errors to writeErr with their exit code. */
export async function runParser<T>(parser: Argv<T>, argv: string[], ctx: CliContext): Promise<void> {
  try {
    const output = await new Promise<string>((resolve, reject) => {
      parser.parseAsync(argv, {}, (error, _parsed, text) => (error ? reject(error) : resolve(text))).catch(reject);
    });
    if (output) ctx.print(output);
  } catch (error) {
    if (error instanceof UsageError) {
      ctx.writeErr(`${ctx.name}: ${error.message} (see ${ctx.name} --help)`);
      ctx.setExitCode(EXIT.usage);
    } else {
      ctx.writeErr(`${ctx.name}: ${describeError(error)}`);
      ctx.setExitCode(exitCodeFor(error));
    }
  }
}
