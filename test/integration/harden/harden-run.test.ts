/**
 * bm-harden run end to end: NetBox simulator + sushy-emulator + the real ansible-playbook
 * (harden/ansible/harden.yml from the venv `make deps` creates). The run applies what
 * differs, reads the BMC again to verify, journals one table and sets `ready`; a second
 * run changes nothing and says so; a BMC that accepts a PATCH but does not change is
 * caught by the verify and the device is not made ready.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { LAB_PROFILE, type Lab, labMissing, startLab } from './harden-lab.ts';

const missing = labMissing('bm-harden run against sushy-emulator and Ansible', true);

let lab: Lab | undefined;
afterEach(async () => {
  await lab?.close();
  lab = undefined;
});

describe.skipIf(Boolean(missing))('bm-harden run against sushy-emulator with Ansible', () => {
  test('run makes the BMC compliant, journals the table and sets ready; a second run changes nothing and says so', async () => {
    lab = await startLab();
    const started = Date.now();
    const first = await lab.run(['run', '--device', lab.deviceName, '--profile', 'sushy-lab']);
    const firstMs = Date.now() - started;
    expect(first.err).not.toContain(lab.sushy.password);
    expect(first.code, `${first.out}\n${first.err}`).toBe(0);
    expect(first.out).toContain('compliant; applied with Ansible, 4 settings now compliant; status staged → ready');

    // The BMC itself, read independently of bm-harden.
    const uuid = lab.sushy.systems[0]!.uuid;
    const system = await lab.sushy.get(`/redfish/v1/Systems/${uuid}`);
    const bios = await lab.sushy.get((system.Bios as { '@odata.id': string })['@odata.id']);
    expect(bios.Attributes).toMatchObject({ ProcVirtualization: 'Enabled', SriovGlobalEnable: 'Enabled', BootMode: 'Uefi' });

    expect(await lab.status()).toBe('ready');
    const journal = await lab.journal();
    expect(journal).toHaveLength(1);
    expect(journal[0]!.kind.value).toBe('success');
    expect(journal[0]!.comments).toContain('| bios.ProcVirtualization | Enabled | Enabled | ok |');
    expect(journal[0]!.comments).toContain('| protocol.IPMI | disabled | disabled | ok |');
    expect(journal[0]!.comments).not.toContain(lab.sushy.password);

    const again = Date.now();
    const second = await lab.run(['run', '--device', lab.deviceName, '--profile', 'sushy-lab']);
    const secondMs = Date.now() - again;
    expect(second.code, second.err).toBe(0);
    expect(second.out).toContain('compliant; nothing changed (already compliant; Ansible not run); status stays ready');
    expect(await lab.status()).toBe('ready');
    expect(await lab.journal()).toHaveLength(2);
    process.stderr.write(`bm-harden run, one device: first run (apply + reboot + verify) ${firstMs} ms, second run (verify only) ${secondMs} ms\n`);
  }, 240_000);

  test('a BMC that accepts the BIOS PATCH but changes nothing: verify catches it, the device becomes failed, with the reason', async () => {
    lab = await startLab({ system: { biosPatchIgnored: true } });
    const { code, out, err } = await lab.run(['run', '--device', lab.deviceName, '--profile', 'sushy-lab']);
    expect(code, `${out}\n${err}`).toBe(1);
    expect(out).toContain('NOT compliant (2 settings)');
    expect(await lab.status()).toBe('failed');
    const [entry] = await lab.journal();
    expect(entry!.kind.value).toBe('danger');
    expect(entry!.comments).toContain('Reasons: bios.ProcVirtualization differs; bios.SriovGlobalEnable differs');
    expect(entry!.comments).toContain('| protocol.IPMI | disabled | disabled | ok |');
  }, 240_000);

  test('onNonCompliant: leave keeps the status; BIOS changes without an allowed reboot are pending-reboot, not ready', async () => {
    lab = await startLab({ profile: { ...LAB_PROFILE, rebootAllowed: false }, config: () => ({ onNonCompliant: 'leave' }) });
    const { code, out, err } = await lab.run(['run', '--device', lab.deviceName, '--profile', 'sushy-lab']);
    expect(code, `${out}\n${err}`).toBe(1);
    expect(out).toMatch(/bios\.ProcVirtualization\s+Enabled\s+Disabled\s+pending-reboot/);
    expect(await lab.status()).toBe('staged');
    expect((await lab.journal())[0]!.kind.value).toBe('warning');
  }, 240_000);
});
