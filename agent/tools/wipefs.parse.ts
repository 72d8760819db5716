/**
 * Parses `wipefs --no-act --json <dev>`: the signatures libblkid finds on a
 * device (partition tables — gpt, PMBR, dos — filesystems, RAID/LVM members,
 * swap…). Pure. wipefs prints `{"signatures": []}` (or nothing at all in some
 * versions) for a blank device.
 *
 * Caution: libblkid reports "nothing found" when it cannot read the device
 * (every read failing with EIO still exits 0 with an empty list), so an empty
 * list only means "blank" together with a successful read of the probed
 * regions (agent/tools/wipefs.ts checks that).
 */
import { isJsonObject } from '../../shared/json.ts';
import { EXCERPT_CHARS, parseJsonOrThrow, ToolOutputError } from './tool-output-error.ts';

export interface Signature {
  /** `gpt`, `PMBR`, `dos`, `ext4`, `xfs`, `LVM2_member`, `linux_raid_member`, `swap`, … */
  type: string;
  /** Byte offset of the magic on the device. */
  offsetBytes: number;
  uuid: string | null;
  label: string | null;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value : null);

function offsetOf(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const number = Number(value.trim());
    if (Number.isFinite(number)) return number;
  }
  return -1;
}

/** The signatures in `wipefs --json` output; throws ToolOutputError when it is not that. */
export function parseWipefsJson(output: string): Signature[] {
  if (output.trim() === '') return [];
  const data = parseJsonOrThrow('wipefs', output);
  if (!isJsonObject(data) || !Array.isArray(data.signatures))
    throw new ToolOutputError('wipefs', 'wipefs JSON has no "signatures" array', output.slice(0, EXCERPT_CHARS));
  return data.signatures.filter(isJsonObject).map((entry) => ({
    type: text(entry.type) ?? 'unknown',
    offsetBytes: offsetOf(entry.offset),
    uuid: text(entry.uuid),
    label: text(entry.label),
  }));
}

/** Distinct signature types in order of appearance: `gpt, PMBR`. */
export function signatureTypes(signatures: readonly Signature[]): string[] {
  return [...new Set(signatures.map((s) => s.type))];
}
