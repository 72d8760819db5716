/**
 * The one sysfs NIC reader: every physical NIC under `<sysRoot>/class/net` — an
 * interface with a device behind it (`device` link), so no loopback, bridge,
 * bond, veth or VLAN — with its MAC, driver, bus, carrier, operstate and speed.
 *
 * Every physical NIC is listed, cabled or not, up or down: systeminformation
 * (and so the inventory's `nics`) only knows interfaces that have an address,
 * which leaves out exactly the unplugged or down ones. The inventory (drivers,
 * the physical flag), 04-lldp and `bm-agent plan` read NICs here.
 *
 * `readSysfsNic` does the file reads; `nicFromSysfs` turns their text into a
 * PhysicalNic (pure, tested with captured values).
 */
import { existsSync, readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface PhysicalNic {
  name: string;
  /** Lower-case colon form (`address`); null when sysfs has none. */
  mac: string | null;
  /** Kernel module bound to the device (`device/driver`), e.g. `i40e`, `virtio_net`; null when none is bound. */
  driver: string | null;
  /** Bus of the device (`device/subsystem`): `pci`, `usb`, `virtio`…; null when unknown. */
  bus: string | null;
  /** The device's name on its bus (for PCI its address, `0000:3b:00.0`; for virtio `virtio2`). */
  busAddress: string | null;
  /** Carrier (`carrier`): true/false; null when the kernel cannot tell (the link is administratively down). */
  carrier: boolean | null;
  /** `up`, `down`, `dormant`, `unknown`… (`operstate`). */
  operstate: string | null;
  /** Link speed in Mb/s (`speed`); null without carrier or when the driver does not say (-1). */
  speedMbps: number | null;
}

/** The raw text of one NIC's sysfs files (undefined where a read failed). */
export interface SysfsNicFiles {
  name: string;
  address?: string;
  carrier?: string;
  operstate?: string;
  speed?: string;
  /** Target of the `device/driver` link. */
  driverLink?: string;
  /** Target of the `device/subsystem` link. */
  subsystemLink?: string;
  /** Resolved path of the `device` link. */
  devicePath?: string;
}

const trimmed = (text: string | undefined): string | null => {
  const value = text?.trim();
  return value ? value : null;
};

/** One NIC's sysfs texts → PhysicalNic. Pure. */
export function nicFromSysfs(files: SysfsNicFiles): PhysicalNic {
  const carrier = trimmed(files.carrier);
  const speed = Number(trimmed(files.speed) ?? Number.NaN);
  return {
    name: files.name,
    mac: trimmed(files.address)?.toLowerCase() ?? null,
    driver: files.driverLink ? basename(files.driverLink) : null,
    bus: files.subsystemLink ? basename(files.subsystemLink) : null,
    busAddress: files.devicePath ? basename(files.devicePath) : null,
    carrier: carrier === '1' ? true : carrier === '0' ? false : null,
    operstate: trimmed(files.operstate),
    speedMbps: Number.isInteger(speed) && speed > 0 ? speed : null,
  };
}

function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    // Absent, or refused by the kernel (carrier/speed of a down link): unknown.
    return undefined;
  }
}

/** Reads the sysfs files of `<sysRoot>/class/net/<name>`. */
export function readSysfsNic(sysRoot: string, name: string): SysfsNicFiles {
  const dir = join(sysRoot, 'class/net', name);
  const text = (file: string) => attempt(() => readFileSync(join(dir, file), 'utf8'));
  return {
    name,
    address: text('address'),
    carrier: text('carrier'),
    operstate: text('operstate'),
    speed: text('speed'),
    driverLink: attempt(() => readlinkSync(join(dir, 'device/driver'))),
    subsystemLink: attempt(() => readlinkSync(join(dir, 'device/subsystem'))),
    devicePath: attempt(() => realpathSync(join(dir, 'device'))),
  };
}

/** Every physical NIC (a `device` behind it) under `<sysRoot>/class/net`, sorted by name; [] when sysfs is not there. */
export function readPhysicalNics(sysRoot = '/sys'): PhysicalNic[] {
  const dir = join(sysRoot, 'class/net');
  const names = attempt(() => readdirSync(dir)) ?? [];
  return names
    .filter((name) => existsSync(join(dir, name, 'device')))
    .sort()
    .map((name) => nicFromSysfs(readSysfsNic(sysRoot, name)));
}
