/** The bm-agent binary compiled from the current sources once per test process, and a runner for it. */
import { compiledBinary } from './compiled-binary.ts';

export function agentBinary(): string {
  return compiledBinary('agent/main.ts', 'bm-agent');
}

/** Runs bm-agent asynchronously (the simulator in this process must keep answering). */
export async function runAgent(args: string[], env: Record<string, string> = {}) {
  const child = Bun.spawn([agentBinary(), ...args], {
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { exitCode, stdout, stderr };
}

/**
 * `run --profile quick` made fast for tests: evidence in `evidenceDir`, no kernel command line,
 * 16 MiB of memtester, a 3 s LLDP deadline and a 1 s fio run on the `disk` device only.
 */
export function quickRunArgs(evidenceDir: string, disk: string): string[] {
  return [
    'run',
    '--profile',
    'quick',
    '--evidence-dir',
    evidenceDir,
    '--cmdline-file',
    '/dev/null',
    '--set',
    'memory.size_mb=16',
    '--set',
    'lldp.deadline_s=3',
    '--set',
    `disk.devices=${disk}`,
    '--set',
    'disk.runtime_s=1',
  ];
}
