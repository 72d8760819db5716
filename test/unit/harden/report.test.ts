/** harden/report.ts: the journal entry's tables, with everything the BMC says escaped. */
import { describe, expect, test } from 'bun:test';
import { compareCompliance } from '../../../harden/compliance.ts';
import { parseProfile } from '../../../harden/profile.ts';
import { fixedSettings, type HardenOutcome, headline, journalMarkdown, textReport } from '../../../harden/report.ts';

const profile = parseProfile(
  { name: 'p', bios: { BootMode: 'Uefi' }, networkProtocols: { IPMI: false }, firmware: [{ component: 'BMC', minimumVersion: '2.0' }] },
  'p',
);

function outcome(bmcValue: string, firmwareVersion: string, extra: Partial<HardenOutcome> = {}): HardenOutcome {
  const report = compareCompliance(profile, {
    bios: { attributes: { BootMode: bmcValue } },
    networkProtocol: { enabled: { IPMI: false } },
    firmware: [{ id: 'BMC', version: firmwareVersion }],
  });
  return { mode: 'run', runId: 'r1', profile: 'p', bmc: 'https://10.0.0.5', report, durationMs: 1234, ...extra };
}

describe('journalMarkdown', () => {
  test('a settings table and a firmware table with desired, actual and result', () => {
    const md = journalMarkdown(outcome('Uefi', '2.1', { status: { from: 'staged', to: 'ready' }, ansibleSkipped: 'already compliant; Ansible not run' }));
    expect(md).toContain('| setting | desired | actual | result |');
    expect(md).toContain('| bios.BootMode | Uefi | Uefi | ok |');
    expect(md).toContain('| protocol.IPMI | disabled | disabled | ok |');
    expect(md).toContain('**Firmware**');
    expect(md).toContain('| BMC | ≥ 2.0 | 2.1 | ok |');
    expect(md).toContain('**bm-harden run**: compliant; nothing changed \\(already compliant; Ansible not run\\); status staged → ready');
    expect(md).toContain('`bm-harden run r1`');
  });

  test('BMC-provided strings cannot break the table, add markup or start a line', () => {
    const evil = 'Legacy | x\n# head <img src=x onerror=alert(1)> [l](javascript:x) **b**';
    const md = journalMarkdown(outcome(evil, '1.0`|`\n- item'));
    const rows = md.split('\n').filter((l) => l.startsWith('| bios.BootMode') || l.startsWith('| BMC'));
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.split(/(?<!\\)\|/).length).toBe(6);
    expect(md).not.toContain('<img');
    expect(md).not.toMatch(/^# head/m);
    expect(md).not.toMatch(/^- item/m);
    expect(md).toContain('\\[l\\]\\(javascript:x\\)');
  });

  test('not compliant: the reasons are listed before the table', () => {
    const md = journalMarkdown(outcome('Legacy', '1.0', { status: { from: 'staged', to: 'failed' } }));
    expect(md).toContain('NOT compliant \\(2 settings\\)');
    expect(md).toContain('Reasons: bios.BootMode differs; firmware.BMC below-baseline');
  });

  test("Ansible's failed tasks are listed with their (redacted, escaped) messages", () => {
    const ansible = {
      command: 'ansible-playbook …',
      exitCode: 2,
      durationMs: 3000,
      stderrTail: '',
      report: {
        tasks: [{ task: 'Set BIOS', changed: false, failed: true, skipped: false, message: 'HTTP 400 *bad* attribute' }],
        stats: { changed: 0, failures: 1 },
      },
    };
    const md = journalMarkdown(outcome('Legacy', '2.1', { ansible }));
    expect(md).toContain('Ansible: exit 2, 0 changed, 1 failed, 3.0 s');
    expect(md).toContain('- failed: Set BIOS: HTTP 400 \\*bad\\* attribute');
  });
});

test('fixedSettings and the headline name what a run made compliant', () => {
  const before = outcome('Legacy', '2.1').report;
  const after = outcome('Uefi', '2.1').report;
  expect(fixedSettings(before, after)).toEqual(['bios.BootMode']);
  const ansible = { command: '', exitCode: 0, durationMs: 1, stderrTail: '', report: { tasks: [], stats: {} } };
  expect(headline({ ...outcome('Uefi', '2.1'), before, ansible, status: { from: 'staged', to: 'ready' } })).toBe(
    'compliant; applied with Ansible, 1 setting now compliant; status staged → ready',
  );
});

test('textReport: one aligned line per setting', () => {
  const text = textReport(outcome('Uefi', '2.1'), 'srv');
  expect(text.split('\n')).toEqual([
    'srv',
    '  SETTING        DESIRED   ACTUAL    RESULT',
    '  bios.BootMode  Uefi      Uefi      ok',
    '  protocol.IPMI  disabled  disabled  ok',
    '  firmware.BMC   ≥ 2.0     2.1       ok',
  ]);
});
