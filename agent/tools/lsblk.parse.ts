/**
 * Parses `lsblk --json --bytes --output <LSBLK_COLUMNS>` into a typed tree of
 * block devices. Pure. Tolerates the older lsblk JSON shape (util-linux < 2.33
 * printed numbers and booleans as strings, < 2.37 had `mountpoint` instead of
 * `mountpoints`).
 *
 * Note: PTTYPE and FSTYPE come from udev's database; without udev (a container,
 * an early initrd) they are null even on a partitioned disk. The disk guard
 * therefore never trusts them alone (see agent/tools/wipefs.ts).
 */
import { isJsonObject, type JsonObject } from '../../shared/json.ts';
import { EXCERPT_CHARS, parseJsonOrThrow, ToolOutputError } from './tool-output-error.ts';

/** The columns `agent/tools/lsblk.ts` asks for. */
export const LSBLK_COLUMNS = [
  'NAME',
  'KNAME',
  'PATH',
  'TYPE',
  'SIZE',
  'RM',
  'RO',
  'ROTA',
  'TRAN',
  'MODEL',
  'SERIAL',
  'PTTYPE',
  'FSTYPE',
  'MOUNTPOINTS',
  'LOG-SEC',
  'PHY-SEC',
  'PKNAME',
  'HOTPLUG',
] as const;

export interface BlockDevice {
  /** `sda`, `nvme0n1`, `loop3`, `loop3p1`. */
  name: string;
  kname: string;
  /** `/dev/sda`. */
  path: string;
  /** lsblk TYPE: disk, part, loop, rom, lvm, crypt, raid1, mpath, … */
  type: string;
  sizeBytes: number;
  removable: boolean;
  readOnly: boolean;
  rotational: boolean;
  /** sata, sas, nvme, usb, … or null. */
  transport: string | null;
  model: string | null;
  serial: string | null;
  /** From udev; null when udev does not know (see the note above). */
  partitionTableType: string | null;
  fsType: string | null;
  /** Mount points of this node itself (`[SWAP]` for active swap). */
  mountpoints: string[];
  logicalSectorBytes: number;
  physicalSectorBytes: number;
  hotplug: boolean;
  children: BlockDevice[];
}

function text(value: unknown): string | null {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    return trimmed === '' ? null : trimmed;
  }
  if (typeof value === 'number') return String(value);
  return null;
}

function flag(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value.trim() === '1' || value.trim().toLowerCase() === 'true';
  return false;
}

function integer(value: unknown): number {
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(number) ? number : 0;
}

function mountpointsOf(node: JsonObject): string[] {
  const list = Array.isArray(node.mountpoints) ? node.mountpoints : [node.mountpoint];
  return list.map(text).filter((m): m is string => m !== null);
}

function deviceOf(node: JsonObject, where: string): BlockDevice {
  const name = text(node.name);
  if (!name) throw new ToolOutputError('lsblk', `lsblk device without a name at ${where}`, JSON.stringify(node).slice(0, EXCERPT_CHARS));
  const kname = text(node.kname) ?? name;
  return {
    name,
    kname,
    path: text(node.path) ?? `/dev/${kname}`,
    type: text(node.type) ?? 'unknown',
    sizeBytes: integer(node.size),
    removable: flag(node.rm),
    readOnly: flag(node.ro),
    rotational: flag(node.rota),
    transport: text(node.tran),
    model: text(node.model),
    serial: text(node.serial),
    partitionTableType: text(node.pttype),
    fsType: text(node.fstype),
    mountpoints: mountpointsOf(node),
    logicalSectorBytes: integer(node['log-sec']) || 512,
    physicalSectorBytes: integer(node['phy-sec']) || 512,
    hotplug: flag(node.hotplug),
    children: Array.isArray(node.children) ? node.children.filter(isJsonObject).map((child, i) => deviceOf(child, `${where}.children[${i}]`)) : [],
  };
}

/** The top-level devices (disks, loops, roms…) with their partitions and holders as children; throws ToolOutputError on other output. */
export function parseLsblkJson(output: string): BlockDevice[] {
  const data = parseJsonOrThrow('lsblk', output);
  if (!isJsonObject(data) || !Array.isArray(data.blockdevices)) {
    throw new ToolOutputError('lsblk', 'lsblk JSON has no "blockdevices" array', output.slice(0, EXCERPT_CHARS));
  }
  return data.blockdevices.filter(isJsonObject).map((node, i) => deviceOf(node, `blockdevices[${i}]`));
}

/** Every node of the tree, depth first (a disk before its partitions). */
export function flattenBlockDevices(devices: readonly BlockDevice[]): BlockDevice[] {
  return devices.flatMap((device) => [device, ...flattenBlockDevices(device.children)]);
}

/** Mount points of a device and everything below it (partitions, LVM volumes, …). */
export function mountpointsBelow(device: BlockDevice): string[] {
  return [...device.mountpoints, ...device.children.flatMap(mountpointsBelow)];
}
