/**
 * bm-hook: the DHCP lease-commit hook (Phase 0). dhcpd's and Kea's calls take a
 * fast path that loads only what spooling needs; everything else goes to the
 * full CLI (cli.ts). Decisions live in pure modules (fsm.ts, lease.ts, drain
 * planning) and effects at the edges (spool.ts, actions.ts).
 */
import { parseFastPath } from './fast-path.ts';

export async function main(
  argv: string[],
  env: Record<string, string | undefined>,
  print = (text: string) => process.stdout.write(`${text}\n`),
  writeErr = (line: string) => process.stderr.write(`${line}\n`),
): Promise<number> {
  const fast = parseFastPath(argv);
  if (fast) {
    const [{ createCliContext }, { spoolLeases }, { spoolKeaLeases }] = await Promise.all([
      import('./context.ts'),
      import('./commands/commit.ts'),
      import('./commands/kea.ts'),
    ]);
    const ctx = createCliContext(env, print, writeErr);
    const exitCode =
      fast.kind === 'commit'
        ? spoolLeases(ctx, [fast], 'dhcpd', fast.configPath, { drain: fast.drain })
        : spoolKeaLeases(ctx, fast.hookPoint, fast.configPath, fast.drain);
    await ctx.close();
    return exitCode;
  }
  const { runCli } = await import('./cli.ts');
  return runCli(argv, env, print, writeErr);
}

if (import.meta.main) {
  // `bm-hook fsm | head`: a closed pipe is the reader's choice, not our error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
  });
  void main(process.argv.slice(2), process.env).then((code) => (process.exitCode = code));
}
