/**
 * Which model is this machine? DMI's system product name is the model on most servers
 * (`PowerEdge R640`, `ProLiant DL380 Gen10`), but firmware also ships generic strings that
 * are the same on whole families of boards or on every machine of a vendor: Supermicro's
 * `Super Server`, `To Be Filled By O.E.M.`, `System Product Name`, `Default string`,
 * QEMU's `Standard PC (Q35 + ICH9, 2009)`, `All Series`. Those name no model, so they are
 * never compared with NetBox's device type: the SKU number (type 1) and the baseboard's
 * product name (type 2) are tried instead, and when neither names the expected model the
 * verdict is "model not identifiable" — a warning, never a failure, because a board name
 * or a SKU that differs from the system model is not evidence of the wrong machine.
 *
 * Generic by rule ({@link genericProductReason}), like serials (shared/serial.ts, whose
 * placeholder rule and normaliser are reused): a firmware placeholder, or a name made only
 * of generic words (machine kinds, form factors, virtualisation words: `super`, `server`,
 * `system`, `pc`, `standard`, `platform`, `virtual`…) and the manufacturer's own name, once
 * bracketed parts are dropped. Any word carrying a digit (`1029P`, `R640`, `E2E`) makes the
 * name specific, unless it is a generic one itself (`x86`, `x64`).
 * Pure.
 */
import { normaliseSerialText, placeholderSerialReason } from '../../shared/serial.ts';

/** Lower-case, punctuation-free, vendor suffixes and bracketed codes dropped: `Dell Inc.` → `dell`. */
export function normaliseVendorName(name: string): string {
  return name
    .toLowerCase()
    .replace(/-?\[[^\]]*\]-?/g, ' ')
    .replace(/[.,()]/g, ' ')
    .replace(/\b(inc|incorporated|corp|corporation|co|ltd|limited|llc|gmbh|ag|sa|s a|computer|computers|technologies|technology|enterprise|company)\b/g, ' ')
    .replace(/[\s_-]+/g, ' ')
    .trim();
}

/** Same vendor or model, tolerant of suffixes and abbreviations (`HPE` ~ `Hewlett Packard Enterprise`). */
export function namesMatch(expected: string, actual: string): boolean {
  const a = normaliseVendorName(expected);
  const b = normaliseVendorName(actual);
  if (!a || !b) return false;
  if (a === b || a.replace(/ /g, '') === b.replace(/ /g, '')) return true;
  const aliases: Record<string, string> = { 'hewlett packard': 'hpe', hp: 'hpe', 'super micro': 'supermicro', lenovo: 'lenovo', ibm: 'lenovo' };
  const alias = (s: string) => aliases[s] ?? s;
  if (alias(a) === alias(b)) return true;
  // Model names: NetBox's may be shorter ("R640" vs "PowerEdge R640") or longer.
  const wordsA = a.split(' ');
  const wordsB = b.split(' ');
  const contains = (outer: string[], inner: string[]) => inner.length > 0 && inner.every((w) => outer.includes(w));
  return contains(wordsB, wordsA) || contains(wordsA, wordsB);
}

/**
 * Words that say what kind of machine it is, not which model (normalised: lower case,
 * letters and digits only). A product name made of these alone (and the vendor's name) is generic.
 */
const GENERIC_WORDS: ReadonlySet<string> = new Set([
  // machine kinds and form factors
  'super',
  'superserver',
  'server',
  'servers',
  'system',
  'systems',
  'computer',
  'pc',
  'desktop',
  'workstation',
  'tower',
  'rack',
  'rackmount',
  'mount',
  'blade',
  'node',
  'chassis',
  'platform',
  'machine',
  'barebone',
  'board',
  'baseboard',
  'motherboard',
  'mainboard',
  'x86',
  'x64',
  'x8664',
  'amd64',
  // template and filler words
  'standard',
  'generic',
  'default',
  'product',
  'model',
  'name',
  'type',
  'family',
  'sku',
  'all',
  'series',
  'oem',
  'the',
  'by',
  'and',
  'for',
  // virtual machines: no vendor model to compare
  'virtual',
  'kvm',
  'qemu',
  'hvm',
  'domu',
]);

