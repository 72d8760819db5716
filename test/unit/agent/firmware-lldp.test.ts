/**
 * The firmware LLDP agent of i40e and ice NICs (agent/lldp/firmware.ts): ethtool's private
 * flag parser, the pure decision, and the stop/restore through a fake ethtool that keeps
 * each NIC's flags — the one path, which works under kernel lockdown (no debugfs).
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../../shared/log.ts';
import { FIRMWARE_LLDP_FLAGS, planFirmwareLldpStop, restoreFirmwareLldp, stopFirmwareLldp } from '../../../agent/lldp/firmware.ts';
import { readPrivFlags } from '../../../agent/tools/ethtool.ts';
import { noPrivFlags, parsePrivFlags } from '../../../agent/tools/ethtool.parse.ts';
import type { ToolInvocation } from '../../../agent/tools/run-tool.ts';
import { type FakeAnswer, fakeToolRunner } from '../../helpers/fake-tools.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dir, '../../fixtures/ethtool', name), 'utf8');
const I40E = fixture('i40e-show-priv-flags.txt');
const ICE = fixture('ice-show-priv-flags-constructed.txt');

/** ethtool's layout: `Private flags for <nic>:`, then the names padded to the longest. */
function showPrivFlags(nic: string, flags: ReadonlyMap<string, boolean>): string {
  const width = Math.max(...[...flags.keys()].map((k) => k.length));
  return [`Private flags for ${nic}:`, ...[...flags].map(([name, on]) => `${name.padEnd(width)}: ${on ? 'on' : 'off'}`), ''].join('\n');
}

/**
 * A fake ethtool keeping each NIC's private flags: `--show-priv-flags` prints them, `--set-priv-flags`
 * changes one (or answers `refuse(inv)` instead). `ignoreSets`: the driver accepts and changes nothing.
 */
function fakeEthtool(nics: Record<string, Map<string, boolean>>, options: { refuse?: (inv: ToolInvocation) => FakeAnswer | null; ignoreSets?: boolean } = {}) {
  return fakeToolRunner((inv): FakeAnswer => {
    if (inv.tool !== 'ethtool') return { exitCode: 127, stderr: `${inv.tool}: not faked` };
    const [option, nic, flag, value] = inv.args;
    const flags = nics[nic!];
    if (!flags) return { exitCode: 1, stderr: `netlink error: no device matches name (offset 24)\nnetlink error: No such device` };
    if (option === '--show-priv-flags') return { stdout: showPrivFlags(nic!, flags) };
    const refused = options.refuse?.(inv);
    if (refused) return refused;
    if (!flags.has(flag!)) return { exitCode: 1, stderr: `Unknown private flag "${flag}"` };
    if (!options.ignoreSets) flags.set(flag!, value === 'on');
    return {};
  });
}

function logger() {
  const lines: string[] = [];
  return { log: createLogger({ level: 'debug', write: (line) => lines.push(line) }), lines };
}

describe('ethtool --show-priv-flags', () => {
  test('parses an i40e listing, the longest name without a space before its colon', () => {
    const flags = parsePrivFlags(I40E);
    expect(flags.size).toBe(13);
    expect(flags.get('disable-fw-lldp')).toBe(false);
    expect(flags.get('disable-source-pruning')).toBe(true);
    expect(flags.get('flow-director-atr')).toBe(true);
    expect(flags.has('Private flags for eno1')).toBe(false);
  });

  test('parses an ice listing', () => {
    expect(parsePrivFlags(ICE).get('fw-lldp-agent')).toBe(true);
    expect([...parsePrivFlags(ICE).keys()]).toEqual([
      'link-down-on-close',
      'fw-lldp-agent',
      'vf-true-promisc-support',
      'mdd-auto-reset-vf',
      'vf-vlan-pruning',
      'legacy-rx',
    ]);
  });

  test('the fake prints what ethtool prints', () => {
    expect(showPrivFlags('eno1', parsePrivFlags(I40E))).toBe(I40E);
    expect(showPrivFlags('ens801f0', parsePrivFlags(ICE))).toBe(ICE);
  });

  test('readPrivFlags: a driver without private flags (netlink ethtool) is a problem in ethtool’s words', async () => {
    const stderr = fixture('virtio-show-priv-flags.stderr');
    const outcome = await readPrivFlags(
      fakeToolRunner(() => ({ exitCode: 1, stderr })),
      'eth0',
    );
    expect(outcome).toEqual({ flags: null, problem: 'ethtool exited 1: netlink error: Operation not supported' });
  });

  test('readPrivFlags: the ioctl path’s "No private flags defined" is an empty set, a failure a problem', async () => {
    expect(noPrivFlags('', 'No private flags defined\n')).toBe(true);
    const none = await readPrivFlags(
      fakeToolRunner(() => ({ exitCode: 1, stderr: 'No private flags defined\n' })),
      'eth0',
    );
    expect(none).toEqual({ flags: new Map(), problem: null });
    const failed = await readPrivFlags(
      fakeToolRunner(() => ({ exitCode: 1, stderr: 'netlink error: No such device\n' })),
      'eth9',
    );
    expect(failed).toEqual({ flags: null, problem: 'ethtool exited 1: netlink error: No such device' });
    const missing = await readPrivFlags(
      fakeToolRunner(() => ({ missing: true })),
      'eth0',
    );
    expect(missing.problem).toBe('ethtool is not installed');
  });
});

