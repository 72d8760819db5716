/**
 * What bm-harden says about a BMC, pure: the journal entry (NetBox markdown: a
 * settings table desired/actual/result, led by the identity rows — NetBox's serial and
 * MAC against the BMC's — and a firmware table) and the same for a terminal. Everything the BMC or NetBox provided (values, versions, Ansible's
 * messages) goes through shared/markdown.ts, so a BMC cannot inject markup.
 */
import { mdCode, mdOneLine, mdTableCell, mdText } from '../shared/markdown.ts';
import { redact } from '../shared/redact.ts';
import type { AnsibleRunOutcome } from './ansible.ts';
import type { ComplianceReport, ComplianceRow } from './compliance.ts';
import type { IdentityCheck, IdentityVerdict } from './identity.ts';

export interface HardenOutcome {
  mode: 'run' | 'check';
  runId: string;
  profile: string;
  /** The BMC's base URL (no credentials in it). */
  bmc: string;
  redfishVersion?: string;
  /** Whether the BMC is the device's (identity.ts); shown first. */
  identity?: IdentityVerdict;
  report: ComplianceReport;
  /** Before apply (run only), for "what changed". */
  before?: ComplianceReport;
  /** Ansible's run, when there was one. */
  ansible?: AnsibleRunOutcome;
  /** Why Ansible was not run (`nothing to apply`). */
  ansibleSkipped?: string;
  /** Why Ansible itself failed (missing, timed out, no report): it may have changed part of the BMC before. */
  ansibleFailed?: string;
  /** The status set (or kept), when this entry comes with one. */
  status?: { from: string; to: string };
  durationMs: number;
}

