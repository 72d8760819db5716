/** `bm-agent run`: the validation pipeline on this machine. */
import type { Argv } from 'yargs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, readSecretFile, resolveNetboxToken } from '../../shared/config.ts';
import { EXIT, exitCodeOfCause, type ExitCode } from '../../shared/cli/exit-codes.ts';
import { createLogger } from '../../shared/log.ts';
import { createNetboxClient } from '../../shared/netbox/index.ts';
import { loadAgentConfig, type AgentConfig } from '../config.ts';
import { fetchConfigUrl } from '../config-url.ts';
import { createConsole } from '../console.ts';
import { registerUrlSecrets } from '../evidence-upload.ts';
import type { CliContext } from '../context.ts';
import { runPipeline, type PipelineResult } from '../pipeline.ts';
import { causeOfResult, type StepId } from '../step.ts';
import { REPORT_STEP_ID, STEP_IDS, VALIDATION_STEPS } from '../steps/index.ts';
import { parseSetOptions, type TunableLayer } from '../tunables.ts';
import { createToolRunner } from '../tools/run-tool.ts';

export interface RunArgs {
  config?: string;
  profile?: 'quick' | 'full';
  only?: string[];
  skip?: string[];
  dryRun?: boolean;
  json?: boolean;
  netboxUrl?: string;
  tokenFile?: string;
  callbackUrl?: string;
  evidenceDir?: string;
  set?: string[];
  cmdlineFile?: string;
}

export const RUN_OPTIONS = {
  profile: { choices: ['quick', 'full'] as const, describe: 'quick (minutes, smoke test) or full (burn-in); default from config/bm.profile, else full' },
  only: { type: 'string', array: true, choices: STEP_IDS, describe: 'run only these steps (01-init always runs)' },
  skip: { type: 'string', array: true, choices: STEP_IDS, describe: 'skip these steps' },
  'dry-run': { type: 'boolean', default: false, describe: 'no NetBox writes and no callback; NetBox is still read when configured' },
  json: { type: 'boolean', default: false, describe: 'print the report as JSON on stdout (no live view)' },
  'netbox-url': { type: 'string', describe: 'NetBox base URL (bm.netbox_url, NETBOX_URL)' },
  'token-file': { type: 'string', describe: 'file with the NetBox token (bm.token_file, NETBOX_TOKEN_FILE; or NETBOX_TOKEN)' },
  'callback-url': { type: 'string', describe: 'POST the result event here (bm.callback_url, BM_CALLBACK_URL)' },
  'evidence-dir': { type: 'string', describe: 'where run bundles go (default /var/lib/bm-agent/runs)' },
  set: { type: 'string', array: true, describe: 'step setting, e.g. --set disk.allow_write=1 (same as bm.disk.allow_write=1)' },
  'cmdline-file': { type: 'string', default: '/proc/cmdline', describe: 'kernel command line to read bm.* settings from' },
} as const;

export function cliLayer(args: RunArgs): Record<string, unknown> {
  return {
    netbox: args.netboxUrl || args.tokenFile ? { url: args.netboxUrl, tokenFile: args.tokenFile } : undefined,
    callback: args.callbackUrl ? { url: args.callbackUrl } : undefined,
    profile: args.profile,
    evidenceDir: args.evidenceDir,
  };
}

export async function loadConfigFor(args: RunArgs, env: Record<string, string | undefined>): Promise<AgentConfig> {
  let cmdline = '';
  try {
    cmdline = readFileSync(args.cmdlineFile ?? '/proc/cmdline', 'utf8');
  } catch {
    // not Linux, or no /proc: no kernel settings
  }
  return loadAgentConfig({
    cli: cliLayer(args),
    env,
    configPath: args.config,
    cmdline,
    fetchConfigUrl: (url) => fetchConfigUrl(url),
  });
}

/**
 * The step settings' layers, lowest first: each config source's own (bm.config_url, kernel command line, file), then
 * `--set` (`plan` uses the same). Never merged: the disk guard sees every explicit allow_write, and the most restrictive wins.
 */
