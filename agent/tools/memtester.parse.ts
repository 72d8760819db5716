/**
 * memtester's output (4.x) as data. Pure: takes the text and the exit code.
 *
 * memtester draws progress on stdout with backspaces (`\b`), prints
 * `  <test name padded to 20>: ok` per passed test and nothing after the name
 * when a test fails (so the next test's name follows on the same line), and
 * writes `FAILURE: …` lines to stderr. Its exit status is a bit mask:
 * 0x01 could not start (usage, no memory), 0x02 stuck address line, 0x04 any
 * other test failed.
 */
import { wholeMiB } from '../units.ts';

export const MEMTESTER_EXIT = { nonStarter: 0x01, addressLines: 0x02, otherTest: 0x04 } as const;

export interface MemtesterExitBits {
  /** Bit 0x01: usage error or could not get memory; not a verdict on the RAM. */
  nonStarter: boolean;
  /** Bit 0x02: the Stuck Address test failed (possible bad address line). */
  addressLines: boolean;
  /** Bit 0x04: one of the data-pattern tests failed. */
  otherTest: boolean;
  /** Bits memtester does not define (e.g. 128+n from a shell); never expected. */
  unknownBits: number;
}

export function decodeMemtesterExitCode(exitCode: number): MemtesterExitBits {
  return {
    nonStarter: (exitCode & MEMTESTER_EXIT.nonStarter) !== 0,
    addressLines: (exitCode & MEMTESTER_EXIT.addressLines) !== 0,
    otherTest: (exitCode & MEMTESTER_EXIT.otherTest) !== 0,
    unknownBits: exitCode & ~0x07,
  };
}

export interface MemtesterTestResult {
  /** 1-based loop number. */
  loop: number;
  name: string;
  ok: boolean;
}

export type MemtesterVerdict = 'pass' | 'fail' | 'error';

export interface MemtesterReport {
  version: string | null;
  /** Bytes asked for (`want …`). */
  wantedBytes: number | null;
  /** Bytes finally tested (the last `got …`): may be less than wanted when mlock limits forced memtester to shrink. */
  testedBytes: number | null;
  /** True when the buffer was mlock-ed, false when memtester continued unlocked, null when unknown. */
  locked: boolean | null;
  /** How many times memtester shrank its buffer to fit the mlock limit. */
  reductions: number;
  loopsPlanned: number | null;
  loopsStarted: number;
  tests: MemtesterTestResult[];
  /** `FAILURE: …` lines, verbatim (first 100). */
  failures: string[];
  failureCount: number;
  /** Conditions worth an operator's attention that are not failures (unlocked memory, shrunk buffer). */
  warnings: string[];
  /** memtester printed `Done.` (ran to the end). */
  done: boolean;
  exitCode: number | null;
  exitBits: MemtesterExitBits | null;
  verdict: MemtesterVerdict;
  /** Why the verdict is not pass (short sentences). */
  reasons: string[];
}

/** Applies backspaces the way a terminal would, so progress spinners vanish. */
export function applyBackspaces(text: string): string {
  const lines = text.split('\n');
  return lines
    .map((line) => {
      if (!line.includes('\b')) return line;
      const out: string[] = [];
      for (const char of line) {
        if (char === '\b') out.pop();
        else out.push(char);
      }
      return out.join('');
    })
    .join('\n');
}

/** One test slot: two spaces, the name padded to 20 columns, `: `, then `ok` when it passed. */
const TEST_SLOT = / {2}([A-Za-z0-9][A-Za-z0-9 -]{19}): (ok(?= *$))?/g;
const FAILURE_LINE = /^FAILURE: .*$/gm;
const MAX_FAILURE_LINES = 100;

