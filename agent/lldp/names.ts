/**
 * How an LLDP neighbour is matched with NetBox's far end. Kept deliberately
 * small and predictable:
 *
 * - Switch: LLDP SysName equals the NetBox device name, case-insensitively.
 *   A fully-qualified name on one side matches the short name on the other
 *   (`leaf-1.dc1.example.net` ≡ `leaf-1`); two FQDNs must be equal.
 * - Port: the LLDP port id or the port description equals the NetBox interface
 *   name, case-insensitively, after expanding the usual vendor abbreviations of
 *   the leading word (`Eth1/7` ≡ `Ethernet1/7`, `Te1/0/1` ≡
 *   `TenGigabitEthernet1/0/1`, `Gi0/1` ≡ `GigabitEthernet0/1`). Nothing else:
 *   `swp7` does not match `7`, and a MAC-address port id matches nothing.
 */

/** Abbreviation → canonical name of the leading word of an interface name (lower-case). */
const PORT_PREFIXES: Readonly<Record<string, string>> = {
  eth: 'ethernet',
  et: 'ethernet',
  fa: 'fastethernet',
  gi: 'gigabitethernet',
  ge: 'gigabitethernet',
  te: 'tengigabitethernet',
  tw: 'twentyfivegige',
  twe: 'twentyfivegige',
  fo: 'fortygigabitethernet',
  hu: 'hundredgige',
  hundredgigabitethernet: 'hundredgige',
};

/** Lower-case, trimmed, leading word expanded (`Eth1/7` → `ethernet1/7`). */
export function canonicalPortName(name: string): string {
  const lower = name.trim().toLowerCase();
  const match = /^([a-z]+)(.*)$/.exec(lower);
  if (!match) return lower;
  const word = match[1]!;
  const rest = match[2]!;
  // Only expand when something (a number, a slash) follows: "eth" alone stays "eth".
  if (rest === '' || !/^[\d/:.-]/.test(rest)) return lower;
  return `${PORT_PREFIXES[word] ?? word}${rest}`;
}

export function samePort(lldpName: string | null | undefined, netboxName: string): boolean {
  if (!lldpName) return false;
  return canonicalPortName(lldpName) === canonicalPortName(netboxName);
}

export function sameSwitch(lldpName: string | null | undefined, netboxName: string): boolean {
  if (!lldpName) return false;
  const a = lldpName.trim().toLowerCase().replace(/\.$/, '');
  const b = netboxName.trim().toLowerCase().replace(/\.$/, '');
  if (a === b) return true;
  const aShort = !a.includes('.');
  const bShort = !b.includes('.');
  if (aShort === bShort) return false;
  return (aShort ? a : a.split('.')[0]) === (bShort ? b : b.split('.')[0]);
}
