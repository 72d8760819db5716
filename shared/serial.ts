/**
 * Is a DMI serial a firmware placeholder? Vendors ship boards whose serial fields nobody
 * filled in (`To Be Filled By O.E.M.`, `Default string`, `$(DEFAULT_STRING)`, `0123456789`,
 * `........`): the same string is on thousands of machines, so a NetBox device holding it
 * is anybody's. Looking a machine up by such a serial can pick a decoy, so those serials
 * are never used for a look-up (bm-agent falls back to the next serial, then to MACs).
 *
 * Decided by rule, not by a list of exact strings, because firmware spells the same
 * placeholder in many ways (case, spaces, dots, underscores, a missing final dot):
 *
 * 1. nothing but spaces, or no letter or digit at all (`-`, `........`, `#####`);
 * 2. an unexpanded firmware build macro anywhere (`$(DEFAULT_STRING)`, `${SERIAL}`);
 * 3. fewer than {@link MIN_SERIAL_CHARACTERS} letters and digits (`0`, `NA`, `O.E.M`);
 * 4. a generic word or phrase, after normalising (lower case, every character that is
 *    not a letter or digit dropped): a whole-value word (`none`, `null`, `empty`,
 *    `default`…) or a phrase found anywhere (`to be filled by`, `default string`,
 *    `serial number`, `not specified`, `undefined`, `unknown`…);
 * 5. one character or a short group repeated (`000000`, `FFFFFFFF`, `xxxxxx`, `121212`);
 * 6. a run of consecutive digits or letters, up or down (`123456789`, `0123456789`,
 *    `1234567890`, `987654321`, `abcdefgh`).
 *
 * A real serial taken for a placeholder costs little: the machine is then found by its
 * MACs. A placeholder taken for a serial could validate someone else's device. Pure.
 */

/** Serials with fewer letters and digits than this are never looked up (`0`, `NA`, `OEM`, `N/A`). */
export const MIN_SERIAL_CHARACTERS = 4;

/** Generic values that are a placeholder when they are the whole (normalised) serial (shorter ones: rule 3). */
const WHOLE_WORDS: ReadonlySet<string> = new Set([
  'none',
  'null',
  'empty',
  'default',
  'serial',
  'missing',
  'sample',
  'system',
  'systemname',
  'systemmanufacturer',
  'systemproductname',
  'systemversion',
  'chassismanufacturer',
  'baseboardmanufacturer',
]);

/**
 * Generic phrases that make the serial a placeholder wherever they appear in it (long
 * enough that no vendor's serial contains them by chance): `Type2 - Board Serial Number`,
 * `To be filled by O.E.M. 1`, `Not Specified`.
 */
const PHRASES: readonly string[] = [
  'filledby',
  'defaultstring',
  'serialnum',
  'notspecified',
  'unspecified',
  'notapplicable',
  'notavailable',
  'notprovided',
  'notpresent',
  'notset',
  'undefined',
  'unknown',
  'invalid',
  'placeholder',
  'changeme',
];

/** `$(NAME)` / `${NAME}`: a build-time macro the firmware's build never replaced (AMI Aptio's `$(DEFAULT_STRING)`). */
const MACRO = /\$[({][^)}]*[)}]/;

/** Lower case, letters and digits only: `To Be Filled By O.E.M` → `tobefilledbyoem`. */
export function normaliseSerialText(serial: string): string {
  return serial
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/** True when every character is the one before it plus `step` (digits wrap: …8, 9, 0, 1…). */
function isRun(text: string, step: 1 | -1): boolean {
  const digits = /^[0-9]+$/.test(text);
  if (!digits && !/^[a-z]+$/.test(text)) return false;
  for (let i = 1; i < text.length; i++) {
    const previous = text.charCodeAt(i - 1);
    const current = text.charCodeAt(i);
    const expected = digits ? 48 + ((((previous - 48 + step) % 10) + 10) % 10) : previous + step;
    if (current !== expected) return false;
  }
  return true;
}

/**
 * Why this serial is a firmware placeholder (a short phrase for messages: `no letters or
 * digits`, `generic word "undefined"`, `digit run`…), or null when it may identify a machine.
 * null/undefined count as empty.
 */
export function placeholderSerialReason(serial: string | null | undefined): string | null {
  const text = (serial ?? '').trim();
  if (text === '') return 'empty';
  if (MACRO.test(text)) return 'unexpanded firmware macro';
  const core = normaliseSerialText(text);
  if (core === '') return 'no letters or digits';
  if (core.length < MIN_SERIAL_CHARACTERS) return `fewer than ${MIN_SERIAL_CHARACTERS} letters or digits`;
  if (WHOLE_WORDS.has(core)) return `generic word "${core}"`;
  const phrase = PHRASES.find((p) => core.includes(p));
  if (phrase) return `generic phrase "${phrase}"`;
  if (/^(.)\1+$/.test(core)) return 'one character repeated';
  if (/^(.{2,3})\1{2,}$/.test(core)) return 'a short group repeated';
  if (isRun(core, 1) || isRun(core, -1)) return /^[0-9]/.test(core) ? 'a run of consecutive digits' : 'a run of consecutive letters';
  return null;
}

/** True when the serial is a firmware placeholder ({@link placeholderSerialReason} says why). */
export function isPlaceholderSerial(serial: string | null | undefined): boolean {
  return placeholderSerialReason(serial) !== null;
}
