/**
 * `--help` of every binary (bm-hook, bm-agent, bm-harden), top level and every command, compared with the
 * committed snapshots in test/integration/help-snapshots/<binary>.txt, so help text
 * changes only on purpose. The binaries are compiled from the current sources
 * with the Makefile's flags (test/helpers/compiled-binary.ts), as `make build` ships them.
 *
 * After an intended change: `UPDATE_SNAPSHOTS=1 node_modules/.bin/bun test test/integration/help-snapshots.test.ts`
 * rewrites the snapshots; review the diff and commit them.
 */
import { expect, test } from 'bun:test';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compiledBinary } from '../helpers/compiled-binary.ts';

const SNAPSHOT_DIR = join(import.meta.dir, 'help-snapshots');
const UPDATE = process.env.UPDATE_SNAPSHOTS === '1';

/** Help output must not depend on the caller: yargs translates by locale and wraps by terminal width (a pipe here). */
const HELP_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C' };

/** `--help` goes first: after bm-hook's `commit`/`kea` every argument is lease data, `--help` included (hook/fast-path.ts). */
function help(binary: string, args: string[]): string {
  const run = Bun.spawnSync([binary, '--help', ...args], { env: HELP_ENV, stdout: 'pipe', stderr: 'pipe' });
  if (run.exitCode !== 0) throw new Error(`--help ${args.join(' ')} exited ${run.exitCode}: ${run.stderr.toString()}`);
  return run.stdout.toString();
}

/** The command names listed under "Commands:" in the top-level help (`  bm-hook commit [ip] …` → `commit`). */
function commandsIn(topHelp: string, name: string): string[] {
  const commands: string[] = [];
  for (const line of topHelp.split('\n')) {
    const match = new RegExp(`^  ${name} ([a-z][a-z0-9-]*)`).exec(line);
    if (match) commands.push(match[1]!);
  }
  return commands;
}

/** One binary's snapshot: the top-level help, then each command's (`--help COMMAND`), each under a `$ <command line>` header. */
function helpSnapshot(binary: string, name: string): string {
  const top = help(binary, []);
  const sections = [`$ ${name} --help\n${top}`];
  for (const command of commandsIn(top, name)) sections.push(`$ ${name} --help ${command}\n${help(binary, [command])}`);
  return sections.join('\n');
}

for (const [entry, name] of [
  ['hook/main.ts', 'bm-hook'],
  ['agent/main.ts', 'bm-agent'],
  ['harden/main.ts', 'bm-harden'],
] as const) {
  test(`${name} --help and every command's --help match the snapshot (UPDATE_SNAPSHOTS=1 to accept a change)`, () => {
    const actual = helpSnapshot(compiledBinary(entry, name), name);
    const file = join(SNAPSHOT_DIR, `${name}.txt`);
    if (UPDATE) writeFileSync(file, actual);
    if (!existsSync(file)) throw new Error(`no snapshot ${file}: run UPDATE_SNAPSHOTS=1 node_modules/.bin/bun test ${import.meta.path}`);
    expect(actual).toBe(readFileSync(file, 'utf8'));
  }, 60_000);
}

test('the snapshots cover every command: each binary lists netbox-check and its own commands', () => {
  const hook = readFileSync(join(SNAPSHOT_DIR, 'bm-hook.txt'), 'utf8');
  const agent = readFileSync(join(SNAPSHOT_DIR, 'bm-agent.txt'), 'utf8');
  const harden = readFileSync(join(SNAPSHOT_DIR, 'bm-harden.txt'), 'utf8');
  for (const command of ['commit', 'kea', 'drain', 'dhcpd-snippet', 'fsm', 'check-config', 'status', 'netbox-check'])
    expect(hook).toContain(`$ bm-hook --help ${command}\n`);
  for (const command of ['run', 'inventory', 'plan', 'evaluate', 'schema', 'netbox-check']) expect(agent).toContain(`$ bm-agent --help ${command}\n`);
  for (const command of ['plan', 'check', 'run', 'profiles', 'watch', 'serve', 'netbox-check']) expect(harden).toContain(`$ bm-harden --help ${command}\n`);
});
