/**
 * A failing DIMM makes memtester print millions of FAILURE lines. This measures
 * what that costs the agent: the compiled dist/bm-agent runs 02-memory
 * (`run --dry-run --only 02-memory`, one memtester process, no NetBox) with a fake
 * memtester printing 5,000,000 FAILURE lines (`BENCH_FLOOD_LINES`), and, as the
 * baseline, the same run with 10 lines. Printed: the agent's RSS growth from
 * memtester's start to its exit, in MiB (test/helpers/memtester-flood.ts says how),
 * for both, and the bound the issue sets (≤ 64 MiB for 5 M lines). Exits 1 over it.
 */
import { FLOOD_LINE, measureMemtesterFlood, type FloodMeasurement } from '../test/helpers/memtester-flood.ts';

const LINES = Number(process.env.BENCH_FLOOD_LINES ?? 5_000_000);
const BOUND_MIB = 64;
const BINARY = 'dist/bm-agent';

const mib = (value: number) => `${value.toFixed(1)} MiB`;
const describe = (m: FloodMeasurement) =>
  `${m.lines.toLocaleString('en')} lines: growth ${mib(m.growthMiB)} (RSS ${mib(m.rssAtStartMiB)} at memtester's start, peak ${mib(m.peakMiB)}), ` +
  `02-memory ${m.status} with ${m.failureCount?.toLocaleString('en') ?? '?'} errors counted, ${(m.wallMs / 1000).toFixed(1)} s wall`;

const baseline = await measureMemtesterFlood(BINARY, 10);
const flood = await measureMemtesterFlood(BINARY, LINES);
console.log(`memtester flood: ${BINARY} 02-memory, one fake memtester printing FAILURE lines of ${FLOOD_LINE.length + 1} bytes`);
console.log(`  baseline  ${describe(baseline)}`);
console.log(`  flood     ${describe(flood)}`);
if (!flood.peakReset || !baseline.peakReset) console.log("  (could not reset the agent's peak RSS at memtester's start: growth includes start-up and 01-init)");
console.log(
  `  agent RSS growth for ${LINES.toLocaleString('en')} lines: ${mib(flood.growthMiB)} (bound ${BOUND_MIB} MiB; ${mib(flood.growthMiB - baseline.growthMiB)} over the 10-line run)`,
);
if (flood.growthMiB > BOUND_MIB || flood.failureCount !== LINES) {
  console.log(`  OVER THE BOUND or miscounted: growth must be ≤ ${BOUND_MIB} MiB and every line counted`);
  process.exit(1);
}
