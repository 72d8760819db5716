/**
 * dhcpd's clock: how long `bm-hook commit` holds dhcpd for a BMC lease (wall time
 * until the process exits, which is what dhcpd waits for), against the runtime's
 * floor: a hello-world compiled with the Makefile's COMPILE_FLAGS, run interleaved
 * in the same script. Also: `/bin/true` (any fork+exec), and a compiled program
 * doing only the spool's durable write (write, fsync, rename, fsync of the
 * directory), which separates the storage's cost from the runtime's. The spool is
 * under /var/tmp (a disk, like /var/spool), not tmpfs. bench/README.md explains
 * each line.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { percentile, ratio } from './stats.ts';

const ROUNDS = Number(process.env.BENCH_COMMIT_ROUNDS ?? 60);
const binary = process.argv[2] ?? 'dist/bm-hook';
const work = mkdtempSync('/var/tmp/bench-commit-');

/** The Makefile's COMPILE_FLAGS: the floor is compiled exactly as bm-hook is. */
export function makefileCompileFlags(makefile = readFileSync('Makefile', 'utf8')): string[] {
  const line = makefile.match(/^COMPILE_FLAGS := (.+)$/m);
  if (!line) throw new Error('Makefile: no COMPILE_FLAGS line; bench/hook-commit.ts compiles the floor with it');
  return line[1]!.trim().split(/\s+/);
}

function compile(name: string, source: string): string {
  const dir = join(work, `${name}-build`);
  mkdirSync(dir);
  writeFileSync(join(dir, `${name}.ts`), source);
  const out = join(dir, name);
  const build = Bun.spawnSync([process.execPath, 'build', ...makefileCompileFlags(), join(dir, `${name}.ts`), '--outfile', out], { stderr: 'pipe' });
  if (build.exitCode !== 0) throw new Error(`cannot compile ${name}: ${build.stderr.toString()}`);
  return out;
}

const hello = compile('hello', "console.log('hello');\n");
// What any durable spooling costs on this storage: the same four system calls as hook/spool.ts appendEvent.
const durableWrite = compile(
  'durable-write',
  `import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
const dir = process.argv[2];
const name = \`\${Date.now()}-\${process.pid}.json\`;
const fd = openSync(\`\${dir}/tmp/\${name}\`, 'wx', 0o600);
writeSync(fd, '{"event":{"v":1,"ip":"10.0.0.5","mac":"94:40:C9:00:00:01","hostname":"ilo","source":"dhcpd","at":"2025-01-01T00:00:00.000Z"}}\\n');
fsyncSync(fd);
closeSync(fd);
renameSync(\`\${dir}/tmp/\${name}\`, \`\${dir}/new/\${name}\`);
const d = openSync(\`\${dir}/new\`, 'r');
fsyncSync(d);
closeSync(d);
`,
);

const spool = join(work, 'spool');
const plainSpool = join(work, 'plain');
for (const sub of ['tmp', 'new']) mkdirSync(join(plainSpool, sub), { recursive: true, mode: 0o700 });
const config = (trigger: string) => {
  const path = join(work, `hook-${trigger}.json`);
  writeFileSync(path, JSON.stringify({ spool: { dir: spool }, drain: { trigger }, logLevel: 'warning' }));
  return path;
};
const spawnConfig = config('spawn');
const systemdConfig = config('systemd');
// BM_CONFIG rather than --config: the same before and after the subcommand-argument change (hook/fast-path.ts).
const baseEnv = { PATH: '/usr/bin:/bin', BM_HOOK_NO_SYSLOG: '1' };

const lease = (i: number) => ['10.0.0.5', `94:40:c9:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`, 'ilo'];
const cases: Record<string, (i: number) => { argv: string[]; config?: string }> = {
  '/bin/true (fork+exec)': () => ({ argv: ['/bin/true'] }),
  'hello-world (the floor)': () => ({ argv: [hello] }),
  'durable write only': () => ({ argv: [durableWrite, plainSpool] }),
  'commit, systemd trigger': (i) => ({ argv: [binary, 'commit', ...lease(i)], config: systemdConfig }),
  'commit, spawn trigger': (i) => ({ argv: [binary, 'commit', ...lease(i)], config: spawnConfig }),
};

function timeOnce({ argv, config }: { argv: string[]; config?: string }): number {
  const env = config ? { ...baseEnv, BM_CONFIG: config } : baseEnv;
  const started = performance.now();
  const result = Bun.spawnSync(argv, { env, stdout: 'ignore', stderr: 'pipe' });
  const ms = performance.now() - started;
  if (result.exitCode !== 0) throw new Error(`${argv.join(' ')} exited ${result.exitCode}: ${result.stderr.toString()}`);
  return ms;
}

const series = new Map<string, number[]>(Object.keys(cases).map((name) => [name, []]));
for (let i = 0; i < ROUNDS; i++) for (const [name, argv] of Object.entries(cases)) series.get(name)!.push(timeOnce(argv(i)));
// The spawned drainers find no NetBox configured and exit; the spool goes with the work directory.
rmSync(work, { recursive: true, force: true });

const p50 = (name: string) => percentile(series.get(name)!, 50);
const floor = p50('hello-world (the floor)');
console.log(`hook-commit: ${ROUNDS} interleaved rounds on this machine; the spool on ${'/var/tmp'} (disk); ms and ratio to the floor's p50`);
for (const [name, values] of series) {
  console.log(
    `  ${name.padEnd(26)} p50 ${percentile(values, 50).toFixed(1).padStart(6)}  p99 ${percentile(values, 99).toFixed(1).padStart(6)}  ×${ratio(percentile(values, 50), floor)}`,
  );
}
const systemd = p50('commit, systemd trigger');
const spawnMs = p50('commit, spawn trigger');
const durable = p50('durable write only') - floor;
console.log(`  runtime-floor ratio (commit / hello-world, p50): ${ratio(systemd, floor)} with drain.trigger systemd, ${ratio(spawnMs, floor)} with spawn`);
console.log(
  `  of which the durable write (fsync ×2 on this disk): ~${durable.toFixed(1)} ms; without it: ${ratio(systemd - Math.max(0, durable), floor)} (target 1.3)`,
);
