/**
 * bm-hook's journal entries the way NetBox renders them: posted to the real NetBox,
 * then read back as HTML from its web UI (logged in as the admin, journal entry
 * page), since only NetBox's own Python-Markdown + sanitiser decides what a reader
 * sees. Every untrusted piece of a journal entry (hostname, interface and device
 * names, VRF and owner names, device status, NetBox's refusal message, the spool
 * event's name) carries markdown, HTML and table breakers; the page must show each
 * as text and have the same structure as the same entry with harmless values: no
 * injected element, link, image, table, heading, strikethrough or broken code span.
 */
import { describe, expect, test } from 'bun:test';
import { journalTextOf } from '../../../hook/actions.ts';
import type { Action } from '../../../hook/fsm.ts';
import type { LeaseEvent } from '../../../hook/lease.ts';
import type { Observation } from '../../../hook/observe.ts';
import { mdOneLine } from '../../../shared/markdown.ts';
import type { Mac } from '../../../shared/mac.ts';
import { findInterfaceIpAddresses, listDeviceJournal } from '../../../shared/netbox/index.ts';
import { randomMac, randomNet } from '../../helpers/netbox-fixtures.ts';
import { realNetbox, targetAvailable } from '../../helpers/netbox-target.ts';
import { loginNetboxUi, renderedMarkdownOf, tagsOf, textOf, useJournalRenderer } from '../../helpers/netbox-ui.ts';
import { startHookHarness } from '../../helpers/hook-harness.ts';

/** Breakers for running text: HTML, links, images, autolinks, emphasis, strikethrough, code, a table, a heading, a list, entities. */
const TEXT_BREAKERS =
  '<script>alert(1)</script> <img src=x onerror=alert(1)> `code` ``x`` **b** _i_ ~~s~~ [l](javascript:alert(1)) ' +
  '![i](http://x/i.png) <http://evil/> a|b\n|---|---|\n|1|2|\n# h\n- li\n\n1. n &amp; \\';
/** Breakers for code spans: backtick runs at the edges and inside, HTML, a link, a pipe; no `~~` (shown as text, see mdCode). */
const CODE_BREAKERS = '`x`` <img src=x onerror=alert(1)> ```|**b**|[a](javascript:alert(1))\n# h`';

/** The fields journalTextOf takes from outside, each with a placeholder (harmless) and a hostile value. */
const FIELDS = ['hostname', 'iface', 'eventName', 'vrf', 'owner', 'reason', 'status', 'display'] as const;
type Field = (typeof FIELDS)[number];
const CODE_FIELDS: ReadonlySet<Field> = new Set(['hostname', 'iface', 'eventName']);

const JOURNAL_ACTIONS: Action[] = [
  'journalDiscovered',
  'journalIpRecorded',
  'journalIpChanged',
  'journalIpMismatch',
  'journalIpConflict',
  'journalUnexpectedStatus',
  'journalAmbiguousMac',
  'journalStatusChoiceMissing',
  'journalDiscoveredWithoutIp',
  'journalIpNotRecorded',
  'journalDeviceRefused',
];

const placeholder = (field: Field) => `zz${field}zz`;

function contextOf(action: Action, value: (field: Field) => string) {
  const event: LeaseEvent = {
    v: 1,
    ip: '10.9.8.7',
    mac: '94:40:C9:01:0A:56' as Mac,
    hostname: value('hostname'),
    source: 'dhcpd',
    receivedAt: '2026-12-01T00:00:00.000Z',
  };
  const device = {
    kind: 'device',
    device: { id: 1, name: 'srv', status: { value: value('status') }, oob_ip: null },
    bmcInterface: { id: 2, name: value('iface') },
    interfaceIps: [{ address: '10.9.8.6/24' }],
    scope: { vrf: { id: 3, name: value('vrf') }, prefix: null, length: 24, alsoIn: [], configured: false },
    leaseIpObjects: [],
    owners: [{ type: 'virtualization.vminterface', id: 4, label: value('owner') }],
  };
  const noDevice = {
    kind: 'no-device',
    devices: [
      { id: 5, display: value('display') },
      { id: 6, display: 'other' },
    ],
  };
  const observation = (action === 'journalAmbiguousMac' ? noDevice : device) as unknown as Observation;
  return { event, observation, eventName: `${value('eventName')}.json`, reason: value('reason'), done: ['recordBmcIp'] as Action[] };
}