export function tunableLayersOf(config: Pick<AgentConfig, 'stepLayers'>, args: Pick<RunArgs, 'set'>): { source: string; values: TunableLayer }[] {
  return [...config.stepLayers, { source: '--set', values: parseSetOptions(args.set ?? []) }];
}

/**
 * The exit code of a run, from the cause of the step that decided it: on pass 0, unless
 * the report step could not deliver (its cause: NetBox unreachable or refused → 3); on
 * error or fail the first validation step (in run order) with that status — a device
 * missing from NetBox is 1, NetBox down 3, a missing tool or a time limit 4. Pure.
 */
export function runExitCode(result: Pick<PipelineResult, 'report' | 'records'>): ExitCode {
  const report = result.records.find((r) => r.id === REPORT_STEP_ID)?.result;
  const verdict = result.report?.verdict ?? 'error';
  if (verdict === 'pass') return report?.status === 'error' ? exitCodeOfCause(causeOfResult(report) ?? 'internal') : EXIT.ok;
  const deciding = result.records.find((r) => r.id !== REPORT_STEP_ID && r.result.status === verdict)?.result ?? report;
  return exitCodeOfCause((deciding && causeOfResult(deciding)) ?? 'internal');
}

export const runCommand = (ctx: CliContext) => ({
  command: 'run',
  describe: 'validate this machine: inventory, memory, disks, LLDP, report; stage it in NetBox on pass',
  builder: (y: Argv) => y.options(RUN_OPTIONS),
  handler: async (args: RunArgs) => {
    const config = await loadConfigFor(args, ctx.env);
    const log = createLogger({ name: 'bm-agent', level: config.logLevel, write: ctx.writeErr });
    const dryRun = args.dryRun === true;
    if (!config.netbox && !dryRun) {
      throw new ConfigError('config', [
        { key: 'netbox.url', message: 'is required for a run that reports (bm.netbox_url=, NETBOX_URL, --netbox-url), or use --dry-run' },
      ]);
    }
    const netbox = config.netbox ? createNetboxClient({ ...config.netbox, token: resolveNetboxToken(config.netbox), logger: log }) : null;
    const callback = config.callback
      ? {
          url: config.callback.url,
          timeoutMs: config.callback.timeoutMs,
          secret: config.callback.secret ?? (config.callback.secretFile ? readSecretFile(config.callback.secretFile, 'callback.secretFile') : undefined),
        }
      : null;
    if (config.evidenceUrl) registerUrlSecrets(config.evidenceUrl);
    ctx.protectFromOom(log);
    const controller = new AbortController();
    const stop = ctx.onTerminate(() => {
      log.warning('signal received: cancelling running tools and reporting the run as aborted');
      controller.abort();
    });
    const terminal = args.json
      ? null
      : createConsole(ctx.stdout, { order: STEP_IDS, titles: Object.fromEntries(VALIDATION_STEPS.map((s) => [s.id, s.title])) });
    const result = await runPipeline({
      steps: VALIDATION_STEPS,
      profile: config.profile,
      dryRun,
      only: args.only as StepId[] | undefined,
      skip: args.skip as StepId[] | undefined,
      tunableLayers: tunableLayersOf(config, args),
      netbox,
      callback,
      onFailure: config.onFailure,
      deliveryDeadlineMs: config.deliveryDeadlineMs,
      evidenceRoot: config.evidenceDir,
      log,
      signal: controller.signal,
      onEvent: (event) => terminal?.onEvent(event),
      toolRunner: (evidence, stepLog) => createToolRunner({ evidence, log: stepLog }),
      evidenceUpload: config.evidenceUrl ? { url: config.evidenceUrl, archive: (dir, archiveLog) => ctx.archive(dir, archiveLog) } : null,
    });
    stop();
    const tarball = await ctx.archive(result.evidenceDir, log);
    terminal?.finish(result.report, tarball ?? result.evidenceDir);
    if (args.json) ctx.print(JSON.stringify(result.report, null, 2));
    log.info('run finished', { verdict: result.report?.verdict ?? 'error', evidence: join(result.evidenceDir), tarball: tarball ?? undefined });
    ctx.setExitCode(runExitCode(result));
  },
});
