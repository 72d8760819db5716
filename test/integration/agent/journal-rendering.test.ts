/**
 * bm-agent's journal entries the way the real NetBox renders them (web UI, logged in as
 * the admin): step entries whose LLDP system name, port description and disk model carry
 * markdown, HTML and table breakers (test/helpers/hostile-wire.ts), and the final entry
 * with a delivery refusal and the evidence link. Only NetBox's own Python-Markdown and
 * sanitiser decide what a reader sees: every hostile value must be shown as text, each
 * table keep its columns and rows, and no element appear that bm-agent's own markdown does
 * not make (no image, script, injected link, heading or extra row).
 */
import { describe, expect, test } from 'bun:test';
import { renderFinalJournal, renderStepJournal, reportStepOf } from '../../../agent/report.ts';
import { mdOneLine } from '../../../shared/markdown.ts';
import { HOSTILE_DISK_MODEL, HOSTILE_PORT_DESCRIPTION, HOSTILE_SYSNAME, hostileRecords, hostileReport } from '../../helpers/hostile-wire.ts';
import { targetAvailable } from '../../helpers/netbox-target.ts';
import { tagsOf, textOf, useJournalRenderer } from '../../helpers/netbox-ui.ts';

/** The elements bm-agent's own journal markdown makes. */
const AGENT_TAGS = new Set(['p', 'strong', 'em', 'code', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'ul', 'li']);

/** Cells per row of each rendered table. */
function tableShapes(html: string): number[][] {
  return [...html.matchAll(/<table>([\s\S]*?)<\/table>/g)].map((table) =>
    [...table[1]!.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => (row[1]!.match(/<t[dh]\b/g) ?? []).length),
  );
}

const shown = (value: string) => mdOneLine(value).replace(/\s+/g, ' ').trim();

describe.skipIf(!targetAvailable('real'))("bm-agent's journal entries as the real NetBox renders them (web UI)", () => {
  const { rendered } = useJournalRenderer();

  const [init, lldp] = hostileRecords().map(reportStepOf);

  test('04-lldp: a hostile LLDP system name and port description are text; the table keeps 7 columns and 2 rows', async () => {
    const html = await rendered(renderStepJournal(lldp!, 'run-r1').comments);
    const report = { html };
    expect({ ...report, tags: tagsOf(html).filter((t) => !t.startsWith('/') && !AGENT_TAGS.has(t)) }).toEqual({ ...report, tags: [] });
    expect(tableShapes(html)).toEqual([[7, 7]]);
    const text = textOf(html);
    expect(text).toContain(shown(`${HOSTILE_SYSNAME} ${HOSTILE_PORT_DESCRIPTION}`));
  });

  test('01-init: a hostile disk model is text in the verdict line, the reasons and the table', async () => {
    const html = await rendered(renderStepJournal(init!, 'run-r1').comments);
    expect(tagsOf(html).filter((t) => !t.startsWith('/') && !AGENT_TAGS.has(t))).toEqual([]);
    expect(tableShapes(html)).toEqual([[3, 3]]);
    const text = textOf(html);
    expect(text).toContain(`disk model ${shown(HOSTILE_DISK_MODEL)} differs`);
    expect(text).toContain(`this machine has ${shown(HOSTILE_DISK_MODEL)}`);
  });

  test('the final entry: summaries, a refusal and the evidence link; the only link is the evidence bundle', async () => {
    const report = hostileReport('https://dav.example/evidence/run-r1.tar.gz');
    const html = await rendered(
      renderFinalJournal(report, 'failed', [
        { what: 'evidence upload', outcome: 'delivered', detail: '1.2 MiB uploaded' },
        { what: 'verdict custom fields', outcome: 'skipped', detail: `NetBox refused them: ${HOSTILE_SYSNAME}` },
      ]).comments,
    );
    expect(tagsOf(html).filter((t) => !t.startsWith('/') && !AGENT_TAGS.has(t) && t !== 'a')).toEqual([]);
    expect([...html.matchAll(/<a\b[^>]*href="([^"]*)"/g)].map((m) => m[1])).toEqual(['https://dav.example/evidence/run-r1.tar.gz']);
    expect(tableShapes(html)).toEqual([[3, 3, 3]]);
    expect(textOf(html)).toContain(`verdict custom fields skipped: NetBox refused them: ${shown(HOSTILE_SYSNAME)}`);
  });
});
