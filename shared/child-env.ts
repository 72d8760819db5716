/**
 * The minimal environment of a child process, the same rule for every binary: PATH
 * (the parent's, else DEFAULT_CHILD_PATH), LANG=C and LC_ALL=C so output parses the
 * same on every machine, TZ and TMPDIR when set, then what the tool truly needs —
 * never the parent's own variables (tokens, secrets, URLs with credentials). bm-agent
 * uses it for every tool (agent/child-env.ts), bm-harden for ansible-playbook. Pure.
 */

/** PATH for a child when the parent has none. */
export const DEFAULT_CHILD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Variables copied from the parent's environment when set (besides PATH). */
const PASSED_THROUGH = ['TZ', 'TMPDIR'] as const;

/**
 * PATH, LANG=C, LC_ALL=C, TZ and TMPDIR when set, then `extra`; every name in `withheld`
 * (the parent's own variables) is removed last, even when `extra` names it. Pure.
 */
export function minimalChildEnvironment(
  extra: Readonly<Record<string, string>>,
  from: Readonly<Record<string, string | undefined>>,
  withheld: readonly string[],
): Record<string, string> {
  const env: Record<string, string> = { PATH: from.PATH || DEFAULT_CHILD_PATH, LANG: 'C', LC_ALL: 'C' };
  for (const name of PASSED_THROUGH) {
    const value = from[name];
    if (value) env[name] = value;
  }
  Object.assign(env, extra);
  for (const name of withheld) delete env[name];
  return env;
}
