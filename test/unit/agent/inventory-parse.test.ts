import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  dmiBaseboardOf,
  dmiDimmsOf,
  dmiMemoryModulesOf,
  dmiPersistentMemoryOf,
  dmiSystemOf,
  dmiTableAbsent,
  dmiValue,
  parseDmidecode,
  parseDmiSize,
  persistentMemoryTechnology,
} from '../../../agent/tools/dmidecode.parse.ts';
import { parseIpmitoolLanPrint } from '../../../agent/tools/ipmitool.parse.ts';

const fixtures = join(import.meta.dir, '../../fixtures');
const dmi = (name: string) => parseDmidecode(readFileSync(join(fixtures, 'dmidecode', `${name}.txt`), 'utf8'));
const GiB = 2 ** 30;

describe('dmidecode', () => {
  test.each([
    ['dell-poweredge-r640', { manufacturer: 'Dell Inc.', product: 'PowerEdge R640', serial: '4XK9QJ3' }, 4, 32 * GiB, 'A1'],
    ['hpe-proliant-dl380-gen10', { manufacturer: 'HPE', product: 'ProLiant DL380 Gen10', serial: 'CZJ8470ABC' }, 4, 16 * GiB, 'PROC 1 DIMM 8'],
    ['supermicro-sys-6019p', { manufacturer: 'Supermicro', product: 'SYS-6019P-WTR', serial: 'A328620X9A12345' }, 2, 32 * GiB, 'P1-DIMMA1'],
    ['lenovo-thinksystem-sr650-v2', { manufacturer: 'Lenovo', product: 'ThinkSystem SR650 V2 -[7Z73CTO1WW]-', serial: 'J1012ABC' }, 2, 64 * GiB, 'DIMM 1'],
  ])('%s: system identity and installed DIMMs (empty slots left out)', (name, system, dimmCount, dimmSize, firstSlot) => {
    const records = dmi(name);
    expect(dmiSystemOf(records)).toMatchObject(system);
    const dimms = dmiDimmsOf(records);
    expect(dimms).toHaveLength(dimmCount);
    expect(dimms.every((d) => d.sizeBytes === dimmSize)).toBe(true);
    expect(dimms[0]?.slot).toBe(firstSlot);
  });

  test('Supermicro placeholders ("0123456789", "NO DIMM", "To be filled by O.E.M.") read as unknown', () => {
    const records = dmi('supermicro-sys-6019p');
    expect(dmiSystemOf(records)).toMatchObject({ version: null, sku: null, family: null });
    expect(dmiDimmsOf(records).every((d) => d.manufacturer === 'Micron')).toBe(true);
    expect(dmiDimmsOf(records)[0]?.partNumber).toBe('36ASF4G72PZ-2G9E2');
  });

  test('a white box with "To Be Filled By O.E.M." everywhere has no usable serial', () => {
    const records = dmi('whitebox-placeholders');
    expect(dmiSystemOf(records)).toMatchObject({ manufacturer: null, product: null, serial: null });
    expect(dmiDimmsOf(records).map((d) => d.serial)).toEqual([null, null]);
  });

  test('DIMM speed prefers the configured speed', () => {
    const dimm = dmiDimmsOf(dmi('dell-poweredge-r640'))[0];
    expect(dimm).toMatchObject({ type: 'DDR4', speedMTs: 3200, configuredSpeedMTs: 2933, serial: '32A1B0C4' });
  });

  test('baseboard serial is read when present', () => {
    expect(
      dmiBaseboardOf(
        parseDmidecode(
          `Handle 0x0002, DMI type 2, 15 bytes\nBase Board Information\n\tManufacturer: Dell Inc.\n\tProduct Name: 0CRT1G\n\tSerial Number: .4XK9QJ3.CN.\n`,
        ),
      ),
    ).toEqual({ manufacturer: 'Dell Inc.', product: '0CRT1G', serial: '.4XK9QJ3.CN.' });
  });

  test('this VM has no SMBIOS table: no records, and the absence is recognised', () => {
    const stdout = readFileSync(join(fixtures, 'dmidecode/debian12-kvm-no-smbios.txt'), 'utf8');
    const stderr = readFileSync(join(fixtures, 'dmidecode/debian12-kvm-no-smbios.stderr'), 'utf8');
    expect(parseDmidecode(stdout)).toEqual([]);
    expect(dmiTableAbsent(stdout, stderr)).toBe(true);
    expect(dmiTableAbsent(readFileSync(join(fixtures, 'dmidecode/dell-poweredge-r640.txt'), 'utf8'), '')).toBe(false);
  });

  test.each([
    ['16 GB', 16 * GiB],
    ['16384 MB', 16 * GiB],
    ['512 kB', 512 * 1024],
    ['2 TB', 2 * 1024 * GiB],
    ['No Module Installed', 0],
    ['Unknown', null],
  ])('size %j is %p bytes', (text, bytes) => {
    expect(parseDmiSize(text)).toBe(bytes);
  });

  test.each(['Not Specified', 'To Be Filled By O.E.M.', 'Default string', '0123456789', 'NO DIMM', '-', '', '00000000'])(
    'placeholder %j is unknown',
    (value) => {
      expect(dmiValue(value)).toBeNull();
    },
  );
});

