import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  applyBackspaces,
  createMemtesterParser,
  decodeMemtesterExitCode,
  feedLines,
  MAX_FAILURE_LINES,
  type MemtesterProgress,
  MEMTESTER_TEST_NAMES,
  MEMTESTER_TESTS_PER_LOOP,
  memtesterFraction,
  parseMemtesterOutput,
} from '../../../agent/tools/memtester.parse.ts';

const dir = join(import.meta.dir, '../../fixtures/memtester');
const fixture = (name: string) => ({ stdout: readFileSync(join(dir, `${name}.stdout`), 'utf8'), stderr: readFileSync(join(dir, `${name}.stderr`), 'utf8') });

/** memtester's own list; the real run in the fixture checks it. */
const ALL_TESTS: string[] = [...MEMTESTER_TEST_NAMES];

describe('memtester exit code', () => {
  test.each([
    [0, { nonStarter: false, addressLines: false, otherTest: false, unknownBits: 0 }],
    [1, { nonStarter: true, addressLines: false, otherTest: false, unknownBits: 0 }],
    [2, { nonStarter: false, addressLines: true, otherTest: false, unknownBits: 0 }],
    [4, { nonStarter: false, addressLines: false, otherTest: true, unknownBits: 0 }],
    [6, { nonStarter: false, addressLines: true, otherTest: true, unknownBits: 0 }],
    [137, { nonStarter: true, addressLines: false, otherTest: false, unknownBits: 136 }],
  ])('exit status %d decodes to its bits', (code, bits) => {
    expect(decodeMemtesterExitCode(code)).toEqual(bits);
  });
});

describe('memtester output', () => {
  test('backspace progress sequences vanish like on a terminal', () => {
    expect(
      applyBackspaces(
        '  Stuck Address       :            \b\b\b\b\b\b\b\b\b\b\bsetting   0\b\b\b\b\b\b\b\b\b\b\btesting   0\b\b\b\b\b\b\b\b\b\b\b           \b\b\b\b\b\b\b\b\b\b\bok',
      ),
    ).toBe('  Stuck Address       : ok');
    expect(applyBackspaces('  Random Value        :  \b\\\b|\b/\b-\b \bok')).toBe('  Random Value        : ok');
  });

  test('a real passing run parses to every test ok, locked, and pass', () => {
    const { stdout, stderr } = fixture('pass-32M-1loop');
    const report = parseMemtesterOutput(stdout, stderr, 0);
    expect(report.verdict).toBe('pass');
    expect(report.version).toBe('4.6.0');
    expect(report.wantedBytes).toBe(32 * 2 ** 20);
    expect(report.testedBytes).toBe(32 * 2 ** 20);
    expect(report.locked).toBe(true);
    expect(report.loopsPlanned).toBe(1);
    expect(report.tests.map((t) => t.name)).toEqual(ALL_TESTS);
    expect(report.tests.every((t) => t.ok && t.loop === 1)).toBe(true);
    expect(report.failures).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.done).toBe(true);
  });

  test('data-pattern failures (exit 4) name the failed tests and keep the FAILURE lines', () => {
    const { stdout, stderr } = fixture('fail-compare-injected');
    const report = parseMemtesterOutput(stdout, stderr, 4);
    expect(report.verdict).toBe('fail');
    expect(report.exitBits).toMatchObject({ otherTest: true, addressLines: false });
    expect(report.tests.find((t) => t.name === 'Stuck Address')?.ok).toBe(true);
    expect(report.tests.filter((t) => !t.ok).map((t) => t.name)).toEqual([
      'Random Value',
      'Solid Bits',
      'Block Sequential',
      'Checkerboard',
      'Bit Spread',
      'Bit Flip',
      'Walking Ones',
      'Walking Zeroes',
      '16-bit Writes',
    ]);
    expect(report.tests).toHaveLength(ALL_TESTS.length);
    expect(report.failureCount).toBe(9);
    expect(report.failures[0]).toBe('FAILURE: 0x2a8d4fded9ed415d != 0x7b2eb62aecdb257e at offset 0x00000000005306b0.');
    expect(report.reasons.join(' ')).toContain('Random Value');
  });

  test('a stuck address line (exit 6) is reported as such', () => {
    const { stdout, stderr } = fixture('fail-stuck-address-injected');
    const report = parseMemtesterOutput(stdout, stderr, 6);
    expect(report.verdict).toBe('fail');
    expect(report.exitBits).toMatchObject({ addressLines: true, otherTest: true });
    expect(report.tests.find((t) => t.name === 'Stuck Address')?.ok).toBe(false);
    expect(report.tests).toHaveLength(ALL_TESTS.length);
    expect(report.failures[0]).toBe('FAILURE: possible bad address line at offset 0x000000000073ef20.');
    expect(report.reasons[0]).toContain('bad address line');
  });

  test('a run without mlock permission passes with a warning about unlocked memory', () => {
    const { stdout, stderr } = fixture('unlocked-no-permission');
    const report = parseMemtesterOutput(stdout, stderr, 0);
    expect(report.verdict).toBe('pass');
    expect(report.locked).toBe(false);
    expect(report.warnings.join(' ')).toContain('could not lock');
  });

  test('a buffer shrunk to fit the mlock limit is reported as "got only"', () => {
    const { stdout, stderr } = fixture('reduced-memlock-limit');
    const report = parseMemtesterOutput(stdout, stderr, 0);
    expect(report.verdict).toBe('pass');
    expect(report.locked).toBe(true);
    expect(report.wantedBytes).toBe(4 * 2 ** 20);
    expect(report.testedBytes).toBeLessThan(report.wantedBytes!);
    expect(report.reductions).toBeGreaterThan(0);
    expect(report.warnings.join(' ')).toMatch(/got only \d+ MiB of the 4 MiB/);
  });

  test('a usage error (exit 1) is an error, not a memory failure', () => {
    const { stdout, stderr } = fixture('usage-bad-size');
    const report = parseMemtesterOutput(stdout, stderr, 1);
    expect(report.verdict).toBe('error');
    expect(report.reasons[0]).toContain('Usage: memtester');
  });

  test('a killed run is an error and its unfinished test is not counted as failed', () => {
    const { stdout } = fixture('pass-32M-1loop');
    const cut = stdout.slice(0, stdout.indexOf('  Compare MUL') + 30);
    const report = parseMemtesterOutput(cut, '', null);
    expect(report.verdict).toBe('error');
    expect(report.tests.every((t) => t.ok)).toBe(true);
    expect(report.done).toBe(false);
  });

  test('exit 0 without "Done." is an error (truncated output)', () => {
    const { stdout } = fixture('pass-32M-1loop');
    const report = parseMemtesterOutput(stdout.replace('Done.', ''), '', 0);
    expect(report.verdict).toBe('error');
  });
});

