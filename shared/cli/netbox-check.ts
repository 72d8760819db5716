/**
 * `netbox-check`, offered by both binaries: resolve the NetBox connection from
 * flags and environment, probe it, and say plainly what works. No CLI parsing
 * here: each binary registers NETBOX_CHECK_OPTIONS with its own yargs.
 */
import { mergeLayers, netboxConnectionSchema, netboxEnvLayer, resolveNetboxToken, type NetboxConnectionConfig } from '../config.ts';
import { compileConfigValidator } from '../config-ajv.ts';
import { EXIT } from './exit-codes.ts';
import { describeError, exitCodeFor } from './errors.ts';
import { createNetboxClient } from '../netbox/client.ts';
import { probeNetbox } from '../netbox/probe.ts';
import { redactUrl } from '../redact.ts';

export const NETBOX_CHECK_OPTIONS = {
  url: { type: 'string', describe: 'NetBox base URL (env NETBOX_URL)' },
  'token-file': { type: 'string', describe: 'file holding the API token (env NETBOX_TOKEN_FILE; or set NETBOX_TOKEN)' },
  'timeout-ms': { type: 'number', describe: 'per-request timeout', default: 5000 },
  json: { type: 'boolean', describe: 'print the result as JSON', default: false },
} as const;

export interface NetboxCheckArgs {
  url?: string;
  tokenFile?: string;
  timeoutMs?: number;
  json?: boolean;
}

const validateConnection = compileConfigValidator<NetboxConnectionConfig>(netboxConnectionSchema);

/** Flags win over the environment. */
export function netboxConnectionFrom(args: NetboxCheckArgs, env: Record<string, string | undefined>): NetboxConnectionConfig {
  const merged = mergeLayers(netboxEnvLayer(env), { url: args.url, tokenFile: args.tokenFile, timeoutMs: args.timeoutMs });
  if (args.tokenFile) delete merged.token;
  return validateConnection(merged, 'flags and environment');
}

export async function runNetboxCheck(args: NetboxCheckArgs, env: Record<string, string | undefined>, print: (line: string) => void): Promise<number> {
  try {
    const connection = netboxConnectionFrom(args, env);
    const client = createNetboxClient({ ...connection, token: resolveNetboxToken(connection) });
    // A password written into the URL (`https://user:pass@…`) is never printed.
    const probe = { ...(await probeNetbox(client)), url: redactUrl(client.baseUrl) };
    if (args.json) {
      print(JSON.stringify(probe, null, 2));
    } else {
      print(`NetBox ${probe.version.text} at ${probe.url}: token accepted (${probe.authScheme}), ${probe.visibleDevices} devices visible`);
      const c = probe.capabilities;
      print(
        `  MAC objects: ${c.macAddressModel ? 'yes (4.2+)' : 'no (MAC on interface)'}; ?fields=: ${c.fieldsParameter ? 'yes' : 'no'}; oob_ip: ${c.oobIp ? 'yes' : 'no'}; v2 tokens: ${c.v2Tokens ? 'yes' : 'no'}`,
      );
    }
    return EXIT.ok;
  } catch (error) {
    print(`netbox-check: ${describeError(error)}`);
    return exitCodeFor(error);
  }
}
