/**
 * The pure parts of finding this machine's NetBox device (agent/inventory/find-device.ts):
 * which DMI serials are looked up and in what order, MAC agreement, the texts operators
 * read, and the exit code of each look-up error. The look-up against NetBox itself:
 * test/integration/agent/inventory-init.test.ts. The DMI tables are the constructed
 * vendor fixtures of test/fixtures/dmidecode (see its README).
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeviceLookupError, serialCandidatesOf, serialsText, sharedMacs } from '../../../agent/inventory/find-device.ts';
import type { Inventory } from '../../../agent/inventory-types.ts';
import { foundBy } from '../../../agent/steps/01-init.ts';
import { dmiBaseboardOf, dmiChassisOf, dmiSystemOf, parseDmidecode } from '../../../agent/tools/dmidecode.parse.ts';
import { exitCodeOfCause } from '../../../shared/cli/exit-codes.ts';
import { causeOf } from '../../../shared/failure.ts';
import { capturedKvmGuest } from '../../helpers/captured-machine.ts';

/** The captured guest's inventory with the serials of a vendor's DMI fixture. */
function withDmiOf(fixture: string): Inventory {
  const records = parseDmidecode(readFileSync(join(import.meta.dir, '../../fixtures/dmidecode', `${fixture}.txt`), 'utf8'));
  const inventory = capturedKvmGuest().inventory;
  return {
    ...inventory,
    system: { ...inventory.system, serial: dmiSystemOf(records)?.serial ?? '' },
    baseboard: { ...inventory.baseboard, serial: dmiBaseboardOf(records)?.serial ?? null },
    chassis: { ...inventory.chassis, serial: dmiChassisOf(records)?.serial ?? null },
  };
}

function withSerials(system: string, baseboard: string | null, chassis: string | null): Inventory {
  const inventory = capturedKvmGuest().inventory;
  return {
    ...inventory,
    system: { ...inventory.system, serial: system },
    baseboard: { ...inventory.baseboard, serial: baseboard },
    chassis: { ...inventory.chassis, serial: chassis },
  };
}

describe('which DMI serials are looked up', () => {
  test('Dell: the service tag once (system and chassis hold the same), then the baseboard PPID', () => {
    expect(serialCandidatesOf(withDmiOf('dell-poweredge-r640'))).toEqual({
      candidates: [
        { source: 'system', serial: '4XK9QJ3' },
        { source: 'baseboard', serial: '.4XK9QJ3.CNCMS0012A00PA.' },
      ],
      skipped: [],
    });
  });

  test("Supermicro: system then baseboard; the chassis's 0123456789 is never tried", () => {
    const { candidates } = serialCandidatesOf(withDmiOf('supermicro-sys-6019p'));
    expect(candidates).toEqual([
      { source: 'system', serial: 'A328620X9A12345' },
      { source: 'baseboard', serial: 'WM195S012345' },
    ]);
  });

  test('a white box with placeholder system and chassis serials: the baseboard serial is the one tried', () => {
    // dmidecode.parse.ts already drops `To Be Filled By O.E.M.`; the rule also catches what it lets through.
    expect(serialCandidatesOf(withDmiOf('whitebox-placeholders')).candidates).toEqual([{ source: 'baseboard', serial: 'M80-C3012345678' }]);
    const { candidates, skipped } = serialCandidatesOf(withSerials('123456789', ' M80-C3012345678 ', '$(DEFAULT_STRING)'));
    expect(candidates).toEqual([{ source: 'baseboard', serial: 'M80-C3012345678' }]);
    expect(skipped.map((s) => `${s.source}: ${s.reason}`)).toEqual(['system: a run of consecutive digits', 'chassis: unexpanded firmware macro']);
  });

  test('the order is system, baseboard, chassis; repeats differing only in case or padding are tried once', () => {
    expect(serialCandidatesOf(withSerials('SYS-0042A', 'brd-77X1', ' sys-0042a ')).candidates).toEqual([
      { source: 'system', serial: 'SYS-0042A' },
      { source: 'baseboard', serial: 'brd-77X1' },
    ]);
  });

  test('no DMI at all: nothing tried, nothing to report', () => {
    expect(serialCandidatesOf(capturedKvmGuest().inventory)).toEqual({ candidates: [], skipped: [] });
  });
});

describe('serial and MAC agreement', () => {
  const machine = ['02:FC:00:00:00:01', '02:FC:00:00:00:02', '02:BD:00:00:00:09'];

  test("this machine's MACs found on the interfaces, from either MAC model (4.1's field, 4.2's objects)", () => {
    const interfaces = [
      { mac_address: null, mac_addresses: [{ id: 1, url: '', display: '', mac_address: '02:FC:00:00:00:02' }] },
      { mac_address: '02-bd-00-00-00-09' },
      { mac_address: '02:aa:00:00:00:01', mac_addresses: [] },
    ];
    expect(sharedMacs(machine, interfaces)).toEqual(['02:FC:00:00:00:02', '02:BD:00:00:00:09']);
    expect(sharedMacs(['02:fc:00:00:00:02'], interfaces)).toEqual(['02:fc:00:00:00:02']);
  });

  test('a device with no interfaces, or other MACs only, shares none', () => {
    expect(sharedMacs(machine, [])).toEqual([]);
    expect(sharedMacs(machine, [{ mac_address: '02:aa:00:00:00:01' }])).toEqual([]);
    expect(sharedMacs([], [{ mac_address: '02:fc:00:00:00:01' }])).toEqual([]);
  });
});

describe('what operators read', () => {
  test('the not-found message names the serials tried and the placeholders with why', () => {
    const { candidates, skipped } = serialCandidatesOf(withSerials('Undefined', 'BRD-123X', null));
    expect(serialsText(candidates, skipped)).toBe(
      'serials tried: baseboard BRD-123X; not looked up: system "Undefined" (placeholder: generic phrase "undefined")',
    );
    expect(serialsText([], [])).toBe('serials tried: none');
  });

  test('found by serial names its source and the agreeing MAC; warnings are appended', () => {
    expect(foundBy({ by: 'serial', value: 'BRD-123X', serialSource: 'baseboard', macs: ['02:fc:00:00:00:01'], warnings: [] })).toBe(
      'serial BRD-123X (baseboard; MAC 02:fc:00:00:00:01 on it too)',
    );
    expect(foundBy({ by: 'mac', value: '02:fc:00:00:00:01', macs: ['02:fc:00:00:00:01'], warnings: ['system serial X is on 2 devices'] })).toBe(
      'mac 02:fc:00:00:00:01 [warning: system serial X is on 2 devices]',
    );
  });

  test('not found, ambiguous and a serial/MAC conflict all exit 1 (a check failed), never 3 or 4', () => {
    const causes = (['not-found', 'ambiguous', 'conflict'] as const).map((kind) => causeOf(new DeviceLookupError(kind, kind)));
    expect(causes).toEqual(['device-not-found', 'device-ambiguous', 'device-ambiguous']);
    expect(causes.map(exitCodeOfCause)).toEqual([1, 1, 1]);
    expect(new DeviceLookupError('conflict', 'x', [{ id: 7, display: 'decoy' }]).details()).toEqual({
      kind: 'conflict',
      matches: [{ id: 7, display: 'decoy' }],
    });
  });
});
