/**
 * The placeholder-serial rule (shared/serial.ts) over serials as firmware ships them.
 *
 * Origins of the placeholder strings (dmidecode `Serial Number:` of SMBIOS types 1, 2
 * and 3, typed in by hand from each vendor's defaults, not captured on a machine here):
 * - AMI Aptio IV/V reference BIOS (ASRock, Gigabyte, MSI, many white boxes): `To Be Filled
 *   By O.E.M.` and `Default string` in every unset string; builds whose token file was
 *   never processed leave the macro `$(DEFAULT_STRING)` itself.
 * - ASUS desktop and workstation boards: `System Serial Number`, `Base Board Serial
 *   Number`, `Chassis Serial Number`.
 * - Supermicro X9–X11 boards: chassis and system serial `0123456789`, or `To be filled by
 *   O.E.M.` on boards sold without a chassis.
 * - Intel server boards (S2600 family): `..................` in the chassis serial.
 * - QEMU/SeaBIOS and OVMF without `-smbios`: dmidecode prints `Not Specified`; VirtualBox
 *   fills `0`; VMware's baseboard and chassis say `None`.
 * - HPE and Lenovo boards replaced in the field before the serial is programmed:
 *   `Not Applicable`, `Not Available`, `INVALID`, `0000000000`, `XXXXXXXXXX`.
 * - The forms bm-agent once looked up (issue 11): `123456789`, `$(DEFAULT_STRING)`,
 *   `Undefined`, `O.E.M`, `To Be Filled By O.E.M` (no final dot).
 * The real serials are made-up strings in each vendor's format (Dell service tag and its
 * dotted baseboard PPID, HPE, Lenovo, Supermicro, VMware, a UUID-like cloud serial).
 */
import { describe, expect, test } from 'bun:test';
import { MIN_SERIAL_CHARACTERS, isPlaceholderSerial, normaliseSerialText, placeholderSerialReason } from '../../../shared/serial.ts';

const PLACEHOLDERS: readonly [serial: string, reason: RegExp][] = [
  // nothing there
  ['', /^empty$/],
  ['   ', /^empty$/],
  ['\t', /^empty$/],
  ['-', /no letters or digits/],
  ['..................', /no letters or digits/],
  ['........', /no letters or digits/],
  ['#####', /no letters or digits/],
  // unexpanded firmware build macros
  ['$(DEFAULT_STRING)', /macro/],
  ['$(SERIAL_NUMBER)', /macro/],
  ['$' + '{SYSTEM_SERIAL}', /macro/], // ${…}: written in two parts so it is not read as a template
  ['SN $(DEFAULT_STRING) ', /macro/],
  // too short to identify anything
  ['0', /fewer than 4/],
  ['N/A', /fewer than 4/],
  ['NA', /fewer than 4/],
  ['O.E.M', /fewer than 4/],
  ['O.E.M.', /fewer than 4/],
  ['OEM', /fewer than 4/],
  ['TBD', /fewer than 4/],
  ['x', /fewer than 4/],
  // generic words, any case, spacing or punctuation
  ['None', /generic word "none"/],
  ['NULL', /generic word "null"/],
  ['Empty', /generic word "empty"/],
  ['Default', /generic word "default"/],
  ['System Product Name', /generic word/],
  ['To Be Filled By O.E.M.', /generic phrase "filledby"/],
  ['To Be Filled By O.E.M', /generic phrase "filledby"/],
  ['To be filled by OEM', /generic phrase "filledby"/],
  ['TO BE FILLED BY O.E.M.', /generic phrase "filledby"/],
  ['To_Be_Filled_By_O.E.M.', /generic phrase "filledby"/],
  ['TobefilledbyO.E.M.', /generic phrase "filledby"/],
  ['Default string', /generic phrase "defaultstring"/],
  ['Default String ', /generic phrase "defaultstring"/],
  ['DEFAULT_STRING', /generic phrase "defaultstring"/],
  ['System Serial Number', /generic phrase "serialnum"/],
  ['Chassis Serial Number', /generic phrase "serialnum"/],
  ['Base Board Serial Number', /generic phrase "serialnum"/],
  ['Type2 - Board Serial Number', /generic phrase "serialnum"/],
  ['SerialNumber', /generic phrase "serialnum"/],
  ['Not Specified', /generic phrase "notspecified"/],
  ['not-specified', /generic phrase "notspecified"/],
  ['Unspecified', /generic phrase "unspecified"/],
  ['Not Applicable', /generic phrase "notapplicable"/],
  ['Not Available', /generic phrase "notavailable"/],
  ['Not Settable', /generic phrase "notset"/],
  ['Undefined', /generic phrase "undefined"/],
  ['UNKNOWN', /generic phrase "unknown"/],
  ['Unknown.', /generic phrase "unknown"/],
  ['INVALID', /generic phrase "invalid"/],
  // one character or a short group repeated
  ['000000', /one character repeated/],
  ['0000000000000000', /one character repeated/],
  ['00-00-00-00', /one character repeated/],
  ['FFFFFFFF', /one character repeated/],
  ['ffffffffffff', /one character repeated/],
  ['XXXXXXXXXX', /one character repeated/],
  ['xxxxxx', /one character repeated/],
  ['1111', /one character repeated/],
  ['121212', /short group repeated/],
  ['ABCABCABC', /short group repeated/],
  // runs of consecutive digits or letters, up or down
  ['1234', /consecutive digits/],
  ['123456789', /consecutive digits/],
  ['0123456789', /consecutive digits/],
  ['1234567890', /consecutive digits/],
  ['12345678901234', /consecutive digits/],
  ['987654321', /consecutive digits/],
  ['9876543210', /consecutive digits/],
  ['01-23-45-67-89', /consecutive digits/],
  ['ABCDEFGH', /consecutive letters/],
];

