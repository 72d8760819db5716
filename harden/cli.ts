/**
 * bm-harden's command line (yargs): `plan`, `check`, `run` and `pxe-boot` for one device, `profiles`
 * to list and validate the profiles, the automatic triggers `serve` (HTTP receiver for
 * bm-agent's signed callback and NetBox webhooks, harden/serve.ts) and `watch` (polls
 * NetBox for staged devices, harden/watch.ts), and the shared `netbox-check`. Every
 * command has --help; exit codes come from shared/cli/exit-codes.ts (printed in the epilogue).
 */
import yargs, { type Argv, type CommandModule } from 'yargs';
import { createCliContext, type CliContext } from '../shared/cli/context.ts';
import { EXIT, type ExitCode } from '../shared/cli/exit-codes.ts';
import { finishParser, runParser } from '../shared/cli/shell.ts';
import { ConfigError, resolveNetboxToken } from '../shared/config.ts';
import { createLogger, type Logger } from '../shared/log.ts';
import { mdOneLine } from '../shared/markdown.ts';
import { createNetboxClient, listAll } from '../shared/netbox/index.ts';
import { redact, redactUrl } from '../shared/redact.ts';
import { createBackoff, DEFAULT_MAX_BACKOFF_S } from './backoff.ts';
import { builtinProfiles } from './builtin-profiles.ts';
import { DEFAULT_HARDEN_CONFIG_PATH, defaultPlaybook, type HardenConfig, loadHardenConfig } from './config.ts';
import { appliedSettings } from './compliance.ts';
import { type HardenDevice, STAGED_STATUS } from './device.ts';
import { type HardenDeps, type HardenResult, hardenDevice } from './harden.ts';
import { type HardenProfile, mergeProfiles, readProfileDir } from './profile.ts';
import { DEFAULT_PXE_WAIT_S, PXE_BOOT_HEADLINE, type PxeBootResult, pxeBootDevice } from './pxe-boot.ts';
import { createRunQueue } from './queue.ts';
import { headline, textReport } from './report.ts';
import { CALLBACK_PATH, createServeHandler, DEFAULT_MAX_BODY_BYTES, HEALTH_PATH, listen, loadSecret, parseListen, WEBHOOK_PATH } from './serve.ts';
import { exitCodeOfResult, hardenTriggered, type Triggered } from './trigger.ts';
import { parseFilters, watchLoop } from './watch.ts';

const EPILOGUE = [
  `Config: --config, else BM_HARDEN_CONFIG, else ${DEFAULT_HARDEN_CONFIG_PATH} (optional); environment NETBOX_URL, NETBOX_TOKEN,`,
  'NETBOX_TOKEN_FILE, BM_HARDEN_CREDENTIALS (the BMC credentials file, mode 0600), BM_HARDEN_CALLBACK_SECRET and',
  'BM_HARDEN_WEBHOOK_SECRET (serve). Secrets are never printed, journalled or passed on a command line. See docs/harden.md.',
].join(' ');

interface CommonArgs {
  config?: string;
  verbose?: boolean;
}

interface DeviceArgs extends CommonArgs {
  device: string;
  profile?: string;
  json?: boolean;
  journal?: boolean;
}

const DEVICE_OPTIONS = {
  device: { type: 'string', demandOption: true, describe: 'the NetBox device: its name or numeric id' },
  profile: { type: 'string', describe: 'use this profile instead of choosing by manufacturer / device type / platform' },
  json: { type: 'boolean', default: false, describe: 'print the result as JSON' },
} as const;

function setup(ctx: CliContext, args: CommonArgs) {
  const config = loadHardenConfig({ env: ctx.env, ...(args.config ? { configPath: args.config } : {}) });
  const logger = createLogger({ name: 'bm-harden', level: args.verbose ? 'debug' : 'info', write: (line) => ctx.writeErr(line) });
  return { config, logger };
}

/** Built-in profiles with the operator's directory on top. */
export function loadProfiles(config: Pick<HardenConfig, 'profilesDir'>): HardenProfile[] {
  return mergeProfiles(builtinProfiles(), config.profilesDir ? readProfileDir(config.profilesDir) : []);
}