describe('the decision', () => {
  test('the flags per driver: i40e disable-fw-lldp on, ice fw-lldp-agent off', () => {
    expect(FIRMWARE_LLDP_FLAGS).toEqual({ i40e: { flag: 'disable-fw-lldp', stoppedWhen: true }, ice: { flag: 'fw-lldp-agent', stoppedWhen: false } });
  });

  test('i40e with the agent running: set disable-fw-lldp on', () => {
    expect(planFirmwareLldpStop('eno1', 'i40e', parsePrivFlags(I40E))).toEqual({ kind: 'set', flag: 'disable-fw-lldp', value: true });
  });

  test('ice with the agent running: set fw-lldp-agent off (the inverted meaning)', () => {
    expect(planFirmwareLldpStop('ens801f0', 'ice', parsePrivFlags(ICE))).toEqual({ kind: 'set', flag: 'fw-lldp-agent', value: false });
  });

  test('the agent already stopped: nothing to set', () => {
    expect(planFirmwareLldpStop('eno1', 'i40e', new Map([['disable-fw-lldp', true]]))).toEqual({
      kind: 'already-stopped',
      flag: 'disable-fw-lldp',
      value: true,
    });
    expect(planFirmwareLldpStop('ens1', 'ice', new Map([['fw-lldp-agent', false]]))).toEqual({ kind: 'already-stopped', flag: 'fw-lldp-agent', value: false });
  });

  test('no such flag: unsupported, naming the flags there are and what to do', () => {
    const plan = planFirmwareLldpStop('eno1', 'i40e', new Map([['MFP', false]]));
    expect(plan.kind).toBe('unsupported');
    expect(plan.kind === 'unsupported' && plan.reason).toBe(
      'i40e on eno1 has no disable-fw-lldp private flag (ethtool --show-priv-flags lists: MFP): the kernel driver predates it ' +
        `or the NIC's firmware cannot stop its LLDP agent; update the NIC's NVM, or disable "LLDP Agent" in its UEFI HII setup`,
    );
    expect(planFirmwareLldpStop('eno1', 'i40e', new Map())).toMatchObject({ kind: 'unsupported', reason: expect.stringContaining('lists: none') });
  });
});

