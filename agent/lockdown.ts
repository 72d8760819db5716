/**
 * Secure Boot and kernel lockdown, as facts and as the decisions they drive. Pure: the
 * sysfs files are read by the inventory collector (agent/inventory/collect.ts), which
 * hands their contents here.
 *
 * With Secure Boot on, Debian's kernel locks itself down (integrity mode): no /dev/mem,
 * /dev/kmem or /dev/port, no debugfs writes, no unsigned modules or kexec images, no raw
 * I/O ports or MSR writes. What that means for each step is in docs/agent.md ("Secure
 * Boot and kernel lockdown"); the facts go into the inventory (`inventory.boot`) and the
 * 01-init metrics (`uefi`, `secureBoot`, `kernelLockdown`, `smbiosSource`).
 */

/** The kernel lockdown levels (`/sys/kernel/security/lockdown`); see kernel_lockdown(7). */
export const LOCKDOWN_LEVELS = ['none', 'integrity', 'confidentiality'] as const;
export type LockdownLevel = (typeof LOCKDOWN_LEVELS)[number];

/** The EFI global variable GUID: `SecureBoot-<guid>` under efivarfs. */
export const EFI_GLOBAL_GUID = '8be4df61-93ca-11d2-aa0d-00e098032b8c';

/** Where the facts come from, relative to the sysfs root (`/sys`). */
export const BOOT_SECURITY_FILES = {
  /** Exists when the kernel was booted through UEFI. */
  efi: 'firmware/efi',
  /** efivarfs (mounted by systemd): 4 bytes of attributes, then the data (one byte, 1 = on). */
  secureBootVar: `firmware/efi/efivars/SecureBoot-${EFI_GLOBAL_GUID}`,
  /** The old sysfs-efivars interface (kernels before 6.0): the data alone. */
  secureBootLegacy: `firmware/efi/vars/SecureBoot-${EFI_GLOBAL_GUID}/data`,
  /** securityfs (mounted by systemd): `none [integrity] confidentiality`, brackets around the active level. */
  lockdown: 'kernel/security/lockdown',
  /** The SMBIOS entry point and table the kernel exports (Linux 4.2+); dmidecode 3.0+ reads these first. */
  smbiosEntryPoint: 'firmware/dmi/tables/smbios_entry_point',
  smbiosTable: 'firmware/dmi/tables/DMI',
} as const;

/** How this boot stands: `inventory.boot`. */
export interface BootSecurity {
  /** Booted through UEFI (`/sys/firmware/efi` exists); false: legacy BIOS. */
  uefi: boolean;
  /** The firmware's SecureBoot variable: true = enforced; null = not UEFI, or the variable could not be read. */
  secureBoot: boolean | null;
  /** The active kernel lockdown level; null = the kernel has no lockdown LSM or securityfs is not mounted. */
  lockdown: LockdownLevel | null;
}

/** The raw inputs of {@link bootSecurityOf}: file contents, null where the file is absent or unreadable. */
export interface BootSecurityFiles {
  efiDirectory: boolean;
  /** The efivarfs file (attributes + data). */
  secureBootVar: Uint8Array | null;
  /** The legacy sysfs `data` file (data only). */
  secureBootLegacy: Uint8Array | null;
  lockdown: string | null;
}

/** `none [integrity] confidentiality` → `integrity`; null for anything else (no brackets, unknown word). */
export function parseLockdown(text: string): LockdownLevel | null {
  const active = /\[([a-z]+)\]/.exec(text)?.[1];
  return LOCKDOWN_LEVELS.find((level) => level === active) ?? null;
}

/**
 * The SecureBoot variable's value: its one data byte, 1 = enforced, 0 = off. `withAttributes`:
 * the efivarfs layout (4 bytes of attributes first, so the value is the 5th byte). Null when
 * the data is missing or is neither 0 nor 1.
 */
