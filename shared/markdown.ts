/**
 * Untrusted text in NetBox markdown (journal entries, comments). NetBox renders
 * journal comments with Python-Markdown (extensions def_list, fenced_code,
 * strikethrough, tables) and then sanitises the HTML (nh3), so injected HTML
 * cannot run — but a DHCP hostname, a name from NetBox or NetBox's own refusal
 * message could still break out of a code span, make a link, a table or
 * emphasis, or vanish as a "tag". Everything that is not our own markdown goes
 * through one of these functions. Pure.
 *
 * The rules (checked against a real NetBox by test/integration/hook/journal-rendering.test.ts):
 * - line breaks and other control or bidirectional-override characters become
 *   spaces (nothing untrusted starts a line, a list, a heading or a table row);
 * - `&`, `<`, `>` become entities (shown as the characters, never as HTML);
 * - markdown punctuation is backslash-escaped (`\*`, `\[`, `\|`, …), `~` is an entity
 *   (Python-Markdown has no `\~`, and NetBox's `~~strikethrough~~` pairs across code
 *   spans: mdCode shows text holding `~~` as escaped text); underscores inside a word stay as they are
 *   (`bm_required_field`: Python-Markdown never emphasises inside a word);
 * - what would start a heading, list or definition at the start of a line (`#`, `- `,
 *   `+ `, `1. `, `: `, `=`) is escaped there, so the text is safe at a line start too.
 */

/** Control characters, line/paragraph separators and bidirectional overrides (they would reorder what a reader sees). */
const UNPRINTABLE = /[\p{Cc}\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/**
 * Python-Markdown's backslash escapes (ESCAPED_CHARS, plus `|` that the tables extension
 * adds) that matter anywhere in a line; `_` only at a word's edge (a run of them between
 * two letters or digits is left alone).
 */
const INLINE_SPECIAL = /[\\`*{}[\]()!|]|(?<![A-Za-z0-9])_+|_+(?![A-Za-z0-9])/g;

/** Line-start markup: heading, list item, numbered item, definition, setext underline. */
const LINE_START = /^(#|[-+](?=\s|$)|\d+\.(?=\s|$)|:(?=\s|$)|=)/;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '~': '&#126;' };

/** One line of printable text: every unprintable character is a space. */
export function mdOneLine(untrusted: string): string {
  return untrusted.replace(UNPRINTABLE, ' ');
}

/** Untrusted text shown as itself in running markdown text (not inside a code span). */
export function mdText(untrusted: string): string {
  return mdOneLine(untrusted)
    .trimStart()
    .replace(INLINE_SPECIAL, (special) => special.replace(/./g, '\\$&'))
    .replace(/[&<>~]/g, (c) => ENTITIES[c]!)
    .replace(LINE_START, (markup) => (markup === '=' ? '&#61;' : markup === ':' ? '&#58;' : markup.replace(/[#+\-.]$/, '\\$&')));
}

/**
 * Untrusted text as an inline code span that cannot be broken out of: the fence is
 * one backtick longer than the longest backtick run inside, padded with a space when
 * the text starts or ends with a backtick (Python-Markdown strips that space). Inside
 * a code span markdown and HTML are shown literally, so nothing else needs escaping —
 * except `~~`: NetBox's strikethrough runs before code spans and would pair it with
 * any other `~~` of the paragraph, so such text is shown as escaped text (mdText)
 * instead. Empty text is shown as `""` (an empty code span would print its
 * backticks). Place it after a space or punctuation, never right after a backslash.
 */
export function mdCode(untrusted: string): string {
  const text = mdOneLine(untrusted);
  if (text.trim() === '') return '`""`';
  if (text.includes('~~')) return mdText(text);
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** A markdown table cell: untrusted text (mdText escapes `|` and line breaks), a number, or `–` for none. */
export function mdTableCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '–';
  return typeof value === 'number' ? String(value) : mdText(value);
}
