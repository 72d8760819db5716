/**
 * systeminformation's answers (plus sysfs facts, dmidecode and ipmitool) →
 * the Inventory later steps read. Pure: collect.ts gathers the inputs.
 *
 * systeminformation reports `-` or `` where DMI is absent and invents one
 * "DIMM" the size of MemTotal when dmidecode has nothing: both are treated as
 * unknown. dmidecode, when it has a table, fills gaps and wins for serials.
 */
import type { Systeminformation } from 'systeminformation';
import { parseMac } from '../../shared/mac.ts';
import type { DiskInfo, Inventory, NicInfo } from '../inventory-types.ts';
import type { BmcLan } from '../tools/ipmitool.parse.ts';
import type { PhysicalNic } from './nics.ts';
import { type DmiRecord, dmiBaseboardOf, dmiBiosOf, dmiChassisOf, dmiDimmsOf, dmiPersistentMemoryOf, dmiSystemOf, dmiValue } from '../tools/dmidecode.parse.ts';

/** What collect.ts asks systeminformation for, verbatim (saved as evidence). */
export interface SiSnapshot {
  system: Systeminformation.SystemData;
  bios: Systeminformation.BiosData;
  baseboard: Systeminformation.BaseboardData;
  chassis: Systeminformation.ChassisData;
  cpu: Systeminformation.CpuData;
  memLayout: Systeminformation.MemLayoutData[];
  mem: Systeminformation.MemData;
  diskLayout: Systeminformation.DiskLayoutData[];
  blockDevices: Systeminformation.BlockDevicesData[];
  networkInterfaces: Systeminformation.NetworkInterfacesData[];
}

/** Facts systeminformation does not give, read from sysfs by collect.ts. */
export interface SysfsFacts {
  /**
   * Every physical NIC (a device behind /sys/class/net/<if>) as the sysfs NIC reader
   * (nics.ts) lists it: up or down, with or without carrier or an address.
   */
  nics: PhysicalNic[];
  /** Per block device (kernel name): rotational, removable, read-only. */
  blockDevices: Record<string, { rotational: boolean | null; removable: boolean | null; readOnly: boolean | null }>;
}

export interface InventoryInputs {
  si: SiSnapshot;
  sysfs: SysfsFacts;
  /** Parsed dmidecode, or null when it failed / the machine has no SMBIOS table. */
  dmi: DmiRecord[] | null;
  bmc: BmcLan | null;
  /**
   * dmidecode found no SMBIOS table: systeminformation's system identity is
   * then its own guess (e.g. model "Docker Container"), not firmware data, and
   * is dropped.
   */
  dmiTableAbsent?: boolean;
}

/** systeminformation's placeholders (`-`, ``) and firmware ones → null. */
function known(value: string | null | undefined): string | null {
  return dmiValue(value);
}

/** Disk kernel names that are never a server's drives. */
const PSEUDO_DISK = /^(loop|ram|zram|nbd|dm-|md|sr|fd)\d*/;

export function mediaClassOf(name: string, interfaceType: string | null, rotational: boolean | null): DiskInfo['mediaClass'] {
  if (/^nvme/.test(name) || /nvme/i.test(interfaceType ?? '')) return 'nvme';
  if (rotational === false) return 'ssd';
  if (rotational === true) return 'hdd';
  return 'unknown';
}

