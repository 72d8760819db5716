/**
 * Firmware baseline decisions, pure: reading vendor version strings, finding a profile's
 * component in the BMC's FirmwareInventory, and the compliance row per component (which
 * compliance.ts puts in its table and desiredChanges turns into SimpleUpdate requests).
 *
 * Versions: BMCs write them as they like — `2.10.0`, iDRAC `6.10.30.00`, iLO `2.78`, an
 * HPE System ROM `U46 v2.80 (01/26/2023)`. parseFirmwareVersion takes the one token that
 * is a dotted number (optionally `v`-prefixed), drops parenthesised parts (release dates),
 * and keeps the other words as the version's family (`U46`: a ROM family; comparing across
 * families is meaningless). Segments compare numerically, a missing one is 0 (`1.0` equals
 * `1.0.0`, `2.10.0` > `2.9.1`). Anything else — no dotted number, two of them, letters in
 * the number (`A12`, `1.2.3b`), different families — cannot be compared, and the row says
 * so (`cannot-compare`, blocking): an unknown version is never silently `ok`.
 *
 * Matching (documented in docs/harden.md): the component is matched case-insensitively
 * against the inventory members' Id first (Supermicro and our emulator: `BMC`, `BIOS`),
 * then against their Name (HPE iLO: Ids `1`, `2`…, Names `iLO 5`, `System ROM`; Dell: Ids
 * carry the version, Names are stable). Several members with that Name: Dell's
 * `Installed-…` members win over its `Previous-…`/`Available-…` ones (rollback and staged
 * images); still several is ambiguous (`cannot-compare`: name it by Id).
 */
import { redactUrl } from '../shared/redact.ts';
import type { ComplianceRow } from './compliance.ts';
import type { FirmwareBaseline } from './profile.ts';
import type { BmcState } from './redfish.ts';

/** A version read from a vendor string: its numeric segments and the words around it (lower case). */
export interface FirmwareVersion {
  segments: number[];
  family: string;
}

const NUMBER_TOKEN = /^v?(\d+(?:\.\d+)*)$/i;

/** `U46 v2.80 (01/26/2023)` → {segments [2, 80], family "u46"}; a reason string when it is not a version this reads. Pure. */
export function parseFirmwareVersion(text: string): FirmwareVersion | string {
  const tokens = text
    .replace(/\([^)]*\)/g, ' ')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  if (!tokens.length) return 'empty version';
  const numbers = tokens.filter((t) => NUMBER_TOKEN.test(t));
  if (numbers.length !== 1) return numbers.length ? `"${text}" has several version numbers` : `"${text}" has no dotted version number`;
  const segments = NUMBER_TOKEN.exec(numbers[0]!)![1]!.split('.').map(Number);
  const family = tokens
    .filter((t) => t !== numbers[0])
    .join(' ')
    .toLowerCase();
  return { segments, family };
}

/**
 * Negative, zero or positive as `a` is older, the same or newer than `b`; a string saying why when
 * they cannot be compared (unparsable, or different families such as ROM `U46` and `U30`). Pure.
 */
export function compareFirmwareVersions(a: string, b: string): number | string {
  const pa = parseFirmwareVersion(a);
  if (typeof pa === 'string') return pa;
  const pb = parseFirmwareVersion(b);
  if (typeof pb === 'string') return pb;
  if (pa.family && pb.family && pa.family !== pb.family) return `"${a}" and "${b}" are different families (${pa.family} / ${pb.family})`;
  for (let i = 0; i < Math.max(pa.segments.length, pb.segments.length); i++) {
    const diff = (pa.segments[i] ?? 0) - (pb.segments[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

type InventoryItem = NonNullable<BmcState['firmware']>[number];

/** The inventory member a profile's component names (see the module comment), or why there is none. Pure. */
export function findFirmwareItem(inventory: readonly InventoryItem[], component: string): InventoryItem | { missing: string } | { ambiguous: string } {
  const wanted = component.toLowerCase();
  const byId = inventory.find((f) => f.id.toLowerCase() === wanted);
  if (byId) return byId;
  let byName = inventory.filter((f) => f.name?.toLowerCase() === wanted);
  if (byName.length > 1 && byName.some((f) => /^installed-/i.test(f.id))) byName = byName.filter((f) => /^installed-/i.test(f.id));
  if (byName.length === 1) return byName[0]!;
  if (byName.length > 1)
    return { ambiguous: `${byName.length} inventory members are named ${component} (Ids ${byName.map((f) => f.id).join(', ')}): name it by Id` };
  return { missing: `not in the inventory (Ids: ${inventory.map((f) => f.id).join(', ') || 'none'})` };
}

/**
 * The compliance row of one baseline. `sent`: an update for this component was handed to Ansible in
 * this run, so a version still below the baseline is either waiting for a reboot (rebootAllowed false:
 * `pending-reboot`) or an update the BMC did not apply (`below-baseline`, said so). Pure.
 */
export function firmwareRow(baseline: FirmwareBaseline, bmc: BmcState, rebootAllowed: boolean, sent: boolean): ComplianceRow {
  const setting = `firmware.${baseline.component}`;
  const desired = `≥ ${baseline.minimumVersion}`;
  if (!bmc.firmware) return { setting, desired, actual: '–', result: 'unsupported', note: 'the BMC offers no FirmwareInventory' };
  const item = findFirmwareItem(bmc.firmware, baseline.component);
  if ('missing' in item) return { setting, desired, actual: '–', result: 'unsupported', note: item.missing };
  if ('ambiguous' in item) return { setting, desired, actual: '–', result: 'cannot-compare', note: item.ambiguous };
  if (!item.version) return { setting, desired, actual: 'no version', result: 'cannot-compare', note: `the BMC reports no Version for ${item.id}` };
  const order = compareFirmwareVersions(item.version, baseline.minimumVersion);
  if (typeof order === 'string') return { setting, desired, actual: item.version, result: 'cannot-compare', note: order };
  if (order >= 0) return { setting, desired, actual: item.version, result: 'ok' };
  if (sent && !rebootAllowed) return { setting, desired, actual: item.version, result: 'pending-reboot', note: 'update sent; activates at the next reboot' };
  if (sent) return { setting, desired, actual: item.version, result: 'below-baseline', note: 'update sent, but the BMC still reports the old version' };
  const note = baseline.image ? `update from ${redactUrl(baseline.image)}` : 'no image URL in the profile';
  return { setting, desired, actual: item.version, result: 'below-baseline', note };
}