function print(ctx: CliContext, result: HardenResult, json: boolean | undefined, mode: 'plan' | 'check' | 'run'): void {
  if (json) {
    const { device, profile, ...rest } = result;
    ctx.print(
      JSON.stringify({ device: { id: device.id, name: device.name }, profile: profile.name, ...rest, ansibleError: rest.ansibleError?.toJSON() }, null, 2),
    );
    return;
  }
  const name = result.device.name ?? `#${result.device.id}`;
  if (mode === 'plan') {
    const refused = result.identity.result !== 'proved' ? ' (but run would refuse: identity not proved)' : '';
    ctx.print(mdOneLine(`${name}: ${result.identity.summary}`));
    const changes = result.before.rows.filter((r) => r.result !== 'ok');
    if (!changes.length) {
      ctx.print(`${name}: compliant with profile ${result.profile.name}; run would change nothing${refused}`);
      return;
    }
    const applied = appliedSettings(result.profile, result.before).length;
    ctx.print(
      textReport(
        { report: { ...result.before, rows: changes }, identity: result.identity },
        `${name}: profile ${result.profile.name}, BMC ${redactUrl(result.bmc)}: ${applied} setting(s) run would apply${refused}`,
      ),
    );
    return;
  }
  ctx.print(textReport(result.outcome, `${name}: profile ${result.profile.name}, BMC ${redactUrl(result.bmc)}`));
  for (const task of result.outcome.ansible?.report.tasks.filter((t) => t.failed) ?? []) {
    ctx.print(mdOneLine(`  ansible task failed: ${task.task}${task.message ? `: ${redact(task.message)}` : ''}`));
  }
  ctx.print(mdOneLine(`${name}: ${headline(result.outcome)}${result.journalled ? ' (journalled)' : ''}`));
}

/** What every command that hardens needs: NetBox (the token resolved now, so a bad one stops at start), profiles, playbook. */
function hardenDeps(ctx: CliContext, config: HardenConfig, logger: Logger): HardenDeps {
  const netbox = createNetboxClient({ ...config.netbox, token: resolveNetboxToken(config.netbox), logger });
  const playbook = config.ansible.playbook ?? defaultPlaybook(process.execPath, import.meta.dir);
  return { netbox, config, profiles: loadProfiles(config), env: ctx.env, logger, ...(playbook ? { playbook } : {}) };
}

/** The identity check, as every device command's --help states it. */
const IDENTITY_USAGE =
  "Identity: the BMC's SerialNumber must match the device's serial in NetBox (and its own MACs the management " +
  "interface's, when it lists them); run and pxe-boot refuse a BMC whose identity is not proved (exit 1, nothing changed, " +
  'the refusal journalled once); plan and check show the verdict.';

/** The longer --help text of plan, check and run: what each reads and writes, which devices it takes. */
const DEVICE_USAGE: Record<'plan' | 'check' | 'run', string> = {
  plan:
    "Reads the device's BMC over Redfish (its address is the device's oob_ip) and lists each setting of the device's " +
    'profile that run would change. Writes nothing, to the BMC or to NetBox; any device status.',
  check:
    'Reads the BMC and compares it with the profile: an identity row, a desired / actual / result table per setting and ' +
    'the firmware table, journalled to the device (--no-journal: only printed). Changes nothing on the BMC and no status. ' +
    'Exit 0 when compliant, 1 when not (or when the identity is not proved).',
  run:
    'For a staged device (or ready: re-verify and re-apply what drifted): reads the BMC, applies what differs with ' +
    'ansible-playbook, reads it again and compares (Ansible\'s "changed" is not taken as proof), journals one entry ' +
    'with the table, and sets ready when compliant, else failed (or leaves it: onNonCompliant). A second run on a ' +
    'compliant BMC changes nothing and says so.',
};