function table(headers: string[], rows: string[][]): string {
  return [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const isFirmware = (row: ComplianceRow) => row.setting.startsWith('firmware.');

function resultCell(row: ComplianceRow): string {
  return row.note ? `${mdText(row.result)} (${mdText(row.note)})` : mdText(row.result);
}

/** The journal marker that makes the entry findable (and postable at most once). Pure. */
export function journalMarker(outcome: Pick<HardenOutcome, 'mode' | 'runId'>): string {
  return `bm-harden ${outcome.mode} ${outcome.runId}`;
}

/** Settings that `run` changed: rows not ok before and ok after. Pure. */
export function fixedSettings(before: ComplianceReport | undefined, after: ComplianceReport): string[] {
  if (!before) return [];
  const was = new Map(before.rows.map((r) => [r.setting, r.result]));
  return after.rows.filter((r) => r.result === 'ok' && was.get(r.setting) !== 'ok').map((r) => r.setting);
}

/** The identity checks as rows setting / NetBox / BMC / result: the serial always, the MAC when the BMC listed NICs. Pure. */
export function identityRows(verdict: IdentityVerdict): string[][] {
  const cell = (check: IdentityCheck) =>
    check.result === 'agree' ? 'ok' : check.result === 'differ' ? 'MISMATCH' : `not proved${check.note ? ` (${check.note})` : ''}`;
  const rows = [['identity.serial', verdict.serial.netbox, verdict.serial.bmc, cell(verdict.serial)]];
  if (verdict.mac.bmc !== '(none)') rows.push(['identity.mac', verdict.mac.netbox, verdict.mac.bmc, cell(verdict.mac)]);
  return rows;
}

/** The identity checks as a markdown table (check / NetBox / BMC / result), for a refusal's journal entry. Pure. */
export function identityTable(verdict: IdentityVerdict): string {
  return table(
    ['check', 'NetBox', 'BMC', 'result'],
    identityRows(verdict).map((r) => r.map(mdTableCell)),
  );
}

/** `IDENTITY MISMATCH: …; ` before a headline whose table may describe another machine; '' when proved. Pure. */
function identityPrefix(identity: IdentityVerdict | undefined): string {
  return identity && identity.result !== 'proved' ? `${identity.summary.replace(/^identity/, 'IDENTITY')}; ` : '';
}

/** The headline: compliant or not, what was done. Pure. */
export function headline(outcome: HardenOutcome): string {
  const { report } = outcome;
  const verdict = report.compliant ? 'compliant' : `NOT compliant (${report.blocking.length} setting${report.blocking.length === 1 ? '' : 's'})`;
  const status = outcome.status
    ? outcome.status.from === outcome.status.to
      ? `; status stays ${outcome.status.to}`
      : `; status ${outcome.status.from} → ${outcome.status.to}`
    : '';
  if (outcome.mode === 'check') return `${identityPrefix(outcome.identity)}${verdict}${status}`;
  const fixed = fixedSettings(outcome.before, report);
  const now = `${fixed.length} setting${fixed.length === 1 ? '' : 's'} now compliant`;
  const done = outcome.ansible
    ? `applied with Ansible, ${now}`
    : outcome.ansibleFailed
      ? `Ansible failed (${outcome.ansibleFailed}), the BMC read again: ${now}`
      : `nothing changed (${outcome.ansibleSkipped ?? 'nothing to apply'})`;
  return `${verdict}; ${done}${status}`;
}

/** The journal entry's markdown. Pure. */
export function journalMarkdown(outcome: HardenOutcome): string {
  const lines = [
    `**bm-harden ${outcome.mode}**: ${mdText(headline(outcome))}`,
    '',
    `Profile ${mdCode(outcome.profile)}, BMC ${mdCode(outcome.bmc)}${outcome.redfishVersion ? ` (Redfish ${mdText(outcome.redfishVersion)})` : ''}, ${(outcome.durationMs / 1000).toFixed(1)} s. Marker: ${mdCode(journalMarker(outcome))}`,
  ];
  if (!outcome.report.compliant) {
    lines.push('', `Reasons: ${outcome.report.blocking.map((r) => `${mdText(r.setting)} ${mdText(r.result)}`).join('; ')}`);
  }
  const settings = outcome.report.rows.filter((r) => !isFirmware(r));
  const identity = outcome.identity ? identityRows(outcome.identity).map((r) => r.map(mdTableCell)) : [];
  if (settings.length || identity.length) {
    lines.push(
      '',
      table(
        ['setting', 'desired', 'actual', 'result'],
        [...identity, ...settings.map((r) => [mdTableCell(r.setting), mdTableCell(r.desired), mdTableCell(r.actual), resultCell(r)])],
      ),
    );
  }
  const firmware = outcome.report.rows.filter(isFirmware);
  if (firmware.length) {
    lines.push(
      '',
      '**Firmware**',
      '',
      table(
        ['component', 'baseline', 'actual', 'result'],
        firmware.map((r) => [mdTableCell(r.setting.slice('firmware.'.length)), mdTableCell(r.desired), mdTableCell(r.actual), resultCell(r)]),
      ),
    );
  }
  if (outcome.ansible) {
    const a = outcome.ansible;
    const failed = a.report.tasks.filter((t) => t.failed);
    lines.push(
      '',
      `Ansible: exit ${a.exitCode ?? '–'}, ${a.report.stats.changed ?? 0} changed, ${a.report.stats.failures ?? 0} failed, ${(a.durationMs / 1000).toFixed(1)} s (its "changed" is not trusted: the BMC was read again).`,
    );
    for (const task of failed) lines.push(`- failed: ${mdText(task.task)}${task.message ? `: ${mdText(redact(task.message))}` : ''}`);
  }
  return lines.join('\n');
}

/** The same as a terminal table (identity rows first, when given). Pure. */
export function textReport(outcome: Pick<HardenOutcome, 'report' | 'identity'>, title: string): string {
  const rows = outcome.report.rows;
  const identity = outcome.identity ? identityRows(outcome.identity) : [];
  if (!rows.length && !identity.length) return `${title}\n  (the profile declares no settings)`;
  // Values come from the BMC: one printable line each (no terminal control sequences).
  const cells = [
    ['SETTING', 'DESIRED', 'ACTUAL', 'RESULT'],
    ...[...identity, ...rows.map((r) => [r.setting, r.desired, r.actual, r.note ? `${r.result} (${r.note})` : r.result])].map((c) => c.map(mdOneLine)),
  ];
  const widths = [0, 1, 2].map((i) => Math.min(40, Math.max(...cells.map((c) => c[i]!.length))));
  const line = (c: string[]) => `  ${c.map((v, i) => (i < 3 ? v.padEnd(widths[i]!) : v)).join('  ')}`.trimEnd();
  return [title, ...cells.map(line)].join('\n');
}