export function parseMemtesterOutput(stdout: string, stderr: string, exitCode: number | null): MemtesterReport {
  const text = applyBackspaces(stdout.replaceAll('\r', ''));
  const version = /memtester version (\S+)/.exec(text)?.[1] ?? null;
  const want = /^want \d+MB \((\d+) bytes\)/m.exec(text);
  const gots = [...text.matchAll(/^got {1,2}\d+MB \((\d+) bytes\)(.*)$/gm)];
  const lastGot = gots.at(-1);
  const reductions = gots.filter((g) => /reducing/.test(g[2] ?? '')).length;
  const warnings: string[] = [];

  let locked: boolean | null = null;
  if (lastGot) {
    const tail = lastGot[2] ?? '';
    if (/locked\./.test(tail) && !/unlocked/.test(tail)) locked = true;
    else if (/failed for unknown reason/.test(tail)) locked = false;
    else if (!/trying mlock/.test(tail)) locked = false;
  }
  if (/Continuing with unlocked memory/.test(stderr) || /insufficient permission/.test(text)) locked = false;
  if (locked === false) warnings.push('memtester could not lock its memory (mlock); it tested unlocked pages, which is slower and less reliable');

  const wantedBytes = want ? Number(want[1]) : null;
  const testedBytes = lastGot ? Number(lastGot[1]) : null;
  if (wantedBytes !== null && testedBytes !== null && testedBytes < wantedBytes) {
    warnings.push(
      `memtester got only ${wholeMiB(testedBytes)} MiB of the ${wholeMiB(wantedBytes)} MiB asked (${reductions} reductions to fit the mlock limit)`,
    );
  }

  const tests: MemtesterTestResult[] = [];
  let loop = 0;
  let loopsPlanned: number | null = null;
  for (const line of text.split('\n')) {
    const loopMatch = /^Loop (\d+)(?:\/(\d+))?:/.exec(line);
    if (loopMatch) {
      loop = Number(loopMatch[1]);
      if (loopMatch[2]) loopsPlanned = Number(loopMatch[2]);
      continue;
    }
    if (loop === 0) continue;
    for (const slot of line.matchAll(TEST_SLOT)) {
      tests.push({ loop, name: slot[1]!.trim(), ok: slot[2] === 'ok' });
    }
  }

  const failureLines = [...`${stderr}\n${text}`.matchAll(FAILURE_LINE)].map((m) => m[0].trim());
  const done = /^Done\.\s*$/m.test(text);
  // A run cut short (killed, timed out) leaves the test it was in without `ok`: unfinished, not failed.
  if (!done && tests.at(-1)?.ok === false) tests.pop();
  const exitBits = exitCode === null ? null : decodeMemtesterExitCode(exitCode);

  const reasons: string[] = [];
  const failedTests = tests.filter((t) => !t.ok);
  const failedNames = [...new Set(failedTests.map((t) => t.name))];
  let verdict: MemtesterVerdict = 'pass';
  if (exitCode === null && failureLines.length === 0) {
    verdict = 'error';
    reasons.push('memtester did not exit normally (killed or cancelled)');
  } else if (exitBits?.addressLines || exitBits?.otherTest || failureLines.length > 0 || failedTests.length > 0) {
    verdict = 'fail';
    if (exitBits?.addressLines) reasons.push('memtester found a possible bad address line (Stuck Address test failed)');
    if (failedNames.length) reasons.push(`memtester tests failed: ${failedNames.join(', ')}`);
    if (failureLines.length) reasons.push(`${failureLines.length} memory errors reported, first: ${failureLines[0]}`);
    if (!reasons.length) reasons.push(`memtester exited ${exitCode ?? 'abnormally'} (a test failed)`);
  } else if (exitBits?.nonStarter) {
    verdict = 'error';
    const why = stderr.trim().split('\n').filter(Boolean).at(-1) ?? (/^Usage:/m.test(text) ? 'usage error' : 'could not start');
    reasons.push(`memtester could not start: ${why}`);
  } else if (exitCode !== 0) {
    verdict = 'error';
    reasons.push(`memtester exited with unexpected status ${exitCode}`);
  } else if (!done) {
    verdict = 'error';
    reasons.push('memtester exited 0 but its output is incomplete (no "Done.")');
  } else if (tests.length === 0) {
    verdict = 'error';
    reasons.push('memtester exited 0 but ran no tests');
  }

  return {
    version,
    wantedBytes,
    testedBytes,
    locked,
    reductions,
    loopsPlanned,
    loopsStarted: loop,
    tests,
    failures: failureLines.slice(0, MAX_FAILURE_LINES),
    failureCount: failureLines.length,
    warnings,
    done,
    exitCode,
    exitBits,
    verdict,
    reasons,
  };
}
