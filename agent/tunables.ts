/**
 * Resolves a step's tunables: its default, the profile's default, then config
 * (`steps.<area>.<knob>`), then the kernel command line (`bm.<area>.<knob>`),
 * then `--set area.knob=value`. Values are coerced to the default's type; a bad
 * one is a ConfigError naming the key. Pure.
 */
import { ConfigError, type ConfigIssue } from '../shared/config.ts';
import type { Profile, Step } from './step.ts';

export type TunableValue = number | string | boolean;
export type TunableLayer = Record<string, Record<string, unknown>>;

/** The config area of a step: `03-disk` → `disk`. */
export function areaOf(step: Pick<Step, 'id'>): string {
  return step.id.replace(/^\d+-/, '');
}

export function coerceTunable(value: unknown, like: TunableValue): TunableValue | undefined {
  if (typeof like === 'boolean') {
    if (typeof value === 'boolean') return value;
    if (value === 1 || (typeof value === 'string' && /^(1|true|yes|on)$/i.test(value))) return true;
    if (value === 0 || (typeof value === 'string' && /^(0|false|no|off)$/i.test(value))) return false;
    return undefined;
  }
  if (typeof like === 'number') {
    const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
    return Number.isFinite(number) ? number : undefined;
  }
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** Layers lowest first; each maps area → knob → value. */
export function resolveTunables(step: Pick<Step, 'id' | 'tunables'>, profile: Profile, layers: readonly { source: string; values: TunableLayer }[]): Record<string, TunableValue> {
  const area = areaOf(step);
  const out: Record<string, TunableValue> = {};
  const issues: ConfigIssue[] = [];
  for (const [knob, tunable] of Object.entries(step.tunables)) {
    out[knob] = tunable.profiles?.[profile] ?? tunable.default;
  }
  for (const { source, values } of layers) {
    for (const [knob, raw] of Object.entries(values[area] ?? {})) {
      const tunable = step.tunables[knob];
      if (!tunable) {
        issues.push({ key: `bm.${area}.${knob}`, message: `unknown setting (from ${source}); known: ${Object.keys(step.tunables).join(', ') || 'none'}` });
        continue;
      }
      const value = coerceTunable(raw, tunable.default);
      if (value === undefined) issues.push({ key: `bm.${area}.${knob}`, message: `${JSON.stringify(raw)} is not a ${typeof tunable.default} (from ${source})` });
      else out[knob] = value;
    }
  }
  if (issues.length) throw new ConfigError('tunables', issues);
  return out;
}

/** `area.knob=value` strings (from --set) → a layer. */
export function parseSetOptions(sets: readonly string[]): TunableLayer {
  const layer: TunableLayer = {};
  for (const set of sets) {
    const match = /^([a-z0-9_-]+)\.([a-z0-9_]+)=(.*)$/i.exec(set.replace(/^bm\./, ''));
    if (!match) throw new ConfigError('--set', [{ key: set, message: 'expected area.knob=value, e.g. disk.allow_write=1' }]);
    (layer[match[1]!] ??= {})[match[2]!] = match[3]!;
  }
  return layer;
}
