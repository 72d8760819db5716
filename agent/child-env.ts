/**
 * What a child process of bm-agent may see of its environment. Two halves:
 *
 * - childEnvironment(): the minimal environment every external tool gets (PATH,
 *   LANG/LC_ALL=C so output is parseable the same on every machine, TZ and
 *   TMPDIR when set) — never the agent's own. memtester, fio, dd and lldpd
 *   (which parses frames from the wire) have no use for a NetBox token.
 * - withdrawAgentEnvironment(): at start-up the agent copies the variables it
 *   reads (NETBOX_TOKEN, BM_CALLBACK_SECRET, URLs that may carry credentials,
 *   …) into its own snapshot and deletes them from process.env, so code that
 *   spawns with process.env (systeminformation's shell, execa without an env,
 *   child_process) cannot pass them on either.
 *
 * Bun.spawn without an `env` option uses the environment the process started
 * with, not process.env: every Bun.spawn in the agent must pass childEnvironment().
 * /proc/<agent pid>/environ keeps the start-up environment (the kernel's copy);
 * only root or the same user can read it.
 */
import { DEFAULT_CHILD_PATH, minimalChildEnvironment } from '../shared/child-env.ts';
import { AGENT_ENV_NAMES } from './config.ts';

export { DEFAULT_CHILD_PATH };

/**
 * The environment of a child process: PATH (the agent's, else DEFAULT_CHILD_PATH),
 * LANG=C, LC_ALL=C, TZ and TMPDIR when set, then `extra` (what a tool truly needs).
 * The agent's own variables are never in it, even when `extra` names one. Pure.
 */
export function childEnvironment(
  extra: Readonly<Record<string, string>> = {},
  from: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  return minimalChildEnvironment(extra, from, AGENT_ENV_NAMES);
}

/**
 * Takes the agent's variables (AGENT_ENV_NAMES: secrets, URLs, file paths) out of
 * `env` (process.env at start-up) and returns a snapshot of the whole environment
 * as it was, for the configuration to read. After this, nothing that spawns with
 * process.env can hand them to a child.
 */
export function withdrawAgentEnvironment(env: Record<string, string | undefined> = process.env): Record<string, string | undefined> {
  const snapshot = { ...env };
  for (const name of AGENT_ENV_NAMES) delete env[name];
  return snapshot;
}
