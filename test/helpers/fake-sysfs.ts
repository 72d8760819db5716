/**
 * A fake sysfs tree in a temp directory for the sysfs NIC reader and the steps
 * that read it (`sysRoot`): `class/net/<nic>` with its files, physical NICs
 * linked to a device under `devices/` with a driver and bus, virtual ones
 * without a device, the i40e debugfs command files where asked, and the Secure
 * Boot / lockdown / SMBIOS table files agent/lockdown.ts reads.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOOT_SECURITY_FILES } from '../../agent/lockdown.ts';

export interface FakeNic {
  name: string;
  mac?: string;
  /** Omitted: a virtual interface (no `device` link). */
  device?: { driver: string; bus?: string; address: string };
  /** `1`, `0`, or omitted (the kernel refuses: link administratively down). */
  carrier?: '0' | '1';
  operstate?: string;
  speed?: string;
}

export interface FakeSysfs {
  root: string;
  /** Creates `kernel/debug/i40e/<pci address>/command` (empty). */
  addI40eDebugfs(pciAddress: string): string;
  /** Creates `firmware/efi` (a UEFI boot); with `secureBootVar`, efivarfs's `SecureBoot-<guid>` file holding those bytes. */
  addEfi(secureBootVar?: Uint8Array): void;
  /** Writes `kernel/security/lockdown` (e.g. `none [integrity] confidentiality`). */
  setLockdown(text: string): void;
  /** Creates `firmware/dmi/tables/smbios_entry_point` and `DMI` (contents irrelevant: dmidecode is faked). */
  addSmbiosTables(): void;
  remove(): void;
}

export function createFakeSysfs(nics: readonly FakeNic[]): FakeSysfs {
  const root = mkdtempSync(join(tmpdir(), 'bmt-sys-'));
  for (const nic of nics) {
    const dir = join(root, 'class/net', nic.name);
    mkdirSync(dir, { recursive: true });
    const files: [string, string | undefined][] = [
      ['address', nic.mac],
      ['carrier', nic.carrier],
      ['operstate', nic.operstate],
      ['speed', nic.speed],
    ];
    for (const [file, value] of files) if (value !== undefined) writeFileSync(join(dir, file), `${value}\n`);
    if (!nic.device) continue;
    const bus = nic.device.bus ?? 'pci';
    const device = join(root, 'devices/pci0000:00', nic.device.address);
    const driver = join(root, 'bus', bus, 'drivers', nic.device.driver);
    mkdirSync(device, { recursive: true });
    mkdirSync(driver, { recursive: true });
    symlinkSync(driver, join(device, 'driver'));
    symlinkSync(join(root, 'bus', bus), join(device, 'subsystem'));
    symlinkSync(device, join(dir, 'device'));
  }
  return {
    root,
    addI40eDebugfs(pciAddress) {
      const dir = join(root, 'kernel/debug/i40e', pciAddress);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'command'), '');
      return join(dir, 'command');
    },
    addEfi(secureBootVar) {
      const efivars = join(root, 'firmware/efi/efivars');
      mkdirSync(efivars, { recursive: true });
      if (secureBootVar) writeFileSync(join(root, BOOT_SECURITY_FILES.secureBootVar), secureBootVar);
    },
    setLockdown(text) {
      mkdirSync(join(root, 'kernel/security'), { recursive: true });
      writeFileSync(join(root, BOOT_SECURITY_FILES.lockdown), text);
    },
    addSmbiosTables() {
      mkdirSync(join(root, 'firmware/dmi/tables'), { recursive: true });
      writeFileSync(join(root, BOOT_SECURITY_FILES.smbiosEntryPoint), '_SM3_');
      writeFileSync(join(root, BOOT_SECURITY_FILES.smbiosTable), '');
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
