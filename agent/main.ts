/**
 * bm-agent: the bare-metal validation agent (Phase 1), baked into the PXE image.
 * This entry point only hands argv to the CLI; steps, runner and report live in
 * their own modules.
 */
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
  // `bm-agent schema | head`: a closed pipe is the reader's choice, not our error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
  });
  void main(process.argv.slice(2), process.env).then((code) => (process.exitCode = code));
}
