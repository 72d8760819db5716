/**
 * What the disk guard's unit tests feed it: lsblk devices (`blockDevice`),
 * probe results (`probeFacts`), and stand-ins for the usage checks
 * (agent/disk/usage.ts) that touch no /proc, /sys or device — `idleUsage` says
 * nothing is in use, `fakeUsage` answers from the tables given.
 */
import type { ProbeFacts } from '../../agent/disk/plan.ts';
import type { MountTable, UsageSources } from '../../agent/disk/usage.ts';
import type { BlockDevice } from '../../agent/tools/lsblk.parse.ts';

/** An lsblk whole disk: a 480 GiB SATA SSD, nothing on it, unless `overrides` say otherwise. */
export function blockDevice(name: string, overrides: Partial<BlockDevice> = {}): BlockDevice {
  return {
    name,
    kname: name,
    path: `/dev/${name}`,
    type: 'disk',
    sizeBytes: 480 * 2 ** 30,
    removable: false,
    readOnly: false,
    rotational: false,
    transport: 'sata',
    model: null,
    serial: null,
    partitionTableType: null,
    fsType: null,
    mountpoints: [],
    logicalSectorBytes: 512,
    physicalSectorBytes: 4096,
    hotplug: false,
    children: [],
    ...overrides,
  };
}

/** A probe of a blank disk (nothing found, everything read, nothing in use), with `overrides`. */
export function probeFacts(overrides: Partial<ProbeFacts> = {}): ProbeFacts {
  return { signatures: [], readable: true, problems: [], dataFound: [], usage: [], ...overrides };
}

/** A probe that found a GPT (and its protective MBR) at the start. */
export const gptProbe: ProbeFacts = probeFacts({
  signatures: [
    { type: 'gpt', offsetBytes: 512, uuid: null, label: null },
    { type: 'PMBR', offsetBytes: 510, uuid: null, label: null },
  ],
});

export interface FakeUsage {
  mountTables?: MountTable[];
  uninspected?: number;
  swaps?: string | null;
  /** kname → `MAJ:MIN`. */
  numbers?: Record<string, string>;
  holders?: Record<string, string[]>;
  partitions?: Record<string, string[]>;
  /** path → result of the exclusive open (default free). */
  exclusive?: Record<string, ReturnType<UsageSources['exclusiveOpen']>>;
}

export function fakeUsage(facts: FakeUsage = {}): UsageSources {
  return {
    otherMountTables: () => ({ tables: facts.mountTables ?? [], uninspected: facts.uninspected ?? 0 }),
    swaps: () => (facts.swaps === undefined ? 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n' : facts.swaps),
    deviceNumber: (kname) => facts.numbers?.[kname] ?? null,
    holders: (kname) => facts.holders?.[kname] ?? [],
    partitions: (kname) => facts.partitions?.[kname] ?? [],
    exclusiveOpen: (path) => facts.exclusive?.[path] ?? { state: 'free' },
  };
}

/** Nothing is mounted elsewhere, held, swapped on or claimed. */
export const idleUsage: UsageSources = fakeUsage();
