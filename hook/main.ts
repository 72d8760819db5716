/**
 * bm-hook: the DHCP lease-commit hook (Phase 0). dhcpd's and Kea's calls take a
 * fast path that loads only what spooling needs (context.ts, ingest.ts: no yargs,
 * ky or ajv); everything else goes to the full CLI (cli.ts). Decisions live in
 * pure modules (fsm.ts, lease.ts, drain planning) and effects at the edges
 * (spool.ts, actions.ts).
 */
import { runBin } from '../shared/cli/bin.ts';
import { parseFastPath } from './fast-path.ts';

/** Runs one bm-hook command line; returns the exit code. Tests call it with their own print/writeErr. */
export async function main(
  argv: string[],
  env: Record<string, string | undefined>,
  print = (text: string) => process.stdout.write(`${text}\n`),
  writeErr = (line: string) => process.stderr.write(`${line}\n`),
): Promise<number> {
  const fast = parseFastPath(argv);
  if (fast) {
    const [{ createCliContext }, { spoolLeases, spoolKeaLeases }] = await Promise.all([import('./context.ts'), import('./ingest.ts')]);
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

if (import.meta.main) void runBin(main);
