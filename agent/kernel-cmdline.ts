/**
 * The kernel command line as config: `bm.netbox_url=…`, `bm.profile=quick`,
 * `bm.disk.allow_write=1` … Pure: takes /proc/cmdline's text.
 */

/** Splits a command line like the kernel does: spaces separate, double quotes group. */
export function splitCmdline(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let quoted = false;
  let inWord = false;
  for (const char of text.trim()) {
    if (char === '"') {
      quoted = !quoted;
      inWord = true;
    } else if (/\s/.test(char) && !quoted) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += char;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

/**
 * Every `bm.*` parameter, keys without the `bm.` prefix (`disk.allow_write`), values as text; a
 * later one wins. A null-prototype object: the keys are the command line's, so `bm.__proto__=`
 * is an ordinary key here (agent/config.ts refuses it with a ConfigError).
 */
export function bmParameters(cmdline: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const word of splitCmdline(cmdline)) {
    const match = /^bm\.([A-Za-z0-9_.-]+)(?:=(.*))?$/.exec(word);
    if (match) out[match[1]!] = match[2] ?? '1';
  }
  return out;
}
