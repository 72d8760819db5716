/** The machine as 01-init sees it; read by the later steps and the report. */

export interface NicInfo {
  name: string;
  mac: string;
  /** Physical (has a device behind it, not virtual/bridge/loopback). */
  physical: boolean;
  driver: string | null;
  speedMbps: number | null;
  linkUp: boolean;
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

export interface Inventory {
  system: { manufacturer: string; model: string; serial: string; uuid: string | null };
  bios: { vendor: string; version: string; releaseDate: string | null };
  baseboard: { manufacturer: string; model: string; serial: string | null };
  chassis: { manufacturer: string; type: string | null; serial: string | null };
  cpus: { sockets: number; cores: number; threads: number; model: string };
  memory: {
    totalBytes: number;
    dimms: { slot: string; sizeBytes: number; type: string | null; speedMTs: number | null; manufacturer: string | null; serial: string | null }[];
  };
  disks: DiskInfo[];
  nics: NicInfo[];
  bmc: { ip: string | null; mac: string | null } | null;
}
