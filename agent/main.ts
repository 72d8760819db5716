/**
 * bm-agent: the bare-metal validation agent (Phase 1). This entry point parses argv and
 * wires modules; decisions live in pure modules and effects are injected.
 */
import yargs from 'yargs';
import { EXIT, EXIT_CODES_EPILOGUE } from '../shared/exit-codes.ts';
import { NETBOX_CHECK_OPTIONS, runNetboxCheck, type NetboxCheckArgs } from '../shared/netbox-check.ts';
import { VERSION } from '../shared/version.ts';

export async function main(argv: string[], env: Record<string, string | undefined>, print = (line: string) => console.log(line)): Promise<number> {
  let exitCode: number = EXIT.ok;
  const parser = yargs(argv)
    .scriptName('bm-agent')
    .usage('$0 <command> [options]\n\nValidates this machine against NetBox and stages it on pass.')
    .command(
      'netbox-check',
      'check that NetBox is reachable and accepts the token',
      (y) => y.options(NETBOX_CHECK_OPTIONS),
      async (args) => {
        exitCode = await runNetboxCheck(args as NetboxCheckArgs, env, print);
      },
    )
    .demandCommand(1, 'name a command (see --help)')
    .strict()
    .version(VERSION)
    .epilogue(EXIT_CODES_EPILOGUE)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new Error(message);
    });
  try {
    await parser.parseAsync();
  } catch (error) {
    print(`bm-agent: ${(error as Error).message}`);
    return EXIT.usage;
  }
  return exitCode;
}

if (import.meta.main) {
  // `bm-hook fsm | head`: a closed pipe is the reader's choice, not our error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
  });
  void main(process.argv.slice(2), process.env).then((code) => (process.exitCode = code));
}
