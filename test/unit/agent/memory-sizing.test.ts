import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Inventory } from '../../../agent/inventory-types.ts';
import { mapInventory, type SiSnapshot, type SysfsFacts } from '../../../agent/inventory/map.ts';
import { installedMemory } from '../../../agent/memory/installed.ts';
import { countCpuList, parseMeminfo } from '../../../agent/memory/meminfo.ts';
import { estimateMemtestTimeoutMs, maasReserveBytes, MIN_PER_PROCESS_MIB, planMemtest, type MemtestSizingInput } from '../../../agent/memory/sizing.ts';
import { parseDmidecode } from '../../../agent/tools/dmidecode.parse.ts';
import { toGiB } from '../../../shared/units.ts';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const meminfoText = readFileSync(join(import.meta.dir, '../../fixtures/meminfo/debian12-kvm-24G.meminfo'), 'utf8');

const base: MemtestSizingInput = {
  memTotalBytes: 24 * GiB,
  memAvailableBytes: 23 * GiB,
  minFreeKbytes: 67584,
  onlineCpus: 2,
  reservedForOtherStepsBytes: 0,
  sizeCapMiB: 0,
  processes: 0,
  extraReserveMiB: 0,
};

describe('meminfo', () => {
  test('a real /proc/meminfo parses to bytes', () => {
    const m = parseMeminfo(meminfoText);
    expect(m.MemTotal).toBe(24684084 * 1024);
    expect(m.MemAvailable).toBe(24310680 * 1024);
    expect(m.HugePages_Total).toBe(0);
  });

  test.each([
    ['0-1', 2],
    ['0', 1],
    ['0-3,8,10-11\n', 7],
  ])('the CPU list %j names %d CPUs', (text, count) => {
    expect(countCpuList(text)).toBe(count);
  });

  test('a malformed CPU list is rejected', () => {
    expect(() => countCpuList('zero')).toThrow(TypeError);
  });
});

describe('memtester sizing', () => {
  test("MAAS's reserve is 0.77 % of RAM when that is larger than min_free_kbytes + 10 MiB", () => {
    expect(maasReserveBytes(256 * GiB, 90_112)).toBe(Math.ceil(256 * GiB * 0.0077));
  });

  test("MAAS's reserve is min_free_kbytes + 10 MiB on small machines", () => {
    expect(maasReserveBytes(1 * GiB, 67_584)).toBe(67_584 * 1024 + 10 * MiB);
  });

  test('everything available minus the reserve is split evenly over the online CPUs', () => {
    const plan = planMemtest(base);
    const usableMiB = Math.floor((23 * GiB - maasReserveBytes(24 * GiB, 67584)) / MiB);
    expect(plan.processes).toBe(2);
    expect(plan.perProcessMiB).toBe(Math.floor(usableMiB / 2));
    expect(plan.totalMiB).toBeLessThanOrEqual(usableMiB);
    expect(plan.limitedBy).toBe('available');
    expect(plan.insufficient).toBeNull();
  });

  test('the size cap limits the total, not each process', () => {
    const plan = planMemtest({ ...base, sizeCapMiB: 256, onlineCpus: 4 });
    expect(plan).toMatchObject({ processes: 4, perProcessMiB: 64, totalMiB: 256, limitedBy: 'cap' });
  });

  test("other steps' needs and the extra reserve come off MemAvailable", () => {
    const without = planMemtest(base);
    const withReserve = planMemtest({ ...base, reservedForOtherStepsBytes: 512 * MiB, extraReserveMiB: 1024 });
    expect(without.totalMiB - withReserve.totalMiB).toBeGreaterThanOrEqual(1536 - 1);
  });

  test('an explicit process count wins over the CPU count', () => {
    expect(planMemtest({ ...base, processes: 3, sizeCapMiB: 300 })).toMatchObject({ processes: 3, perProcessMiB: 100 });
  });

  test('processes are reduced so that each gets at least the minimum', () => {
    const plan = planMemtest({ ...base, onlineCpus: 64, sizeCapMiB: 32 });
    expect(plan.processes).toBe(32 / MIN_PER_PROCESS_MIB);
    expect(plan.perProcessMiB).toBe(MIN_PER_PROCESS_MIB);
  });

  test('too little available memory gives an empty plan that says why', () => {
    const plan = planMemtest({ ...base, memTotalBytes: 1 * GiB, memAvailableBytes: 70 * MiB });
    expect(plan.processes).toBe(0);
    expect(plan.insufficient).toContain('MemAvailable 70 MiB');
  });

  test('the time limit grows with size and loops and is never below two minutes', () => {
    expect(estimateMemtestTimeoutMs(0, 1, 1)).toBe(120_000);
    expect(estimateMemtestTimeoutMs(1024, 2, 2)).toBeGreaterThan(estimateMemtestTimeoutMs(1024, 1, 2));
    expect(estimateMemtestTimeoutMs(2048, 1, 2)).toBeGreaterThan(estimateMemtestTimeoutMs(1024, 1, 2));
  });
});

