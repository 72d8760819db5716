/** shared/units.ts: binary sizes shown and parsed, durations shown. */
import { describe, expect, test } from 'bun:test';
import { formatBytes, formatSeconds, GiB, MiB, parseBinarySize, toGiB, wholeMiB } from '../../../shared/units.ts';

describe('sizes', () => {
  test('formatBytes picks the largest binary unit, one decimal below 100', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(256 * MiB)).toBe('256 MiB');
    expect(formatBytes(1.92e12)).toBe('1.7 TiB');
  });

  test('toGiB rounds to one decimal; wholeMiB rounds down', () => {
    expect(toGiB(24 * GiB + 0.46 * GiB)).toBe(24.5);
    expect(wholeMiB(MiB * 3 - 1)).toBe(2);
  });

  test('parseBinarySize reads the sizes dmidecode and meminfo print, in binary multiples', () => {
    expect(parseBinarySize('16 GB')).toBe(16 * GiB);
    expect(parseBinarySize('16384 MB')).toBe(16 * GiB);
    expect(parseBinarySize('512 kB')).toBe(512 * 1024);
    expect(parseBinarySize('2 TB')).toBe(2 * 1024 * GiB);
    expect(parseBinarySize('4096 bytes')).toBe(4096);
    expect(parseBinarySize('No Module Installed')).toBeNull();
  });
});

describe('durations', () => {
  test('formatSeconds shows whole or tenth seconds', () => {
    expect(formatSeconds(125_400)).toBe('125 s');
    expect(formatSeconds(1_250, 1)).toBe('1.3 s');
  });
});