function deviceCommand(
  ctx: CliContext,
  mode: 'plan' | 'check' | 'run',
  describe: string,
  extra: (y: Argv) => Argv = (y) => y,
): CommandModule<CommonArgs, DeviceArgs> {
  return {
    command: mode,
    describe,
    builder: (y) =>
      extra(
        y.usage(`$0 ${mode} --device NAME|ID [options]\n\n${DEVICE_USAGE[mode]}\n\n${IDENTITY_USAGE}`).options(DEVICE_OPTIONS),
      ) as unknown as Argv<DeviceArgs>,
    handler: async (args) => {
      const { config, logger } = setup(ctx, args);
      const result = await hardenDevice(hardenDeps(ctx, config, logger), {
        device: args.device,
        mode,
        journal: mode === 'check' ? args.journal !== false : true,
        ...(args.profile ? { profile: args.profile } : {}),
      });
      print(ctx, result, args.json, mode);
      ctx.setExitCode(mode === 'plan' ? EXIT.ok : exitCodeOfResult(result));
    },
  };
}

interface PxeBootArgs extends DeviceArgs {
  'wait-s': number;
}

const PXE_BOOT_USAGE = [
  '$0 pxe-boot --device NAME|ID [--wait-s 120] [options]',
  '',
  'Powers a discovered server on for validation (Phase 1) with a one-time network boot through its BMC, instead of a ' +
    'technician: for a device in status discovered (or failed, to validate it again after a fix) with an oob_ip, reads ' +
    "the BMC, proves its identity, PATCHes the System's Boot override (BootSourceOverrideTarget Pxe, " +
    'BootSourceOverrideEnabled Once), resets it (On when off, ForceRestart when on, as the BMC allows), waits up to ' +
    '--wait-s for PowerState On and reads the override back (a BMC that did not keep Once or Pxe is a warning). ' +
    `Journals one entry ("${PXE_BOOT_HEADLINE}") with what the BMC said; no status change (the validation image's ` +
    'agent moves the device on). Plain Redfish, no Ansible; the same config, credentials file and profile TLS settings as run.',
  '',
  IDENTITY_USAGE,
].join('\n');

function printPxeBoot(ctx: CliContext, result: PxeBootResult, json: boolean | undefined): void {
  if (json) {
    const { device, profile, ...rest } = result;
    ctx.print(JSON.stringify({ device: { id: device.id, name: device.name }, profile: profile.name, ...rest }, null, 2));
    return;
  }
  const name = result.device.name ?? `#${result.device.id}`;
  ctx.print(mdOneLine(`${name}: ${result.identity.summary}`));
  ctx.print(
    mdOneLine(
      `${name}: powered on with a one-time PXE boot (reset ${result.resetType}, PowerState ${result.powerBefore ?? '?'} → ${result.powerAfter}, ` +
        `BMC ${redactUrl(result.bmc)} reports boot override ${result.boot.target ?? '(none)'}/${result.boot.enabled ?? '(none)'}, ` +
        `${(result.durationMs / 1000).toFixed(1)} s)${result.journalled ? ' (journalled)' : ''}`,
    ),
  );
  for (const warning of result.warnings) ctx.print(mdOneLine(`${name}: warning: ${warning}`));
}

function pxeBootCommand(ctx: CliContext): CommandModule<CommonArgs, PxeBootArgs> {
  return {
    command: 'pxe-boot',
    describe: 'power a discovered server on with a one-time PXE boot through Redfish, for validation',
    builder: (y) =>
      y.usage(PXE_BOOT_USAGE).options({
        ...DEVICE_OPTIONS,
        'wait-s': { type: 'number', default: DEFAULT_PXE_WAIT_S, describe: 'seconds to wait for PowerState On after the reset (1–3600)' },
      }) as unknown as Argv<PxeBootArgs>,
    handler: async (args) => {
      const { config, logger } = setup(ctx, args);
      const waitS = intFlag('wait-s', args['wait-s'], 1, 3600);
      const result = await pxeBootDevice(hardenDeps(ctx, config, logger), {
        device: args.device,
        waitS,
        ...(args.profile ? { profile: args.profile } : {}),
      });
      printPxeBoot(ctx, result, args.json);
    },
  };
}