/** A machine's memory from a dmidecode fixture, as 01-init maps it (systeminformation of the dev VM: MemTotal 24 GiB). */
function memoryOf(fixture: string): Inventory['memory'] {
  const captured = JSON.parse(readFileSync(join(import.meta.dir, '../../fixtures/systeminformation/debian12-kvm.json'), 'utf8')) as {
    systeminformation: SiSnapshot;
    sysfs: SysfsFacts;
  };
  const dmi = parseDmidecode(readFileSync(join(import.meta.dir, `../../fixtures/dmidecode/${fixture}.txt`), 'utf8'));
  return mapInventory({ si: captured.systeminformation, sysfs: captured.sysfs, dmi, bmc: null }).memory;
}

describe('installed memory: the one definition of RAM', () => {
  const PMEM = 129_408 * MiB;
  const module = (volatileBytes: number, nonVolatileBytes: number) => ({
    slot: 'P1-DIMMA2',
    sizeBytes: PMEM,
    technology: 'Intel Optane DC persistent memory',
    volatileBytes,
    nonVolatileBytes,
    manufacturer: 'Intel',
    serial: null,
  });
  const dimm = (sizeBytes: number) => ({ slot: 'A1', sizeBytes, type: 'DDR4', speedMTs: 2933, manufacturer: null, serial: null });

  test.each([
    [
      'DRAM only',
      { totalBytes: 60 * GiB, dimms: [dimm(32 * GiB), dimm(32 * GiB)] },
      { bytes: 64 * GiB, source: 'DIMMs', persistentModules: 0, persistentBytes: 0 },
    ],
    [
      'DRAM + PMem in App Direct: the DRAM',
      { totalBytes: 60 * GiB, dimms: [dimm(32 * GiB), dimm(32 * GiB)], persistent: [module(0, PMEM), module(0, PMEM)] },
      { bytes: 64 * GiB, source: 'DIMMs', persistentModules: 2, persistentBytes: 2 * PMEM },
    ],
    [
      'DRAM + PMem in Memory Mode: the PMem, DRAM is cache',
      { totalBytes: 250 * GiB, dimms: [dimm(32 * GiB), dimm(32 * GiB)], persistent: [module(PMEM, 0), module(PMEM, 0)] },
      { bytes: 2 * PMEM, source: 'PMem in Memory Mode', persistentModules: 2, persistentBytes: 0 },
    ],
    [
      'mixed mode (half Memory Mode): the volatile half of the PMem',
      { totalBytes: 120 * GiB, dimms: [dimm(32 * GiB)], persistent: [module(PMEM / 2, PMEM / 2), module(PMEM / 2, PMEM / 2)] },
      { bytes: PMEM, source: 'PMem in Memory Mode', persistentModules: 2, persistentBytes: PMEM },
    ],
    [
      'no DMI modules (a VM): MemTotal',
      { totalBytes: 23.5 * GiB, dimms: [] },
      { bytes: 23.5 * GiB, source: 'MemTotal', persistentModules: 0, persistentBytes: 0 },
    ],
  ])('%s', (_name, memory, expected) => {
    expect(installedMemory(memory)).toEqual(expected as ReturnType<typeof installedMemory>);
  });

  test('12 × 32 GB DRAM + 8 PMem in App Direct (fixture): 384 GiB of RAM, not 1395; `memoryGB: 384` passes, PMem listed apart', () => {
    const memory = memoryOf('supermicro-super-server-pmem-appdirect');
    expect(memory.dimms).toHaveLength(12);
    expect(memory.persistent).toHaveLength(8);
    expect(installedMemory(memory)).toEqual({ bytes: 384 * GiB, source: 'DIMMs', persistentModules: 8, persistentBytes: 8 * PMEM });
    // What the issue saw: every type 17 module summed.
    expect(toGiB([...memory.dimms, ...(memory.persistent ?? [])].reduce((sum, m) => sum + m.sizeBytes, 0))).toBe(1395);
  });

  test('the same machine in Memory Mode (fixture): the RAM is the PMem, 1011 GiB', () => {
    expect(installedMemory(memoryOf('supermicro-super-server-pmem-memorymode'))).toMatchObject({ bytes: 8 * PMEM, source: 'PMem in Memory Mode' });
    expect(toGiB(8 * PMEM)).toBe(1011);
  });
});
