/**
 * Secure Boot and kernel lockdown (agent/lockdown.ts): the sysfs parsers, the facts, the
 * dmidecode decision, and 01-init's inventory collection and metrics on a fake sysfs and
 * fake tools — a locked-down machine without SMBIOS tables in sysfs never runs dmidecode
 * and says why; one with them reads them from sysfs.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectInventory, dmidecodeNote, readBootSecurity, smbiosTablesInSysfs } from '../../../agent/inventory/collect.ts';
import type { SiSnapshot, SysfsFacts } from '../../../agent/inventory/map.ts';
import { inventoryTable } from '../../../agent/inventory/table.ts';
import {
  bootSecurityOf,
  describeBootSecurity,
  devMemRefused,
  parseLockdown,
  parseSecureBootVariable,
  SMBIOS_LOCKED_DOWN,
  smbiosAccess,
  smbiosSourceOf,
} from '../../../agent/lockdown.ts';
import { createInitStep } from '../../../agent/steps/01-init.ts';
import { createTestContext, type TestStepContext } from '../../helpers/agent-context.ts';
import { createFakeSysfs, type FakeSysfs } from '../../helpers/fake-sysfs.ts';
import { fakeToolRunner } from '../../helpers/fake-tools.ts';

const dmiFixture = (name: string) => readFileSync(join(import.meta.dir, '../../fixtures/dmidecode', name), 'utf8');
const captured = JSON.parse(readFileSync(join(import.meta.dir, '../../fixtures/systeminformation/debian12-kvm.json'), 'utf8')) as {
  systeminformation: SiSnapshot;
  sysfs: SysfsFacts;
};

/** dmidecode finding no table: exit 1 with a fixture's stdout and stderr. */
const failedRun = (name: string) => ({ exitCode: 1, stdout: dmiFixture(`${name}.txt`), stderr: dmiFixture(`${name}.stderr`) });

/** The notes but the BMC's (no IPMI device is faked). */
const dmiNotes = (notes: readonly string[]) => notes.filter((n) => !n.startsWith('no IPMI device'));

/** efivarfs's SecureBoot file: attributes (NV+BS+RT = 0x06) then the one data byte. */
const efiVar = (value: number) => new Uint8Array([0x06, 0x00, 0x00, 0x00, value]);

describe('parsers', () => {
  test('parseLockdown: the bracketed word is the active level', () => {
    expect(parseLockdown('[none] integrity confidentiality\n')).toBe('none');
    expect(parseLockdown('none [integrity] confidentiality\n')).toBe('integrity');
    expect(parseLockdown('none integrity [confidentiality]\n')).toBe('confidentiality');
  });

  test('parseLockdown: no brackets or an unknown level is null', () => {
    expect(parseLockdown('none integrity confidentiality')).toBeNull();
    expect(parseLockdown('none [paranoid]')).toBeNull();
    expect(parseLockdown('')).toBeNull();
  });

  test('parseSecureBootVariable: efivarfs has 4 bytes of attributes before the value', () => {
    expect(parseSecureBootVariable(efiVar(1), true)).toBe(true);
    expect(parseSecureBootVariable(efiVar(0), true)).toBe(false);
    // The attributes alone (a truncated read) are no answer, nor is a value other than 0/1.
    expect(parseSecureBootVariable(new Uint8Array([0x06, 0, 0, 0]), true)).toBeNull();
    expect(parseSecureBootVariable(efiVar(2), true)).toBeNull();
  });

  test('parseSecureBootVariable: the legacy sysfs data file is the value alone', () => {
    expect(parseSecureBootVariable(new Uint8Array([1]), false)).toBe(true);
    expect(parseSecureBootVariable(new Uint8Array([0]), false)).toBe(false);
    expect(parseSecureBootVariable(new Uint8Array([]), false)).toBeNull();
  });
});