function profilesCommand(ctx: CliContext): CommandModule<CommonArgs, CommonArgs & { json?: boolean }> {
  return {
    command: 'profiles',
    describe: 'list the profiles (built-in and the operator directory), validated; errors name the file and key',
    builder: (y) => y.options({ json: { type: 'boolean', default: false, describe: 'print them as JSON' } }) as Argv<CommonArgs & { json?: boolean }>,
    handler: (args) => {
      const { config } = setup(ctx, args);
      const profiles = loadProfiles(config);
      if (args.json) return ctx.print(JSON.stringify(profiles, null, 2));
      for (const p of profiles) {
        const m = p.match;
        const match = m
          ? Object.entries(m)
              .map(([k, v]) => `${k}=${(v as string[]).join(',')}`)
              .join(' ')
          : 'fallback (no match)';
        ctx.print(`${p.name}\t${match}`);
      }
    },
  };
}

interface TriggerArgs extends CommonArgs {
  concurrency: number;
}

interface ServeArgs extends TriggerArgs {
  listen: string;
  'callback-secret-file'?: string;
  'webhook-secret-file'?: string;
  'max-body': number;
}

interface WatchArgs extends TriggerArgs {
  filter?: string[];
  interval: number;
  once: boolean;
  'max-backoff-s': number;
}

/** What watch reads of a staged device: `fields=` keeps the listing small on NetBox 4 (3.7 ignores it; config_context excluded). */
type StagedListing = Pick<HardenDevice, 'id' | 'name'> & { last_updated?: string | null };

const CONCURRENCY_OPTION = {
  concurrency: { type: 'number', default: 2, describe: 'devices hardened at once (1–64); one run per device at a time' },
} as const;

/** A whole number in [min, max] from a flag, or a ConfigError naming it. Pure. */
function intFlag(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`--${name}`, [{ key: name, message: `${value} is not a whole number from ${min} to ${max}` }]);
  }
  return value;
}

/**
 * An AbortSignal aborted by the first SIGTERM or SIGINT (stop taking work, let running runs
 * finish); a second one exits at once (runs cut off, exit 4). dispose() removes the handlers.
 */
function stopOnSignals(logger: Logger): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      logger.warning(`${name} again: exiting now; running runs are cut off (a re-run starts from a fresh read)`);
      process.exit(EXIT.internal);
    }
    logger.notice(`${name}: stopping (no new runs; running runs finish; ${name} again to exit at once)`);
    controller.abort();
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
    },
  };
}

/** The queue of serve and watch: bounded, one run per device, each run a hardenTriggered; `settled` sees every result. */
function triggerQueue(deps: HardenDeps, concurrency: number, trigger: string, settled: (result: Triggered, id: number) => void = () => {}) {
  return createRunQueue<number, Triggered>({
    concurrency: intFlag('concurrency', concurrency, 1, 64),
    run: (id) => hardenTriggered(deps, id, trigger),
    onSettled: (id, result) => {
      if (result.ok) return settled(result.value, id);
      deps.logger.error(`run of device #${id} failed unexpectedly: ${String(result.error)}`);
      settled({ outcome: 'error', exitCode: EXIT.internal }, id);
    },
  });
}

const SERVE_USAGE = [
  '$0 serve --listen HOST:PORT [options]',
  '',
  'HTTP receiver that hardens devices as they become staged:',
  `- POST ${CALLBACK_PATH}: bm-agent's callback, X-BM-Signature-256 verified (needs a callback secret); ` +
    'a passed validation that staged its device starts a run for it.',
  `- POST ${WEBHOOK_PATH}: a NetBox event-rule webhook (default body), X-Hook-Signature verified when a webhook secret ` +
    'is set; a device created in or changed to staged starts a run.',
  `- GET ${HEALTH_PATH}: the devices running and waiting.`,
  'A run hardens the device only if NetBox says it is staged at that moment; a trigger for a device already running or ' +
    'waiting is coalesced into that run. Answers: 202 accepted, 200 ignored (says why), 400 malformed, 401 bad signature, ' +
    '413 body too big, 503 queue full or stopping.',
  'Secrets come from a file only its owner may read (--callback-secret-file, --webhook-secret-file) or ' +
    'BM_HARDEN_CALLBACK_SECRET / BM_HARDEN_WEBHOOK_SECRET, never from the command line.',
  'SIGTERM/SIGINT: stop listening, let running runs finish.',
].join('\n');

