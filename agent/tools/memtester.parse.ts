/**
 * memtester's output (4.x) as data. Pure. Incremental: createMemtesterParser()
 * takes one line at a time (stdout and stderr, in any interleaving) and keeps
 * bounded state — per-test results, counts, the first FAILURE lines — so a
 * failing DIMM printing millions of lines costs no memory; finish(exitCode)
 * gives the report. parseMemtesterOutput() does the same over whole texts
 * (`bm-agent evaluate`, tests).
 *
 * memtester draws progress on stdout with backspaces (`\b`), prints
 * `  <test name padded to 20>: ok` per passed test and nothing after the name
 * when a test fails (so the next test's name follows on the same line), and
 * writes `FAILURE: …` lines to stderr. Its exit status is a bit mask:
 * 0x01 could not start (usage, no memory), 0x02 stuck address line, 0x04 any
 * other test failed.
 */
import { wholeMiB } from '../../shared/units.ts';

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
  /** `FAILURE: …` lines, verbatim (the first MAX_FAILURE_LINES). */
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
  return text.split('\n').map(applyLineBackspaces).join('\n');
}

function applyLineBackspaces(line: string): string {
  if (!line.includes('\b')) return line;
  const out: string[] = [];
  for (const char of line) {
    if (char === '\b') out.pop();
    else out.push(char);
  }
  return out.join('');
}

/** One test slot: two spaces, the name padded to 20 columns, `: `, then `ok` when it passed. */
const TEST_SLOT = / {2}([A-Za-z0-9][A-Za-z0-9 -]{19}): (ok(?= *$))?/g;
const FAILURE_PREFIX = 'FAILURE: ';
/** FAILURE lines kept verbatim; the rest are only counted. */
export const MAX_FAILURE_LINES = 100;
/** memtester 4.x's tests in the order it runs them (the narrow-write ones compiled in, as in Debian's). */
export const MEMTESTER_TEST_NAMES = [
  'Stuck Address',
  'Random Value',
  'Compare XOR',
  'Compare SUB',
  'Compare MUL',
  'Compare DIV',
  'Compare OR',
  'Compare AND',
  'Sequential Increment',
  'Solid Bits',
  'Block Sequential',
  'Checkerboard',
  'Bit Spread',
  'Bit Flip',
  'Walking Ones',
  'Walking Zeroes',
  '8-bit Writes',
  '16-bit Writes',
] as const;
/** Tests in one memtester 4.x loop. */
export const MEMTESTER_TESTS_PER_LOOP = MEMTESTER_TEST_NAMES.length;

/** How far a memtester run is, from its per-test lines. */
export interface MemtesterProgress {
  /** Tests finished (ok or failed) over all loops. */
  testsDone: number;
  /** The loop running now (1-based; 0 before the first). */
  loop: number;
  loopsPlanned: number | null;
  /** Tests in one loop: counted in loop 1 once it ended, else MEMTESTER_TESTS_PER_LOOP. */
  testsPerLoop: number;
}

/**
 * The fraction of a run done: tests finished ÷ (tests per loop × loops), at most 1.
 * `loops` is what the caller asked for (memtester prints it as `Loop n/N`). Pure.
 */
export function memtesterFraction(progress: MemtesterProgress, loops: number): number {
  const total = progress.testsPerLoop * Math.max(1, progress.loopsPlanned ?? loops);
  return Math.min(1, progress.testsDone / total);
}

export interface MemtesterParser {
  /** One stdout line (no newline; backspaces and carriage returns as memtester printed them). */
  stdoutLine(line: string): void;
  /** One stderr line. */
  stderrLine(line: string): void;
  progress(): MemtesterProgress;
  /** The report, once the process ended; `exitCode` null when it was killed or cancelled. */
  finish(exitCode: number | null): MemtesterReport;
}

/**
 * A line-at-a-time memtester parser with bounded state. `onTest` is called as each
 * test's result becomes known (for progress).
 */
export function createMemtesterParser(options: { onTest?: (test: MemtesterTestResult, progress: MemtesterProgress) => void } = {}): MemtesterParser {
  let version: string | null = null;
  let wantedBytes: number | null = null;
  let lastGot: { bytes: number; tail: string } | null = null;
  let reductions = 0;
  let insufficientPermission = false;
  let continuedUnlocked = false;
  const tests: MemtesterTestResult[] = [];
  let loop = 0;
  let loopsPlanned: number | null = null;
  let firstLoopTests: number | null = null;
  const failures: string[] = [];
  let failureCount = 0;
  let done = false;
  let lastStderrLine = '';
  let usage = false;

  const progress = (): MemtesterProgress => ({
    testsDone: tests.length,
    loop,
    loopsPlanned,
    testsPerLoop: firstLoopTests ?? MEMTESTER_TESTS_PER_LOOP,
  });
  const failureLine = (line: string) => {
    // A `FAILURE: …` at the start of a line (or after a carriage return), verbatim.
    const parts = line.includes('\r') ? line.split('\r') : [line];
    for (const part of parts) {
      if (!part.startsWith(FAILURE_PREFIX)) continue;
      failureCount++;
      if (failures.length < MAX_FAILURE_LINES) failures.push(part.trim());
    }
  };
  const endFirstLoop = () => {
    if (firstLoopTests === null && tests.length) firstLoopTests = tests.length;
  };

  return {
    stdoutLine(raw) {
      const line = applyLineBackspaces(raw.includes('\r') ? raw.replaceAll('\r', '') : raw);
      failureLine(line);
      if (version === null) version = /memtester version (\S+)/.exec(line)?.[1] ?? null;
      if (line.includes('insufficient permission')) insufficientPermission = true;
      if (line.startsWith('Usage:')) usage = true;
      if (wantedBytes === null) {
        const want = /^want \d+MB \((\d+) bytes\)/.exec(line);
        if (want) wantedBytes = Number(want[1]);
      }
      const got = /^got {1,2}\d+MB \((\d+) bytes\)(.*)$/.exec(line);
      if (got) {
        lastGot = { bytes: Number(got[1]), tail: got[2] ?? '' };
        if (/reducing/.test(lastGot.tail)) reductions++;
      }
      if (/^Done\.\s*$/.test(line)) {
        done = true;
        endFirstLoop();
      }
      const loopMatch = /^Loop (\d+)(?:\/(\d+))?:/.exec(line);
      if (loopMatch) {
        if (loop === 1) endFirstLoop();
        loop = Number(loopMatch[1]);
        if (loopMatch[2]) loopsPlanned = Number(loopMatch[2]);
        return;
      }
      if (loop === 0) return;
      for (const slot of line.matchAll(TEST_SLOT)) {
        const test = { loop, name: slot[1]!.trim(), ok: slot[2] === 'ok' };
        tests.push(test);
        options.onTest?.(test, progress());
      }
    },
    stderrLine(line) {
      failureLine(line);
      if (line.includes('Continuing with unlocked memory')) continuedUnlocked = true;
      if (line.trim()) lastStderrLine = line.trim().slice(0, 500);
    },
    progress,
    finish(exitCode) {
      return judge({
        version,
        wantedBytes,
        lastGot,
        reductions,
        unlocked: insufficientPermission || continuedUnlocked,
        tests: [...tests],
        loop,
        loopsPlanned,
        failures: [...failures],
        failureCount,
        done,
        exitCode,
        startProblem: lastStderrLine || (usage ? 'usage error' : 'could not start'),
      });
    },
  };
}

