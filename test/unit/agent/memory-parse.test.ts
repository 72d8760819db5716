import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyBackspaces, decodeMemtesterExitCode, parseMemtesterOutput } from '../../../agent/tools/memtester.parse.ts';

const dir = join(import.meta.dir, '../../fixtures/memtester');
const fixture = (name: string) => ({ stdout: readFileSync(join(dir, `${name}.stdout`), 'utf8'), stderr: readFileSync(join(dir, `${name}.stderr`), 'utf8') });

const ALL_TESTS = [
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
];

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
