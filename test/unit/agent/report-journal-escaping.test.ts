/**
 * Wire data in the agent's journal markdown: an LLDP system name and port description
 * (what a switch sends), a disk model (what the drive's firmware says) and a delivery's
 * refusal carry markdown, HTML and table breakers. In the journal text they must stay text:
 * no raw `<`, no link or image syntax, no extra table cell or row, no line of their own.
 * (How the real NetBox renders the same entries: test/integration/agent/journal-rendering.test.ts.)
 */
import { describe, expect, test } from 'bun:test';
import { renderDeliveryJournal, renderFinalJournal, renderStepJournal, reportStepOf } from '../../../agent/report.ts';
import { HOSTILE_SYSNAME, hostileRecords, hostileReport } from '../../helpers/hostile-wire.ts';

/** Table rows of a markdown text: lines starting with `|`, split on unescaped pipes. */
function tableRows(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) => line.split(/(?<!\\)\|/).slice(1, -1));
}

/** The things that would make markup in NetBox: raw HTML, links, images, autolinks. */
function expectNoMarkupFromData(markdown: string): void {
  expect(markdown).not.toMatch(/<(img|script|b|http)/i);
  expect(markdown).not.toMatch(/(?<!\\)\]\(/); // [text](url) or ![alt](src)
  expect(markdown).not.toMatch(/(?<!\\)!(?<!\\)\[/);
  expect(markdown).not.toContain('~~');
  expect(markdown.split('\n').filter((line) => /^(#|- item|\| injected)/.test(line))).toEqual([]);
}

describe('the agent journal escapes what comes from tools and the wire', () => {
  const [init, lldp] = hostileRecords().map(reportStepOf);

  test('04-lldp: a hostile system name and port description stay text in one cell of one row', () => {
    const { comments } = renderStepJournal(lldp!, 'run-1');
    expectNoMarkupFromData(comments);
    const rows = tableRows(comments);
    expect(rows).toHaveLength(3); // header, separator, the one NIC
    for (const row of rows) expect(row).toHaveLength(7);
    expect(rows[2]![3]).toContain('sw1&lt;img src=x onerror=alert\\(1\\)&gt;');
    expect(rows[2]![3]).toContain('xe-0/0/17 \\|---\\|---\\|');
    expect(rows[2]![5]!.trim()).toBe('–');
  });

  test('01-init: a hostile disk model stays text in the summary, the reasons and the table', () => {
    const { comments } = renderStepJournal(init!, 'run-1');
    expectNoMarkupFromData(comments);
    expect(comments.split('\n')[0]).toContain('SAMSUNG &lt;b&gt;MZ&lt;/b&gt; \\| &lt;http://evil/&gt; \\_x\\_ \\\\ &amp;amp;');
    const rows = tableRows(comments);
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toHaveLength(3);
  });

  test('the final entry escapes step summaries, reasons and delivery refusals', () => {
    const report = hostileReport('https://dav.example/evidence/run-1.tar.gz');
    const refusal = { what: 'status → failed', outcome: 'failed' as const, detail: `refused: NetBox answered 400: ${HOSTILE_SYSNAME}` };
    const { comments } = renderFinalJournal(report, null, [refusal]);
    expectNoMarkupFromData(comments);
    for (const row of tableRows(comments)) expect(row).toHaveLength(3);
    expect(comments).toContain('- ⚠️ status → failed not delivered: refused: NetBox answered 400: sw1&lt;img');
    expectNoMarkupFromData(renderDeliveryJournal('run-1', [refusal]).comments);
  });

  test('the evidence link is an autolink that a hostile URL cannot break out of', () => {
    const report = hostileReport('https://dav.example/ev/a b>"<img src=x>.tar.gz', []);
    const { comments } = renderFinalJournal(report, 'staged', [{ what: 'evidence upload', outcome: 'delivered', detail: '1.2 MiB uploaded' }]);
    expect(comments).toContain('**Evidence**: <https://dav.example/ev/a%20b%3E%22%3Cimg%20src=x%3E.tar.gz> (1.2 MiB uploaded)');
  });
});