function mapDisks(si: SiSnapshot, sysfs: SysfsFacts): DiskInfo[] {
  const byName = new Map<string, DiskInfo>();
  for (const d of si.diskLayout) {
    const name = d.device.replace(/^\/dev\//, '');
    if (!name || PSEUDO_DISK.test(name) || !(d.size > 0)) continue;
    const facts = sysfs.blockDevices[name];
    const rotational = facts?.rotational ?? (/HD/i.test(d.type) ? true : /SSD|NVMe/i.test(d.type) ? false : null);
    byName.set(name, {
      name,
      path: `/dev/${name}`,
      sizeBytes: d.size,
      model: known(d.name),
      serial: known(d.serialNum),
      mediaClass: mediaClassOf(name, d.interfaceType, rotational),
      removable: facts?.removable ?? false,
      readOnly: facts?.readOnly ?? false,
    });
  }
  // diskLayout drops disks that carry a file system but no model (virtio, some RAID volumes): add them from blockDevices.
  for (const b of si.blockDevices) {
    if (b.type !== 'disk' || byName.has(b.name) || PSEUDO_DISK.test(b.name) || !(b.size > 0)) continue;
    const facts = sysfs.blockDevices[b.name];
    const rotational = facts?.rotational ?? (b.physical === 'HDD' ? true : b.physical === 'SSD' ? false : null);
    byName.set(b.name, {
      name: b.name,
      path: `/dev/${b.name}`,
      sizeBytes: b.size,
      model: known(b.model),
      serial: known(b.serial),
      mediaClass: mediaClassOf(b.name, b.protocol, rotational),
      removable: facts?.removable ?? b.removable,
      readOnly: facts?.readOnly ?? false,
    });
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
}

/**
 * The physical NICs come from sysfs — every one, with or without carrier or an
 * address (systeminformation lists only interfaces with an address, so an up NIC
 * without a cable would vanish) — with their carrier and operstate; systeminformation
 * adds the virtual interfaces (bridges, bonds…: `physical: false`) and a speed sysfs lacks.
 */
function mapNics(si: SiSnapshot, sysfs: SysfsFacts): NicInfo[] {
  const siByName = new Map(si.networkInterfaces.map((n) => [n.iface, n] as const));
  const siSpeed = (name: string) => {
    const speed = siByName.get(name)?.speed;
    return typeof speed === 'number' && speed > 0 ? speed : null;
  };
  const nics = new Map<string, NicInfo>();
  for (const nic of sysfs.nics) {
    const mac = nic.mac ? parseMac(nic.mac) : null;
    if (!mac || mac === '00:00:00:00:00:00') continue;
    nics.set(nic.name, {
      name: nic.name,
      mac,
      physical: true,
      driver: nic.driver,
      speedMbps: nic.speedMbps ?? siSpeed(nic.name),
      linkUp: nic.carrier === true,
      carrier: nic.carrier,
      operstate: nic.operstate,
    });
  }
  for (const n of si.networkInterfaces) {
    const mac = parseMac(n.mac);
    if (!mac || mac === '00:00:00:00:00:00' || n.internal || nics.has(n.iface)) continue;
    nics.set(n.iface, { name: n.iface, mac, physical: false, driver: null, speedMbps: siSpeed(n.iface), linkUp: n.operstate === 'up' });
  }
  return [...nics.values()].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
}

/** systeminformation's stand-in when dmidecode gave nothing: one entry, no bank/type, size = MemTotal. */
function isInventedDimm(layout: readonly Systeminformation.MemLayoutData[], totalBytes: number): boolean {
  return layout.length === 1 && !layout[0]!.bank && !layout[0]!.type && layout[0]!.size === totalBytes;
}

function mapDimms(si: SiSnapshot, dmi: DmiRecord[] | null): Inventory['memory']['dimms'] {
  const fromDmi = dmi ? dmiDimmsOf(dmi) : [];
  if (fromDmi.length) {
    return fromDmi.map((d) => ({
      slot: d.slot,
      sizeBytes: d.sizeBytes,
      type: d.type,
      speedMTs: d.configuredSpeedMTs ?? d.speedMTs,
      manufacturer: d.manufacturer,
      serial: d.serial,
    }));
  }
  if (isInventedDimm(si.memLayout, si.mem.total)) return [];
  return si.memLayout
    .filter((m) => m.size > 0)
    .map((m, index) => ({
      slot: known(m.bank) ?? `DIMM${index}`,
      sizeBytes: m.size,
      type: known(m.type),
      speedMTs: m.clockSpeed && m.clockSpeed > 0 ? m.clockSpeed : null,
      manufacturer: known(m.manufacturer),
      serial: known(m.serialNum),
    }));
}

export function mapInventory(inputs: InventoryInputs): Inventory {
  const { sysfs, dmi, bmc } = inputs;
  const si: SiSnapshot = inputs.dmiTableAbsent
    ? {
        ...inputs.si,
        system: { ...inputs.si.system, manufacturer: '', model: '', serial: '', uuid: '', sku: '' },
        bios: { ...inputs.si.bios, vendor: '', version: '', releaseDate: '' },
        baseboard: { ...inputs.si.baseboard, manufacturer: '', model: '', serial: '' },
        chassis: { ...inputs.si.chassis, manufacturer: '', type: '', serial: '' },
      }
    : inputs.si;
  const dmiSystem = dmi ? dmiSystemOf(dmi) : null;
  const dmiBoard = dmi ? dmiBaseboardOf(dmi) : null;
  const dmiChassis = dmi ? dmiChassisOf(dmi) : null;
  const dmiBios = dmi ? dmiBiosOf(dmi) : null;
  const cpuModel = [si.cpu.manufacturer, si.cpu.brand]
    .filter((s) => known(s))
    .join(' ')
    .trim();
  return {
    system: {
      manufacturer: dmiSystem?.manufacturer ?? known(si.system.manufacturer) ?? '',
      model: dmiSystem?.product ?? known(si.system.model) ?? '',
      serial: dmiSystem?.serial ?? known(si.system.serial) ?? '',
      uuid: dmiSystem?.uuid ?? known(si.system.uuid)?.toLowerCase() ?? null,
    },
    sku: dmiSystem?.sku ?? known(si.system.sku),
    bios: {
      vendor: dmiBios?.vendor ?? known(si.bios.vendor) ?? '',
      version: dmiBios?.version ?? known(si.bios.version) ?? '',
      releaseDate: dmiBios?.releaseDate ?? known(si.bios.releaseDate),
    },
    baseboard: {
      manufacturer: dmiBoard?.manufacturer ?? known(si.baseboard.manufacturer) ?? '',
      model: dmiBoard?.product ?? known(si.baseboard.model) ?? '',
      serial: dmiBoard?.serial ?? known(si.baseboard.serial),
    },
    chassis: {
      manufacturer: dmiChassis?.manufacturer ?? known(si.chassis.manufacturer) ?? '',
      type: dmiChassis?.type ?? known(si.chassis.type),
      serial: dmiChassis?.serial ?? known(si.chassis.serial),
    },
    cpus: {
      sockets: Math.max(1, si.cpu.processors || 1),
      cores: si.cpu.physicalCores || si.cpu.cores,
      threads: si.cpu.cores,
      model: cpuModel || 'unknown',
    },
    memory: { totalBytes: si.mem.total, dimms: mapDimms(si, dmi), persistent: dmi ? dmiPersistentMemoryOf(dmi) : [] },
    disks: mapDisks(si, sysfs),
    nics: mapNics(si, sysfs),
    bmc: bmc ? { ip: bmc.ip, mac: bmc.mac } : null,
  };
}
