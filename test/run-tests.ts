/**
 * Runs the test levels named on the command line (unit, integration, e2e) with
 * `bun test`, one level at a time (test/<level>/ and the simulator's own tests in
 * test/netbox-sim/test/<level>/), and closes with one summary line counted
 * from the JUnit reports: `tests: N passed, N failed, N skipped`.
 *
 * Skips are not green: in CI (CI=true) any skipped test fails the run, because
 * CI runs as root and every suite must run there.
 *
 * The integration level also runs against a real NetBox (test/netbox-real): as root
 * one instance is built (once, cached) and started for the level, handed to the
 * tests in BM_NETBOX_REAL_STATE, and stopped afterwards. If it cannot be built or
 * started the run fails; without root its suites are skipped, loudly.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startRealNetbox, stopRealNetbox, type RealNetbox } from './netbox-real/index.ts';

const LEVELS = ['unit', 'integration', 'e2e'] as const;
type Level = (typeof LEVELS)[number];

// e2e: each test awaits its own boot, and the boots share the cores (test/e2e/pxe-boot.test.ts runs them side by
// side), so the last test's wait covers the whole boot schedule (~15 min under TCG on two cores), with room.
const TIMEOUT_MS: Record<Level, number> = { unit: 10_000, integration: 60_000, e2e: 1_800_000 };

/** Where each level's test files are: its directory, and the simulator's own tests of that level (test/netbox-sim/test/). */
const LEVEL_PATHS: Record<Level, readonly string[]> = {
  unit: ['./test/unit/', './test/netbox-sim/test/unit/'],
  integration: ['./test/integration/', './test/netbox-sim/test/integration/'],
  e2e: ['./test/e2e/'],
};

const levels = process.argv.slice(2) as Level[];
if (levels.length === 0 || levels.some((l) => !LEVELS.includes(l))) {
  console.error(`usage: bun test/run-tests.ts ${LEVELS.join('|')} [...]`);
  process.exit(2);
}

const resultsDir = '.test-results';
rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });

interface Counts {
  tests: number;
  failures: number;
  skipped: number;
}

function countJunit(file: string): Counts {
  const xml = readFileSync(file, 'utf8');
  const suites = /<testsuites\b[^>]*>/.exec(xml)?.[0] ?? '';
  const attr = (name: string) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(suites)?.[1] ?? 0);
  return { tests: attr('tests'), failures: attr('failures') + attr('errors'), skipped: attr('skipped') };
}

const total: Counts = { tests: 0, failures: 0, skipped: 0 };
let exitCode = 0;
for (const level of levels) {
  const outfile = join(resultsDir, `${level}.xml`);
  console.log(`\n=== ${level} tests ===`);
  let real: RealNetbox | undefined;
  if (level === 'integration' && process.getuid?.() === 0) {
    try {
      const started = performance.now();
      real = startRealNetbox(process.env.NETBOX_VERSION);
      console.log(`real NetBox ${real.version} at ${real.url} (ready in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    } catch (error) {
      console.error(`!!! ${level}: ${(error as Error).message} — the suites against the real NetBox cannot run`);
      exitCode = 1;
      continue;
    }
  } else if (level === 'integration') {
    console.error('!!! NOT RUN: the integration suites against the real NetBox need root (test/netbox-real)');
  }
  const run = Bun.spawnSync(
    [process.execPath, 'test', ...LEVEL_PATHS[level], `--timeout=${TIMEOUT_MS[level]}`, '--reporter=junit', `--reporter-outfile=${outfile}`],
    { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...(real ? { BM_NETBOX_REAL_STATE: real.stateFile } : {}) } },
  );
  if (real) stopRealNetbox(real);
  let counts: Counts;
  try {
    counts = countJunit(outfile);
  } catch {
    console.error(`${level}: bun test wrote no report (exit ${run.exitCode})`);
    exitCode = 1;
    continue;
  }
  if (counts.tests === 0) {
    console.error(`${level}: no test ran — that is a failure, not a pass`);
    exitCode = 1;
  }
  if (run.exitCode !== 0) exitCode = 1;
  total.tests += counts.tests;
  total.failures += counts.failures;
  total.skipped += counts.skipped;
  console.log(`${level}: ${counts.tests - counts.failures - counts.skipped} passed, ${counts.failures} failed, ${counts.skipped} skipped`);
}

if (process.env.CI && total.skipped > 0) {
  console.error(`${total.skipped} tests were skipped in CI, where every suite must run`);
  exitCode = 1;
}
console.log(`\ntests: ${total.tests - total.failures - total.skipped} passed, ${total.failures} failed, ${total.skipped} skipped`);
process.exit(exitCode);
