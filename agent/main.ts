/**
 * bm-agent: the bare-metal validation agent (Phase 1), baked into the PXE image.
 * This entry point only hands argv to the CLI; steps, runner and report live in
 * their own modules. First it takes its own variables (NETBOX_TOKEN,
 * BM_CALLBACK_SECRET, …) out of process.env into a snapshot the configuration
 * reads, so no child process can inherit them (child-env.ts).
 */
import { runBin } from '../shared/cli/bin.ts';
import { withdrawAgentEnvironment } from './child-env.ts';

/** Runs one bm-agent command line; returns the exit code. Tests call it with their own print/writeErr. */
export async function main(
  argv: string[],
  env: Record<string, string | undefined>,
  print = (text: string) => process.stdout.write(`${text}\n`),
  writeErr = (line: string) => process.stderr.write(`${line}\n`),
): Promise<number> {
  const { runCli } = await import('./cli.ts');
  return runCli(argv, env, print, writeErr);
}

if (import.meta.main) {
  const env = withdrawAgentEnvironment(process.env);
  void runBin((argv) => main(argv, env));
}
