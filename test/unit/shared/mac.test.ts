import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { InvalidMacError, isUnicastGlobal, macMatchesOui, normaliseMac, parseMac, parseOui, type Oui } from '../../../shared/mac.ts';

describe('parseMac', () => {
  test.each([
    ['94:40:c9:01:0a:56', '94:40:C9:01:0A:56'],
    ['94:40:C9:01:0A:56', '94:40:C9:01:0A:56'],
    ['94-40-c9-01-0a-56', '94:40:C9:01:0A:56'],
    ['9440.c901.0a56', '94:40:C9:01:0A:56'],
    ['9440c9010a56', '94:40:C9:01:0A:56'],
    ['94:40:c9:1:a:56', '94:40:C9:01:0A:56'],
    ['0:0:0:0:0:0', '00:00:00:00:00:00'],
    ['  a0:36:9f:1:2:3\n', 'A0:36:9F:01:02:03'],
  ])('accepts %j as %s', (input, expected) => {
    expect<string | null>(parseMac(input)).toBe(expected);
  });

  test.each([
    '',
    '94:40:c9:01:0a',
    '94:40:c9:01:0a:56:77',
    '94:40:c9:01:0a:5g',
    '94:40:c9:001:0a:56',
    '94:40-c9:01:0a:56',
    '94::c9:01:0a:56',
    '9440c9010a5',
    '9440.c901.0a56.1',
    '10.1.2.3',
    '94:40:c9:01:0a:56; rm -rf /',
  ])('rejects %j', (input) => {
    expect(parseMac(input)).toBeNull();
  });

  test('normalises any generated octets, separator and case to the canonical form', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(fc.array(octet, { minLength: 6, maxLength: 6 }), fc.constantFrom(':', '-'), fc.boolean(), fc.boolean(), (octets, sep, upper, dropZeros) => {
        const canonical = octets.map((o) => o.toString(16).padStart(2, '0').toUpperCase()).join(':');
        const text = octets.map((o) => (dropZeros ? o.toString(16) : o.toString(16).padStart(2, '0'))).join(sep);
        expect<string | null>(parseMac(upper ? text.toUpperCase() : text)).toBe(canonical);
      }),
      { numRuns: 2000 },
    );
  });

  test('never accepts a string that is not six hex octets', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (text) => {
        const mac = parseMac(text);
        if (mac !== null) expect(mac).toMatch(/^([0-9A-F]{2}:){5}[0-9A-F]{2}$/);
      }),
      { numRuns: 2000 },
    );
  });
});

test('normaliseMac names the bad value', () => {
  expect(() => normaliseMac('zz:zz')).toThrow(InvalidMacError);
  expect(() => normaliseMac('zz:zz')).toThrow(/"zz:zz"/);
});

test('OUIs parse in colon, dash and bare form and match MACs', () => {
  expect(parseOui('94:40:c9')).toBe('94:40:C9' as Oui);
  expect(parseOui('94-40-C9')).toBe('94:40:C9' as Oui);
  expect(parseOui('9440c9')).toBe('94:40:C9' as Oui);
  expect(parseOui('94:40')).toBeNull();
  const ouis = new Set([parseOui('94:40:c9')!]);
  expect(macMatchesOui(normaliseMac('94:40:c9:1:a:56'), ouis)).toBe(true);
  expect(macMatchesOui(normaliseMac('a0:36:9f:1:a:56'), ouis)).toBe(false);
});

test('locally administered and multicast MACs are not globally unique', () => {
  expect(isUnicastGlobal(normaliseMac('94:40:c9:01:0a:56'))).toBe(true);
  expect(isUnicastGlobal(normaliseMac('02:00:00:00:00:01'))).toBe(false);
  expect(isUnicastGlobal(normaliseMac('01:00:5e:00:00:01'))).toBe(false);
});
