/** MAC address parsing the way NetBox (netaddr EUI) accepts it: case- and separator-insensitive. */

/** Returns the MAC as NetBox prints it (upper-case, colon-separated) or undefined if it does not parse. */
export function normaliseMac(input: string): string | undefined {
  const s = input.trim();
  let hex: string | undefined;
  if (/^[0-9a-fA-F]{12}$/.test(s)) {
    hex = s;
  } else if (/^[0-9a-fA-F]{1,2}([:-])[0-9a-fA-F]{1,2}(\1[0-9a-fA-F]{1,2}){4}$/.test(s)) {
    hex = s
      .split(/[:-]/)
      .map((g) => g.padStart(2, '0'))
      .join('');
  } else if (/^[0-9a-fA-F]{1,4}\.[0-9a-fA-F]{1,4}\.[0-9a-fA-F]{1,4}$/.test(s)) {
    hex = s
      .split('.')
      .map((g) => g.padStart(4, '0'))
      .join('');
  } else if (/^[0-9a-fA-F]{6}[:-][0-9a-fA-F]{6}$/.test(s)) {
    hex = s.replace(/[:-]/, '');
  }
  if (hex === undefined) return undefined;
  return hex.toUpperCase().match(/../g)?.join(':');
}
