/**
 * bm-harden plan and check against a real Redfish emulator (sushy-emulator, test/helpers/sushy.ts)
 * and the NetBox simulator, and the read faults: wrong credentials, BMC unreachable, a
 * group-readable credentials file — each a clear message, no status change, no journal.
 * Needs the venv `make deps` creates (sushy-tools); says so loudly when it is missing.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { type Lab, labMissing, startLab } from './harden-lab.ts';

const missing = labMissing('bm-harden against sushy-emulator', false);

let lab: Lab | undefined;
afterEach(async () => {
  await lab?.close();
  lab = undefined;
});

describe.skipIf(Boolean(missing))('bm-harden plan / check against sushy-emulator', () => {
  test('plan shows what differs from a live read and changes nothing', async () => {
    lab = await startLab();
    const { code, out } = await lab.run(['plan', '--device', lab.deviceName, '--profile', 'sushy-lab']);
    expect(code).toBe(0);
    expect(out).toContain('4 setting(s) run would apply');
    expect(out).toMatch(/bios\.ProcVirtualization\s+Enabled\s+Disabled\s+differs/);
    expect(out).toMatch(/bios\.SriovGlobalEnable\s+Enabled\s+Disabled\s+differs/);
    expect(out).toMatch(/protocol\.IPMI\s+disabled\s+enabled\s+differs/);
    expect(out).toMatch(/protocol\.SSDP\s+disabled\s+enabled\s+differs/);
    expect(out).not.toContain('bios.BootMode');
    expect(await lab.status()).toBe('staged');
    expect(await lab.journal()).toEqual([]);
  }, 60_000);

  test('the device is found by id as well as by name', async () => {
    lab = await startLab();
    const { code, out } = await lab.run(['plan', '--device', String(lab.deviceId), '--profile', 'sushy-lab', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ device: { id: lab.deviceId }, profile: 'sushy-lab', before: { compliant: false } });
  }, 60_000);

  test('check journals the table, exits 1 when not compliant, and leaves the status', async () => {
    lab = await startLab();
    const { code, out } = await lab.run(['check', '--device', lab.deviceName, '--profile', 'sushy-lab']);
    expect(code).toBe(1);
    expect(out).toContain('NOT compliant (4 settings)');
    expect(await lab.status()).toBe('staged');
    const journal = await lab.journal();
    expect(journal).toHaveLength(1);
    expect(journal[0]!.kind.value).toBe('warning');
    expect(journal[0]!.comments).toContain('| bios.ProcVirtualization | Enabled | Disabled | differs |');
    expect((await lab.run(['check', '--device', lab.deviceName, '--profile', 'sushy-lab', '--no-journal'])).code).toBe(1);
    expect(await lab.journal()).toHaveLength(1);
  }, 60_000);

  test('wrong credentials: exit 2, the fix named, no status change, no journal, the password never printed', async () => {
    lab = await startLab({ credentials: (s) => ({ username: s.username, password: 'wrong-password-3391' }) });
    const { code, out, err } = await lab.run(['run', '--device', lab.deviceName, '--profile', 'sushy-lab']);
    expect(code).toBe(2);
    expect(err).toMatch(/BMC refused the credentials \(HTTP 401\).*check the username and password in the credentials file/);
    expect(`${out}${err}`).not.toContain('wrong-password-3391');
    expect(await lab.status()).toBe('staged');
    expect(await lab.journal()).toEqual([]);
  }, 60_000);

  test('BMC unreachable: exit 4, the address and what to check, no status change, no journal', async () => {
    lab = await startLab({ port: () => 1 });
    const { code, err } = await lab.run(['run', '--device', lab.deviceName, '--profile', 'sushy-lab']);
    expect(code).toBe(4);
    expect(err).toMatch(/BMC unreachable at https:\/\/127\.0\.0\.1:1\/redfish\/v1\/.*check oob_ip/);
    expect(await lab.status()).toBe('staged');
    expect(await lab.journal()).toEqual([]);
  }, 60_000);

  test("the BMC's self-signed certificate is refused without the CA bundle, with the two ways out", async () => {
    lab = await startLab({ config: (s) => ({ redfish: { scheme: 'https', port: Number(s.baseUri.split(':')[1]), timeoutMs: 3000, retries: 0 } }) });
    const { code, err } = await lab.run(['plan', '--device', lab.deviceName, '--profile', 'sushy-lab']);
    expect(code).toBe(4);
    expect(err).toMatch(/TLS certificate was not accepted .*redfish\.caBundle.*tls\.verify: false/);
    expect(await lab.journal()).toEqual([]);
  }, 60_000);

  test('a run on a device that is not staged refuses, exit 1, nothing touched', async () => {
    lab = await startLab({ status: 'active' });
    const { code, err } = await lab.run(['run', '--device', lab.deviceName, '--profile', 'sushy-lab']);
    expect(code).toBe(1);
    expect(err).toContain('is active, not staged');
    expect(await lab.status()).toBe('active');
    expect(await lab.journal()).toEqual([]);
  }, 60_000);
});
