/**
 * harden/ansible/harden.yml run with the real ansible-playbook (the venv `make deps` creates) against OpenStack's
 * sushy-emulator over HTTPS with basic auth: it changes what differs and proves it by reading Redfish back, changes
 * nothing on a compliant BMC or under --check, fails clearly (and before changing anything) on wrong credentials,
 * an unknown BIOS attribute or an unreachable BMC, and never shows a password in its output or argv.
 * ManagerNetworkProtocol and AccountService are our additions to the emulator (test/helpers/sushy-emulator.py).
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { credentialsFile, inventoryFor, runPlaybook, type BmcCredentials, type PlaybookRun } from '../../helpers/ansible-run.ts';
import { startImageServer } from '../../helpers/firmware-images.ts';
import { requirementsMet } from '../../helpers/requirements.ts';
import { ANSIBLE_PLAYBOOK, startSushy, VENV_PYTHON, type Sushy, type SushyOptions } from '../../helpers/sushy.ts';

const ready = requirementsMet('ansible playbook against sushy-emulator', { tools: [ANSIBLE_PLAYBOOK, VENV_PYTHON] });
const HOST = 'srv-1';
const NEW_PASSWORD = 'Rotated-Secret-4711';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function bmc(options: SushyOptions = {}): Promise<Sushy> {
  const sushy = await startSushy(options);
  cleanups.push(() => sushy.stop());
  return sushy;
}

function creds(credentials: BmcCredentials): string {
  const file = credentialsFile(credentials);
  cleanups.push(() => file.rm());
  return file.path;
}

async function run(sushy: Sushy, credentials: BmcCredentials, vars: Record<string, unknown>, options: Parameters<typeof runPlaybook>[2] = {}) {
  return await runPlaybook(inventoryFor({ [HOST]: { sushy, credentialsFile: creds(credentials) } }), vars, options);
}

function changed(result: PlaybookRun): number {
  return result.stats[HOST]?.changed ?? -1;
}

function failure(result: PlaybookRun): string {
  return (result.tasks[HOST] ?? []).find((task) => task.failed)?.msg ?? '';
}

function summary(result: PlaybookRun): Record<string, unknown> {
  const task = (result.tasks[HOST] ?? []).find((t) => t.name.endsWith(': Summary'));
  if (!task) throw new Error(`no Summary task in the run: ${result.stdout.slice(-2000)}`);
  return task.result.msg as Record<string, unknown>;
}

async function bios(sushy: Sushy, which: 'BIOS' | 'BIOS/Settings' = 'BIOS'): Promise<Record<string, unknown>> {
  return (await sushy.get(`/redfish/v1/Systems/${sushy.systems[0]!.uuid}/${which}`)).Attributes as Record<string, unknown>;
}

const HARDENED_BIOS = { ProcVirtualization: 'Enabled', TpmSecurity: 'On', SecureBoot: 'Enabled' };

describe.skipIf(!ready)('harden.yml against sushy-emulator', () => {
  test('applies BIOS attributes, restarts, reads back as desired; a second run changes nothing', async () => {
    const sushy = await bmc();
    const login = { username: sushy.username, password: sushy.password };
    const vars = { desired: { bios_attributes: HARDENED_BIOS }, reboot_allowed: true };

    const first = await run(sushy, login, vars);
    expect(first.exitCode, first.stdout).toBe(0);
    expect(summary(first)).toMatchObject({ bios_changed: HARDENED_BIOS, rebooted: true, bios_pending_reboot: false });
    expect(await bios(sushy)).toMatchObject(HARDENED_BIOS);
    expect((await sushy.get(`/redfish/v1/Systems/${sushy.systems[0]!.uuid}`)).PowerState).toBe('On');

    const second = await run(sushy, login, vars);
    expect(second.exitCode, second.stdout).toBe(0);
    expect(changed(second)).toBe(0);
    expect(summary(second)).toMatchObject({ bios_changed: {}, rebooted: false, bios_pending_reboot: false });
  }, 90_000);

  test('without reboot_allowed the BIOS change stays pending and is reported so', async () => {
    const sushy = await bmc();
    const result = await run(
      sushy,
      { username: sushy.username, password: sushy.password },
      { desired: { bios_attributes: HARDENED_BIOS }, reboot_allowed: false },
    );
    expect(result.exitCode, result.stdout).toBe(0);
    expect(summary(result)).toMatchObject({ rebooted: false, bios_pending_reboot: true });
    expect(await bios(sushy)).toMatchObject({ ProcVirtualization: 'Disabled' });
    expect(await bios(sushy, 'BIOS/Settings')).toMatchObject(HARDENED_BIOS);
  }, 60_000);

  test('--check reports what would change and changes nothing', async () => {
    const sushy = await bmc({ networkProtocol: true, accountService: true, systems: [{ name: 'server-1', protocols: { IPMI: { ProtocolEnabled: true } } }] });
    const before = {
      bios: await bios(sushy),
      pending: await bios(sushy, 'BIOS/Settings'),
      np: await sushy.get(`/redfish/v1/Managers/${sushy.systems[0]!.uuid}/NetworkProtocol`),
    };
    const vars = {
      desired: { bios_attributes: HARDENED_BIOS, network_protocols: { IPMI: false }, ntp_servers: ['192.0.2.1'], accounts: { rotate_username: 'admin' } },
      reboot_allowed: true,
    };

    const result = await run(sushy, { username: sushy.username, password: sushy.password, new_password: NEW_PASSWORD }, vars, { check: true });
    expect(result.exitCode, result.stdout).toBe(0);
    expect(changed(result)).toBe(3);
    expect(summary(result)).toMatchObject({ check_mode: true, bios_changed: HARDENED_BIOS, rebooted: false });
    expect(await bios(sushy)).toEqual(before.bios);
    expect(await bios(sushy, 'BIOS/Settings')).toEqual(before.pending);
    expect(await sushy.get(`/redfish/v1/Managers/${sushy.systems[0]!.uuid}/NetworkProtocol`)).toEqual(before.np);
    expect((await sushy.request('GET', '/redfish/v1/Systems')).status).toBe(200);
  }, 60_000);

  test('network protocols, NTP and the password rotation apply, read back, and a re-run with the old file continues safely', async () => {
    const sushy = await bmc({ networkProtocol: true, accountService: true, systems: [{ name: 'server-1', protocols: { IPMI: { ProtocolEnabled: true } } }] });
    const login = { username: sushy.username, password: sushy.password, new_password: NEW_PASSWORD };
    const vars = {
      desired: { network_protocols: { IPMI: false, SSDP: false, HTTPS: true }, ntp_servers: ['192.0.2.1'], accounts: { rotate_username: 'admin' } },
    };

    const first = await run(sushy, login, vars);
    expect(first.exitCode, first.stdout).toBe(0);
    expect(summary(first)).toMatchObject({ password_rotated: true });
    const np = await sushy.request('GET', `/redfish/v1/Managers/${sushy.systems[0]!.uuid}/NetworkProtocol`, undefined, {
      username: 'admin',
      password: NEW_PASSWORD,
    });
    expect(np.json).toMatchObject({
      IPMI: { ProtocolEnabled: false },
      SSDP: { ProtocolEnabled: false },
      HTTPS: { ProtocolEnabled: true },
      NTP: { ProtocolEnabled: true, NTPServers: ['192.0.2.1'] },
    });
    expect((await sushy.request('GET', '/redfish/v1/Systems')).status).toBe(401);

    // The caller did not (yet) record the rotation: the file still names the old password first.
    const second = await run(sushy, login, vars);
    expect(second.exitCode, second.stdout).toBe(0);
    expect(changed(second)).toBe(0);
    expect(summary(second)).toMatchObject({ password_rotated: false, password_already_rotated: true, network_protocols_changed: {} });
  }, 90_000);

  test('no password appears in -v output or argv', async () => {
    const sushy = await bmc({ networkProtocol: true, accountService: true });
    const vars = {
      desired: { bios_attributes: HARDENED_BIOS, network_protocols: { IPMI: false }, accounts: { rotate_username: 'admin' } },
      reboot_allowed: false,
    };
    const result = await run(sushy, { username: sushy.username, password: sushy.password, new_password: NEW_PASSWORD }, vars, { verbose: true });
    expect(result.exitCode, result.stdout).toBe(0);
    expect(result.stdout).toContain('Rotate the password of admin');
    for (const secret of [sushy.password, NEW_PASSWORD]) {
      expect(result.stdout).not.toContain(secret);
      expect(result.stderr).not.toContain(secret);
      expect(result.argv.join(' ')).not.toContain(secret);
    }
    // The rotation really happened, so the secrets really went through the tasks whose output was checked.
    expect((await sushy.request('GET', '/redfish/v1/Systems', undefined, { username: 'admin', password: NEW_PASSWORD })).status).toBe(200);
  }, 60_000);

  test('a new_password without desired.accounts rotates nothing', async () => {
    const sushy = await bmc({ accountService: true });
    const result = await run(sushy, { username: sushy.username, password: sushy.password, new_password: NEW_PASSWORD }, { desired: {} });
    expect(result.exitCode, result.stdout).toBe(0);
    expect(changed(result)).toBe(0);
    expect((await sushy.request('GET', '/redfish/v1/Systems')).status).toBe(200);
  }, 60_000);

  test('wrong credentials fail clearly, without the password, before anything changes', async () => {
    const sushy = await bmc();
    const wrong = 'Not-The-Password-99';
    const result = await run(sushy, { username: sushy.username, password: wrong }, { desired: { bios_attributes: HARDENED_BIOS }, reboot_allowed: true });
    expect(result.exitCode).not.toBe(0);
    expect(failure(result)).toContain(`refused the credentials of user "${sushy.username}"`);
    expect(failure(result)).toContain('HTTP 401');
    expect(result.stdout).not.toContain(wrong);
    expect(await bios(sushy, 'BIOS/Settings')).toMatchObject({ ProcVirtualization: 'Disabled' });
  }, 60_000);

  test('a BIOS attribute the BMC does not have fails naming it, before anything changes', async () => {
    const sushy = await bmc();
    const vars = { desired: { bios_attributes: { ...HARDENED_BIOS, NoSuchKnob: 'On' } }, reboot_allowed: true };
    const result = await run(sushy, { username: sushy.username, password: sushy.password }, vars);
    expect(result.exitCode).not.toBe(0);
    expect(failure(result)).toContain('BIOS attribute(s) NoSuchKnob not on this BMC');
    expect(await bios(sushy, 'BIOS/Settings')).toMatchObject({ ProcVirtualization: 'Disabled' });
  }, 60_000);

  test('settings without a Redfish resource here are applied around and then reported as a failure naming each', async () => {
    const sushy = await bmc();
    const vars = { desired: { bios_attributes: HARDENED_BIOS, network_protocols: { IPMI: false }, syslog_servers: ['192.0.2.9'] }, reboot_allowed: true };
    const result = await run(sushy, { username: sushy.username, password: sushy.password }, vars);
    expect(result.exitCode).not.toBe(0);
    expect(failure(result)).toContain('network_protocols/ntp_servers: NetworkProtocol resource not found');
    expect(failure(result)).toContain('syslog_servers: no standard Redfish property');
    expect(summary(result)).toMatchObject({ bios_changed: HARDENED_BIOS, rebooted: true });
    expect(await bios(sushy)).toMatchObject(HARDENED_BIOS);
  }, 90_000);

  test('an unreachable BMC and an unverifiable certificate fail clearly', async () => {
    const sushy = await bmc();
    const login = { username: sushy.username, password: sushy.password };
    const noCa = await runPlaybook(inventoryFor({ [HOST]: { sushy: { ...sushy, caPath: undefined } as Sushy, credentialsFile: creds(login) } }), {
      desired: {},
    });
    expect(noCa.exitCode).not.toBe(0);
    expect(failure(noCa)).toMatch(/unreachable: .*CERTIFICATE_VERIFY_FAILED/);

    // Port 1 on loopback: nothing listens there.
    const gone = await run({ ...sushy, baseUri: '127.0.0.1:1' }, login, { desired: {} });
    expect(gone.exitCode).not.toBe(0);
    expect(failure(gone)).toMatch(new RegExp(`${HOST} at https://127.0.0.1:1 unreachable: .*Connection refused`));
  }, 60_000);

  test('firmware: --check sends only reads; SimpleUpdate downloads the image, its task is waited for, the version reads back; the URL password stays hidden', async () => {
    const images = startImageServer();
    cleanups.push(() => images.stop());
    const sushy = await bmc({ firmwareInventory: true });
    const imagePassword = 'Image-Repo-Secret-77';
    const vars = { desired: { firmware: [{ component: 'BMC', image_uri: images.url('bmc-2.10.bin', { user: 'fw', password: imagePassword }) }] } };
    const login = { username: sushy.username, password: sushy.password };

    const check = await run(sushy, login, vars, { check: true });
    expect(check.exitCode, check.stdout).toBe(0);
    expect(changed(check)).toBe(1);
    expect(summary(check)).toMatchObject({ check_mode: true, firmware_updated: ['BMC'] });
    expect(images.requests).toEqual([]);
    expect(sushy.log()).not.toMatch(/POST|PATCH/);

    const applied = await run(sushy, login, vars);
    expect(applied.exitCode, applied.stdout).toBe(0);
    expect(summary(applied)).toMatchObject({ firmware_updated: ['BMC'], rebooted: false });
    expect(images.requests).toEqual([{ path: '/bmc-2.10.bin', auth: `fw:${imagePassword}` }]);
    expect(sushy.log()).toMatch(/GET \/redfish\/v1\/TaskService\/Tasks\/fw-1 /);
    expect((await sushy.get('/redfish/v1/UpdateService/FirmwareInventory/BMC')).Version).toBe('2.10');
    for (const text of [check.stdout, check.stderr, applied.stdout, applied.stderr, check.argv.join(' '), applied.argv.join(' ')]) {
      expect(text).not.toContain(imagePassword);
    }
  }, 120_000);
});
