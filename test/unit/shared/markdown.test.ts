/**
 * shared/markdown.ts, by its rules; how the real NetBox renders the result is
 * test/integration/hook/journal-rendering.test.ts.
 */
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { mdCode, mdOneLine, mdTableCell, mdText } from '../../../shared/markdown.ts';

/** What mdText leaves unescaped: a markdown special character not preceded by an escaping backslash. */
const UNESCAPED_SPECIAL = /(?<!\\)(?:\\\\)*[`*[\]()!|{}<>~]/;

describe('mdText: untrusted text shown as itself', () => {
  test('plain words, addresses and identifiers stay readable', () => {
    expect(mdText('srv-01.example.net 10.1.2.3/24 bm_required_field')).toBe('srv-01.example.net 10.1.2.3/24 bm_required_field');
    expect(mdText("Missing required custom field 'x'.")).toBe("Missing required custom field 'x'.");
  });

  test('markdown, HTML and table breakers are escaped', () => {
    expect(mdText('**b** `c` [l](javascript:alert(1)) a|b')).toBe('\\*\\*b\\*\\* \\`c\\` \\[l\\]\\(javascript:alert\\(1\\)\\) a\\|b');
    expect(mdText('<script>&amp;</script>')).toBe('&lt;script&gt;&amp;amp;&lt;/script&gt;');
    expect(mdText('~~s~~')).toBe('&#126;&#126;s&#126;&#126;');
    expect(mdText('_x_ __init__ a_b')).toBe('\\_x\\_ \\_\\_init\\_\\_ a_b');
    expect(mdText('back\\slash')).toBe('back\\\\slash');
  });

  test('line breaks, control and bidi characters become spaces; nothing can start a line', () => {
    expect(mdText('a\nb\r\nc\u2028d\u202ee\u0000f')).toBe('a b  c d e f');
    expect(mdText('# h')).toBe('\\# h');
    expect(mdText('- item')).toBe('\\- item');
    expect(mdText('+ item')).toBe('\\+ item');
    expect(mdText('12. item')).toBe('12\\. item');
    expect(mdText(': def')).toBe('&#58; def');
    expect(mdText('===')).toBe('&#61;==');
    expect(mdText('    code')).toBe('code');
    expect(mdText('-1 and 10.0.0.1')).toBe('-1 and 10.0.0.1');
  });

  test('any string: one line, no unescaped special character (property, 3,000 cases)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: fc.constantFrom(...'`*_[]()!|{}<>~&#\\\n a1.-+:='), maxLength: 40 })), (raw) => {
        const out = mdText(raw);
        expect(out).not.toMatch(/[\n\r]/);
        expect(out).not.toMatch(UNESCAPED_SPECIAL);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('mdCode: a code span that cannot be broken out of', () => {
  test('a plain name is a plain code span', () => {
    expect(mdCode('eth0')).toBe('`eth0`');
    expect(mdCode('0000001-x.json')).toBe('`0000001-x.json`');
  });

  test('the fence is longer than any backtick run; a leading or trailing backtick is padded', () => {
    expect(mdCode('a`b')).toBe('``a`b``');
    expect(mdCode('a``b`c')).toBe('```a``b`c```');
    expect(mdCode('`x`')).toBe('`` `x` ``');
  });

  test('one line; empty is `""`; `~~` (NetBox strikethrough, which runs before code spans) falls back to escaped text', () => {
    expect(mdCode('a\nb')).toBe('`a b`');
    expect(mdCode('')).toBe('`""`');
    expect(mdCode('a~~b~~')).toBe('a&#126;&#126;b&#126;&#126;');
    expect(mdCode('a~b')).toBe('`a~b`');
  });

  test('any string: the content is exactly the one-line text between two equal fences no inner run reaches (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'`a <>|*\n~'), minLength: 1, maxLength: 30 }), (raw) => {
        const text = mdOneLine(raw);
        fc.pre(text.trim() !== '' && !text.includes('~~'));
        const out = mdCode(raw);
        const fence = /^`+/.exec(out)![0];
        expect(out.endsWith(fence)).toBe(true);
        const inner = out.slice(fence.length, out.length - fence.length);
        expect(inner.trim()).toBe(text.trim());
        for (const run of inner.match(/`+/g) ?? []) expect(run.length).toBeLessThan(fence.length);
      }),
      { numRuns: 3000 },
    );
  });
});

test('mdTableCell: escaped text, numbers as they are, – for none', () => {
  expect(mdTableCell('a|b\nc')).toBe('a\\|b c');
  expect(mdTableCell(42)).toBe('42');
  expect(mdTableCell(null)).toBe('–');
  expect(mdTableCell('')).toBe('–');
});
