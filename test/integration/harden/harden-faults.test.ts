/**
 * bm-harden run under faults (issue 13, Deliver 4), against the NetBox simulator, sushy-emulator and the real
 * ansible-playbook: a BIOS setting the BMC refuses, an ansible-playbook that runs past its time limit (a BMC that
 * takes its time over a PATCH), NetBox failing when the result is recorded (the journal POST, then the status
 * PATCH), and the BMC disappearing while Ansible works on it. Each must leave a clear journal entry or error
 * message, never `ready` while in doubt, never a status without its journal entry, and a re-run afterwards (once
 * the fault is gone or the operator has dealt with it) must converge to `ready`. The read-time faults (wrong
 * credentials, unreachable from the start, TLS) are in harden-read.test.ts; the BMC that accepts a PATCH but
 * does not change is in harden-run.test.ts.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setDeviceStatus } from '../../../shared/netbox/index.ts';
import { startSushy, type Sushy } from '../../helpers/sushy.ts';
import { waitUntil } from '../../helpers/wait.ts';
import { LAB_PROFILE, LAB_SERIAL, type Lab, labMissing, startLab } from './harden-lab.ts';

const missing = labMissing('bm-harden fault tests against sushy-emulator and Ansible', true);

let lab: Lab | undefined;
const extra: Sushy[] = [];
afterEach(async () => {
  await lab?.close();
  lab = undefined;
  for (const s of extra.splice(0)) await s.stop();
});

const RUN = (l: Lab) => ['run', '--device', l.deviceName, '--profile', 'sushy-lab'];
const JOURNAL_PATH = '/api/extras/journal-entries/';

/** The lab's config file, changed the way an operator would edit it between runs. */
function editConfig(l: Lab, change: (config: Record<string, Record<string, unknown>>) => void): void {
  const path = join(l.dir, 'harden.json');
  const config = JSON.parse(readFileSync(path, 'utf8'));
  change(config);
  writeFileSync(path, JSON.stringify(config));
}

/** The lab's profile, rewritten (an operator fixing it). */
function writeProfile(l: Lab, profile: Record<string, unknown>): void {
  writeFileSync(join(l.dir, 'profiles', 'lab.json'), JSON.stringify(profile));
}

/** The emulated system's BIOS as the BMC holds it (current and pending), read around bm-harden. */
async function biosOf(sushy: Sushy): Promise<{ current: Record<string, unknown>; pending: Record<string, unknown> }> {
  const system = await sushy.get(`/redfish/v1/Systems/${sushy.systems[0]!.uuid}`);
  const path = (system.Bios as { '@odata.id': string })['@odata.id'];
  return {
    current: (await sushy.get(path)).Attributes as Record<string, unknown>,
    pending: (await sushy.get(`${path}/Settings`)).Attributes as Record<string, unknown>,
  };
}

async function protocolsOf(sushy: Sushy): Promise<Record<string, unknown>> {
  const managers = await sushy.get('/redfish/v1/Managers');
  const manager = (managers.Members as { '@odata.id': string }[])[0]!['@odata.id'];
  const state = await sushy.get(`${manager}/NetworkProtocol`);
  return { IPMI: (state.IPMI as { ProtocolEnabled: boolean }).ProtocolEnabled, SSDP: (state.SSDP as { ProtocolEnabled: boolean }).ProtocolEnabled };
}

/** The run after the fault is gone: exit 0, staged → `ready`, `entries` journal entries, the newest a success. Its output. */
async function rerunConverges(l: Lab, entries: number): Promise<string> {
  const again = await l.run(RUN(l));
  expect(again.code, `${again.out}\n${again.err}`).toBe(0);
  expect(again.out).toContain('status staged → ready');
  expect(await l.status()).toBe('ready');
  const journal = await l.journal();
  expect(journal).toHaveLength(entries);
  expect(journal.at(-1)!.kind.value).toBe('success');
  return again.out;
}

