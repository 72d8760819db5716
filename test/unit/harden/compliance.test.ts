/** harden/compliance.ts: the desired/actual/result table, by case. */
import { describe, expect, test } from 'bun:test';
import { compareCompliance, desiredChanges } from '../../../harden/compliance.ts';
import { parseProfile } from '../../../harden/profile.ts';
import type { BmcState } from '../../../harden/redfish.ts';

const profile = parseProfile(
  {
    name: 't',
    bios: { BootMode: 'Uefi', ProcVirtualization: 'Enabled', NumLock: 'On', Cores: 8 },
    networkProtocols: { IPMI: false, SSDP: false, HTTPS: true, Telnet: false, KVMIP: true },
    ntpServers: ['10.0.0.2', '10.0.0.1'],
    firmware: [
      { component: 'BMC', minimumVersion: '2.10.0' },
      { component: 'BIOS', minimumVersion: '1.5' },
      { component: 'NIC', minimumVersion: '1' },
    ],
  },
  't',
);

const bmc: BmcState = {
  bios: { attributes: { BootMode: 'Uefi', ProcVirtualization: 'Disabled', Cores: '8' }, pending: { ProcVirtualization: 'Disabled' } },
  networkProtocol: { enabled: { IPMI: true, SSDP: false, HTTPS: true }, ntpServers: ['10.0.0.1', '10.0.0.2'] },
  firmware: [
    { id: 'BMC', version: '2.9.1' },
    { id: 'bios-1', name: 'BIOS', version: '1.5.0' },
  ],
};

describe('compareCompliance', () => {
  const report = compareCompliance(profile, bmc);
  const row = (setting: string) => report.rows.find((r) => r.setting === setting);

  test.each([
    ['bios.BootMode', 'Uefi', 'Uefi', 'ok'],
    ['bios.ProcVirtualization', 'Enabled', 'Disabled', 'differs'],
    ['bios.NumLock', 'On', '–', 'unsupported'],
    ['bios.Cores', '8', '8', 'ok'],
    ['protocol.IPMI', 'disabled', 'enabled', 'differs'],
    ['protocol.SSDP', 'disabled', 'disabled', 'ok'],
    ['protocol.HTTPS', 'enabled', 'enabled', 'ok'],
    ['protocol.Telnet', 'disabled', 'not offered', 'ok'],
    ['protocol.KVMIP', 'enabled', 'not offered', 'unsupported'],
    ['ntp.servers', '10.0.0.1, 10.0.0.2', '10.0.0.1, 10.0.0.2', 'ok'],
    ['firmware.BMC', '≥ 2.10.0', '2.9.1', 'below-baseline'],
    ['firmware.BIOS', '≥ 1.5', '1.5.0', 'ok'],
    ['firmware.NIC', '≥ 1', '–', 'unsupported'],
  ])('%s: desired %s, actual %s → %s', (setting, desired, actual, result) => {
    expect(row(setting)).toMatchObject({ desired, actual, result });
  });

  test('not compliant, and every row that is not ok blocks (onUnsupported: fail)', () => {
    expect(report.compliant).toBe(false);
    expect(report.blocking.map((r) => r.setting).sort()).toEqual(
      ['bios.NumLock', 'bios.ProcVirtualization', 'firmware.BMC', 'firmware.NIC', 'protocol.IPMI', 'protocol.KVMIP'].sort(),
    );
  });

  test('with onUnsupported: report, unsupported rows are shown but do not block', () => {
    const lenient = compareCompliance({ ...profile, onUnsupported: 'report' }, bmc);
    expect(lenient.rows.filter((r) => r.result === 'unsupported')).toHaveLength(3);
    expect(lenient.blocking.map((r) => r.setting).sort()).toEqual(['bios.ProcVirtualization', 'firmware.BMC', 'protocol.IPMI']);
  });

  test('a BIOS value set but waiting for a reboot is pending-reboot, and blocks ready', () => {
    const pending = compareCompliance(profile, { ...bmc, bios: { attributes: bmc.bios!.attributes, pending: { ProcVirtualization: 'Enabled' } } });
    expect(pending.rows.find((r) => r.setting === 'bios.ProcVirtualization')?.result).toBe('pending-reboot');
    expect(pending.blocking.some((r) => r.result === 'pending-reboot')).toBe(true);
  });

  test('a BMC without BIOS, NetworkProtocol or FirmwareInventory: every such row is unsupported with the reason', () => {
    const bare = compareCompliance(profile, {});
    expect(new Set(bare.rows.map((r) => r.result))).toEqual(new Set(['unsupported']));
    expect(bare.rows.find((r) => r.setting === 'protocol.IPMI')?.note).toMatch(/no ManagerNetworkProtocol/);
  });

  test('a compliant BMC is compliant with nothing blocking', () => {
    const p = parseProfile({ name: 'c', bios: { BootMode: 'Uefi' }, networkProtocols: { IPMI: false } }, 'c');
    const ok = compareCompliance(p, { bios: { attributes: { BootMode: 'Uefi' } }, networkProtocol: { enabled: { IPMI: false } } });
    expect(ok).toEqual({ rows: expect.any(Array), compliant: true, blocking: [] });
  });

  test('syslog targets have no standard Redfish property: unsupported, said so', () => {
    const p = parseProfile({ name: 's', syslogServers: ['10.0.0.9'] }, 's');
    expect(compareCompliance(p, {}).rows).toEqual([
      expect.objectContaining({ setting: 'syslog.servers', result: 'unsupported', note: expect.stringMatching(/no standard/) }),
    ]);
  });

  test('account rotation: known only from which password the BMC accepted', () => {
    const p = parseProfile({ name: 'a', accounts: { rotateUsername: 'admin' } }, 'a');
    const state: BmcState = { accounts: [{ userName: 'admin' }] };
    expect(compareCompliance(p, state, 'rotated').rows[0]?.result).toBe('ok');
    expect(compareCompliance(p, state, 'not-rotated').rows[0]?.result).toBe('differs');
    expect(compareCompliance(p, state, 'no-new-password').rows[0]?.result).toBe('unsupported');
    expect(compareCompliance(p, {}, 'rotated').rows[0]?.result).toBe('unsupported');
  });
});

