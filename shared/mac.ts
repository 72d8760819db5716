/**
 * MAC address parsing and OUI matching.
 *
 * Accepts every form a MAC reaches us in: colon/dash/dot separated, bare hex,
 * any case, and dhcpd's naive `binary-to-ascii(16, 8, ":", hardware)` output,
 * which drops leading zeros of each octet (`94:40:c9:1:a:56`).
 * The canonical form is NetBox's: upper-case, colon-separated, zero-padded.
 */
import { BmError } from './errors.ts';

/** Canonical MAC: `AA:BB:CC:DD:EE:FF`. */
export type Mac = string & { readonly __brand: 'Mac' };

const HEX_OCTET = /^[0-9a-f]{1,2}$/i;
const BARE_HEX = /^[0-9a-f]{12}$/i;
const CISCO_DOTTED = /^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/i;

/** Parses a MAC in any accepted form; returns null when it is not one. */
export function parseMac(input: string): Mac | null {
  const text = input.trim();
  let octets: string[];
  if (BARE_HEX.test(text)) {
    octets = text.match(/../g) ?? [];
  } else if (CISCO_DOTTED.test(text)) {
    octets = text.replaceAll('.', '').match(/../g) ?? [];
  } else {
    const parts = text.split(/[:-]/);
    if (parts.length !== 6) return null;
    const separators = new Set(text.match(/[:-]/g));
    if (separators.size !== 1) return null;
    if (!parts.every((p) => HEX_OCTET.test(p))) return null;
    octets = parts;
  }
  return octets.map((o) => o.padStart(2, '0').toUpperCase()).join(':') as Mac;
}

/** Like parseMac but throws an error naming the bad value. */
export function normaliseMac(input: string): Mac {
  const mac = parseMac(input);
  if (mac === null) throw new InvalidMacError(input);
  return mac;
}

export class InvalidMacError extends BmError {
  override readonly name = 'InvalidMacError';
  constructor(readonly input: string) {
    super(`not a MAC address: ${JSON.stringify(input.slice(0, 64))} (expected e.g. 94:40:c9:01:0a:56)`);
  }

  override get failureCause() {
    return 'config' as const;
  }

  override details() {
    return { input: this.input.slice(0, 64) };
  }
}

/** Canonical OUI: `AA:BB:CC`. */
export type Oui = string & { readonly __brand: 'Oui' };

/** Parses an OUI (first three octets) in colon, dash or bare-hex form. */
export function parseOui(input: string): Oui | null {
  const text = input.trim();
  const parts = /^[0-9a-f]{6}$/i.test(text) ? (text.match(/../g) ?? []) : text.split(/[:-]/);
  if (parts.length !== 3 || !parts.every((p) => HEX_OCTET.test(p))) return null;
  return parts.map((o) => o.padStart(2, '0').toUpperCase()).join(':') as Oui;
}

export function ouiOf(mac: Mac): Oui {
  return mac.slice(0, 8) as Oui;
}

/** True when the MAC's OUI is in the set (built from parseOui results). */
export function macMatchesOui(mac: Mac, ouis: ReadonlySet<Oui>): boolean {
  return ouis.has(ouiOf(mac));
}

/** Locally administered or multicast MACs are never a vendor's burned-in address. */
export function isUnicastGlobal(mac: Mac): boolean {
  const first = Number.parseInt(mac.slice(0, 2), 16);
  return (first & 0b11) === 0;
}