/** The words of a product name, bracketed parts (`(Q35 + ICH9, 2009)`, `-[7Z73CTO1WW]-`) dropped, normalised. */
function productWords(product: string): string[] {
  return product
    .replace(/\([^)]*\)|\[[^\]]*\]|\{[^}]*\}/g, ' ')
    .split(/[\s/,;:_+-]+/)
    .map(normaliseSerialText)
    .filter((w) => w !== '');
}

/**
 * Why a DMI product name (or SKU, or baseboard product) names no model — a short phrase for
 * messages — or null when it may name one. `manufacturer` (DMI's) counts as a generic word:
 * `Supermicro` alone is no model.
 */
export function genericProductReason(product: string | null | undefined, manufacturer?: string | null): string | null {
  const text = (product ?? '').trim();
  if (text === '') return 'empty';
  const placeholder = placeholderSerialReason(text);
  if (placeholder) return `a firmware placeholder (${placeholder})`;
  const vendorWords = new Set(
    normaliseVendorName(manufacturer ?? '')
      .split(' ')
      .map(normaliseSerialText),
  );
  const words = productWords(text);
  if (words.length === 0) return 'no words outside brackets';
  const specific = words.filter((w) => !GENERIC_WORDS.has(w) && !vendorWords.has(w));
  return specific.length === 0 ? 'only generic words' : null;
}

/** What DMI offers to identify the model. */
export interface ModelIdentifiers {
  manufacturer: string | null;
  /** System product name (type 1 `Product Name`). */
  product: string | null;
  /** System SKU number (type 1 `SKU Number`). */
  sku: string | null;
  /** Baseboard product name (type 2 `Product Name`). */
  baseboard: string | null;
}

export type ModelCheck =
  /** One meaningful identifier names the expected model. */
  | { verdict: 'match'; by: 'product' | 'sku' | 'baseboard'; value: string }
  /** The system product name is meaningful and names another model (nothing else names the expected one). */
  | { verdict: 'differs'; actual: string }
  /** The product name is generic or absent and neither SKU nor baseboard names the expected model. */
  | { verdict: 'unidentifiable'; why: string };

/**
 * Compares NetBox's expected model with DMI: the product name when it is meaningful, the SKU
 * and the baseboard's product name too; a match on any meaningful one is a match. Only a
 * meaningful product name that differs is `differs`; without one, `unidentifiable`.
 */
export function checkModel(expected: string, dmi: ModelIdentifiers): ModelCheck {
  const candidates: { by: 'product' | 'sku' | 'baseboard'; value: string | null }[] = [
    { by: 'product', value: dmi.product },
    { by: 'sku', value: dmi.sku },
    { by: 'baseboard', value: dmi.baseboard },
  ];
  const meaningful = candidates.filter((c): c is { by: typeof c.by; value: string } => c.value !== null && !genericProductReason(c.value, dmi.manufacturer));
  const match = meaningful.find((c) => namesMatch(expected, c.value));
  if (match) return { verdict: 'match', by: match.by, value: match.value };
  const product = meaningful.find((c) => c.by === 'product');
  if (product) return { verdict: 'differs', actual: product.value };
  const productWhy = genericProductReason(dmi.product, dmi.manufacturer);
  const shown = (value: string | null) => (value ? `"${value}"` : 'none');
  const others = meaningful.map((c) => `${c.by === 'sku' ? 'SKU' : 'baseboard'} ${shown(c.value)}`);
  const why = [
    dmi.product ? `DMI product name ${shown(dmi.product)} is generic (${productWhy})` : 'DMI has no product name',
    others.length ? `${others.join(' and ')} ${others.length > 1 ? 'do' : 'does'} not name "${expected}"` : 'no usable SKU or baseboard name',
  ];
  return { verdict: 'unidentifiable', why: why.join('; ') };
}