const REAL_SERIALS: readonly string[] = [
  'CZ20340ABC', // HPE
  'CZJ1234567', // HPE ProLiant
  'J30012345', // Lenovo ThinkSystem
  '7X06CTO1WW', // Lenovo machine type + model (some boards put it in the serial)
  '4KQ8T2J', // Dell service tag (system and chassis)
  '.4KQ8T2J.CNFCW0098R0123.', // Dell baseboard PPID, dots included
  'S123456X9C12345', // Supermicro system
  'WM19AS012345', // Supermicro baseboard
  'VMware-56 4d 2f f4 23 f3 d2 3f-7a b7 1c 5a 10 d0 1d f5', // VMware guest
  'ec2a1b2c-3d4e-5f60-7182-93a4b5c6d7e8', // a cloud instance's UUID-like serial
  'E2E-PXE-0001', // the e2e test's QEMU -smbios serial
  'A1B2', // 4 characters: the shortest kept
  '1235', // 4 digits that are not a run
  '1122334455', // digit pairs: not a group of ≤ 3 repeated 3 times
  'NONE123', // a whole-value word with more after it is not the word
];

describe('placeholder serials', () => {
  test.each(PLACEHOLDERS)('%p is a placeholder', (serial, reason) => {
    expect(placeholderSerialReason(serial)).toMatch(reason);
    expect(isPlaceholderSerial(serial)).toBe(true);
  });

  test.each(REAL_SERIALS.map((s) => [s]))('%p may identify a machine', (serial) => {
    expect(placeholderSerialReason(serial)).toBeNull();
    expect(isPlaceholderSerial(serial)).toBe(false);
  });

  test('null and undefined are empty', () => {
    expect(placeholderSerialReason(null)).toBe('empty');
    expect(placeholderSerialReason(undefined)).toBe('empty');
  });

  test('normalising keeps letters and digits only, lower case (full-width forms folded)', () => {
    expect(normaliseSerialText(' To Be Filled By O.E.M ')).toBe('tobefilledbyoem');
    expect(normaliseSerialText('ＮＯＮＥ')).toBe('none');
    expect(normaliseSerialText('.4KQ8T2J.CN.')).toBe('4kq8t2jcn');
  });

  test('the short limit counts letters and digits, not punctuation', () => {
    expect(MIN_SERIAL_CHARACTERS).toBe(4);
    expect(isPlaceholderSerial('A.B.C')).toBe(true);
    expect(isPlaceholderSerial('A.B.C.D')).toBe(true); // a letter run
    expect(isPlaceholderSerial('A-B-X-D')).toBe(false);
  });
});