describe('stop and restore through ethtool', () => {
  const i40e = { name: 'eno1', busAddress: '0000:3b:00.0', driver: 'i40e' as const };
  const ice = { name: 'ens801f0', busAddress: '0000:51:00.0', driver: 'ice' as const };

  test('i40e: reads the flags, sets disable-fw-lldp on, reads it back; the restore puts it off again', async () => {
    const nics = { eno1: parsePrivFlags(I40E) };
    const run = fakeEthtool(nics);
    const { log } = logger();
    const action = await stopFirmwareLldp({ run, log }, i40e);
    expect(action).toMatchObject({ nic: 'eno1', driver: 'i40e', flag: 'disable-fw-lldp', before: false, method: 'ethtool', ok: true, changed: true });
    expect(action.detail).toBe('ethtool --set-priv-flags eno1 disable-fw-lldp on');
    expect(nics.eno1.get('disable-fw-lldp')).toBe(true);
    await restoreFirmwareLldp({ run, log }, action);
    expect(action.restored).toBe(true);
    expect(nics.eno1.get('disable-fw-lldp')).toBe(false);
    expect(run.calls.map((c) => c.args.join(' '))).toEqual([
      '--show-priv-flags eno1',
      '--set-priv-flags eno1 disable-fw-lldp on',
      '--show-priv-flags eno1',
      '--set-priv-flags eno1 disable-fw-lldp off',
    ]);
  });

  test('ice: sets fw-lldp-agent off and restores it on', async () => {
    const nics = { ens801f0: parsePrivFlags(ICE) };
    const run = fakeEthtool(nics);
    const action = await stopFirmwareLldp({ run, log: logger().log }, ice);
    expect(action).toMatchObject({ flag: 'fw-lldp-agent', before: true, ok: true, changed: true });
    expect(nics.ens801f0.get('fw-lldp-agent')).toBe(false);
    await restoreFirmwareLldp({ run, log: logger().log }, action);
    expect(nics.ens801f0.get('fw-lldp-agent')).toBe(true);
  });

  test('an agent found stopped is left alone, before and after', async () => {
    const nics = { eno1: new Map([['disable-fw-lldp', true]]) };
    const run = fakeEthtool(nics);
    const action = await stopFirmwareLldp({ run, log: logger().log }, i40e);
    expect(action).toMatchObject({ method: 'ethtool', ok: true, changed: false, detail: 'disable-fw-lldp was already on' });
    await restoreFirmwareLldp({ run, log: logger().log }, action);
    expect(action.restored).toBeNull();
    expect(run.calls.map((c) => c.args[0])).toEqual(['--show-priv-flags']);
  });

  test('firmware that refuses: method none, with ethtool’s own words, and nothing to restore', async () => {
    const run = fakeEthtool({ eno1: parsePrivFlags(I40E) }, { refuse: () => ({ exitCode: 76, stderr: 'netlink error: Operation not supported\n' }) });
    const { log, lines } = logger();
    const action = await stopFirmwareLldp({ run, log }, i40e);
    expect(action).toMatchObject({ method: 'none', ok: false, changed: false, before: false });
    expect(action.detail).toBe('ethtool --set-priv-flags eno1 disable-fw-lldp on failed: ethtool exited 76: netlink error: Operation not supported');
    expect(lines.some((l) => l.includes('i40e firmware LLDP agent left running'))).toBe(true);
    await restoreFirmwareLldp({ run, log }, action);
    expect(run.calls.filter((c) => c.args[0] === '--set-priv-flags')).toHaveLength(1);
  });

  test('a driver that accepts the flag but keeps its agent is caught by the read-back', async () => {
    const run = fakeEthtool({ eno1: parsePrivFlags(I40E) }, { ignoreSets: true });
    const action = await stopFirmwareLldp({ run, log: logger().log }, i40e);
    expect(action).toMatchObject({ method: 'none', ok: false });
    expect(action.detail).toBe('ethtool --set-priv-flags eno1 disable-fw-lldp on succeeded but disable-fw-lldp still reads off');
  });

  test('an old driver without the flag: method none, saying which flags it has', async () => {
    const run = fakeEthtool({ eno1: new Map([['MFP', false]]) });
    const action = await stopFirmwareLldp({ run, log: logger().log }, i40e);
    expect(action).toMatchObject({ method: 'none', ok: false, before: null });
    expect(action.detail).toContain('has no disable-fw-lldp private flag (ethtool --show-priv-flags lists: MFP)');
  });

  test('a restore that fails is recorded and logged, never thrown', async () => {
    let sets = 0;
    const run = fakeEthtool(
      { eno1: parsePrivFlags(I40E) },
      { refuse: () => (++sets === 2 ? { exitCode: 1, stderr: 'netlink error: Device or resource busy\n' } : null) },
    );
    const { log, lines } = logger();
    const action = await stopFirmwareLldp({ run, log }, i40e);
    await restoreFirmwareLldp({ run, log }, action);
    expect(action.restored).toBe(false);
    expect(action.restoreProblem).toBe('ethtool --set-priv-flags eno1 disable-fw-lldp off failed: ethtool exited 1: netlink error: Device or resource busy');
    expect(lines.some((l) => l.includes('setting not restored'))).toBe(true);
  });
});
