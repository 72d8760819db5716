/**
 * Step results carrying what a hostile or broken device could put on the wire, where the
 * steps put wire data: an LLDP system name and port description (04-lldp), a disk model
 * (01-init). Markdown, HTML and table breakers, for the journal escaping tests (unit, and
 * rendered by the real NetBox).
 */
import { buildReport, type Report, type StepRecord } from '../../agent/report.ts';

/** What a hostile or broken device could put on the wire. */
export const HOSTILE_SYSNAME = 'sw1<img src=x onerror=alert(1)> ![i](http://x/i.png) [l](javascript:alert(1)) **b** `c` ~~s~~ a|b';
export const HOSTILE_PORT_DESCRIPTION = 'xe-0/0/17 |---|---|\n| injected | row |\n# heading\n- item <script>alert(1)</script>';
export const HOSTILE_DISK_MODEL = 'SAMSUNG <b>MZ</b> | <http://evil/> _x_ \\ &amp;';

/** A 04-lldp and a 01-init result carrying the hostile values where the steps put wire data. */
export function hostileRecords(): StepRecord[] {
  const at = { startedAt: '2026-11-24T10:00:00.000Z', durationMs: 1500 };
  return [
    {
      id: '01-init',
      title: 'Inventory',
      ...at,
      result: {
        status: 'fail',
        summary: `disk model ${HOSTILE_DISK_MODEL} differs`,
        reasons: [`disk 0 model: NetBox plans PM1733, this machine has ${HOSTILE_DISK_MODEL}`],
        metrics: {},
        evidence: [],
        table: { columns: ['field', 'expected (NetBox)', 'actual'], rows: [['disk 0 model', 'PM1733', HOSTILE_DISK_MODEL]] },
      },
    },
    {
      id: '04-lldp',
      title: 'LLDP',
      ...at,
      result: {
        status: 'fail',
        summary: `eno1: wrong switch ${HOSTILE_SYSNAME}`,
        reasons: [`eno1: NetBox says leaf1 xe-0/0/17, LLDP sees ${HOSTILE_SYSNAME} ${HOSTILE_PORT_DESCRIPTION}`],
        metrics: {},
        evidence: [],
        table: {
          columns: ['NIC', 'MAC', 'NetBox says', 'LLDP sees', 'VLAN', 'mgmt IP', 'verdict'],
          rows: [['eno1', '52:54:00:00:00:01', 'leaf1 xe-0/0/17', `${HOSTILE_SYSNAME} ${HOSTILE_PORT_DESCRIPTION}`, '—', null, 'wrong switch']],
        },
      },
    },
  ];
}

/** A finished run's report with the hostile step results (or `steps`), its evidence uploaded to `evidenceUrl`. */
export function hostileReport(evidenceUrl: string, steps: StepRecord[] = hostileRecords()): Report {
  return buildReport({
    runId: 'run-1',
    agentVersion: '0.1.0',
    profile: 'quick',
    dryRun: false,
    startedAt: '2026-11-24T10:00:00.000Z',
    finishedAt: '2026-11-24T10:02:00.000Z',
    durationMs: 120000,
    device: null,
    machine: { manufacturer: null, model: null, serial: null },
    steps,
    evidence: { url: evidenceUrl },
  });
}