/** One type 17 record as dmidecode prints it, from its fields. */
const memoryDevice = (fields: Record<string, string>) =>
  parseDmidecode(
    `Handle 0x1100, DMI type 17, 84 bytes\nMemory Device\n${Object.entries(fields)
      .map(([k, v]) => `\t${k}: ${v}\n`)
      .join('')}`,
  );

describe('dmidecode: persistent memory is not RAM', () => {
  const MiB = 2 ** 20;
  const PMEM = 129_408 * MiB;

  test('12 × 32 GB DRAM + 8 Optane PMem in App Direct: 12 DIMMs of 32 GiB, 8 PMem modules apart, all persistent', () => {
    const records = dmi('supermicro-super-server-pmem-appdirect');
    const { dram, persistent } = dmiMemoryModulesOf(records);
    expect(dram).toHaveLength(12);
    expect(dram.every((d) => d.sizeBytes === 32 * GiB && d.type === 'DDR4')).toBe(true);
    expect(dmiDimmsOf(records)).toEqual(dram);
    expect(persistent).toHaveLength(8);
    expect(persistent[0]).toMatchObject({
      slot: 'P1-DIMMA2',
      sizeBytes: PMEM,
      type: 'Logical non-volatile device',
      technology: 'Intel Optane DC persistent memory',
      volatileBytes: 0,
      nonVolatileBytes: PMEM,
      manufacturer: 'Intel',
      partNumber: 'NMA1XXD128GPS',
    });
    expect(dmiPersistentMemoryOf(records)[0]).toEqual({
      slot: 'P1-DIMMA2',
      sizeBytes: PMEM,
      technology: 'Intel Optane DC persistent memory',
      volatileBytes: 0,
      nonVolatileBytes: PMEM,
      manufacturer: 'Intel',
      serial: '001A2B66',
    });
  });

  test('the same machine in Memory Mode: the PMem modules carry their capacity as Volatile Size', () => {
    const { dram, persistent } = dmiMemoryModulesOf(dmi('supermicro-super-server-pmem-memorymode'));
    expect(dram).toHaveLength(12);
    expect(persistent.map((m) => [m.volatileBytes, m.nonVolatileBytes])).toEqual(Array.from({ length: 8 }, () => [PMEM, 0]));
  });

  test.each([
    [
      'SMBIOS 3.2 Optane',
      { 'Memory Technology': 'Intel Optane DC persistent memory', Type: 'Logical non-volatile device' },
      'Intel Optane DC persistent memory',
    ],
    [
      'NVDIMM-N (DDR4 type, technology says it)',
      { 'Memory Technology': 'NVDIMM-N', Type: 'DDR4', 'Type Detail': 'Synchronous Registered (Buffered)' },
      'NVDIMM-N',
    ],
    ['NVDIMM-P', { 'Memory Technology': 'NVDIMM-P', Type: 'DDR4' }, 'NVDIMM-P'],
    ['older table, Type only', { Type: 'Logical non-volatile device' }, 'Logical non-volatile device'],
    ['older table, Type Detail only', { Type: 'DDR4', 'Type Detail': 'Synchronous Non-Volatile LRDIMM' }, 'Non-Volatile (Type Detail)'],
    ['Non-Volatile Size only', { Type: 'Other', 'Non-Volatile Size': '16 GB' }, 'Non-Volatile (Non-Volatile Size)'],
    ['DRAM', { 'Memory Technology': 'DRAM', Type: 'DDR4', 'Non-Volatile Size': 'None' }, null],
    ['DRAM, no technology field', { Type: 'DDR5', 'Type Detail': 'Synchronous Registered (Buffered)' }, null],
  ])('%s', (_name, fields, technology) => {
    expect(persistentMemoryTechnology(fields)).toBe(technology);
  });

  test('an NVDIMM-N without size fields counts as persistent only (App Direct assumed); DRAM uses its Volatile Size', () => {
    const nvdimm = dmiMemoryModulesOf(memoryDevice({ Size: '16 GB', Locator: 'A3', Type: 'DDR4', 'Memory Technology': 'NVDIMM-N' }));
    expect(nvdimm.dram).toEqual([]);
    expect(nvdimm.persistent[0]).toMatchObject({ technology: 'NVDIMM-N', volatileBytes: 0, nonVolatileBytes: 16 * GiB });
    const dram = dmiMemoryModulesOf(memoryDevice({ Size: '32 GB', Locator: 'A1', Type: 'DDR4', 'Memory Technology': 'DRAM', 'Volatile Size': '32 GB' }));
    expect(dram.dram[0]?.sizeBytes).toBe(32 * GiB);
    expect(dram.persistent).toEqual([]);
  });

  test('"Super Server" is read as the product (it is not a placeholder string); the SKU placeholder is unknown; the board names X11DPi-NT', () => {
    const records = dmi('supermicro-super-server-pmem-appdirect');
    expect(dmiSystemOf(records)).toMatchObject({ manufacturer: 'Supermicro', product: 'Super Server', sku: null, family: null });
    expect(dmiBaseboardOf(records)).toMatchObject({ manufacturer: 'Supermicro', product: 'X11DPi-NT' });
  });
});

describe('ipmitool lan print', () => {
  test('a DHCP-configured BMC gives its IP and MAC', () => {
    const lan = parseIpmitoolLanPrint(readFileSync(join(fixtures, 'ipmitool/lan-print-dhcp.txt'), 'utf8'));
    expect(lan).toEqual({ ip: '10.20.30.41', mac: '3C:EC:EF:0A:1B:2C', ipSource: 'DHCP Address', subnetMask: '255.255.255.0' });
  });

  test('a BMC without an address (0.0.0.0) has a MAC but no IP', () => {
    const lan = parseIpmitoolLanPrint(readFileSync(join(fixtures, 'ipmitool/lan-print-no-address.txt'), 'utf8'));
    expect(lan.ip).toBeNull();
    expect(lan.mac).toBe('E8:39:35:0B:8C:1D');
  });

  test('the real "no IPMI device" output parses to nothing', () => {
    const stderr = readFileSync(join(fixtures, 'ipmitool/debian12-kvm-no-bmc.stderr'), 'utf8');
    expect(parseIpmitoolLanPrint(stderr)).toEqual({ ip: null, mac: null, ipSource: null, subnetMask: null });
  });
});
