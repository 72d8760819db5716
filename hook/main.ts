/**
 * bm-hook: the DHCP lease-commit hook (Phase 0). dhcpd's and Kea's calls take a
 * fast path that loads only what spooling needs (context.ts, ingest.ts: no yargs,
 * ky or ajv; a chunk of their own in the compiled binary, which is built with
 * --splitting) and skips runBin and process.stderr, whose stream set-up costs
 * more than the spooling itself; everything else goes to the full CLI (cli.ts).
 * dhcpd waits for the fast path: bench/README.md has its cost against a
 * hello-world compiled the same way. Decisions live in pure modules (fsm.ts,
 * lease.ts, drain planning) and effects at the edges (spool.ts, actions.ts).
 */
import { writeSync } from 'node:fs';
import { runBin } from '../shared/cli/bin.ts';
import { type FastPath, parseFastPath } from './fast-path.ts';

/**
 * One line to stderr, written synchronously to fd 2: the first use of
 * process.stderr sets up Bun's stream machinery, ~1.5 ms of a cold start that
 * dhcpd would wait for. A pipe that would block (EAGAIN) or a short write falls
 * back to the stream, which queues the rest.
 */
export function writeStderrLine(line: string, write: (fd: number, text: string) => number = writeSync): void {
  const text = `${line}\n`;
  let written = 0;
  try {
    written = write(2, text);
  } catch {
    // EAGAIN on a non-blocking pipe, or no fd 2: the stream below handles it
  }
  if (written < Buffer.byteLength(text)) process.stderr.write(Buffer.from(text).subarray(written));
}

/** Spools the leases of one dhcpd or Kea call (the fast path); returns the exit code. */
async function spoolFast(
  fast: FastPath,
  env: Record<string, string | undefined>,
  print: (text: string) => void,
  writeErr: (line: string) => void,
): Promise<number> {
  const [{ createCliContext }, { spoolLeases, spoolKeaLeases }] = await Promise.all([import('./context.ts'), import('./ingest.ts')]);
  const ctx = createCliContext(env, print, writeErr);
  const exitCode =
    fast.kind === 'commit'
      ? spoolLeases(ctx, [fast], 'dhcpd', fast.configPath, { drain: fast.drain })
      : spoolKeaLeases(ctx, fast.hookPoint, fast.configPath, fast.drain);
  await ctx.close();
  return exitCode;
}

const printLine = (text: string): boolean => process.stdout.write(`${text}\n`);

/**
 * Runs one bm-hook command line; returns the exit code. Tests call it with their own print/writeErr;
 * without one, stderr lines go through writeStderrLine on the fast path and process.stderr otherwise.
 */
export async function main(
  argv: string[],
  env: Record<string, string | undefined>,
  print: (text: string) => boolean = printLine,
  writeErr?: (line: string) => void,
): Promise<number> {
  const fast = parseFastPath(argv);
  if (fast) return spoolFast(fast, env, print, writeErr ?? writeStderrLine);
  const { runCli } = await import('./cli.ts');
  // Without a writeErr the full CLI keeps its process.stderr default: yargs writes there too, and lines stay in order.
  if (!writeErr) return runCli(argv, env, print);
  return runCli(argv, env, print, (line) => {
    writeErr(line);
    return true;
  });
}

if (import.meta.main) {
  // The fast path prints nothing to stdout, so it needs no runBin (whose stdout EPIPE guard sets up the stream: ~3 ms).
  const argv = process.argv.slice(2);
  const fast = parseFastPath(argv);
  if (fast)
    void spoolFast(fast, process.env, printLine, writeStderrLine).then((code) => {
      process.exitCode = code;
    });
  else void runBin(main);
}
