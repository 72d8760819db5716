/**
 * bm-harden proves the BMC's identity before acting (harden/identity.ts), against sushy-emulator and the NetBox
 * simulator: a BMC whose SerialNumber is not the device's serial (stale IPAM, swapped cables) is refused by run —
 * nothing written to the BMC, no status change, the refusal journalled once — and a missing or placeholder serial
 * proves nothing; plan and check go on and show the verdict. No Ansible is needed (run refuses before it).
 * Needs the venv `make deps` creates (sushy-tools); says so loudly when it is missing.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import type { Sushy } from '../../helpers/sushy.ts';
import { type Lab, LAB_SERIAL, labMissing, startLab } from './harden-lab.ts';

const missing = labMissing('bm-harden identity checks against sushy-emulator', false);

let lab: Lab | undefined;
afterEach(async () => {
  await lab?.close();
  lab = undefined;
});

const RUN = (l: Lab) => ['run', '--device', l.deviceName, '--profile', 'sushy-lab'];

/** The PATCHes and POSTs the emulator answered (its request log). */
function redfishWrites(sushy: Sushy): string[] {
  return sushy.log().match(/(PATCH|POST) \/redfish\/\S+/g) ?? [];
}

/** The BMC's BIOS and protocols, read independently of bm-harden. */
async function bmcSettings(sushy: Sushy) {
  const system = await sushy.get(`/redfish/v1/Systems/${sushy.systems[0]!.uuid}`);
  const bios = await sushy.get((system.Bios as { '@odata.id': string })['@odata.id']);
  const protocol = await sushy.get(`/redfish/v1/Managers/${sushy.systems[0]!.uuid}/NetworkProtocol`);
  return { bios: bios.Attributes, ipmi: (protocol.IPMI as { ProtocolEnabled: boolean }).ProtocolEnabled };
}

describe.skipIf(Boolean(missing))("bm-harden proves the BMC's identity (sushy-emulator)", () => {
  test('another serial on the BMC: run refuses with both values, changes nothing on the BMC or the status, journals the refusal once', async () => {
    lab = await startLab({ system: { serial: 'J8X2K11-OTHER' } });
    const before = await bmcSettings(lab.sushy);
    const { code, out, err } = await lab.run(RUN(lab));
    expect(code, `${out}\n${err}`).toBe(1);
    expect(err).toContain(`identity MISMATCH: the BMC reports serial "J8X2K11-OTHER", the NetBox device has "${LAB_SERIAL}"`);
    expect(err).toContain('Nothing was changed (no Redfish write, no Ansible, status stays staged)');
    expect(err).toContain("check the device's oob_ip (stale IPAM, swapped cables)");
    expect(redfishWrites(lab.sushy)).toEqual([]);
    expect(await bmcSettings(lab.sushy)).toEqual(before);
    expect(before.ipmi).toBe(true);
    expect(await lab.status()).toBe('staged');
    const journal = await lab.journal();
    expect(journal).toHaveLength(1);
    expect(journal[0]!.kind.value).toBe('danger');
    expect(journal[0]!.comments).toContain('**bm-harden run refused**: identity MISMATCH');
    expect(journal[0]!.comments).toContain(`| identity.serial | "${LAB_SERIAL}" | "J8X2K11-OTHER" | MISMATCH |`);

    // watch would repeat the same refusal every pass: it is journalled once.
    expect((await lab.run(RUN(lab))).code).toBe(1);
    expect(await lab.journal()).toHaveLength(1);
  }, 60_000);

  test('no serial in NetBox: run refuses, identity not proved, nothing changed', async () => {
    lab = await startLab({ serial: '' });
    const { code, err } = await lab.run(RUN(lab));
    expect(code).toBe(1);
    expect(err).toContain('identity NOT PROVED: the NetBox device has no serial');
    expect(err).toContain("record the server's serial in NetBox");
    expect(redfishWrites(lab.sushy)).toEqual([]);
    expect(await lab.status()).toBe('staged');
    expect((await lab.journal())[0]!.kind.value).toBe('warning');
  }, 60_000);

  test('a BMC that reports no SerialNumber, and a placeholder serial on both sides: refused as not proved', async () => {
    lab = await startLab({ system: { serial: undefined } });
    const none = await lab.run(RUN(lab));
    expect(none.code).toBe(1);
    expect(none.err).toContain('identity NOT PROVED: the BMC reports no SerialNumber');
    expect(redfishWrites(lab.sushy)).toEqual([]);
    await lab.close();
    lab = undefined;

    lab = await startLab({ serial: 'To be filled by O.E.M.', system: { serial: 'To be filled by O.E.M.' } });
    const placeholder = await lab.run(RUN(lab));
    expect(placeholder.code).toBe(1);
    expect(placeholder.err).toContain("identity NOT PROVED: NetBox's serial is a placeholder");
    expect(redfishWrites(lab.sushy)).toEqual([]);
    expect(await lab.status()).toBe('staged');
  }, 60_000);

  test('plan and check read a mismatched BMC but say so first; check exits 1 with the identity row in its journal table', async () => {
    lab = await startLab({ system: { serial: 'J8X2K11-OTHER' } });
    const plan = await lab.run(['plan', '--device', lab.deviceName, '--profile', 'sushy-lab']);
    expect(plan.code).toBe(0);
    expect(plan.out.split('\n')[0]).toContain('identity MISMATCH');
    expect(plan.out).toContain('(but run would refuse: identity not proved)');
    const check = await lab.run(['check', '--device', lab.deviceName, '--profile', 'sushy-lab']);
    expect(check.code).toBe(1);
    expect(check.out).toContain('IDENTITY MISMATCH');
    const [entry] = await lab.journal();
    expect(entry!.comments).toContain(`| identity.serial | "${LAB_SERIAL}" | "J8X2K11-OTHER" | MISMATCH |`);
    expect(redfishWrites(lab.sushy)).toEqual([]);
    expect(await lab.status()).toBe('staged');
  }, 60_000);

  test("a matching serial: check's table starts with the identity row, ok", async () => {
    lab = await startLab();
    const check = await lab.run(['check', '--device', lab.deviceName, '--profile', 'sushy-lab']);
    expect(check.code).toBe(1);
    expect(check.out).toMatch(new RegExp(`identity\\.serial\\s+"${LAB_SERIAL}"\\s+"${LAB_SERIAL}"\\s+ok`));
    expect(check.out).not.toContain('IDENTITY');
    const [entry] = await lab.journal();
    expect(entry!.comments).toContain(
      `| setting | desired | actual | result |\n|---|---|---|---|\n| identity.serial | "${LAB_SERIAL}" | "${LAB_SERIAL}" | ok |`,
    );
  }, 60_000);
});
