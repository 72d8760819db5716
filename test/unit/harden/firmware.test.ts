/** harden/firmware.ts: vendor version strings, finding a component in the inventory, the row per baseline. */
import { describe, expect, test } from 'bun:test';
import { compareCompliance, desiredChanges } from '../../../harden/compliance.ts';
import { compareFirmwareVersions, findFirmwareItem, firmwareRow, parseFirmwareVersion } from '../../../harden/firmware.ts';
import { parseProfile } from '../../../harden/profile.ts';
import type { BmcState } from '../../../harden/redfish.ts';

const sign = (v: number | string) => (typeof v === 'string' ? 'cannot compare' : Math.sign(v));

describe('compareFirmwareVersions', () => {
  test.each([
    ['2.10.0', '2.9.1', 1],
    ['2.9.1', '2.10.0', -1],
    ['1.0.0', '1.0', 0],
    ['1.0', '1.0.0', 0],
    ['1.0.1', '1.0', 1],
    ['v2.3', '2.3.0', 0],
    // Dell iDRAC
    ['6.10.30.00', '6.10.30.0', 0],
    ['6.10.30.00', '7.00.00', -1],
    ['7.00.00.171', '7.00.00', 1],
    // HPE iLO
    ['2.78', '2.80', -1],
    ['2.81', '2.80', 1],
    // HPE System ROM: family, version, date
    ['U46 v2.80 (01/26/2023)', 'U46 v2.72 (08/05/2022)', 1],
    ['U46 v2.80 (01/26/2023)', '2.80', 0],
    ['U46 v2.72 (08/05/2022)', '2.80', -1],
    ['U46 v2.80 (01/26/2023)', 'U30 v2.80 (01/26/2023)', 'cannot compare'],
    // Not a version this can read: never silently ok
    ['A12', '1.0', 'cannot compare'],
    ['1.2.3b', '1.2.3', 'cannot compare'],
    ['2.1.0-rc1', '2.1.0', 'cannot compare'],
    ['', '1.0', 'cannot compare'],
    ['1.0 2.0', '1.0', 'cannot compare'],
    ['1.0', 'latest', 'cannot compare'],
  ])('%s vs %s → %s', (a, b, expected) => {
    expect(sign(compareFirmwareVersions(a, b))).toBe(expected as number | string);
  });

  test('the reason says what is wrong', () => {
    expect(compareFirmwareVersions('A12', '1.0')).toBe('"A12" has no dotted version number');
    expect(compareFirmwareVersions('U46 v2.80', 'U30 v2.80')).toMatch(/different families \(u46 \/ u30\)/);
    expect(parseFirmwareVersion('U46 v2.80 (01/26/2023)')).toEqual({ segments: [2, 80], family: 'u46' });
  });
});

describe('findFirmwareItem', () => {
  const dell = [
    { id: 'Installed-25227-6.10.30.00', name: 'Integrated Dell Remote Access Controller', version: '6.10.30.00' },
    { id: 'Previous-25227-6.00.30.00', name: 'Integrated Dell Remote Access Controller', version: '6.00.30.00' },
    { id: 'Installed-159-1.8.2', name: 'BIOS', version: '1.8.2' },
  ];
  test('by Id first (case-insensitive), then by Name; Dell’s Installed- member wins over its Previous- one', () => {
    expect(findFirmwareItem([{ id: 'BMC', version: '1' }], 'bmc')).toEqual({ id: 'BMC', version: '1' });
    expect(findFirmwareItem(dell, 'Integrated Dell Remote Access Controller')).toMatchObject({ version: '6.10.30.00' });
    expect(findFirmwareItem([{ id: '1', name: 'System ROM', version: 'U46 v2.80 (01/26/2023)' }], 'system rom')).toMatchObject({ id: '1' });
  });
  test('several members of that Name is ambiguous; none is missing, with the Ids the BMC has', () => {
    const two = [
      { id: 'a', name: 'NIC', version: '1' },
      { id: 'b', name: 'NIC', version: '2' },
    ];
    expect(findFirmwareItem(two, 'NIC')).toEqual({ ambiguous: '2 inventory members are named NIC (Ids a, b): name it by Id' });
    expect(findFirmwareItem(two, 'BMC')).toEqual({ missing: 'not in the inventory (Ids: a, b)' });
  });
});

