/**
 * bm-agent's two performance claims, measured in one run on this machine:
 *  1. running 02-memory, 03-disk and 04-lldp concurrently costs little: wall time
 *     of the concurrent phase ÷ the slowest step run alone (1.0 = free overlap;
 *     the sum of the solo times is what running them in sequence would cost);
 *  2. one memtester per CPU runs at memory speed: MiB/s with N processes ÷ MiB/s
 *     with one, same total size, rounds interleaved.
 * Uses the real tools (root for the disk part: a blank loop device) and the
 * NetBox simulator in this process.
 */
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../agent/report.ts';
import { measureMemtesterThroughput } from '../agent/tools/memtester.ts';
import { startSimulator } from '../test/netbox-sim/index.ts';
import { createFixtures } from '../test/helpers/netbox-fixtures.ts';
import { createLoopLab } from '../test/helpers/loop-devices.ts';
import { thisMachinesNic } from '../test/helpers/this-machine.ts';

const MEMTEST_MIB = 64;
const ROUNDS = 2;

const sim = await startSimulator({ port: 0, flavour: '4.6' });
const loops = process.getuid?.() === 0 ? createLoopLab('bm-bench-') : null;
try {
  const fx = await createFixtures(sim.url, sim.token);
  const device = await fx.createDevice({ status: 'discovered' });
  const nic = thisMachinesNic();
  if (nic) await fx.createInterface(device.id, { name: nic.name, mac: nic.mac });
  const disk = loops ? await loops.createBlank('bench', 512) : null;

  const agent = async (extra: string[]): Promise<Report> => {
    const evidence = mkdtempSync(join(tmpdir(), 'bm-bench-'));
    const args = [
      'dist/bm-agent',
      'run',
      '--profile',
      'quick',
      '--dry-run',
      '--json',
      '--evidence-dir',
      evidence,
      '--cmdline-file',
      '/dev/null',
      '--set',
      `memory.size_mb=${MEMTEST_MIB}`,
      '--set',
      'lldp.deadline_s=4',
      '--set',
      'disk.runtime_s=2',
      ...(disk ? ['--set', `disk.devices=${disk}`] : []),
      ...extra,
    ];
    const child = Bun.spawn(args, { env: { PATH: process.env.PATH ?? '', NETBOX_URL: sim.url, NETBOX_TOKEN: sim.token }, stdout: 'pipe', stderr: 'ignore' });
    const [out] = await Promise.all([new Response(child.stdout).text(), child.exited]);
    return JSON.parse(out) as Report;
  };
  const span = (report: Report, ids: string[]) => {
    const steps = report.steps.filter((s) => ids.includes(s.id) && s.startedAt && s.durationMs !== null);
    const starts = steps.map((s) => Date.parse(s.startedAt!));
    const ends = steps.map((s) => Date.parse(s.startedAt!) + s.durationMs!);
    return Math.max(...ends) - Math.min(...starts);
  };
  const concurrentIds = ['02-memory', '03-disk', '04-lldp'];
  const solo: Record<string, number> = {};
  for (const id of concurrentIds) solo[id] = (await agent(['--only', id])).steps.find((s) => s.id === id)!.durationMs!;
  const together = span(await agent([]), concurrentIds);
  const slowest = Math.max(...Object.values(solo));
  const sum = Object.values(solo).reduce((a, b) => a + b, 0);
  console.log(`agent: quick profile, dry run against the simulator${disk ? `, fio on a blank ${disk}` : ' (not root: no disk under test)'}`);
  console.log(`  solo: ${concurrentIds.map((id) => `${id} ${(solo[id]! / 1000).toFixed(1)} s`).join(', ')}`);
  console.log(`  concurrent phase: ${(together / 1000).toFixed(1)} s; sequential would be ${(sum / 1000).toFixed(1)} s`);
  console.log(
    `  ratio concurrent wall / slowest step alone: ${(together / slowest).toFixed(2)} (1.00 = free overlap; sequential = ${(sum / slowest).toFixed(2)})`,
  );

  const cpus = availableParallelism();
  const one: number[] = [];
  const many: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    one.push((await measureMemtesterThroughput({ processes: 1, totalMiB: MEMTEST_MIB })).mibPerSecond);
    many.push((await measureMemtesterThroughput({ processes: cpus, totalMiB: MEMTEST_MIB })).mibPerSecond);
  }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  console.log(`memtester: ${MEMTEST_MIB} MiB total, ${ROUNDS} interleaved rounds`);
  console.log(`  1 process: ${mean(one).toFixed(1)} MiB/s; ${cpus} processes: ${mean(many).toFixed(1)} MiB/s`);
  console.log(`  ratio ${cpus}-process / 1-process throughput: ${(mean(many) / mean(one)).toFixed(2)} (ideal ${cpus.toFixed(2)})`);
} finally {
  await loops?.cleanup();
  await sim.close();
}