describe.skipIf(Boolean(missing))('bm-harden run under faults', () => {
  test('a BIOS setting the BMC refuses: failed with the BMC’s reason in the journal; a re-run refuses; fixed profile + staged → ready', async () => {
    lab = await startLab({ system: { biosRejected: { SriovGlobalEnable: 'read-only while SR-IOV devices are assigned' } } });
    const first = await lab.run(RUN(lab));
    expect(first.code, `${first.out}\n${first.err}`).toBe(1);
    expect(first.out).toContain('NOT compliant');
    expect(first.out).toMatch(/ansible task failed: .*Set BIOS attributes.*SriovGlobalEnable cannot be set: read-only while SR-IOV devices are assigned/);
    expect(await lab.status()).toBe('failed');
    const [entry, ...more] = await lab.journal();
    expect(more).toEqual([]);
    expect(entry!.kind.value).toBe('danger');
    expect(entry!.comments).toContain('status staged → failed');
    expect(entry!.comments).toContain('Reasons: bios.ProcVirtualization differs; bios.SriovGlobalEnable differs');
    expect(entry!.comments).toMatch(/- failed: .*Set BIOS attributes.*SriovGlobalEnable cannot be set/);
    // The BMC took nothing of the refused PATCH (no half-applied BIOS).
    expect((await biosOf(lab.sushy)).pending).toMatchObject({ ProcVirtualization: 'Disabled', SriovGlobalEnable: 'Disabled' });

    // A re-run on the failed device changes nothing and says why.
    const again = await lab.run(RUN(lab));
    expect(again.code).toBe(1);
    expect(again.err).toContain('is failed, not staged');
    expect(await lab.journal()).toHaveLength(1);

    // The operator drops the setting this BMC will not take and stages the device again: the re-run converges.
    const { SriovGlobalEnable: _dropped, ...bios } = LAB_PROFILE.bios;
    writeProfile(lab, { ...LAB_PROFILE, bios });
    await setDeviceStatus(lab.fx.client, lab.deviceId, 'staged');
    await rerunConverges(lab, 2);
  }, 300_000);

  test('ansible-playbook past its time limit (a BMC slow to answer a PATCH): not ready, the limit named; the re-run finishes the job', async () => {
    lab = await startLab({ system: { biosPatchDelay: { seconds: 30 } } });
    editConfig(lab, (c) => {
      c.ansible!.timeoutMs = 15_000;
    });
    const first = await lab.run(RUN(lab));
    expect(first.code, `${first.out}\n${first.err}`).toBe(4);
    expect(first.err).toMatch(/ansible-playbook failed; verifying anyway.*did not finish within 15000 ms \(ansible\.timeoutMs\)/);
    expect(lab.sushy.log()).toContain('bm fault: delaying the BIOS PATCH');
    expect(await lab.status()).toBe('failed');
    const [entry, ...more] = await lab.journal();
    expect(more).toEqual([]);
    expect(entry!.kind.value).toBe('danger');
    expect(entry!.comments).toContain('Ansible failed \\(ansible-playbook did not finish within 15000 ms');
    expect(entry!.comments).toContain('the BMC read again: 0 settings now compliant');
    // Read before the delayed PATCH lands: the time limit ended the whole playbook (its workers too), not just its parent.
    expect(entry!.comments).toContain('bios.ProcVirtualization differs');

    // The slow BMC finishes the PATCH on its own after bm-harden gave up: the settings end up pending.
    await waitUntil(async () => (await biosOf(lab!.sushy)).pending.ProcVirtualization === 'Enabled', {
      timeoutMs: 90_000,
      intervalMs: 500,
      what: 'the delayed BIOS PATCH landing on the emulator',
    });
    await setDeviceStatus(lab.fx.client, lab.deviceId, 'staged');
    await rerunConverges(lab, 2);
    expect((await biosOf(lab.sushy)).current).toMatchObject({ ProcVirtualization: 'Enabled', SriovGlobalEnable: 'Enabled' });
  }, 300_000);

  test('NetBox refuses the journal entry after the apply: no status, no entry, the error says so; the re-run after recovery journals, sets ready', async () => {
    lab = await startLab();
    const sim = lab.netbox.sim!;
    sim.setFaults([{ kind: 'status', status: 503, method: 'POST', pathPrefix: JOURNAL_PATH }]);
    const first = await lab.run(RUN(lab));
    expect(first.code, `${first.out}\n${first.err}`).toBe(3);
    expect(first.err).toMatch(/503/);
    expect(first.err).toMatch(/not recorded in NetBox.*status not set.*run bm-harden run again/);
    // The BMC was hardened …
    expect(await protocolsOf(lab.sushy)).toEqual({ IPMI: false, SSDP: false });
    // … but NetBox holds nothing of it: no status without its entry.
    sim.clearFaults();
    expect(await lab.status()).toBe('staged');
    expect(await lab.journal()).toEqual([]);

    expect(await rerunConverges(lab, 1)).toContain('compliant; nothing changed (already compliant; Ansible not run); status staged → ready');
  }, 300_000);

  test('NetBox refuses the status PATCH after the journal entry: not ready, the error says the status was not set; the re-run sets ready', async () => {
    lab = await startLab();
    const sim = lab.netbox.sim!;
    sim.setFaults([{ kind: 'status', status: 503, method: 'PATCH', pathPrefix: `/api/dcim/devices/${lab.deviceId}/` }]);
    const first = await lab.run(RUN(lab));
    expect(first.code, `${first.out}\n${first.err}`).toBe(3);
    expect(first.err).toMatch(/journal entry was posted but the status was not set \(stays staged, not ready\).*run bm-harden run again/);
    sim.clearFaults();
    expect(await lab.status()).toBe('staged');
    const [entry, ...more] = await lab.journal();
    expect(more).toEqual([]);
    expect(entry!.kind.value).toBe('success');

    await rerunConverges(lab, 2);
  }, 300_000);

  test('the BMC disappears while Ansible works on it: no journal, no status change, the BMC named; the re-run against the BMC back converges', async () => {
    lab = await startLab({ system: { biosPatchDelay: { seconds: 60 } } });
    const l = lab;
    const running = l.run(RUN(l));
    await waitUntil(async () => l.sushy.log().includes('bm fault: delaying the BIOS PATCH'), {
      timeoutMs: 120_000,
      intervalMs: 200,
      what: 'Ansible reaching the BIOS PATCH',
    });
    // The BMC dies (its process killed by PID; its files, the CA bundle among them, stay until close()).
    process.kill(l.sushy.pid, 'SIGKILL');
    const first = await running;
    expect(first.code, `${first.out}\n${first.err}`).toBe(4);
    expect(first.err).toMatch(/BMC unreachable at https:\/\/127\.0\.0\.1:\d+\/redfish\/v1\//);
    expect(first.err).toMatch(/could not be read again after Ansible ran, it may be partly changed; nothing recorded, status stays staged/);
    expect(await l.status()).toBe('staged');
    expect(await l.journal()).toEqual([]);

    // The BMC is back (a fresh emulator on another port stands in for it after a BMC reset).
    const back = await startSushy({
      networkProtocol: true,
      username: l.sushy.username,
      password: l.sushy.password,
      systems: [
        {
          name: 'lab-server',
          serial: LAB_SERIAL,
          protocols: { IPMI: { ProtocolEnabled: true }, SSDP: { ProtocolEnabled: true }, HTTPS: { ProtocolEnabled: true } },
        },
      ],
    });
    extra.push(back);
    editConfig(l, (c) => {
      c.redfish = { ...c.redfish, port: Number(back.baseUri.split(':')[1]), caBundle: back.caPath };
    });
    await rerunConverges(l, 1);
  }, 300_000);
});
