/**
 * The tables in docs/ and README.md that restate code, generated from that code:
 * the step settings (each step's `tunables`), the disk thresholds (03-disk's
 * `min_*` tunables, whose defaults are DEFAULT_THRESHOLDS), the exit codes
 * (EXIT_CODE_MEANINGS), bm-hook's state machine (hook/fsm.ts's FSM table), and for the PXE image
 * the boot variables (image/boot-scripts.ts), the boot files and the example DHCP/TFTP
 * configurations (image/boot-server.ts), and the device lifecycle across the three binaries (docs/lifecycle.ts).
 *
 * Each table sits between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`
 * in its Markdown file; everything outside the markers stays hand-written.
 * `make docs` runs this file (it rewrites the regions); a unit test fails when a
 * committed region differs from what the code renders (test/unit/docs/generate.test.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { phase1Steps } from '../agent/flow-dot.ts';
import { DISK_TUNABLES } from '../agent/disk/settings.ts';
import { areaOf } from '../agent/tunables.ts';
import { CONDITIONS_WHILE_ACTING, FSM, type Row } from '../hook/fsm.ts';
import { BOOT_VARIABLES, grubName, ipxeName } from '../image/boot-scripts.ts';
import { BOOT_FILES, bootServerConfigs, EXAMPLE_BOOT_SERVER } from '../image/boot-server.ts';
import { EXIT_CODE_MEANINGS } from '../shared/cli/exit-codes.ts';
import { LIFECYCLE_COLUMNS, lifecycleRows } from './lifecycle.ts';

type Value = number | string | boolean;

/** The fields of a step tunable the docs show (agent/tunables.ts declares them); absent ones render as empty cells. */
export interface DocumentedTunable {
  description: string;
  default: Value;
  profiles?: Partial<Record<'quick' | 'full', Value>>;
  min?: number;
  max?: number;
  integer?: boolean;
  choices?: readonly string[];
  unit?: string;
}

/** What the settings table needs of a step. */
export interface DocumentedStep {
  id: string;
  tunables: Readonly<Record<string, DocumentedTunable>>;
}

/** One Markdown table; cells are escaped so a `|` in a description cannot split a row. */
export function markdownTable(columns: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replaceAll('|', '\\|').replaceAll('\n', ' ')).join(' | ')} |`;
  return [line(columns), line(columns.map(() => '---')), ...rows.map(line)].join('\n');
}

const code = (text: string) => `\`${text}\``;

function formatValue(value: Value): string {
  return typeof value === 'string' ? code(JSON.stringify(value)) : code(String(value));
}

function typeOf(tunable: DocumentedTunable): string {
  if (typeof tunable.default === 'number') return tunable.integer ? 'integer' : 'number';
  return typeof tunable.default;
}

function rangeOf(tunable: DocumentedTunable): string {
  if (tunable.choices) return tunable.choices.map(code).join(', ');
  if (tunable.min !== undefined && tunable.max !== undefined) return `${tunable.min} … ${tunable.max}`;
  if (tunable.min !== undefined) return `≥ ${tunable.min}`;
  if (tunable.max !== undefined) return `≤ ${tunable.max}`;
  return '';
}

/** The step settings: one row per tunable of every step, in step order (`bm.<area>.<knob>`). */
export function renderSettingsTable(steps: readonly DocumentedStep[]): string {
  const rows: string[][] = [];
  for (const step of steps) {
    for (const [knob, tunable] of Object.entries(step.tunables)) {
      const quick = tunable.profiles?.quick ?? tunable.default;
      const full = tunable.profiles?.full ?? tunable.default;
      rows.push([
        code(`bm.${areaOf(step)}.${knob}`),
        typeOf(tunable),
        formatValue(quick),
        formatValue(full),
        rangeOf(tunable),
        tunable.unit ?? '',
        tunable.description,
      ]);
    }
  }
  return markdownTable(['setting', 'type', 'quick', 'full', 'allowed', 'unit', 'meaning'], rows);
}

const THRESHOLD_KNOB = /^min_(.+)_([a-z0-9]+)$/;

/**
 * The per-media-class minimums of 03-disk: its `min_<metric>_<class>` tunables
 * (defaults from DEFAULT_THRESHOLDS), one row per class, one column per metric.
 */
export function renderThresholdsTable(tunables: Readonly<Record<string, DocumentedTunable>> = DISK_TUNABLES): string {
  const metrics: string[] = [];
  const classes: string[] = [];
  const values = new Map<string, DocumentedTunable>();
  for (const [knob, tunable] of Object.entries(tunables)) {
    const match = THRESHOLD_KNOB.exec(knob);
    if (!match) continue;
    const [, metric, mediaClass] = match as unknown as [string, string, string];
    if (!metrics.includes(metric)) metrics.push(metric);
    if (!classes.includes(mediaClass)) classes.push(mediaClass);
    values.set(`${metric}/${mediaClass}`, tunable);
  }
  const header = (metric: string) => {
    const unit = [...values.entries()].find(([key]) => key.startsWith(`${metric}/`))?.[1].unit;
    return `${metric.replace(/_(mbps|iops)$/, '').replaceAll('_', ' ')}${unit ? ` (${unit})` : ''}: ${code(`min_${metric}_<class>`)}`;
  };
  const rows = classes.map((mediaClass) => [
    mediaClass === 'nvme' ? 'NVMe' : mediaClass.toUpperCase(),
    ...metrics.map((metric) => String(values.get(`${metric}/${mediaClass}`)?.default ?? '')),
  ]);
  return markdownTable(['class', ...metrics.map(header)], rows);
}

