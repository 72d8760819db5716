/** tools/ip.ts and tools/ethtool.ts through the shared fake ToolRunner: their argv, and failures as problems. */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setPrivFlag } from '../../../agent/tools/ethtool.ts';
import { readLinks, setLinkUp } from '../../../agent/tools/ip.ts';
import { fakeToolRunner } from '../../helpers/fake-tools.ts';

const IP_LINK_SHOW = readFileSync(join(import.meta.dir, '../../fixtures/lldpcli/ip-link-show.json'), 'utf8');

describe('ip', () => {
  test('readLinks runs `ip -j link show` with the signal and parses every link', async () => {
    const run = fakeToolRunner(() => ({ stdout: IP_LINK_SHOW }));
    const signal = new AbortController().signal;
    const outcome = await readLinks(run, { signal });
    expect(run.calls).toEqual([{ tool: 'ip', args: ['-j', 'link', 'show'], timeoutMs: 5000, signal }]);
    expect(outcome.problem).toBeNull();
    expect(outcome.links?.map((l) => [l.name, l.carrier])).toEqual([
      ['lo', true],
      ['eno1', true],
      ['eno2', true],
      ['eno3', true],
    ]);
  });

  test('readLinks: ip failing or printing something else is a problem, not an exception', async () => {
    const failed = await readLinks(fakeToolRunner(() => ({ exitCode: 255, stderr: 'Cannot open netlink socket: Permission denied\n' })));
    expect(failed).toMatchObject({ links: null, problem: 'ip exited 255: Cannot open netlink socket: Permission denied' });
    const garbage = await readLinks(fakeToolRunner(() => ({ stdout: 'Usage: ip [ OPTIONS ] OBJECT' })));
    expect(garbage.links).toBeNull();
    expect(garbage.problem).toStartWith('ip -j link output does not parse as JSON');
    const missing = await readLinks(fakeToolRunner(() => ({ missing: true })));
    expect(missing.problem).toBe('ip is not installed');
  });

  test('setLinkUp runs `ip link set dev <nic> up` and says why it failed', async () => {
    const run = fakeToolRunner((inv) => (inv.args[3] === 'eno9' ? { exitCode: 1, stderr: 'Cannot find device "eno9"\n' } : {}));
    expect(await setLinkUp(run, 'eno1')).toBeNull();
    expect(await setLinkUp(run, 'eno9')).toBe('ip exited 1: Cannot find device "eno9"');
    expect(run.calls.map((c) => [c.tool, ...c.args])).toEqual([
      ['ip', 'link', 'set', 'dev', 'eno1', 'up'],
      ['ip', 'link', 'set', 'dev', 'eno9', 'up'],
    ]);
  });
});

describe('ethtool', () => {
  test('setPrivFlag runs `ethtool --set-priv-flags <nic> <flag> on|off` and says why it failed', async () => {
    const run = fakeToolRunner((_inv, index) => (index === 0 ? {} : { exitCode: 76, stderr: 'netlink error: Operation not supported\n' }));
    expect(await setPrivFlag(run, 'eno1', 'disable-fw-lldp', true)).toBeNull();
    expect(await setPrivFlag(run, 'eno2', 'disable-fw-lldp', false)).toBe('ethtool exited 76: netlink error: Operation not supported');
    expect(run.calls.map((c) => c.args)).toEqual([
      ['--set-priv-flags', 'eno1', 'disable-fw-lldp', 'on'],
      ['--set-priv-flags', 'eno2', 'disable-fw-lldp', 'off'],
    ]);
    expect(run.calls[0]!.timeoutMs).toBe(10_000);
  });
});
