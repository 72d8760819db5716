/**
 * The JSON stdout callback's report (`ANSIBLE_STDOUT_CALLBACK=ansible.posix.json`) as
 * one summary per host: tasks that changed or failed (with their messages) and the
 * play recap. Used for the journal and the log, never as proof of compliance (the
 * BMC is read again for that). Pure.
 */
import { isJsonObject } from '../shared/json.ts';

export interface AnsibleTaskOutcome {
  task: string;
  changed: boolean;
  failed: boolean;
  skipped: boolean;
  /** The module's message (`msg`), redacted by the caller before it is shown. */
  message?: string;
}

export interface AnsibleHostReport {
  tasks: AnsibleTaskOutcome[];
  /** The recap: ok, changed, failures, unreachable, skipped. */
  stats: Record<string, number>;
}

/** The first JSON document in stdout (warnings may precede it); undefined when there is none. Pure. */
export function extractJsonReport(stdout: string): unknown {
  const start = stdout.search(/^\{/m);
  if (start < 0) return undefined;
  try {
    return JSON.parse(stdout.slice(start));
  } catch {
    return undefined;
  }
}

/** The report for one host, or undefined when stdout is not the JSON callback's. Pure. */
export function parseAnsibleJson(stdout: string, host: string): AnsibleHostReport | undefined {
  const report = extractJsonReport(stdout);
  if (!isJsonObject(report) || !Array.isArray(report.plays)) return undefined;
  const tasks: AnsibleTaskOutcome[] = [];
  for (const play of report.plays) {
    if (!isJsonObject(play) || !Array.isArray(play.tasks)) continue;
    for (const task of play.tasks) {
      if (!isJsonObject(task) || !isJsonObject(task.hosts)) continue;
      const result = task.hosts[host];
      if (!isJsonObject(result)) continue;
      const name = isJsonObject(task.task) && typeof task.task.name === 'string' ? task.task.name : '(unnamed task)';
      const outcome: AnsibleTaskOutcome = { task: name, changed: result.changed === true, failed: result.failed === true, skipped: result.skipped === true };
      if (typeof result.msg === 'string' && result.msg) outcome.message = result.msg;
      tasks.push(outcome);
    }
  }
  const stats: Record<string, number> = {};
  const hostStats = isJsonObject(report.stats) ? report.stats[host] : undefined;
  if (isJsonObject(hostStats)) for (const [key, value] of Object.entries(hostStats)) if (typeof value === 'number') stats[key] = value;
  return { tasks, stats };
}
