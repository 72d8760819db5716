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
