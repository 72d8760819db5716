/**
 * What dhcpd waits for: wall time of `bm-hook commit` for a BMC lease (OUI check,
 * config, durable spool write, detached-drainer start skipped with --no-drain),
 * against two baselines run interleaved in the same script: `/bin/true` (the cost
 * of any fork+exec) and `bm-hook --version` (the runtime's own start-up).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROUNDS = 40;
const binary = process.argv[2] ?? 'dist/bm-hook';
const spool = mkdtempSync(join(tmpdir(), 'bench-spool-'));
const env = { PATH: '/usr/bin:/bin', BM_SPOOL_DIR: spool, BM_HOOK_NO_SYSLOG: '1' };

function timeOnce(argv: string[]): number {
  const started = performance.now();
  const result = Bun.spawnSync(argv, { env, stdout: 'ignore', stderr: 'ignore' });
  if (result.exitCode !== 0) throw new Error(`${argv.join(' ')} exited ${result.exitCode}`);
  return performance.now() - started;
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const series = { trueExec: [] as number[], startup: [] as number[], commit: [] as number[], nonBmc: [] as number[] };
for (let i = 0; i < ROUNDS; i++) {
  series.trueExec.push(timeOnce(['/bin/true']));
  series.startup.push(timeOnce([binary, '--version']));
  series.commit.push(timeOnce([binary, 'commit', '10.0.0.5', `94:40:c9:00:00:${(i % 256).toString(16)}`, 'ilo', '--no-drain']));
  series.nonBmc.push(timeOnce([binary, 'commit', '10.0.0.6', 'a0:36:9f:00:00:01', 'pc', '--no-drain']));
}
rmSync(spool, { recursive: true, force: true });

const m = Object.fromEntries(Object.entries(series).map(([k, v]) => [k, median(v)])) as Record<keyof typeof series, number>;
console.log(`hook-commit: ${ROUNDS} interleaved rounds, medians`);
console.log(`  /bin/true (fork+exec baseline):  ${m.trueExec.toFixed(1)} ms`);
console.log(`  bm-hook --version (start-up):    ${m.startup.toFixed(1)} ms`);
console.log(`  bm-hook commit, BMC lease:       ${m.commit.toFixed(1)} ms`);
console.log(`  bm-hook commit, non-BMC lease:   ${m.nonBmc.toFixed(1)} ms (dhcpd's OUI guard normally avoids this call)`);
console.log(`  ratio commit/start-up: ${(m.commit / m.startup).toFixed(2)}; commit/fork+exec: ${(m.commit / m.trueExec).toFixed(1)}`);