describe('desiredChanges: what Ansible gets', () => {
  test('only the rows that differ, never unsupported rows or firmware without an image', () => {
    expect(desiredChanges(profile, compareCompliance(profile, bmc))).toEqual({
      bios_attributes: { ProcVirtualization: 'Enabled' },
      network_protocols: { IPMI: false },
    });
  });

  test('nothing to apply on a compliant BMC: undefined (Ansible is not run)', () => {
    const p = parseProfile({ name: 'c', networkProtocols: { IPMI: false } }, 'c');
    expect(desiredChanges(p, compareCompliance(p, { networkProtocol: { enabled: { IPMI: false } } }))).toBeUndefined();
  });

  test('BIOS attributes pending a reboot go again only when the profile allows the reboot (an earlier run never got to it)', () => {
    const state: BmcState = { bios: { attributes: { ProcVirtualization: 'Disabled' }, pending: { ProcVirtualization: 'Enabled' } } };
    const allowed = parseProfile({ name: 'r', bios: { ProcVirtualization: 'Enabled' }, rebootAllowed: true }, 'r');
    expect(desiredChanges(allowed, compareCompliance(allowed, state))).toEqual({ bios_attributes: { ProcVirtualization: 'Enabled' }, network_protocols: {} });
    const refused = parseProfile({ name: 'n', bios: { ProcVirtualization: 'Enabled' }, rebootAllowed: false }, 'n');
    expect(desiredChanges(refused, compareCompliance(refused, state))).toBeUndefined();
  });

  test('NTP servers and the account rotation when they differ', () => {
    const p = parseProfile({ name: 'n', ntpServers: ['10.0.0.1'], accounts: { rotateUsername: 'root' } }, 'n');
    const state: BmcState = { networkProtocol: { enabled: {}, ntpServers: [] }, accounts: [{ userName: 'root' }] };
    expect(desiredChanges(p, compareCompliance(p, state, 'not-rotated'))).toEqual({
      bios_attributes: {},
      network_protocols: {},
      ntp_servers: ['10.0.0.1'],
      accounts: { rotate_username: 'root' },
    });
  });
});
