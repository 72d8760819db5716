/**
 * Recognises the calls dhcpd and Kea make (`commit IP MAC [HOSTNAME]`, a Kea
 * hook point) so main.ts can serve them without loading yargs, ky or ajv: dhcpd
 * stalls every client while it waits for us. Anything else (help, unknown
 * options) goes to the full CLI. Pure.
 */

export type FastPath =
  | { kind: 'commit'; ip?: string; mac?: string; hostname?: string; configPath?: string; drain: boolean }
  | { kind: 'kea'; hookPoint?: string; configPath?: string; drain: boolean };

const KEA_HOOK_POINT = /^(leases4_committed|leases6_committed|lease[46]_[a-z0-9_]+)$/;

export function parseFastPath(argv: readonly string[]): FastPath | null {
  const [first, ...rest] = argv;
  let kind: 'commit' | 'kea';
  let args = rest;
  if (first === 'commit') kind = 'commit';
  else if (first === 'kea') kind = 'kea';
  else if (first !== undefined && KEA_HOOK_POINT.test(first)) {
    kind = 'kea';
    args = argv.slice();
  } else return null;

  const positionals: string[] = [];
  let configPath: string | undefined;
  let drain = true;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--config') {
      configPath = args[++i];
      if (configPath === undefined) return null;
    } else if (arg.startsWith('--config=')) configPath = arg.slice('--config='.length);
    else if (arg === '--no-drain') drain = false;
    else if (arg.startsWith('-') && arg !== '-' && arg !== '') return null;
    else positionals.push(arg);
  }
  if (kind === 'kea') return { kind, hookPoint: positionals[0], configPath, drain };
  if (positionals.length > 3) return null;
  const [ip, mac, hostname] = positionals;
  return { kind, ip, mac, hostname, configPath, drain };
}