describe('memtester output, a line at a time', () => {
  const FIXTURES: [string, number | null][] = [
    ['pass-32M-1loop', 0],
    ['fail-compare-injected', 4],
    ['fail-stuck-address-injected', 6],
    ['unlocked-no-permission', 0],
    ['reduced-memlock-limit', 0],
    ['usage-bad-size', 1],
  ];

  test.each(FIXTURES)('%s: stdout and stderr lines interleaved give the same report as the whole texts', (name, exitCode) => {
    const { stdout, stderr } = fixture(name);
    const parser = createMemtesterParser();
    const out = stdout.split('\n');
    const err = stderr.split('\n');
    // stderr's lines between stdout's, as they arrive from a running memtester
    for (let i = 0; i < Math.max(out.length, err.length); i++) {
      if (i < err.length) parser.stderrLine(err[i]!);
      if (i < out.length) parser.stdoutLine(out[i]!);
    }
    expect(parser.finish(exitCode)).toEqual(parseMemtesterOutput(stdout, stderr, exitCode));
  });

  test('a flood of FAILURE lines: all counted, only the first ones kept', () => {
    const parser = createMemtesterParser();
    const { stdout } = fixture('fail-compare-injected');
    feedLines(stdout, parser.stdoutLine);
    for (let i = 0; i < 300_000; i++) parser.stderrLine(`FAILURE: 0x${i.toString(16).padStart(16, '0')} != 0x0 at offset 0x0.`);
    const report = parser.finish(4);
    expect(report.failureCount).toBe(300_000);
    expect(report.failures).toHaveLength(MAX_FAILURE_LINES);
    expect(report.failures[0]).toBe('FAILURE: 0x0000000000000000 != 0x0 at offset 0x0.');
    expect(report.verdict).toBe('fail');
    expect(report.reasons.join(' ')).toContain('300000 memory errors reported');
  });

  test('each finished test is reported as it is known, for progress; the fraction reaches 1 at Done.', () => {
    const seen: MemtesterProgress[] = [];
    const parser = createMemtesterParser({ onTest: (_test, progress) => seen.push(progress) });
    feedLines(fixture('pass-32M-1loop').stdout, parser.stdoutLine);
    expect(seen).toHaveLength(MEMTESTER_TESTS_PER_LOOP);
    expect(seen.map((p) => p.testsDone)).toEqual(Array.from({ length: MEMTESTER_TESTS_PER_LOOP }, (_, i) => i + 1));
    expect(memtesterFraction(seen[0]!, 1)).toBeCloseTo(1 / 18);
    expect(memtesterFraction(seen.at(-1)!, 1)).toBe(1);
    expect(parser.progress()).toMatchObject({ loop: 1, loopsPlanned: 1, testsPerLoop: 18 });
  });

  test('two loops: progress counts over both; tests per loop are learnt from the first loop', () => {
    const one = fixture('pass-32M-1loop').stdout;
    const loopLines = one.slice(one.indexOf('Loop 1/1:'), one.indexOf('Done.'));
    // A build without the narrow-write tests: 16 per loop.
    const narrowless = loopLines
      .split('\n')
      .filter((l) => !/ {2}(8|16)-bit Writes/.test(l))
      .join('\n');
    const text = `${one.slice(0, one.indexOf('Loop 1/1:'))}${narrowless.replace('Loop 1/1:', 'Loop 1/2:')}${narrowless.replace('Loop 1/1:', 'Loop 2/2:')}Done.\n`;
    const fractions: number[] = [];
    const parser = createMemtesterParser({ onTest: (_test, progress) => fractions.push(memtesterFraction(progress, 2)) });
    feedLines(text, parser.stdoutLine);
    expect(fractions).toHaveLength(32);
    expect(fractions[15]).toBeCloseTo(16 / 36); // loop 1 still assumed to be 18 tests
    expect(fractions[16]).toBeCloseTo(17 / 32); // learnt: 16 per loop
    expect(fractions.at(-1)).toBe(1);
    expect(parser.finish(0)).toMatchObject({ verdict: 'pass', loopsPlanned: 2, loopsStarted: 2 });
  });
});
