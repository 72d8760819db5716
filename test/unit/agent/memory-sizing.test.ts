import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countCpuList, parseMeminfo } from '../../../agent/memory/meminfo.ts';
import { estimateMemtestTimeoutMs, maasReserveBytes, MIN_PER_PROCESS_MIB, planMemtest, type MemtestSizingInput } from '../../../agent/memory/sizing.ts';

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
