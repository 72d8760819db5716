/**
 * A memtester whose DIMM fails on every word, and the agent's memory while it
 * runs. The fake prints memtester 4.6's header, one failing test followed by
 * `lines` FAILURE lines on stderr (`yes | head`: millions per second), the other
 * tests ok, `Done.`, exit 4. The compiled bm-agent runs it through 02-memory
 * (`run --dry-run --only 02-memory`, one process, no NetBox), as on a machine.
 *
 * What is measured is the agent process's own RSS: as memtester starts, the fake
 * resets the agent's peak (`echo 5 > /proc/<agent>/clear_refs`) and records its
 * VmRSS; this process polls the agent's VmHWM until it exits. Growth = the last
 * VmHWM − VmRSS at memtester's start: everything 02-memory and the report held
 * because of memtester's output, not the start-up or 01-init before it.
 * Used by bench/memtester-flood.ts (`make bench`) and the integration suite.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MEMTESTER_TEST_NAMES } from '../../agent/tools/memtester.parse.ts';

/** A memtester format FAILURE line (compare test), 80 bytes with its newline. */
export const FLOOD_LINE = 'FAILURE: 0x2a8d4fded9ed415d != 0x7b2eb62aecdb257e at offset 0x00000000005306b0.';

/** Writes `<dir>/memtester` (the fake) and returns the file where it records the agent's RSS at its start. */
export function writeFloodMemtester(dir: string, lines: number): string {
  mkdirSync(dir, { recursive: true });
  const rssFile = join(dir, 'agent-rss-at-start');
  const ok = MEMTESTER_TEST_NAMES.slice(2)
    .map((name) => `printf '  %-20s: ok\\n' '${name}'`)
    .join('\n');
  const script = `#!/bin/sh
# A memtester whose DIMM fails on every word (test/helpers/memtester-flood.ts).
{ echo 5 > /proc/$PPID/clear_refs && echo reset; grep '^VmRSS:' /proc/$PPID/status; } > '${rssFile}' 2>/dev/null
mb=\${1%M}
echo 'memtester version 4.6.0 (64-bit)'
echo 'Copyright (C) 2001-2020 Charles Cazabon.'
echo 'Licensed under the GNU General Public License version 2 (only).'
echo
echo 'pagesize is 4096'
echo 'pagesizemask is 0xfffffffffffff000'
echo "want \${mb}MB ($((mb * 1048576)) bytes)"
echo "got  \${mb}MB ($((mb * 1048576)) bytes), trying mlock ...locked."
echo 'Loop 1/1:'
printf '  %-20s: ok\\n' 'Stuck Address'
printf '  %-20s: ' 'Random Value'
yes '${FLOOD_LINE}' | head -n ${Math.floor(lines)} >&2
${ok}
echo
echo 'Done.'
exit 4
`;
  const path = join(dir, 'memtester');
  writeFileSync(path, script);
  chmodSync(path, 0o755);
  return rssFile;
}

export interface FloodMeasurement {
  lines: number;
  /** The agent's VmRSS as memtester started, MiB. */
  rssAtStartMiB: number;
  /** The agent's peak RSS from memtester's start until it exited, MiB. */
  peakMiB: number;
  /** peak − RSS at start, MiB. */
  growthMiB: number;
  /** The peak was reset at memtester's start; false: it includes start-up and 01-init (growth overstated). */
  peakReset: boolean;
  /** 02-memory's status and failure count in the report (fail and `lines` when the agent kept count). */
  status: string;
  failureCount: number | null;
  wallMs: number;
}

const statusKiB = (text: string, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);

/** Runs `binary run --dry-run --only 02-memory` with the fake printing `lines` FAILURE lines; see the module comment. */
export async function measureMemtesterFlood(binary: string, lines: number, options: { pollMs?: number } = {}): Promise<FloodMeasurement> {
  const dir = mkdtempSync(join(tmpdir(), 'bm-flood-'));
  try {
    const rssFile = writeFloodMemtester(join(dir, 'bin'), lines);
    const started = performance.now();
    const child = Bun.spawn(
      [
        binary,
        'run',
        '--dry-run',
        '--json',
        '--only',
        '02-memory',
        '--profile',
        'quick',
        '--cmdline-file',
        '/dev/null',
        '--evidence-dir',
        join(dir, 'evidence'),
        '--set',
        'memory.size_mb=16',
        '--set',
        'memory.processes=1',
      ],
      { env: { PATH: `${join(dir, 'bin')}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` }, stdout: 'pipe', stderr: 'pipe' },
    );
    let peakKiB = 0;
    const poll = setInterval(() => {
      try {
        const hwm = statusKiB(readFileSync(`/proc/${child.pid}/status`, 'utf8'), 'VmHWM');
        if (hwm > 0 && existsSync(rssFile)) peakKiB = hwm;
      } catch {
        // exited between two polls
      }
    }, options.pollMs ?? 10);
    const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    clearInterval(poll);
    const wallMs = performance.now() - started;
    if (!existsSync(rssFile)) throw new Error(`the fake memtester never ran (bm-agent exit ${exitCode}): ${stderr.slice(-2000)}`);
    const start = readFileSync(rssFile, 'utf8');
    const report = JSON.parse(stdout) as { steps: { id: string; status: string; metrics?: Record<string, unknown> }[] };
    const memory = report.steps.find((s) => s.id === '02-memory');
    const rssAtStartMiB = statusKiB(start, 'VmRSS') / 1024;
    return {
      lines,
      rssAtStartMiB,
      peakMiB: peakKiB / 1024,
      growthMiB: peakKiB / 1024 - rssAtStartMiB,
      peakReset: start.startsWith('reset'),
      status: memory?.status ?? 'missing',
      failureCount: typeof memory?.metrics?.failureCount === 'number' ? memory.metrics.failureCount : null,
      wallMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
