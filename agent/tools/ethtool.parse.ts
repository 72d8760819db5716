/**
 * `ethtool --show-priv-flags <nic>` as a map of flag → on/off. Pure. ethtool prints
 * `Private flags for eno1:` then one `<name> : on|off` per flag, the names padded to the
 * longest (so the longest has no space before the colon: `disable-source-pruning: off`).
 */

/** Flag name → true (on) / false (off); empty for a driver without private flags. */
export function parsePrivFlags(text: string): Map<string, boolean> {
  const flags = new Map<string, boolean>();
  for (const line of text.split('\n')) {
    const match = /^(\S.*?)\s*:\s*(on|off)\s*$/.exec(line.replace(/\r$/, ''));
    if (match && !match[1]!.startsWith('Private flags for ')) flags.set(match[1]!, match[2] === 'on');
  }
  return flags;
}

/** True when ethtool says the driver has no private flags at all (an answer, not a failure). */
export function noPrivFlags(stdout: string, stderr: string): boolean {
  return /No private flags defined/i.test(`${stdout}\n${stderr}`);
}
