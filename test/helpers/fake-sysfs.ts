/**
 * A fake sysfs tree in a temp directory for the sysfs NIC reader and the steps
 * that read it (`sysRoot`): `class/net/<nic>` with its files, physical NICs
 * linked to a device under `devices/` with a driver and bus, virtual ones
 * without a device, and the i40e debugfs command files where asked.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
