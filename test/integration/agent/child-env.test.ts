/**
 * No secret reaches a child of bm-agent. The compiled agent runs the quick
 * profile (dry run, NetBox simulator, a blank loop device, lldpd on this
 * machine's NICs) with NETBOX_TOKEN and BM_CALLBACK_SECRET in its environment
 * and a directory first on PATH holding a wrapper for every tool it starts
 * directly (memtester, fio, dd, lldpd, lldpcli, dmidecode, …), for the commands
 * systeminformation's shell runs (lscpu, cat) and for tar (the evidence
 * archive): each wrapper writes its environment to a file, then execs the real
 * tool. Covered that way: the ToolRunner's minimal environment, lldpd's
 * Bun.spawn, and process.env (systeminformation, tar) emptied of the agent's
 * variables at start-up. Not covered: /proc/<agent pid>/environ, the kernel's
 * copy of the environment the agent started with (readable by root and the
 * same user only; out of scope).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentBinary, quickRunArgs, runAgent } from '../../helpers/agent-binary.ts';
import { createLoopLab, type LoopLab } from '../../helpers/loop-devices.ts';
import { createFixtures, type Fixtures } from '../../helpers/netbox-fixtures.ts';
import { startNetboxTarget, type NetboxTarget } from '../../helpers/netbox-target.ts';
import { requirementsMet } from '../../helpers/requirements.ts';
import { thisMachinesNic } from '../../helpers/this-machine.ts';

const CALLBACK_SECRET = 'child-env-callback-secret-3f9a';
/** Tools wrapped; the first group must each have run at least once in a quick run. */
const MUST_RUN = ['memtester', 'fio', 'lldpd', 'lldpcli', 'dmidecode', 'lscpu', 'tar'];
const MAY_RUN = ['dd', 'lsblk', 'blkid', 'wipefs', 'ipmitool', 'ethtool', 'ip', 'cat'];

const ready = requirementsMet('no secret in bm-agent children', { root: true, tools: [...MUST_RUN, 'losetup'] });

/** `<dir>/<tool>` for each tool: dump the environment to `<dumps>/<tool>.<pid>`, then exec the real tool. */
function writeEnvDumpingWrappers(dir: string, dumps: string): void {
  mkdirSync(dir, { recursive: true });
  mkdirSync(dumps, { recursive: true });
  const envTool = Bun.which('env')!;
  for (const tool of [...MUST_RUN, ...MAY_RUN]) {
    const real = Bun.which(tool);
    if (!real) continue;
    writeFileSync(join(dir, tool), `#!/bin/sh\n${envTool} > '${dumps}/${tool}.'$$\nexec '${real}' "$@"\n`);
    chmodSync(join(dir, tool), 0o755);
  }
}

describe.skipIf(!ready)('bm-agent never hands its secrets to a child process', () => {
  let loops: LoopLab;
  let target: NetboxTarget;
  let fx: Fixtures;

  beforeAll(async () => {
    agentBinary();
    loops = createLoopLab('bmt-child-env-');
    target = await startNetboxTarget({ flavour: '4.6' });
    fx = await createFixtures(target.url, target.token);
  });
  afterAll(async () => {
    await fx?.cleanup();
    await target?.close();
    await loops?.cleanup();
  });

  test('quick run with NETBOX_TOKEN and BM_CALLBACK_SECRET set: no child environment holds either', async () => {
    const nic = thisMachinesNic();
    if (!nic) throw new Error('this machine has no physical NIC');
    const device = await fx.createDevice({ name: `child-env-${Date.now()}`, status: 'discovered' });
    await fx.createInterface(device.id, { name: nic.name, mac: nic.mac });
    const blank = await loops.createBlank(`child-env-${Date.now()}`, 256);
    const dir = mkdtempSync(join(tmpdir(), 'bmt-child-env-'));
    const bin = join(dir, 'bin');
    const dumps = join(dir, 'dumps');
    writeEnvDumpingWrappers(bin, dumps);
    const secretToken = target.token; // the simulator's token: the run must be able to use it
    const result = await runAgent([...quickRunArgs(join(dir, 'evidence'), blank), '--dry-run', '--json'], {
      PATH: `${bin}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`,
      NETBOX_URL: target.url,
      NETBOX_TOKEN: secretToken,
      BM_CALLBACK_URL: 'http://127.0.0.1:9/never-called-in-a-dry-run',
      BM_CALLBACK_SECRET: CALLBACK_SECRET,
    });
    // The run used the token (it found the device), so the agent had it.
    expect({ exitCode: result.exitCode, stderr: result.exitCode ? result.stderr.slice(-3000) : '' }).toEqual({ exitCode: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toMatchObject({ device: { id: device.id } });

    const files = readdirSync(dumps);
    const ran = new Set(files.map((f) => f.replace(/\.\d+$/, '')));
    for (const tool of MUST_RUN) expect({ tool, ran: ran.has(tool) }).toEqual({ tool, ran: true });
    const leaks = files.flatMap((file) => {
      const env = readFileSync(join(dumps, file), 'utf8');
      return [secretToken, CALLBACK_SECRET, 'NETBOX_TOKEN', 'BM_CALLBACK_SECRET', 'NETBOX_URL', 'BM_CALLBACK_URL']
        .filter((needle) => env.includes(needle))
        .map((needle) => `${file}: ${needle}`);
    });
    expect(leaks).toEqual([]);
    // Tools the runner starts get the minimal environment: C locale, nothing of the agent's.
    const memtesterEnv = readFileSync(join(dumps, files.find((f) => f.startsWith('memtester.'))!), 'utf8');
    expect(memtesterEnv).toContain('LC_ALL=C\n');
  }, 180_000);
});
