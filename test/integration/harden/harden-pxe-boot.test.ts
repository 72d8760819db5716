/**
 * bm-harden pxe-boot against sushy-emulator and the NetBox simulator: a discovered server is powered on with a
 * one-time PXE boot (boot override PATCHed, ComputerSystem.Reset, PowerState polled until On — sushy's fake driver
 * applies power changes 1–11 s late — the override read back, one journal entry); a device in the wrong status is
 * refused before anything reaches the BMC; a BMC whose identity does not match gets no PATCH and no POST.
 * Needs the venv `make deps` creates (sushy-tools); says so loudly when it is missing.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { PXE_BOOT_HEADLINE } from '../../../harden/pxe-boot.ts';
import type { Sushy } from '../../helpers/sushy.ts';
import { type Lab, labMissing, startLab } from './harden-lab.ts';

const missing = labMissing('bm-harden pxe-boot against sushy-emulator', false);

let lab: Lab | undefined;
afterEach(async () => {
  await lab?.close();
  lab = undefined;
});

const PXE = (l: Lab, ...more: string[]) => ['pxe-boot', '--device', l.deviceName, '--profile', 'sushy-lab', ...more];

/** The requests the emulator answered, from its log (`GET /redfish/v1/…`). */
function requestsOf(sushy: Sushy, methods = 'GET|PATCH|POST'): string[] {
  return sushy.log().match(new RegExp(`(${methods}) /redfish/\\S+`, 'g')) ?? [];
}

async function systemOf(sushy: Sushy) {
  const system = await sushy.get(`/redfish/v1/Systems/${sushy.systems[0]!.uuid}`);
  return { power: system.PowerState, boot: system.Boot as Record<string, unknown> };
}

describe.skipIf(Boolean(missing))('bm-harden pxe-boot against sushy-emulator', () => {
  test('a discovered server that is off: override Pxe/Once, reset On, PowerState On awaited, the override read back and journalled', async () => {
    lab = await startLab({ status: 'discovered', system: { powerState: 'Off' } });
    const uuid = lab.sushy.systems[0]!.uuid;
    const started = Date.now();
    const { code, out, err } = await lab.run(PXE(lab));
    const ms = Date.now() - started;
    expect(code, `${out}\n${err}`).toBe(0);
    expect(out).toContain(`${lab.deviceName}: identity proved`);
    expect(out).toContain('powered on with a one-time PXE boot (reset On, PowerState Off → On');
    expect(out).toContain('reports boot override Pxe/Continuous');
    expect(out).toContain('warning: the BMC reports BootSourceOverrideEnabled Continuous, not Once');
    expect(err).not.toContain(lab.sushy.password);

    // The BMC itself: on, network boot set; exactly one PATCH of the System and one POST of its Reset action.
    const system = await systemOf(lab.sushy);
    expect(system.power).toBe('On');
    expect(system.boot.BootSourceOverrideTarget).toBe('Pxe');
    expect(requestsOf(lab.sushy, 'PATCH|POST')).toEqual([`PATCH /redfish/v1/Systems/${uuid}`, `POST /redfish/v1/Systems/${uuid}/Actions/ComputerSystem.Reset`]);

    expect(await lab.status()).toBe('discovered');
    const journal = await lab.journal();
    expect(journal).toHaveLength(1);
    expect(journal[0]!.kind.value).toBe('warning');
    expect(journal[0]!.comments.split('\n')[0]).toBe(`**${PXE_BOOT_HEADLINE}**`);
    expect(journal[0]!.comments).toContain('ComputerSystem.Reset `On`; PowerState Off → On. The BMC now reports BootSourceOverrideTarget `Pxe`');
    process.stderr.write(`bm-harden pxe-boot, one device (off → on, sushy's lazy power): ${ms} ms\n`);
  }, 90_000);

  test('a failed server that is on (validation again after a fix): ForceRestart, back On; --json says so', async () => {
    lab = await startLab({ status: 'failed', system: { powerState: 'On' } });
    const { code, out, err } = await lab.run(PXE(lab, '--json', '--wait-s', '60'));
    expect(code, `${out}\n${err}`).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      device: { id: lab.deviceId },
      resetType: 'ForceRestart',
      powerBefore: 'On',
      powerAfter: 'On',
      boot: { target: 'Pxe', enabled: 'Continuous' },
      identity: { result: 'proved' },
      journalled: true,
    });
    expect(requestsOf(lab.sushy, 'POST')).toEqual([`POST /redfish/v1/Systems/${lab.sushy.systems[0]!.uuid}/Actions/ComputerSystem.Reset`]);
    expect(await lab.status()).toBe('failed');
  }, 90_000);

  test('a device that is not discovered (staged) is refused, exit 1, before any request reaches the BMC', async () => {
    lab = await startLab({ status: 'staged', system: { powerState: 'Off' } });
    const before = requestsOf(lab.sushy).length;
    const { code, err } = await lab.run(PXE(lab));
    expect(code).toBe(1);
    expect(err).toContain('is staged, not discovered: bm-harden pxe-boot powers on discovered devices');
    expect(err).toContain('nothing was sent to the BMC');
    expect(requestsOf(lab.sushy)).toHaveLength(before);
    expect((await systemOf(lab.sushy)).power).toBe('Off');
    expect(await lab.journal()).toEqual([]);
  }, 60_000);

  test('identity mismatch: refused, exit 1; no PATCH or POST reached the BMC, still off, override untouched', async () => {
    lab = await startLab({ status: 'discovered', system: { powerState: 'Off', serial: 'J8X2K11-OTHER' } });
    const bootBefore = (await systemOf(lab.sushy)).boot.BootSourceOverrideTarget;
    const { code, err } = await lab.run(PXE(lab));
    expect(code).toBe(1);
    expect(err).toContain('bm-harden pxe-boot refused for device');
    expect(err).toContain('identity MISMATCH: the BMC reports serial "J8X2K11-OTHER"');
    expect(requestsOf(lab.sushy, 'PATCH|POST')).toEqual([]);
    const system = await systemOf(lab.sushy);
    expect(system.power).toBe('Off');
    expect(system.boot.BootSourceOverrideTarget).toBe(bootBefore);
    expect(await lab.status()).toBe('discovered');
    const journal = await lab.journal();
    expect(journal).toHaveLength(1);
    expect(journal[0]!.comments).toContain('**bm-harden pxe-boot refused**: identity MISMATCH');
  }, 60_000);
});
