/**
 * Step settings ("tunables"): declared once per step with `defineTunables()` —
 * type (the default's), default and per-profile defaults, allowed range or
 * choices, unit and description — and resolved once, before anything runs, into
 * the typed object a step reads as `ctx.tunables`.
 *
 * Layers, lowest first: the declaration's default, the profile's default, config
 * (`steps.<area>.<knob>`, which also carries the kernel command line's
 * `bm.<area>.<knob>`), then `--set area.knob=value`. Resolution is strict: an
 * unknown area or knob, a value of the wrong type, out of range, not among the
 * choices, or a duration a timer cannot hold (above 2^31−1 ms) is a ConfigError
 * (exit 2) naming `bm.<area>.<knob>` — never silently replaced. Pure.
 */
import { ConfigError, FORBIDDEN_KEYS, MAX_TIMER_MS, nullProtoRecord, unknownKeyMessage, type ConfigIssue } from '../shared/config.ts';
import type { Profile } from './step.ts';

export type TunableValue = number | string | boolean;
export type TunableLayer = Record<string, Record<string, unknown>>;

/** Units that make a number a duration, with their length in ms: such values are bounded to MAX_TIMER_MS. */
const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000 };

/**
 * A knob of a step, settable as `bm.<area>.<knob>` on the kernel command line, `steps.<area>.<knob>`
 * in config or `--set <area>.<knob>=…`. The docs' settings table is generated from these fields.
 */
export interface Tunable<T extends TunableValue = TunableValue> {
  description: string;
  /** The value when nothing sets it; its type is the knob's type. */
  default: T;
  /** Per-profile defaults override `default`. */
  profiles?: Partial<Record<Profile, T>>;
  /** Smallest allowed number (inclusive). */
  min?: number;
  /** Largest allowed number (inclusive); durations (`unit` s or ms) are also bounded to 2^31−1 ms. */
  max?: number;
  /** Whole numbers only. */
  integer?: boolean;
  /** The only strings allowed. */
  choices?: readonly string[];
  /** Unit of a number (`s`, `ms`, `MiB`, `MB/s`, `IOPS`); `s` and `ms` mark a duration. */
  unit?: string;
}

export type TunableSpecs = Readonly<Record<string, Tunable>>;

type Widen<T> = T extends boolean ? boolean : T extends number ? number : string;

/** The resolved, typed values of a set of declarations: `{ loops: number; ioengine: 'libaio' | 'io_uring'; … }`. */
export type TunableValues<S extends TunableSpecs> = {
  readonly [K in keyof S]: S[K] extends { choices: readonly (infer C extends string)[] } ? C : Widen<S[K]['default']>;
};

/** Declares a step's tunables, keeping their literal types so `ctx.tunables` is typed. */
export function defineTunables<const S extends TunableSpecs>(specs: S): S {
  return specs;
}

/** The config area of a step: `03-disk` → `disk`. */
export function areaOf(step: { id: string }): string {
  return step.id.replace(/^\d+-/, '');
}

function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A raw value (a string from the command line, or JSON from the config file) as the default's type; undefined when it is not one. */
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

/** Why a value of the knob's type is not allowed (range, whole number, choices, timer bound), or null. Pure. */
export function tunableValueProblem(tunable: Tunable, value: TunableValue): string | null {
  if (typeof value === 'number') {
    const unit = tunable.unit ? ` ${tunable.unit}` : '';
    if (tunable.integer && !Number.isInteger(value)) return `${value} is not a whole number`;
    if (tunable.min !== undefined && value < tunable.min) return `${value}${unit} is below the minimum ${tunable.min}${unit}`;
    if (tunable.max !== undefined && value > tunable.max) return `${value}${unit} is above the maximum ${tunable.max}${unit}`;
    const msPerUnit = tunable.unit ? own(DURATION_UNITS, tunable.unit) : undefined;
    if (msPerUnit !== undefined && value * msPerUnit > MAX_TIMER_MS) {
      return `${value}${unit} is longer than a timer can hold (at most ${Math.floor(MAX_TIMER_MS / msPerUnit)}${unit})`;
    }
  }
  if (typeof value === 'string' && tunable.choices && !tunable.choices.includes(value)) {
    return `${JSON.stringify(value)} is not one of ${tunable.choices.map((c) => JSON.stringify(c)).join(', ')}`;
  }
  return null;
}

/** Problems of a declaration itself (a default or profile default of another type, or not allowed): for the steps' unit test. */
export function tunableDeclarationProblems(specs: TunableSpecs): string[] {
  const problems: string[] = [];
  for (const [knob, tunable] of Object.entries(specs)) {
    for (const [where, value] of [['default', tunable.default], ...Object.entries(tunable.profiles ?? {})] as [string, TunableValue][]) {
      if (typeof value !== typeof tunable.default) problems.push(`${knob}: ${where} ${JSON.stringify(value)} is not a ${typeof tunable.default}`);
      const problem = tunableValueProblem(tunable, value);
      if (problem) problems.push(`${knob}: ${where} ${problem}`);
    }
    if (FORBIDDEN_KEYS.has(knob)) problems.push(`${knob}: not allowed as a knob name`);
  }
  return problems;
}

function unknownMessage(what: string, name: string, known: readonly string[], source: string): string {
  return `${unknownKeyMessage(what, name, known)} (from ${source})`;
}

type Layers = readonly { source: string; values: TunableLayer }[];

