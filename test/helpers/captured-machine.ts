/**
 * 01-init's collector output for a captured machine (a Debian 12 KVM guest: no
 * SMBIOS table, so a placeholder serial, and MACs no NetBox fixture uses), for
 * tests that run 01-init without touching this host.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Collected } from '../../agent/inventory/collect.ts';
import { mapInventory, type SiSnapshot, type SysfsFacts } from '../../agent/inventory/map.ts';

const captured = JSON.parse(readFileSync(join(import.meta.dir, '../fixtures/systeminformation/debian12-kvm.json'), 'utf8')) as {
  systeminformation: SiSnapshot;
  sysfs: SysfsFacts;
};

/** The captured guest as collectInventory() would return it; `extra` replaces fields (tools run, notes). */
export function capturedKvmGuest(extra: Partial<Collected> = {}): Collected {
  return {
    inventory: mapInventory({ si: captured.systeminformation, sysfs: captured.sysfs, dmi: null, bmc: null, dmiTableAbsent: true }),
    si: captured.systeminformation,
    sysfs: captured.sysfs,
    dmi: null,
    bmc: null,
    tools: [],
    notes: [],
    // Not captured: as a kernel without lockdown LSM would report it.
    boot: { uefi: false, secureBoot: null, lockdown: null },
    smbiosSource: null,
    ...extra,
  };
}