describe('facts', () => {
  const files = { efiDirectory: true, secureBootVar: efiVar(1), secureBootLegacy: null, lockdown: 'none [integrity] confidentiality\n' };

  test('UEFI with Secure Boot enforced and the kernel locked down', () => {
    expect(bootSecurityOf(files)).toEqual({ uefi: true, secureBoot: true, lockdown: 'integrity' });
  });

  test('legacy BIOS: no Secure Boot to speak of, whatever variable files say', () => {
    expect(bootSecurityOf({ ...files, efiDirectory: false, lockdown: '[none] integrity confidentiality' })).toEqual({
      uefi: false,
      secureBoot: null,
      lockdown: 'none',
    });
  });

  test('efivarfs not mounted: the legacy interface answers, else Secure Boot is unknown', () => {
    expect(bootSecurityOf({ ...files, secureBootVar: null, secureBootLegacy: new Uint8Array([0]) }).secureBoot).toBe(false);
    expect(bootSecurityOf({ ...files, secureBootVar: null }).secureBoot).toBeNull();
  });

  test('no securityfs lockdown file: the lockdown level is unknown, not none', () => {
    expect(bootSecurityOf({ ...files, lockdown: null }).lockdown).toBeNull();
  });

  test('the journal cell says Secure Boot and the lockdown level without brackets', () => {
    expect(describeBootSecurity({ uefi: true, secureBoot: true, lockdown: 'integrity' })).toBe('on; kernel lockdown integrity');
    expect(describeBootSecurity({ uefi: true, secureBoot: false, lockdown: 'none' })).toBe('off; kernel lockdown none');
    expect(describeBootSecurity({ uefi: false, secureBoot: null, lockdown: 'none' })).toBe('legacy BIOS boot; kernel lockdown none');
    expect(describeBootSecurity({ uefi: true, secureBoot: null, lockdown: null })).toBe(
      'unknown, SecureBoot EFI variable not readable; kernel lockdown unknown, no /sys/kernel/security/lockdown',
    );
  });
});

describe('dmidecode under lockdown: the decision', () => {
  test('SMBIOS tables in sysfs: dmidecode runs, locked down or not (it reads them, never /dev/mem)', () => {
    for (const lockdown of ['none', 'integrity', 'confidentiality', null] as const)
      expect(smbiosAccess({ sysfsTables: true, boot: { lockdown } })).toEqual({ run: true });
  });

  test('no tables in sysfs and locked down: dmidecode does not run, and the reason names lockdown', () => {
    for (const lockdown of ['integrity', 'confidentiality'] as const) {
      const access = smbiosAccess({ sysfsTables: false, boot: { lockdown } });
      expect(access).toEqual({ run: false, reason: SMBIOS_LOCKED_DOWN });
    }
    expect(SMBIOS_LOCKED_DOWN).toStartWith('SMBIOS tables not available (kernel lockdown blocks /dev/mem)');
  });

  test('no tables in sysfs, not locked down (or unknown): dmidecode runs its legacy /dev/mem scan', () => {
    expect(smbiosAccess({ sysfsTables: false, boot: { lockdown: 'none' } })).toEqual({ run: true });
    expect(smbiosAccess({ sysfsTables: false, boot: { lockdown: null } })).toEqual({ run: true });
  });

  test('where dmidecode read the tables, from its own words', () => {
    expect(smbiosSourceOf(dmiFixture('dell-poweredge-r640-sysfs.txt'))).toBe('sysfs');
    expect(smbiosSourceOf('# dmidecode 3.4\nScanning /dev/mem for entry point.\nSMBIOS 2.8 present.\n\nHandle 0x0000, DMI type 0, 24 bytes\n')).toBe('dev-mem');
    // A dump file is neither; no table found is no source.
    expect(smbiosSourceOf(dmiFixture('dell-poweredge-r640.txt'))).toBeNull();
    expect(smbiosSourceOf(dmiFixture('debian12-kvm-no-smbios.txt'))).toBeNull();
  });

  test('a refused /dev/mem is told apart from a missing one', () => {
    expect(devMemRefused(dmiFixture('lockdown-no-smbios-constructed.txt'), dmiFixture('lockdown-no-smbios-constructed.stderr'))).toBe(true);
    expect(devMemRefused(dmiFixture('debian12-kvm-no-smbios.txt'), dmiFixture('debian12-kvm-no-smbios.stderr'))).toBe(false);
  });
});

