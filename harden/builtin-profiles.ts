/**
 * The built-in profiles (harden/profiles/*.json), imported so `bun build --compile`
 * puts them into dist/bm-harden; validated like an operator's (profile.ts) on first use.
 * A new built-in profile is a JSON file here plus one line below (a unit test checks
 * that every file of harden/profiles/ is listed).
 */
import dellIdrac from './profiles/dell-idrac.json' with { type: 'json' };
import generic from './profiles/generic.json' with { type: 'json' };
import hpeIlo from './profiles/hpe-ilo.json' with { type: 'json' };
import { type HardenProfile, parseProfile } from './profile.ts';

/** File name → parsed JSON, as shipped. */
export const BUILTIN_PROFILE_FILES: Readonly<Record<string, unknown>> = {
  'generic.json': generic,
  'dell-idrac.json': dellIdrac,
  'hpe-ilo.json': hpeIlo,
};

/** The built-in profiles, validated. */
export function builtinProfiles(): HardenProfile[] {
  return Object.entries(BUILTIN_PROFILE_FILES).map(([file, value]) => parseProfile(value, `built-in profile ${file}`));
}
