import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dmiBaseboardOf, dmiDimmsOf, dmiSystemOf, dmiTableAbsent, dmiValue, parseDmidecode, parseDmiSize } from '../../../agent/tools/dmidecode.parse.ts';
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