/** The parser's state at the end of a run. */
interface FinalState {
  version: string | null;
  wantedBytes: number | null;
  lastGot: { bytes: number; tail: string } | null;
  reductions: number;
  /** memtester said it continued with unlocked memory (stderr) or lacked permission (stdout). */
  unlocked: boolean;
  tests: MemtesterTestResult[];
  loop: number;
  loopsPlanned: number | null;
  failures: string[];
  failureCount: number;
  done: boolean;
  exitCode: number | null;
  /** Why memtester could not start, should its exit code say so: its last stderr line. */
  startProblem: string;
}

/** The report: verdict and reasons from the final state. */
function judge(state: FinalState): MemtesterReport {
  const { version, wantedBytes, lastGot, reductions, tests, failures, failureCount, done, exitCode } = state;
  const warnings: string[] = [];
  let locked: boolean | null = null;
  if (lastGot) {
    const tail = lastGot.tail;
    if (/locked\./.test(tail) && !/unlocked/.test(tail)) locked = true;
    else if (/failed for unknown reason/.test(tail)) locked = false;
    else if (!/trying mlock/.test(tail)) locked = false;
  }
  if (state.unlocked) locked = false;
  if (locked === false) warnings.push('memtester could not lock its memory (mlock); it tested unlocked pages, which is slower and less reliable');

  const testedBytes = lastGot ? lastGot.bytes : null;
  if (wantedBytes !== null && testedBytes !== null && testedBytes < wantedBytes) {
    warnings.push(
      `memtester got only ${wholeMiB(testedBytes)} MiB of the ${wholeMiB(wantedBytes)} MiB asked (${reductions} reductions to fit the mlock limit)`,
    );
  }

  // A run cut short (killed, timed out) leaves the test it was in without `ok`: unfinished, not failed.
  if (!done && tests.at(-1)?.ok === false) tests.pop();
  const exitBits = exitCode === null ? null : decodeMemtesterExitCode(exitCode);

  const reasons: string[] = [];
  const failedTests = tests.filter((t) => !t.ok);
  const failedNames = [...new Set(failedTests.map((t) => t.name))];
  let verdict: MemtesterVerdict = 'pass';
  if (exitCode === null && failureCount === 0) {
    verdict = 'error';
    reasons.push('memtester did not exit normally (killed or cancelled)');
  } else if (exitBits?.addressLines || exitBits?.otherTest || failureCount > 0 || failedTests.length > 0) {
    verdict = 'fail';
    if (exitBits?.addressLines) reasons.push('memtester found a possible bad address line (Stuck Address test failed)');
    if (failedNames.length) reasons.push(`memtester tests failed: ${failedNames.join(', ')}`);
    if (failureCount) reasons.push(`${failureCount} memory errors reported, first: ${failures[0]}`);
    if (!reasons.length) reasons.push(`memtester exited ${exitCode ?? 'abnormally'} (a test failed)`);
  } else if (exitBits?.nonStarter) {
    verdict = 'error';
    reasons.push(`memtester could not start: ${state.startProblem}`);
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
    loopsPlanned: state.loopsPlanned,
    loopsStarted: state.loop,
    tests,
    failures,
    failureCount,
    warnings,
    done,
    exitCode,
    exitBits,
    verdict,
    reasons,
  };
}

/** Parses whole outputs (a saved bundle, tests): the incremental parser fed stderr's lines, then stdout's. */
export function parseMemtesterOutput(stdout: string, stderr: string, exitCode: number | null): MemtesterReport {
  const parser = createMemtesterParser();
  feedLines(stderr, parser.stderrLine);
  feedLines(stdout, parser.stdoutLine);
  return parser.finish(exitCode);
}

/** Hands each line of `text` to `line` without splitting the whole text at once. */
export function feedLines(text: string, line: (line: string) => void): void {
  let start = 0;
  for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
    line(text.slice(start, nl));
    start = nl + 1;
  }
  if (start < text.length) line(text.slice(start));
}
