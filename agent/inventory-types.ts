/** The machine as 01-init sees it; read by the later steps and the report. */
import type { BootSecurity } from './lockdown.ts';

export interface NicInfo {
  name: string;
  mac: string;
  /** Physical (has a device behind it, not virtual/bridge/loopback). */
  physical: boolean;
  driver: string | null;
  speedMbps: number | null;
  /** Carrier (sysfs `carrier` of a physical NIC; `operstate` up for a virtual one). */
  linkUp: boolean;
  /** Physical NICs (sysfs): carrier true/false, null when the kernel cannot tell (link administratively down). */
  carrier?: boolean | null;
  /** Physical NICs (sysfs `operstate`): `up`, `down`, `dormant`… */
  operstate?: string | null;
}

export interface DiskInfo {
  /** Kernel name, e.g. `nvme0n1`, `sda`. */
  name: string;
  path: string;
  sizeBytes: number;
  model: string | null;
  serial: string | null;
  /** nvme | ssd | hdd | unknown */
  mediaClass: 'nvme' | 'ssd' | 'hdd' | 'unknown';
  removable: boolean;
  readOnly: boolean;
}

/** A persistent memory module as 01-init lists it. */
export interface PersistentMemoryModule {
  slot: string;
  sizeBytes: number;
  /** `Intel Optane DC persistent memory`, `NVDIMM-N`… (DMI `Memory Technology`, else what gave it away). */
  technology: string;
  /** Capacity used as volatile memory (Memory Mode); 0 in App Direct. */
  volatileBytes: number;
  /** Persistent capacity (App Direct). */
  nonVolatileBytes: number;
  manufacturer: string | null;
  serial: string | null;
}

export interface Inventory {
  system: { manufacturer: string; model: string; serial: string; uuid: string | null };
  /**
   * DMI type 1 `SKU Number` (a placeholder reads as null): names the model when the product
   * name is a generic one (`Super Server`); see agent/inventory/model.ts. Absent: not read.
   */
  sku?: string | null;
  bios: { vendor: string; version: string; releaseDate: string | null };
  baseboard: { manufacturer: string; model: string; serial: string | null };
  chassis: { manufacturer: string; type: string | null; serial: string | null };
  cpus: { sockets: number; cores: number; threads: number; model: string };
  memory: {
    /** MemTotal: what the kernel manages. */
    totalBytes: number;
    /** DRAM modules (DMI type 17); persistent memory is in `persistent`, never here. */
    dimms: { slot: string; sizeBytes: number; type: string | null; speedMTs: number | null; manufacturer: string | null; serial: string | null }[];
    /**
     * Persistent memory modules (Optane PMem, NVDIMM): not RAM, except the part a module
     * gives as volatile memory (PMem in Memory Mode). agent/memory/installed.ts is the one
     * definition of the RAM total. Absent: none listed.
     */
    persistent?: PersistentMemoryModule[];
  };
  disks: DiskInfo[];
  nics: NicInfo[];
  bmc: { ip: string | null; mac: string | null } | null;
  /** UEFI, Secure Boot and kernel lockdown as this boot found them (agent/lockdown.ts). Absent: not read. */
  boot?: BootSecurity;
}