/** What a reader should see: the harmless entry's text with each placeholder replaced by its hostile value on one line. */
const expectedText = (benignText: string, hostile: (field: Field) => string) =>
  FIELDS.reduce((text, field) => text.replaceAll(placeholder(field), mdOneLine(hostile(field))), benignText)
    .replace(/\s+/g, ' ')
    .trim();

const ALLOWED_TAGS = new Set(['p', '/p', 'strong', '/strong', 'em', '/em', 'code', '/code']);

describe.skipIf(!targetAvailable('real'))('journal entries as the real NetBox renders them (web UI)', () => {
  const { rendered } = useJournalRenderer();

  test('the helper sees what NetBox makes of real markdown (a link, a table, a code span)', async () => {
    const html = await rendered('**b** `c` [l](https://example.net/)\n\n| a | b |\n|---|---|\n| 1 | 2 |');
    expect(tagsOf(html)).toEqual(expect.arrayContaining(['strong', 'code', 'a', 'table', 'td']));
  });

  for (const action of JOURNAL_ACTIONS) {
    test(`${action}: every untrusted value is shown as text; the structure is the harmless entry's`, async () => {
      const benign = journalTextOf(action, contextOf(action, placeholder))!;
      const benignHtml = await rendered(benign.text);
      for (const [what, hostileOf] of [
        ['text breakers everywhere', (_field: Field) => TEXT_BREAKERS],
        ['code breakers in code spans', (field: Field) => (CODE_FIELDS.has(field) ? CODE_BREAKERS : TEXT_BREAKERS)],
      ] as const) {
        const hostile = journalTextOf(action, contextOf(action, hostileOf))!;
        const html = await rendered(hostile.text);
        const report = { action, what, markdown: hostile.text, html };
        expect({ ...report, text: textOf(html) }).toEqual({ ...report, text: expectedText(textOf(benignHtml), hostileOf) });
        // Only the elements bm-hook's own markdown makes; the same ones as the harmless entry (code spans
        // holding `~~` are shown as text, so only the code breakers keep every code element).
        expect({ ...report, tags: tagsOf(html).filter((tag) => !ALLOWED_TAGS.has(tag)) }).toEqual({ ...report, tags: [] });
        const withoutCode = (tags: string[]) => tags.filter((tag) => tag !== 'code' && tag !== '/code');
        expect({ ...report, tags: withoutCode(tagsOf(html)) }).toEqual({ ...report, tags: withoutCode(tagsOf(benignHtml)) });
        if (what === 'code breakers in code spans') expect({ ...report, tags: tagsOf(html) }).toEqual({ ...report, tags: tagsOf(benignHtml) });
      }
    });
  }
});

describe.skipIf(!targetAvailable('real'))('a drained lease on a BMC interface with a hostile name (real NetBox, web UI)', () => {
  test('the journal entry shows the interface name as one code span, nothing injected', async () => {
    const h = await startHookHarness({ flavour: 'real' });
    try {
      const ui = await loginNetboxUi(realNetbox!.url, realNetbox!.admin.username, realNetbox!.admin.password);
      const device = await h.fx.createDevice();
      const mac = randomMac('94:40:c9');
      const ip = randomNet().host(5);
      // NetBox allows 64 characters in an interface name: a backtick run, HTML with a handler, a table pipe, a link.
      const name = '``bmc <img src=x onerror=alert(1)>|**x**|[a](javascript:1)';
      const bmc = await h.fx.createInterface(device.id, { name, mac, mgmtOnly: true });
      h.spool(ip, mac, 'ilo-hostile');
      expect(await h.drain()).toMatchObject({ applied: 1, failed: 0 });
      for (const recorded of await findInterfaceIpAddresses(h.client, bmc.id)) h.fx.track('/api/ipam/ip-addresses/', recorded.id);
      const [entry] = await listDeviceJournal(h.client, device.id);
      expect(entry?.comments).toContain('BMC seen by DHCP');
      const html = renderedMarkdownOf(await ui.page(`/extras/journal-entries/${entry!.id}/`));
      expect(tagsOf(html).filter((tag) => !ALLOWED_TAGS.has(tag))).toEqual([]);
      const codes = [...html.matchAll(/<code>([\s\S]*?)<\/code>/g)].map((m) => textOf(m[1]!));
      expect(codes).toContain(name);
      expect(textOf(html)).toContain(`on ${name}. Status offline → discovered`);
    } finally {
      await h.fx.cleanup();
      await h.close();
    }
  }, 60_000);
});