/** Every value a layer set for a knob, on each resolved values object (not enumerable: invisible to JSON, spreads and equality). */
const SET_BY = Symbol('tunable layers');

/** One layer's explicit setting of a knob. */
export interface ExplicitSetting {
  /** The layer: `--set`, `config file or kernel command line`… */
  source: string;
  value: TunableValue;
}

/**
 * Every explicit setting of `knob`, lowest layer first (empty when it has its (profile) default): lets a step tell
 * an explicit `bm.disk.allow_write=0` from the default false, even when a higher layer set 1.
 */
export function explicitSettings(values: object, knob: string): readonly ExplicitSetting[] {
  const settings = (values as { [SET_BY]?: ReadonlyMap<string, ExplicitSetting[]> })[SET_BY];
  return settings?.get(knob) ?? [];
}

function resolveArea<S extends TunableSpecs>(area: string, specs: S, profile: Profile, layers: Layers, issues: ConfigIssue[]): TunableValues<S> {
  const out: Record<string, TunableValue> = {};
  const setBy = new Map<string, ExplicitSetting[]>();
  Object.defineProperty(out, SET_BY, { value: setBy });
  for (const [knob, tunable] of Object.entries(specs)) out[knob] = tunable.profiles?.[profile] ?? tunable.default;
  for (const { source, values } of layers) {
    const settings = own(values, area) ?? {};
    for (const [knob, raw] of Object.entries(settings)) {
      const key = `bm.${area}.${knob}`;
      const tunable = FORBIDDEN_KEYS.has(knob) ? undefined : own(specs, knob);
      if (!tunable) {
        issues.push({ key, message: unknownMessage('unknown setting', knob, Object.keys(specs), source) });
        continue;
      }
      const value = coerceTunable(raw, tunable.default);
      const problem = value === undefined ? `${JSON.stringify(raw)} is not a ${typeof tunable.default}` : tunableValueProblem(tunable, value);
      if (problem) issues.push({ key, message: `${problem} (from ${source})` });
      else {
        out[knob] = value!;
        setBy.set(knob, [...(setBy.get(knob) ?? []), { source, value: value! }]);
      }
    }
  }
  return out as TunableValues<S>;
}

/** One step's tunables: its own area only (see resolveAllTunables for the areas nobody owns). Throws a ConfigError naming each bad key. */
export function resolveTunables<S extends TunableSpecs>(step: { id: string; tunables: S }, profile: Profile, layers: Layers): TunableValues<S> {
  const issues: ConfigIssue[] = [];
  const out = resolveArea(areaOf(step), step.tunables, profile, layers, issues);
  if (issues.length) throw new ConfigError('step settings', issues);
  return out;
}

/** Resolved tunables keyed by step id, each typed by its step's declarations. */
export type TunablesByStep<T extends readonly { id: string; tunables: TunableSpecs }[]> = {
  readonly [E in T[number] as E['id']]: TunableValues<E['tunables']>;
};

/**
 * Every step's tunables at once, keyed by step id. Also rejects an area no step owns
 * (`bm.dsik.write_blank` would otherwise be dropped and the disk written), naming the
 * closest area. Every problem of every layer is reported in one ConfigError.
 */
export function resolveAllTunables<const T extends readonly { id: string; tunables: TunableSpecs }[]>(
  steps: T,
  profile: Profile,
  layers: Layers,
): TunablesByStep<T> {
  const issues: ConfigIssue[] = [];
  const areas = steps.map((step) => areaOf(step));
  for (const { source, values } of layers) {
    for (const [area, settings] of Object.entries(values)) {
      if (!FORBIDDEN_KEYS.has(area) && areas.includes(area)) continue;
      const message = unknownMessage(`unknown area ${JSON.stringify(area)}`, area, areas, source);
      const knobs = settings && typeof settings === 'object' ? Object.keys(settings) : [];
      for (const key of knobs.length ? knobs.map((knob) => `bm.${area}.${knob}`) : [`bm.${area}`]) issues.push({ key, message });
    }
  }
  const out = nullProtoRecord<Record<string, TunableValue>>();
  for (const step of steps) out[step.id] = resolveArea(areaOf(step), step.tunables, profile, layers, issues);
  if (issues.length) throw new ConfigError('step settings', issues);
  return out as TunablesByStep<T>;
}

/** `area.knob=value` strings (from --set; a leading `bm.` is allowed) → a layer. Prototype keys are rejected. */
export function parseSetOptions(sets: readonly string[]): TunableLayer {
  const layer: TunableLayer = nullProtoRecord();
  const issues: ConfigIssue[] = [];
  for (const set of sets) {
    const match = /^([a-z0-9_-]+)\.([a-z0-9_]+)=(.*)$/i.exec(set.replace(/^bm\./, ''));
    if (!match) {
      issues.push({ key: set, message: 'expected area.knob=value, e.g. disk.allow_write=1' });
      continue;
    }
    const [, area, knob, value] = match as unknown as [string, string, string, string];
    if (FORBIDDEN_KEYS.has(area) || FORBIDDEN_KEYS.has(knob)) {
      issues.push({ key: `${area}.${knob}`, message: `forbidden key: ${[...FORBIDDEN_KEYS].join(', ')} are never setting names` });
      continue;
    }
    (layer[area] ??= nullProtoRecord())[knob] = value;
  }
  if (issues.length) throw new ConfigError('--set', issues);
  return layer;
}