/** The exit codes both binaries use, from EXIT_CODE_MEANINGS. */
export function renderExitCodesTable(meanings: Readonly<Record<number, string>> = EXIT_CODE_MEANINGS): string {
  return markdownTable(
    ['exit code', 'meaning'],
    Object.entries(meanings).map(([exit, meaning]) => [code(exit), meaning]),
  );
}

const STATUS_TEXT: Record<string, string> = { none: '— (no single device)', other: 'any other' };

/** bm-hook's state machine as the drainer runs it: one row per FSM row, in the table's order. */
export function renderFsmTable(rows: readonly Row[] = FSM): string {
  return markdownTable(
    ['device status', 'NetBox says', 'actions', 'what happens'],
    rows.map((row) => [
      row.from.map((from) => STATUS_TEXT[from] ?? from).join(', '),
      row.when.map((when) => `${code(when)}${CONDITIONS_WHILE_ACTING.includes(when) ? ' (while acting)' : ''}`).join(', '),
      row.actions.length ? row.actions.map(code).join(', ') : '—',
      `${row.anomaly ? '⚠ ' : ''}${row.note}`,
    ]),
  );
}

/** The site-settable boot variables under both loaders' names, with their kernel argument and default. */
export function renderBootVariablesTable(): string {
  return markdownTable(
    ['iPXE', 'GRUB', 'kernel argument', 'default', 'meaning'],
    BOOT_VARIABLES.map((v) => [
      code(ipxeName(v)),
      code(grubName(v)),
      v.argument ? code(`${v.argument}…`) : '(as given)',
      v.default ? code(v.default) : '—',
      v.description,
    ]),
  );
}

/** The boot tree: each file, who fetches it and how. */
export function renderBootFilesTable(): string {
  return markdownTable(
    ['file', 'fetched by', 'over', 'what'],
    BOOT_FILES.map((f) => [code(f.path), f.clients.join(', '), f.over.map((o) => o.toUpperCase()).join(', '), f.what]),
  );
}

/** A configuration file as a fenced code block. */
const fenced = (language: string, text: string) => `\`\`\`${language}\n${text.trimEnd()}\n\`\`\``;

/** A generated region: which file, the marker name, and how to render its content. */
export interface Region {
  file: string;
  name: string;
  render(): string;
}

/** Every generated region in the repository. */
export function generatedRegions(): Region[] {
  const exitCodes = (file: string): Region => ({ file, name: 'exit-codes', render: () => renderExitCodesTable() });
  return [
    { file: 'docs/agent.md', name: 'settings', render: () => renderSettingsTable(phase1Steps()) },
    { file: 'docs/agent.md', name: 'thresholds', render: () => renderThresholdsTable() },
    exitCodes('docs/agent.md'),
    exitCodes('docs/image.md'),
    { file: 'docs/image.md', name: 'boot-files', render: () => renderBootFilesTable() },
    { file: 'docs/image.md', name: 'boot-variables', render: () => renderBootVariablesTable() },
    { file: 'docs/image.md', name: 'boot-dnsmasq', render: () => fenced('ini', bootServerConfigs(EXAMPLE_BOOT_SERVER).dnsmasq) },
    { file: 'docs/image.md', name: 'boot-isc-dhcpd', render: () => fenced('', bootServerConfigs(EXAMPLE_BOOT_SERVER).iscDhcpd) },
    { file: 'docs/image.md', name: 'boot-kea', render: () => fenced('json', bootServerConfigs(EXAMPLE_BOOT_SERVER).kea) },
    { file: 'docs/image.md', name: 'boot-tftp-only', render: () => fenced('ini', bootServerConfigs(EXAMPLE_BOOT_SERVER).dnsmasqTftpOnly) },
    { file: 'docs/hook.md', name: 'fsm', render: () => renderFsmTable() },
    exitCodes('docs/hook.md'),
    exitCodes('README.md'),
    { file: 'README.md', name: 'lifecycle', render: () => markdownTable(LIFECYCLE_COLUMNS, lifecycleRows()) },
  ];
}

/**
 * The text with the region NAME's content replaced (the markers stay, on their own
 * lines). Throws naming the file when a marker is missing or doubled, so a deleted
 * marker cannot silently stop a table from being generated.
 */
export function replaceRegion(text: string, file: string, name: string, content: string): string {
  const open = `<!-- generated:${name} -->`;
  const close = `<!-- /generated:${name} -->`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start || text.indexOf(open, start + 1) >= 0) {
    throw new Error(`${file}: needs exactly one "${open}" … "${close}" pair (put them around the table the code generates)`);
  }
  const notice = `<!-- Generated from the code by \`make docs\` (docs/generate.ts); edit the code, not this table. -->`;
  return `${text.slice(0, start)}${open}\n${notice}\n${content.trimEnd()}\n${text.slice(end)}`;
}

/** Every file with generated regions, as it should read (pure but for reading the files). */
export function renderDocs(read: (file: string) => string = (file) => readFileSync(file, 'utf8')): Map<string, string> {
  const out = new Map<string, string>();
  for (const region of generatedRegions()) {
    const text = out.get(region.file) ?? read(region.file);
    out.set(region.file, replaceRegion(text, region.file, region.name, region.render()));
  }
  return out;
}

if (import.meta.main) {
  for (const [file, text] of renderDocs()) {
    if (readFileSync(file, 'utf8') === text) continue;
    writeFileSync(file, text);
    console.log(`regenerated ${file}`);
  }
}
