/**
 * bm-harden's firmware baseline end to end: NetBox simulator + sushy-emulator with our FirmwareInventory and
 * SimpleUpdate model (test/helpers/sushy-emulator.py: the image is downloaded, the new version comes from its file
 * name, a BIOS image activates at the next restart) + the real ansible-playbook. A component below its baseline with
 * an image URL is updated, the task waited for, the system restarted (rebootAllowed), the inventory read again →
 * compliant → ready, and a second run sends nothing; without an image URL it is only reported (not ready); a BMC
 * that accepts the update and keeps the old version is caught by the verify; without an allowed reboot the update
 * is pending-reboot. The image URL's password never shows in output or journal.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { type ImageServer, startImageServer } from '../../helpers/firmware-images.ts';
import { type Lab, type LabOptions, labMissing, startLab } from './harden-lab.ts';

const missing = labMissing('bm-harden firmware baseline against sushy-emulator and Ansible', true);
const IMAGE_PASSWORD = 'Image-Repo-Secret-99';

let lab: Lab | undefined;
let images: ImageServer | undefined;
afterEach(async () => {
  await lab?.close();
  lab = undefined;
  images?.stop();
  images = undefined;
});

function firmwareProfile(firmware: Record<string, unknown>[], rebootAllowed = true): Record<string, unknown> {
  return { name: 'sushy-lab', tls: { verify: true }, onUnsupported: 'fail', rebootAllowed, firmware };
}

async function firmwareLab(firmware: Record<string, unknown>[], options: LabOptions & { rebootAllowed?: boolean } = {}): Promise<Lab> {
  return await startLab({ ...options, sushy: { firmwareInventory: true }, profile: firmwareProfile(firmware, options.rebootAllowed) });
}

const RUN = (l: Lab) => ['run', '--device', l.deviceName, '--profile', 'sushy-lab'];

async function versionOf(l: Lab, id: 'BIOS' | 'BMC'): Promise<string> {
  return (await l.sushy.get(`/redfish/v1/UpdateService/FirmwareInventory/${id}`)).Version as string;
}

describe.skipIf(Boolean(missing))('bm-harden firmware baseline against sushy-emulator with Ansible', () => {
  test('below baseline with an image: plan shows it, run updates, restarts, verifies → ready; a second run sends nothing', async () => {
    images = startImageServer();
    const image = images.url('bios-2.1.0.bin', { user: 'fw', password: IMAGE_PASSWORD });
    lab = await firmwareLab([
      { component: 'BIOS', minimumVersion: '2.1.0', image },
      { component: 'BMC', minimumVersion: '1.0' },
    ]);

    const plan = await lab.run(['plan', '--device', lab.deviceName, '--profile', 'sushy-lab']);
    expect(plan.code, plan.err).toBe(0);
    expect(plan.out).toContain('1 setting(s) run would apply');
    expect(plan.out).toMatch(
      /firmware\.BIOS\s+≥ 2\.1\.0\s+1\.0\.0\s+below-baseline \(update from http:\/\/fw:\[REDACTED\]@127\.0\.0\.1:\d+\/bios-2\.1\.0\.bin\)/,
    );
    expect(images.requests).toEqual([]);

    const first = await lab.run(RUN(lab));
    expect(first.code, `${first.out}\n${first.err}`).toBe(0);
    expect(first.out).toContain('compliant; applied with Ansible, 1 setting now compliant; status staged → ready');
    expect(await versionOf(lab, 'BIOS')).toBe('2.1.0');
    // The BMC fetched the image with the URL's credentials (as basic auth).
    expect(images.requests).toEqual([{ path: '/bios-2.1.0.bin', auth: `fw:${IMAGE_PASSWORD}` }]);
    expect(await lab.status()).toBe('ready');
    const [entry] = await lab.journal();
    expect(entry!.kind.value).toBe('success');
    expect(entry!.comments).toContain('| BIOS | ≥ 2.1.0 | 2.1.0 | ok |');
    expect(entry!.comments).toContain('| BMC | ≥ 1.0 | 1.00 | ok |');
    for (const text of [plan.out, plan.err, first.out, first.err, entry!.comments]) expect(text).not.toContain(IMAGE_PASSWORD);

    const second = await lab.run(RUN(lab));
    expect(second.code, second.err).toBe(0);
    expect(second.out).toContain('compliant; nothing changed (already compliant; Ansible not run); status stays ready');
    expect(images.requests).toHaveLength(1);
    expect(lab.sushy.log()).toContain('bm firmware: BIOS updated to 2.1.0');
    expect(lab.sushy.log().match(/bm firmware: /g)).toHaveLength(1);
  }, 240_000);

  test('below baseline without an image: reported with the reason, nothing sent, the device becomes failed', async () => {
    lab = await firmwareLab([{ component: 'BIOS', minimumVersion: '2.1.0' }], { system: { biosVersion: '1.9.9' } });
    const { code, out, err } = await lab.run(RUN(lab));
    expect(code, `${out}\n${err}`).toBe(1);
    expect(out).toContain('NOT compliant (1 setting); nothing changed (nothing Ansible can apply; Ansible not run); status staged → failed');
    expect(await lab.status()).toBe('failed');
    const [entry] = await lab.journal();
    expect(entry!.comments).toContain('Reasons: firmware.BIOS below-baseline');
    expect(entry!.comments).toContain('| BIOS | ≥ 2.1.0 | 1.9.9 | below-baseline (no image URL in the profile) |');
    expect(await versionOf(lab, 'BIOS')).toBe('1.9.9');
  }, 240_000);

  test('a BMC that accepts the update and keeps the old version: the verify catches it, not ready', async () => {
    images = startImageServer();
    lab = await firmwareLab([{ component: 'BMC', minimumVersion: '2.0', image: images.url('bmc-2.0.bin') }], { system: { firmwareUpdateIgnored: true } });
    const { code, out, err } = await lab.run(RUN(lab));
    expect(code, `${out}\n${err}`).toBe(1);
    expect(out).toContain('NOT compliant (1 setting); applied with Ansible, 0 settings now compliant; status staged → failed');
    expect(lab.sushy.log()).toContain('bm fault: firmware update accepted and ignored');
    const [entry] = await lab.journal();
    expect(entry!.kind.value).toBe('danger');
    expect(entry!.comments).toContain('| BMC | ≥ 2.0 | 1.00 | below-baseline (update sent, but the BMC still reports the old version) |');
  }, 240_000);

  test('without an allowed reboot the BIOS update is pending-reboot (not ready); an image the BMC cannot fetch fails the task', async () => {
    images = startImageServer();
    lab = await firmwareLab([{ component: 'BIOS', minimumVersion: '2.1.0', image: images.url('bios-2.1.0.bin') }], {
      rebootAllowed: false,
      config: () => ({ onNonCompliant: 'leave' }),
    });
    const pending = await lab.run(RUN(lab));
    expect(pending.code, `${pending.out}\n${pending.err}`).toBe(1);
    expect(pending.out).toMatch(/firmware\.BIOS\s+≥ 2\.1\.0\s+1\.0\.0\s+pending-reboot \(update sent; activates at the next reboot\)/);
    expect(await lab.status()).toBe('staged');
    expect(await versionOf(lab, 'BIOS')).toBe('1.0.0');

    await lab.close();
    lab = await firmwareLab([{ component: 'BMC', minimumVersion: '2.0', image: images.url('bmc-2.0.img') }]);
    const failed = await lab.run(RUN(lab));
    expect(failed.code, `${failed.out}\n${failed.err}`).toBe(1);
    expect(failed.out).toMatch(/ansible task failed: .*Fail on a firmware update the BMC did not complete.*BMC ended Exception: cannot download the image/);
    expect(await versionOf(lab, 'BMC')).toBe('1.00');
  }, 240_000);
});