describe('firmwareRow', () => {
  const bmc: BmcState = { firmware: [{ id: 'BIOS', version: '1.0.0' }, { id: 'BMC', version: '2.10' }, { id: 'NIC' }, { id: 'CPLD', version: 'A04' }] };
  const image = 'https://fw:s3cret@repo.example.net/bios-2.1.0.bin';
  test.each([
    [{ component: 'BMC', minimumVersion: '2.9' }, false, false, 'ok', undefined],
    [{ component: 'BIOS', minimumVersion: '2.1.0' }, false, false, 'below-baseline', 'no image URL in the profile'],
    [
      { component: 'BIOS', minimumVersion: '2.1.0', image },
      false,
      false,
      'below-baseline',
      'update from https://fw:[REDACTED]@repo.example.net/bios-2.1.0.bin',
    ],
    [{ component: 'BIOS', minimumVersion: '2.1.0', image }, false, true, 'pending-reboot', 'update sent; activates at the next reboot'],
    [{ component: 'BIOS', minimumVersion: '2.1.0', image }, true, true, 'below-baseline', 'update sent, but the BMC still reports the old version'],
    [{ component: 'NIC', minimumVersion: '1.0' }, false, false, 'cannot-compare', 'the BMC reports no Version for NIC'],
    [{ component: 'CPLD', minimumVersion: '1.0' }, false, false, 'cannot-compare', '"A04" has no dotted version number'],
    [{ component: 'PSU', minimumVersion: '1.0' }, false, false, 'unsupported', 'not in the inventory (Ids: BIOS, BMC, NIC, CPLD)'],
  ])('%o (rebootAllowed %p, sent %p) → %s', (baseline, rebootAllowed, sent, result, note) => {
    const row = firmwareRow(baseline, bmc, rebootAllowed, sent);
    expect(row.result).toBe(result as typeof row.result);
    expect(row.note).toBe(note as string | undefined);
  });
  test('a BMC without FirmwareInventory: unsupported, saying so', () => {
    expect(firmwareRow({ component: 'BMC', minimumVersion: '1' }, {}, false, false)).toMatchObject({
      result: 'unsupported',
      note: 'the BMC offers no FirmwareInventory',
    });
  });
});

describe('firmware in compliance and in what Ansible is given', () => {
  const profile = parseProfile(
    {
      name: 'fw',
      firmware: [
        { component: 'BIOS', minimumVersion: '2.1.0', image: 'http://repo/bios-2.1.0.bin', targets: ['/redfish/v1/Systems/1'] },
        { component: 'BMC', minimumVersion: '3.0' },
        { component: 'CPLD', minimumVersion: '1.0', image: 'http://repo/cpld-1.0.bin', transferProtocol: 'HTTP' },
      ],
    },
    'fw',
  );
  const bmc: BmcState = {
    firmware: [
      { id: 'BIOS', version: '1.0.0' },
      { id: 'BMC', version: '2.10' },
      { id: 'CPLD', version: 'A04' },
    ],
  };

  test('below baseline, without image and cannot-compare all block; only the component with an image is updated', () => {
    const report = compareCompliance(profile, bmc);
    expect(report.compliant).toBe(false);
    expect(report.blocking.map((r) => `${r.setting} ${r.result}`)).toEqual([
      'firmware.BIOS below-baseline',
      'firmware.BMC below-baseline',
      'firmware.CPLD cannot-compare',
    ]);
    expect(desiredChanges(profile, report)?.firmware).toEqual([
      { component: 'BIOS', image_uri: 'http://repo/bios-2.1.0.bin', targets: ['/redfish/v1/Systems/1'] },
    ]);
  });

  test('a compliant inventory sends nothing', () => {
    const report = compareCompliance(profile, {
      firmware: [
        { id: 'BIOS', version: '2.1' },
        { id: 'BMC', version: '3.0.0' },
        { id: 'CPLD', version: '1.0' },
      ],
    });
    expect(report.compliant).toBe(true);
    expect(desiredChanges(profile, report)).toBeUndefined();
  });

  test('after the update was sent: still old with reboot not allowed → pending-reboot (not compliant)', () => {
    const after = compareCompliance(profile, bmc, 'no-new-password', ['BIOS']);
    expect(after.rows.find((r) => r.setting === 'firmware.BIOS')?.result).toBe('pending-reboot');
  });
});
