/** `bm-hook check-config`: validate the config and say what it resolves to (never the token, nor a password in the URL). */
import { resolveNetboxToken } from '../../shared/config.ts';
import { EXIT } from '../../shared/cli/exit-codes.ts';
import { redactUrl } from '../../shared/redact.ts';
import { configPathOf, loadHookConfig, ouiSetOf } from '../config.ts';
import type { CliContext } from '../context.ts';

export const checkConfigCommand = (ctx: CliContext) => ({
  command: 'check-config',
  describe: 'validate the config file and environment; print the effective settings',
  handler: (args: { config?: string }) => {
    const path = configPathOf({ path: args.config, env: ctx.env });
    const config = loadHookConfig({ path: args.config, env: ctx.env });
    const ouis = ouiSetOf(config);
    if (config.netbox) resolveNetboxToken(config.netbox);
    ctx.print(`config: ${path} — valid`);
    if (config.netbox) {
      ctx.print(
        `netbox: ${redactUrl(config.netbox.url)} (token: ${config.netbox.token ? 'inline' : `file ${config.netbox.tokenFile}`}; timeout ${config.netbox.timeoutMs} ms, deadline ${config.netbox.deadlineMs} ms, ${config.netbox.retries} retries)`,
      );
    } else {
      ctx.print('netbox: NOT CONFIGURED — leases are spooled but not applied (set netbox.url and a token)');
      ctx.setExitCode(EXIT.usage);
    }
    ctx.print(`spool: ${config.spool.dir} (max ${config.spool.maxEvents} events)`);
    ctx.print(`ouis: ${ouis.set.size} (${config.ouis.mode}; ${[...new Set(ouis.entries.map((e) => e.vendor))].length} vendors)`);
    ctx.print(`ip: status ${config.ip.status}, default prefix length /${config.ip.defaultPrefixLength}, VRF ${config.ip.vrf ?? 'of the containing prefix'}`);
  },
});
