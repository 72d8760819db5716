/**
 * qemu command lines for the PXE e2e's machines, one per firmware kind (pure: the
 * lab runs them, test/unit/lab/pxe-qemu.test.ts checks them):
 *   - `bios`: SeaBIOS, the NIC's option ROM is qemu's own iPXE (`-boot n`);
 *   - `uefi`: OVMF without Secure Boot (`OVMF_CODE_4M.fd` + an empty variable store);
 *   - `uefi-secureboot`: OVMF built for SMM (`OVMF_CODE_4M.secboot.fd`, `-machine smm=on`,
 *     flash writes only from SMM) with Debian's `OVMF_VARS_4M.ms.fd`: Microsoft's keys
 *     enrolled and Secure Boot on, as servers ship.
 * Under UEFI the NIC has no option ROM (`romfile=`): the firmware's own network stack
 * boots (VirtioNetDxe, PXE and HTTP boot), as on a server whose NIC brings a UEFI driver.
 * UEFI HTTP boot is chosen by turning the firmware's PXE boot options off through
 * fw_cfg (OvmfPkg/RUNTIME_CONFIG.md: opt/org.tianocore/IPv4PXESupport, IPv6PXESupport),
 * which leaves the "UEFI HTTPv4" entry first: what an operator does in a vendor's setup
 * menu by picking the HTTP boot entry. The variable store is the VM's own copy.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export type Firmware = 'bios' | 'uefi' | 'uefi-secureboot';
/** The firmware's network boot protocol: PXE (DHCP + TFTP) or UEFI HTTP boot (DHCP, boot file a URL). */
export type NetBoot = 'pxe' | 'http';

/** Debian's `ovmf` package (12 and 13 alike). */
export const OVMF_DIR = '/usr/share/OVMF';

/** The OVMF code and variable-store template per UEFI firmware kind. */
export const OVMF_FILES: Record<Exclude<Firmware, 'bios'>, { code: string; vars: string }> = {
  uefi: { code: 'OVMF_CODE_4M.fd', vars: 'OVMF_VARS_4M.fd' },
  'uefi-secureboot': { code: 'OVMF_CODE_4M.secboot.fd', vars: 'OVMF_VARS_4M.ms.fd' },
};

/** The firmware files `firmwares` need that are not in `dir` (empty: all there), as paths. */
export function missingFirmware(firmwares: readonly Firmware[], dir = OVMF_DIR): string[] {
  const files = new Set<string>();
  for (const firmware of firmwares) {
    if (firmware === 'bios') continue;
    files.add(join(dir, OVMF_FILES[firmware].code));
    files.add(join(dir, OVMF_FILES[firmware].vars));
  }
  return [...files].filter((file) => !existsSync(file));
}

export interface QemuSpec {
  firmware: Firmware;
  netBoot: NetBoot;
  memoryMiB: number;
  cpus: number;
  /** SMBIOS type 1: what dmidecode shows the agent. */
  smbios: { manufacturer: string; product: string; serial: string };
  /** The tap device (already on the lab's bridge) and the NIC's MAC. */
  nic: { tap: string; mac: string };
  /** Raw disk files; `serial` is what the guest sees as the disk's serial. */
  disks: { file: string; serial: string }[];
  /** Firmware and Linux console, written to this file. */
  serialLog: string;
  /** UEFI: this VM's writable copy of the variable-store template (OVMF_FILES[firmware].vars). */
  varsFile?: string;
  ovmfDir?: string;
}

/** qemu's option syntax: a comma inside a value is written twice. */
function optionValue(value: string): string {
  return value.replaceAll(',', ',,');
}

/**
 * The qemu-system-x86_64 argv for one lab machine (TCG: this machine kind's /dev/kvm
 * cannot boot a stock kernel). Throws on combinations no firmware offers (HTTP boot is
 * UEFI's) and when a UEFI machine has no variable store of its own.
 */
export function qemuArgv(spec: QemuSpec): string[] {
  const uefi = spec.firmware !== 'bios';
  if (spec.firmware === 'bios' && spec.netBoot === 'http') throw new Error('UEFI HTTP boot needs UEFI firmware (uefi or uefi-secureboot), not bios');
  if (spec.firmware !== 'bios' && !spec.varsFile) {
    throw new Error(`${spec.firmware}: the VM needs its own copy of ${OVMF_FILES[spec.firmware].vars} (varsFile)`);
  }
  const secure = spec.firmware === 'uefi-secureboot';
  const machine = ['q35', ...(uefi ? [] : ['graphics=off']), ...(secure ? ['smm=on'] : [])].join(',');
  const { manufacturer, product, serial } = spec.smbios;
  const argv = [
    'qemu-system-x86_64',
    '-accel',
    'tcg',
    '-machine',
    machine,
    '-cpu',
    'max',
    '-smp',
    String(spec.cpus),
    '-m',
    String(spec.memoryMiB),
    '-smbios',
    `type=1,manufacturer=${optionValue(manufacturer)},product=${optionValue(product)},serial=${optionValue(serial)}`,
  ];
  if (spec.firmware !== 'bios') {
    const files = OVMF_FILES[spec.firmware];
    const dir = spec.ovmfDir ?? OVMF_DIR;
    if (secure) {
      // Only SMM may write the variable store: the OS cannot rewrite db/dbx or turn Secure Boot off.
      argv.push('-global', 'driver=cfi.pflash01,property=secure,value=on', '-global', 'ICH9-LPC.disable_s3=1');
    }
    argv.push(
      '-drive',
      `if=pflash,format=raw,unit=0,readonly=on,file=${optionValue(join(dir, files.code))}`,
      '-drive',
      `if=pflash,format=raw,unit=1,file=${optionValue(spec.varsFile!)}`,
    );
    if (spec.netBoot === 'http') {
      for (const knob of ['IPv4PXESupport', 'IPv6PXESupport']) argv.push('-fw_cfg', `name=opt/org.tianocore/${knob},string=no`);
    }
  }
  argv.push(
    '-netdev',
    `tap,id=n0,ifname=${spec.nic.tap},script=no,downscript=no`,
    '-device',
    // UEFI: no iPXE option ROM, the firmware's own network stack boots, first in the boot order.
    `virtio-net-pci,netdev=n0,mac=${spec.nic.mac}${uefi ? ',romfile=,bootindex=1' : ''}`,
  );
  spec.disks.forEach((disk, i) => {
    argv.push(
      '-drive',
      `file=${optionValue(disk.file)},format=raw,if=none,id=d${i},cache=unsafe`,
      '-device',
      `virtio-blk-pci,drive=d${i},serial=${optionValue(disk.serial)}`,
    );
  });
  if (!uefi) argv.push('-boot', 'n');
  argv.push(
    '-no-reboot',
    '-display',
    'none',
    '-monitor',
    'none',
    '-nodefaults',
    '-chardev',
    `file,id=ser0,path=${optionValue(spec.serialLog)}`,
    '-serial',
    'chardev:ser0',
  );
  return argv;
}
