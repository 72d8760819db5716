/**
 * How names a switch sends (LLDP, CDP) are compared with NetBox's names. Pure.
 *
 * - Switch: the system name equals the NetBox device name, case-insensitively.
 *   A fully-qualified name on one side matches the short name on the other
 *   (`leaf-1.dc1.example.net` ≡ `leaf-1`); two FQDNs must be equal.
 * - Port: case-insensitive, blanks dropped, after expanding the vendors' own
 *   abbreviations of the leading word (`Eth1/7` ≡ `Ethernet1/7`,
 *   `Tw1/0/7` ≡ `TwoGigabitEthernet1/0/7`, `Twe1/0/7` ≡ `TwentyFiveGigE1/0/7`)
 *   and folding the long spellings of one interface type together
 *   (`TenGigE` ≡ `TenGigabitEthernet`, `HundredGigabitEthernet` ≡ `HundredGigE`).
 *   A Junos logical unit 0 is the port itself (`xe-0/0/17.0` ≡ `xe-0/0/17`).
 *   Nothing else: `swp7` does not match `7`, and a MAC matches no name.
 *
 * The abbreviations are the vendors' own: Cisco's (its pyATS/Genie parsers'
 * `convert_intf_name` tables for IOS/IOS-XE and IOS-XR, and the short forms IOS-XE
 * prints, e.g. `Ap1/0/1` for AppGigabitEthernet), NX-OS `Eth`/`Po`/`mgmt`, Arista EOS
 * `Et`/`Ma`/`Po`. Where IOS-XE and IOS-XR read one abbreviation differently (`Fi`:
 * FiveGigabitEthernet on IOS-XE, FiftyGigE on IOS-XR) both readings are kept, so
 * `Fi1/0/1` matches either; the number after it still has to be equal.
 */

/** The full interface-type words, folded: every spelling of one type → one key. */
const TYPE_SPELLINGS: Readonly<Record<string, string>> = {
  ethernet: 'ethernet',
  fastethernet: 'fastethernet',
  gigabitethernet: 'gigabitethernet',
  gige: 'gigabitethernet',
  twogigabitethernet: 'twogigabitethernet',
  twogige: 'twogigabitethernet',
  fivegigabitethernet: 'fivegigabitethernet',
  fivegige: 'fivegigabitethernet',
  tengigabitethernet: 'tengigabitethernet',
  tengige: 'tengigabitethernet',
  'ten-gigabitethernet': 'tengigabitethernet',
  twentyfivegige: 'twentyfivegige',
  twentyfivegigabitethernet: 'twentyfivegige',
  fortygigabitethernet: 'fortygige',
  fortygige: 'fortygige',
  fiftygige: 'fiftygige',
  fiftygigabitethernet: 'fiftygige',
  hundredgige: 'hundredgige',
  hundredgigabitethernet: 'hundredgige',
  twohundredgige: 'twohundredgige',
  twohundredgigabitethernet: 'twohundredgige',
  fourhundredgige: 'fourhundredgige',
  fourhundredgigabitethernet: 'fourhundredgige',
  appgigabitethernet: 'appgigabitethernet',
  'port-channel': 'port-channel',
  portchannel: 'port-channel',
  'bundle-ether': 'bundle-ether',
  management: 'management',
  mgmteth: 'management',
  mgmt: 'management',
};

/**
 * Abbreviation (lower-case) → the full type word(s) it stands for. Cisco IOS/IOS-XE:
 * Fa Gi Tw Fi Te Twe Fo Hu Ap Po Eth Et (and Genie's three-letter forms Gig Two Fiv Ten
 * For Hun); Cisco IOS-XR: Te Tf Fo Fi Hu Th Fh BE Mg; NX-OS: Eth Po mgmt; Arista EOS:
 * Et Ma Po; Junos names (`xe-0/0/17`) are not abbreviated.
 */
const ABBREVIATIONS: Readonly<Record<string, readonly string[]>> = {
  fa: ['fastethernet'],
  fas: ['fastethernet'],
  gi: ['gigabitethernet'],
  gig: ['gigabitethernet'],
  ge: ['gigabitethernet'],
  tw: ['twogigabitethernet'],
  two: ['twogigabitethernet'],
  fi: ['fivegigabitethernet', 'fiftygige'],
  fiv: ['fivegigabitethernet'],
  te: ['tengigabitethernet'],
  ten: ['tengigabitethernet'],
  twe: ['twentyfivegige'],
  tf: ['twentyfivegige'],
  fo: ['fortygige'],
  for: ['fortygige'],
  hu: ['hundredgige'],
  hun: ['hundredgige'],
  th: ['twohundredgige'],
  fh: ['fourhundredgige'],
  ap: ['appgigabitethernet'],
  po: ['port-channel'],
  be: ['bundle-ether'],
  eth: ['ethernet'],
  et: ['ethernet'],
  ma: ['management'],
  mg: ['management'],
};

/**
 * Every canonical form of an interface name: lower-case, blanks dropped, the leading
 * type word folded or expanded (several forms only for an abbreviation two vendors read
 * differently). `Eth1/7` → [`ethernet1/7`]; `Fi1/0/1` → [`fivegigabitethernet1/0/1`,
 * `fiftygige1/0/1`]; a word with nothing numeric after it stays as it is (`eth`).
 */
export function portNameForms(name: string): string[] {
  const lower = name.trim().toLowerCase().replace(/\s+/g, '');
  const junosUnit0 = /^([a-z]{2,4}-\d+(?:\/\d+)+(?::\d+)?)\.0$/.exec(lower);
  const text = junosUnit0 ? junosUnit0[1]! : lower;
  const match = /^([a-z][a-z-]*?)(-?[\d/:.]+.*)$/.exec(text);
  if (!match) return [text];
  const word = match[1]!;
  const rest = match[2]!;
  const folded = TYPE_SPELLINGS[word];
  if (folded) return [`${folded}${rest}`];
  const expanded = ABBREVIATIONS[word];
  if (expanded) return expanded.map((full) => `${full}${rest}`);
  return [text];
}

/** The first canonical form of an interface name (portNameForms). */
export function canonicalPortName(name: string): string {
  return portNameForms(name)[0]!;
}

/** Whether a name the switch sent is NetBox's interface name (any canonical form in common). */
export function samePort(lldpName: string | null | undefined, netboxName: string | null | undefined): boolean {
  if (!lldpName?.trim() || !netboxName?.trim()) return false;
  const forms = new Set(portNameForms(lldpName));
  return portNameForms(netboxName).some((form) => forms.has(form));
}

/** Whether a system name the switch sent is NetBox's device name (FQDN ≡ its short name). */
export function sameSwitch(lldpName: string | null | undefined, netboxName: string | null | undefined): boolean {
  if (!lldpName?.trim() || !netboxName?.trim()) return false;
  const a = lldpName.trim().toLowerCase().replace(/\.$/, '');
  const b = netboxName.trim().toLowerCase().replace(/\.$/, '');
  if (a === b) return true;
  const aShort = !a.includes('.');
  const bShort = !b.includes('.');
  if (aShort === bShort) return false;
  return (aShort ? a : a.split('.')[0]) === (bShort ? b : b.split('.')[0]);
}
