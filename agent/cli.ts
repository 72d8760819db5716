/** bm-agent's command line (yargs): one module per command in commands/. */
import { finishParser, runParser } from '../shared/cli/shell.ts';
import yargs, { type CommandModule } from 'yargs';
import { evaluateCommand } from './commands/evaluate.ts';
import { inventoryCommand } from './commands/inventory.ts';
import { planCommand } from './commands/plan.ts';
import { runCommand } from './commands/run.ts';
import { schemaCommand } from './commands/schema.ts';
import { DEFAULT_AGENT_CONFIG_PATH } from './config.ts';
import { createCliContext } from './context.ts';

const EPILOGUE = `Config, highest first: flags, environment (NETBOX_URL, NETBOX_TOKEN, NETBOX_TOKEN_FILE,
BM_CALLBACK_URL, BM_CALLBACK_SECRET[_FILE], BM_PROFILE, BM_EVIDENCE_DIR), ${DEFAULT_AGENT_CONFIG_PATH}
(or BM_AGENT_CONFIG / --config), the kernel command line (bm.netbox_url=, bm.token_file=,
bm.netbox_token=, bm.callback_url=, bm.config_url=, bm.profile=, bm.<step>.<setting>=), and the
JSON at bm.config_url. The token is never printed. See docs/agent.md.`;

/** Parses and runs one bm-agent command line; returns the exit code. */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined>,
  print: (text: string) => void,
  writeErr: (line: string) => void,
): Promise<number> {
  const ctx = createCliContext(env, print, writeErr);
  const parser = yargs(argv)
    .scriptName('bm-agent')
    .usage('$0 <command> [options]\n\nValidates this machine against NetBox and stages it on pass.')
    .option('config', { type: 'string', describe: `config file (default ${DEFAULT_AGENT_CONFIG_PATH}, or BM_AGENT_CONFIG)`, global: true })
    .command([runCommand(ctx), inventoryCommand(ctx), planCommand(ctx), evaluateCommand(ctx), schemaCommand(ctx)] as unknown as CommandModule[]);
  await runParser(finishParser(parser, ctx, EPILOGUE), argv, ctx);
  return ctx.exitCode;
}
