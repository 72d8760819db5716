/**
 * bm-harden: Phase 2, the BMC hardening of a staged server over Redfish. This entry
 * point only hands argv to the CLI (loaded lazily, as in the other binaries).
 */
import { runBin } from '../shared/cli/bin.ts';

/** Runs one bm-harden command line; returns the exit code. Tests call it with their own print/writeErr. */
export async function main(
  argv: string[],
  env: Record<string, string | undefined>,
  print: (text: string) => void = (text) => process.stdout.write(`${text}\n`),
  writeErr: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<number> {
  const { runCli } = await import('./cli.ts');
  return runCli(argv, env, print, writeErr);
}

if (import.meta.main) void runBin((argv) => main(argv, process.env));