function serveCommand(ctx: CliContext): CommandModule<CommonArgs, ServeArgs> {
  return {
    command: 'serve',
    describe: "HTTP receiver: bm-agent's signed callback and NetBox webhooks start a run for a staged device",
    builder: (y) =>
      y.usage(SERVE_USAGE).options({
        listen: { type: 'string', demandOption: true, describe: 'address to listen on: HOST:PORT or [IPv6]:PORT (port 0: any free port, logged)' },
        'callback-secret-file': { type: 'string', describe: "file (mode 0600) with the secret of bm-agent's X-BM-Signature-256" },
        'webhook-secret-file': { type: 'string', describe: "file (mode 0600) with the secret of NetBox's X-Hook-Signature" },
        'max-body': { type: 'number', default: DEFAULT_MAX_BODY_BYTES, describe: 'largest request body in bytes (413 beyond)' },
        ...CONCURRENCY_OPTION,
      }) as unknown as Argv<ServeArgs>,
    handler: async (args) => {
      const { config, logger } = setup(ctx, args);
      const address = parseListen(args.listen);
      const maxBodyBytes = intFlag('max-body', args['max-body'], 1024, 64 * 1024 * 1024);
      const callbackSecret = loadSecret(args['callback-secret-file'], ctx.env.BM_HARDEN_CALLBACK_SECRET, 'callback secret');
      const webhookSecret = loadSecret(args['webhook-secret-file'], ctx.env.BM_HARDEN_WEBHOOK_SECRET, 'webhook secret');
      const deps = hardenDeps(ctx, config, logger);
      const queue = triggerQueue(deps, args.concurrency, 'serve');
      const stop = stopOnSignals(logger);
      const handler = createServeHandler({
        maxBodyBytes,
        queue,
        logger,
        ...(callbackSecret ? { callbackSecret } : {}),
        ...(webhookSecret ? { webhookSecret } : {}),
      });
      const server = listen(handler, address, maxBodyBytes);
      logger.info(`listening on ${server.url}`, {
        callback: callbackSecret ? `POST ${CALLBACK_PATH} (signature required)` : 'disabled (no callback secret)',
        webhook: `POST ${WEBHOOK_PATH} (${webhookSecret ? 'signature required' : 'UNSIGNED: no webhook secret'})`,
        concurrency: args.concurrency,
        maxBody: maxBodyBytes,
      });
      if (!webhookSecret) logger.warning('NetBox webhooks are accepted unsigned: anyone who reaches this port can ask for a run of a staged device');
      await new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }));
      await server.stop();
      const dropped = queue.close();
      const running = queue.running();
      logger.notice(`stopped listening; waiting for ${running.length} running run(s)${dropped.length ? `; dropped ${dropped.length} waiting` : ''}`);
      await queue.idle();
      stop.dispose();
      logger.notice('stopped');
    },
  };
}

const WATCH_USAGE = [
  '$0 watch [--filter KEY=VALUE]... [options]',
  '',
  'Polls NetBox for staged devices matching the filters and runs bm-harden run for each: at most --concurrency at once, ' +
    'one run per device at a time (a device still running at the next poll is not started again).',
  'Filters are NetBox device filters passed through to /api/dcim/devices/ (--filter site=dc1 --filter role=compute ' +
    '--filter tag=harden); a key given twice matches either value; status=staged is always added.',
  'A new pass every --interval seconds; --once makes one pass, waits for its runs and exits with the worst exit code of its runs.',
  'A device whose run failed waits before it is run again: after a transient failure (BMC unreachable, a timeout) ' +
    '--interval, doubling per failure up to --max-backoff-s; after a permanent one (wrong credentials, TLS, profile, ' +
    'not compliant) --max-backoff-s at once. A change of the device in NetBox (last_updated) lifts the wait.',
  'SIGTERM/SIGINT: stop polling, let running runs finish.',
].join('\n');

