/** `make bench`: every benchmark, each printing ratios against a baseline measured in the same run (bench/README.md). */
const benches = ['bench/netbox-client.ts', 'bench/hook-commit.ts', 'bench/hook-vs-baseline.ts', 'bench/agent.ts', 'bench/memtester-flood.ts'];
let failed = 0;
for (const bench of benches) {
  const run = Bun.spawnSync([process.execPath, bench], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (run.exitCode !== 0) failed++;
}
process.exit(failed ? 1 : 0);
