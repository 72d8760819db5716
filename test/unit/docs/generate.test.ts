import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { FSM } from '../../../hook/fsm.ts';
import { EXIT_CODE_MEANINGS } from '../../../shared/cli/exit-codes.ts';
import {
  generatedRegions,
  markdownTable,
  renderDocs,
  renderExitCodesTable,
  renderFsmTable,
  renderSettingsTable,
  renderThresholdsTable,
  replaceRegion,
} from '../../../docs/generate.ts';

describe('the generated tables in docs/ and README.md are fresh', () => {
  for (const [file, text] of renderDocs()) {
    test(`${file} matches the code (run make docs)`, () => {
      expect(readFileSync(file, 'utf8')).toBe(text);
    });
  }
});

test('every table the code restates has a region: settings, thresholds, the FSM, the exit codes in four files, the boot files and configs, the lifecycle', () => {
  const names = generatedRegions().map((r) => `${r.file}:${r.name}`);
  expect(names).toEqual([
    'docs/agent.md:settings',
    'docs/agent.md:thresholds',
    'docs/agent.md:exit-codes',
    'docs/image.md:exit-codes',
    'docs/image.md:boot-files',
    'docs/image.md:boot-variables',
    'docs/image.md:boot-dnsmasq',
    'docs/image.md:boot-isc-dhcpd',
    'docs/image.md:boot-kea',
    'docs/image.md:boot-tftp-only',
    'docs/hook.md:fsm',
    'docs/hook.md:exit-codes',
    'README.md:exit-codes',
    'README.md:lifecycle',
  ]);
});

test('a region is replaced between its markers; prose around it stays', () => {
  const text = 'before\n<!-- generated:x -->\nold table\n<!-- /generated:x -->\nafter\n';
  const out = replaceRegion(text, 'f.md', 'x', '| a |\n');
  expect(out.startsWith('before\n<!-- generated:x -->\n')).toBe(true);
  expect(out).toContain('\n| a |\n<!-- /generated:x -->\nafter\n');
  expect(out).not.toContain('old table');
  expect(replaceRegion(out, 'f.md', 'x', '| a |\n')).toBe(out);
});

test('a missing or doubled marker is an error naming the file and the marker', () => {
  expect(() => replaceRegion('no markers', 'docs/x.md', 'fsm', '')).toThrow('docs/x.md: needs exactly one "<!-- generated:fsm -->"');
  const doubled = '<!-- generated:a -->\n<!-- /generated:a -->\n<!-- generated:a -->\n<!-- /generated:a -->\n';
  expect(() => replaceRegion(doubled, 'README.md', 'a', '')).toThrow('README.md');
});

test('a setting renders every declared field: type, both profile defaults, range or choices, unit; absent fields are empty cells', () => {
  const table = renderSettingsTable([
    {
      id: '09-demo',
      tunables: {
        runs: { description: 'how many', default: 2, profiles: { quick: 1 }, min: 1, max: 9, integer: true, unit: 's' },
        mode: { description: 'which | one', default: 'a', choices: ['a', 'b'] },
        on: { description: 'switch', default: true },
      },
    },
  ]);
  expect(table.split('\n')).toEqual([
    '| setting | type | quick | full | allowed | unit | meaning |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    '| `bm.demo.runs` | integer | `1` | `2` | 1 … 9 | s | how many |',
    '| `bm.demo.mode` | string | `"a"` | `"a"` | `a`, `b` |  | which \\| one |',
    '| `bm.demo.on` | boolean | `true` | `true` |  |  | switch |',
  ]);
});

test("the thresholds table has one row per media class with the disk step's minimums", () => {
  const table = renderThresholdsTable({
    min_seq_read_mbps_nvme: { description: '', default: 1000, unit: 'MB/s' },
    min_seq_read_mbps_hdd: { description: '', default: 80, unit: 'MB/s' },
    fail_ratio: { description: '', default: 0.5 },
  });
  expect(table.split('\n')).toEqual(['| class | seq read (MB/s): `min_seq_read_mbps_<class>` |', '| --- | --- |', '| NVMe | 1000 |', '| HDD | 80 |']);
  expect(renderThresholdsTable()).toContain('| NVMe |');
});

test('the exit codes and the FSM render one row per entry of their tables', () => {
  expect(renderExitCodesTable().split('\n')).toHaveLength(2 + Object.keys(EXIT_CODE_MEANINGS).length);
  for (const meaning of Object.values(EXIT_CODE_MEANINGS)) expect(renderExitCodesTable()).toContain(meaning);
  const fsm = renderFsmTable().split('\n');
  expect(fsm).toHaveLength(2 + FSM.length);
  expect(fsm[2]).toBe('| — (no single device) | `mac-unknown` | `logUnknownMac` | ⚠ MAC unknown in NetBox: log a warning, change nothing |');
});

test('markdownTable escapes pipes and newlines inside cells', () => {
  expect(markdownTable(['a'], [['x | y\nz']])).toBe('| a |\n| --- |\n| x \\| y z |');
});