function watchCommand(ctx: CliContext): CommandModule<CommonArgs, WatchArgs> {
  return {
    command: 'watch',
    describe: 'poll NetBox for staged devices matching a filter and harden each (bounded, one run per device)',
    builder: (y) =>
      y.usage(WATCH_USAGE).options({
        filter: { type: 'string', array: true, describe: 'NetBox device filter KEY=VALUE (repeatable); status=staged always added' },
        interval: { type: 'number', default: 60, describe: 'seconds between polls (5–86400)' },
        once: { type: 'boolean', default: false, describe: 'one pass, wait for its runs, exit (cron, tests)' },
        'max-backoff-s': {
          type: 'number',
          default: DEFAULT_MAX_BACKOFF_S,
          describe: 'longest wait before a failing device is run again, in seconds (0–604800; 0: every pass)',
        },
        ...CONCURRENCY_OPTION,
      }) as unknown as Argv<WatchArgs>,
    handler: async (args) => {
      const { config, logger } = setup(ctx, args);
      const query = parseFilters(args.filter ?? []);
      const intervalS = intFlag('interval', args.interval, 5, 86_400);
      const maxBackoffS = intFlag('max-backoff-s', args['max-backoff-s'], 0, 604_800);
      const deps = hardenDeps(ctx, config, logger);
      let worst: ExitCode = EXIT.ok;
      // --once makes no second pass, so it keeps no back-off.
      const backoff = args.once ? undefined : createBackoff({ policy: { baseMs: intervalS * 1000, maxMs: maxBackoffS * 1000 }, logger });
      const queue = triggerQueue(deps, args.concurrency, 'watch', (result, id) => {
        worst = Math.max(worst, result.exitCode) as ExitCode;
        backoff?.settled(id, result);
      });
      const filterText = Object.entries(query)
        .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : v}`)
        .join(' ');
      logger.info(`watching NetBox for staged devices${filterText ? ` matching ${filterText}` : ''}`, {
        interval: args.once ? 'once' : `${intervalS}s`,
        concurrency: args.concurrency,
        maxBackoff: `${maxBackoffS}s`,
      });
      const stop = stopOnSignals(logger);
      try {
        const listStaged = async () =>
          (
            await listAll<StagedListing>(deps.netbox, '/api/dcim/devices/', {
              ...query,
              status: STAGED_STATUS,
              fields: 'id,name,last_updated',
              exclude: 'config_context',
            })
          ).map((d) => ({
            id: d.id,
            name: d.name,
            ...(d.last_updated ? { lastUpdated: d.last_updated } : {}),
          }));
        await watchLoop({ listStaged, queue, intervalMs: intervalS * 1000, once: args.once, signal: stop.signal, logger, ...(backoff ? { backoff } : {}) });
      } finally {
        stop.dispose();
      }
      logger.notice('stopped');
      ctx.setExitCode(args.once ? worst : EXIT.ok);
    },
  };
}

/** Where one line of output goes (stdout or stderr). */
type Line = (text: string) => void;

/** Parses and runs one bm-harden command line; returns the exit code. */
export async function runCli(argv: string[], env: Record<string, string | undefined>, print: Line, writeErr: Line): Promise<number> {
  const ctx = createCliContext(
    'bm-harden',
    env,
    (text) => print(redactUrl(text)),
    (line) => writeErr(redactUrl(line)),
  );
  const parser = yargs(argv)
    .scriptName('bm-harden')
    .usage(
      "$0 <command> [options]\n\nHardens a staged server's BMC over Redfish (Ansible applies, a fresh read verifies) and sets it ready; " +
        'powers a discovered server on for validation (pxe-boot).',
    )
    .option('config', { type: 'string', describe: `config file (default ${DEFAULT_HARDEN_CONFIG_PATH}, or BM_HARDEN_CONFIG)`, global: true })
    .option('verbose', { type: 'boolean', describe: 'debug logging (stderr)', global: true })
    .command([
      deviceCommand(ctx, 'plan', "what run would change on the device's BMC, from a live Redfish read; changes nothing"),
      deviceCommand(ctx, 'check', 'compliance of the BMC with its profile; changes nothing but the journal', (y) =>
        y.option('journal', { type: 'boolean', default: true, describe: 'post the table to the device journal (--no-journal: only print)' }),
      ),
      deviceCommand(ctx, 'run', 'read, apply what differs with Ansible, verify by reading again, journal, set ready (or failed)'),
      pxeBootCommand(ctx),
      profilesCommand(ctx),
      watchCommand(ctx),
      serveCommand(ctx),
    ] as unknown as CommandModule[]);
  await runParser(finishParser(parser, ctx, EPILOGUE), argv, ctx);
  return ctx.exitCode;
}
