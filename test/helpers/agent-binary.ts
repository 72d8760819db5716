/** The bm-agent binary compiled from the current sources once per test process, and a runner for it. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let compiled: string | undefined;

export function agentBinary(): string {
  if (compiled) return compiled;
  const out = join(mkdtempSync(join(tmpdir(), 'bm-agent-bin-')), 'bm-agent');
  const build = Bun.spawnSync([process.execPath, 'build', '--compile', '--minify', '--bytecode', '--format=esm', 'agent/main.ts', '--outfile', out], { stdout: 'pipe', stderr: 'pipe' });
  if (build.exitCode !== 0) throw new Error(`cannot compile bm-agent: ${build.stderr.toString()}`);
  compiled = out;
  return out;
}

/** Runs bm-agent asynchronously (the simulator in this process must keep answering). */
export async function runAgent(args: string[], env: Record<string, string> = {}) {
  const child = Bun.spawn([agentBinary(), ...args], { env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...env }, stdout: 'pipe', stderr: 'pipe' });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { exitCode, stdout, stderr };
}