describe('inventory collection on a fake sysfs', () => {
  let sys: FakeSysfs | undefined;
  let ctx: TestStepContext | undefined;
  afterEach(() => {
    sys?.remove();
    ctx?.cleanup();
    sys = undefined;
    ctx = undefined;
  });

  /** The captured KVM guest's systeminformation and sysfs facts; dmidecode answers `dmidecode`; no IPMI device. */
  const collect = (root: string, dmidecode: { stdout: string; stderr?: string; exitCode?: number }) => {
    const run = fakeToolRunner((inv) => (inv.tool === 'dmidecode' ? dmidecode : { exitCode: 127, stderr: `${inv.tool}: not faked` }));
    const collected = collectInventory({
      run,
      sysRoot: root,
      readSi: async () => captured.systeminformation,
      readSysfs: () => captured.sysfs,
      ipmiDevices: [],
    });
    return { run, collected };
  };

  test('readBootSecurity and smbiosTablesInSysfs read the fake files', () => {
    sys = createFakeSysfs([]);
    expect(readBootSecurity(sys.root)).toEqual({ uefi: false, secureBoot: null, lockdown: null });
    expect(smbiosTablesInSysfs(sys.root)).toBe(false);
    sys.addEfi(efiVar(1));
    sys.setLockdown('none [integrity] confidentiality\n');
    sys.addSmbiosTables();
    expect(readBootSecurity(sys.root)).toEqual({ uefi: true, secureBoot: true, lockdown: 'integrity' });
    expect(smbiosTablesInSysfs(sys.root)).toBe(true);
  });

  test('Secure Boot with SMBIOS tables in sysfs: dmidecode reads them, and 01-init reports the facts', async () => {
    sys = createFakeSysfs([]);
    sys.addEfi(efiVar(1));
    sys.setLockdown('none [integrity] confidentiality\n');
    sys.addSmbiosTables();
    const { run, collected } = collect(sys.root, { stdout: dmiFixture('dell-poweredge-r640-sysfs.txt') });
    const done = await collected;
    expect(run.calls.map((c) => c.tool)).toEqual(['dmidecode']);
    expect(done.boot).toEqual({ uefi: true, secureBoot: true, lockdown: 'integrity' });
    expect(done.smbiosSource).toBe('sysfs');
    expect(done.inventory.boot).toEqual(done.boot);
    expect(done.inventory.system.serial).not.toBe('');
    expect(dmiNotes(done.notes)).toEqual([]);

    ctx = createTestContext();
    const result = await createInitStep({ collect: async () => done }).run(ctx, () => {});
    expect(result.metrics).toMatchObject({ uefi: true, secureBoot: true, kernelLockdown: 'integrity', smbiosSource: 'sysfs' });
    expect(result.table?.rows).toContainEqual(['Secure Boot', 'on; kernel lockdown integrity']);
  });

  test('locked down without SMBIOS tables in sysfs: dmidecode is not run and the note says lockdown blocks /dev/mem', async () => {
    sys = createFakeSysfs([]);
    sys.addEfi(efiVar(1));
    sys.setLockdown('none [integrity] confidentiality\n');
    const { run, collected } = collect(sys.root, { stdout: 'unexpected' });
    const done = await collected;
    expect(run.calls).toEqual([]);
    expect(done.tools).toEqual([]);
    expect(dmiNotes(done.notes)).toEqual([SMBIOS_LOCKED_DOWN]);
    expect(done.smbiosSource).toBeNull();
    // systeminformation's own guesses are not taken for the firmware's identity.
    expect(done.inventory.system).toMatchObject({ manufacturer: '', model: '', serial: '' });

    ctx = createTestContext();
    const result = await createInitStep({ collect: async () => done }).run(ctx, () => {});
    expect(result.status).toBe('pass');
    expect(result.metrics).toMatchObject({ uefi: true, secureBoot: true, kernelLockdown: 'integrity', smbiosSource: null, serial: null });
    expect(ctx.logLines.some((l) => l.includes('SMBIOS tables not available (kernel lockdown blocks /dev/mem)'))).toBe(true);
  });

  test('lockdown that securityfs does not show: the refused /dev/mem still gives the lockdown note, not "no table"', async () => {
    sys = createFakeSysfs([]);
    const { run, collected } = collect(sys.root, failedRun('lockdown-no-smbios-constructed'));
    const done = await collected;
    expect(run.calls.map((c) => c.tool)).toEqual(['dmidecode']);
    expect(done.boot.lockdown).toBeNull();
    expect(dmiNotes(done.notes)).toEqual([SMBIOS_LOCKED_DOWN]);
  });

  test('no lockdown and no SMBIOS at all: dmidecode runs and the note says the machine has no table', async () => {
    sys = createFakeSysfs([]);
    sys.setLockdown('[none] integrity confidentiality\n');
    const { run, collected } = collect(sys.root, failedRun('debian12-kvm-no-smbios'));
    const done = await collected;
    expect(run.calls.map((c) => c.tool)).toEqual(['dmidecode']);
    expect(done.boot).toEqual({ uefi: false, secureBoot: null, lockdown: 'none' });
    expect(dmiNotes(done.notes)).toEqual(['no SMBIOS/DMI table on this machine: system serial, model and DIMMs are unknown']);
    expect(inventoryTable(done.inventory).rows).toContainEqual(['Secure Boot', 'legacy BIOS boot; kernel lockdown none']);
  });

  test('dmidecodeNote: one note per outcome, none when the tables were read', () => {
    const base = { result: null, records: null, noTable: false, skipped: null, lockedOut: null, source: null };
    expect(dmidecodeNote({ ...base, skipped: 'why' })).toBe('why');
    expect(dmidecodeNote({ ...base, records: [], source: 'sysfs' })).toBeNull();
  });
});
