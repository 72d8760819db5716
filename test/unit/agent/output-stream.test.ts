/**
 * createOutputStream (one tool stream in bounded memory): lines split across
 * chunks, a last line without newline, over-long lines in pieces, the capped
 * evidence file (head, marker, tail from a line start) and the in-memory tail.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOutputStream, omissionMarker } from '../../../agent/tools/output-stream.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempFile = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), 'bmt-output-stream-'));
  dirs.push(dir);
  return join(dir, 'sub', name);
};
const bytes = (text: string) => new TextEncoder().encode(text);

describe('createOutputStream', () => {
  test('lines split across chunks and a multi-byte character cut in two arrive whole; the last line needs no newline', () => {
    const lines: string[] = [];
    const sink = createOutputStream({ onLine: (l) => lines.push(l) });
    const all = bytes('alpha\nbe€ta\n\ngamma');
    // Cuts inside "alpha", inside the 3-byte €, and between the two newlines.
    const cuts = [0, 3, 9, 13, 14, all.length];
    for (let i = 1; i < cuts.length; i++) sink.write(all.subarray(cuts[i - 1], cuts[i]));
    const { tail, stats } = sink.end();
    expect(lines).toEqual(['alpha', 'be€ta', '', 'gamma']);
    expect(tail).toBe('alpha\nbe€ta\n\ngamma');
    expect(stats).toEqual({ bytes: all.length, lines: 4, omittedBytes: 0 });
  });

  test('a line still unterminated past the limit is handed on in pieces (no unbounded buffer)', () => {
    const lines: string[] = [];
    const sink = createOutputStream({ onLine: (l) => lines.push(l), maxLineChars: 4 });
    for (const chunk of ['abc', 'def', 'ghi', 'j\nxy\n']) sink.write(bytes(chunk));
    sink.end();
    expect(lines).toEqual(['abcd', 'efgh', 'ij', 'xy']);
  });

  test('the file holds everything when the output fits in the cap plus the tail', () => {
    const file = tempFile('fits.txt');
    const sink = createOutputStream({ file, maxFileBytes: 10, tailBytes: 16 });
    sink.write(bytes('0123456789'));
    sink.write(bytes('abcdef\n'));
    expect(sink.end().stats.omittedBytes).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('0123456789abcdef\n');
  });

  test('past the cap: head, a marker with the count left out, then the tail from a line start; memory holds only the tail', () => {
    const file = tempFile('capped.txt');
    const sink = createOutputStream({ file, maxFileBytes: 12, tailBytes: 20 });
    const text = `${Array.from({ length: 50 }, (_, i) => `line ${String(i).padStart(2, '0')}`).join('\n')}\n`; // 8 bytes a line
    for (let i = 0; i < text.length; i += 7) sink.write(bytes(text.slice(i, i + 7)));
    const { tail, stats } = sink.end();
    expect(tail).toBe('line 48\nline 49\n');
    const omitted = text.length - 12 - 'line 48\nline 49\n'.length;
    expect(stats).toEqual({ bytes: text.length, lines: 0, omittedBytes: omitted });
    expect(readFileSync(file, 'utf8')).toBe(`line 00\nline${omissionMarker(omitted, 12)}line 48\nline 49\n`);
  });

  test('no file when the stream stayed empty', () => {
    const file = tempFile('empty.txt');
    expect(createOutputStream({ file }).end()).toEqual({ tail: '', stats: { bytes: 0, lines: 0, omittedBytes: 0 } });
    expect(existsSync(file)).toBe(false);
  });
});