export function parseSecureBootVariable(bytes: Uint8Array, withAttributes: boolean): boolean | null {
  const value = bytes[withAttributes ? 4 : 0];
  return value === 1 ? true : value === 0 ? false : null;
}

/** The facts from the files' contents (efivarfs first, the legacy interface second). */
export function bootSecurityOf(files: BootSecurityFiles): BootSecurity {
  let secureBoot: boolean | null = null;
  if (files.efiDirectory) {
    if (files.secureBootVar) secureBoot = parseSecureBootVariable(files.secureBootVar, true);
    if (secureBoot === null && files.secureBootLegacy) secureBoot = parseSecureBootVariable(files.secureBootLegacy, false);
  }
  return { uefi: files.efiDirectory, secureBoot, lockdown: files.lockdown === null ? null : parseLockdown(files.lockdown) };
}

/** True when the kernel refuses /dev/mem (lockdown integrity or confidentiality). */
export function lockedDown(boot: Pick<BootSecurity, 'lockdown'>): boolean {
  return boot.lockdown === 'integrity' || boot.lockdown === 'confidentiality';
}

/**
 * The 01-init journal's `Secure Boot` cell: `on; kernel lockdown integrity`, `legacy BIOS boot; kernel
 * lockdown none`… (no brackets: the journal escapes them).
 */
export function describeBootSecurity(boot: BootSecurity): string {
  const secureBoot = !boot.uefi
    ? 'legacy BIOS boot'
    : boot.secureBoot === null
      ? 'unknown, SecureBoot EFI variable not readable'
      : boot.secureBoot
        ? 'on'
        : 'off';
  const lockdown = boot.lockdown ? `kernel lockdown ${boot.lockdown}` : 'kernel lockdown unknown, no /sys/kernel/security/lockdown';
  return `${secureBoot}; ${lockdown}`;
}

/** Where dmidecode got the SMBIOS tables (its own `Getting SMBIOS data from sysfs.` line and the like). */
export type SmbiosSource = 'sysfs' | 'dev-mem';

/** The message when lockdown keeps dmidecode from the SMBIOS tables. */
export const SMBIOS_LOCKED_DOWN =
  'SMBIOS tables not available (kernel lockdown blocks /dev/mem): the kernel exports none under /sys/firmware/dmi/tables ' +
  'and dmidecode cannot scan /dev/mem; system serial, model and DIMMs are unknown';

/**
 * Whether to run dmidecode. dmidecode 3.0+ reads the tables the kernel exports in sysfs
 * first; only without them does it scan /dev/mem (or follow the EFI entry point into it),
 * which lockdown refuses. So: tables in sysfs → run (it never touches /dev/mem); no tables
 * and locked down → do not run, say why; no tables, not locked down → run (the legacy scan:
 * old kernels, or firmware without SMBIOS, where it finds nothing).
 */
export function smbiosAccess(input: { sysfsTables: boolean; boot: Pick<BootSecurity, 'lockdown'> }): { run: true } | { run: false; reason: string } {
  if (input.sysfsTables || !lockedDown(input.boot)) return { run: true };
  return { run: false, reason: SMBIOS_LOCKED_DOWN };
}

/** True when dmidecode's output shows the kernel refused /dev/mem (lockdown, whatever securityfs says). */
export function devMemRefused(stdout: string, stderr: string): boolean {
  return /\/dev\/mem: Operation not permitted/.test(`${stdout}\n${stderr}`);
}

/** Where dmidecode's output says it read the tables from; null when it found none (or printed no such line). */
export function smbiosSourceOf(stdout: string): SmbiosSource | null {
  if (!/^SMBIOS [\d.]+ present\./m.test(stdout) && !/^Handle 0x/m.test(stdout)) return null;
  if (/^Getting SMBIOS data from sysfs\./m.test(stdout)) return 'sysfs';
  if (/^(Scanning \/dev\/mem for entry point|Found SMBIOS entry point in EFI, reading table from \/dev\/mem)/m.test(stdout)) return 'dev-mem';
  return null;
}
