/**
 * Recognises the calls dhcpd and Kea make so main.ts can serve them without
 * loading yargs, ky or ajv (dhcpd stalls every client while it waits for us):
 *
 *   bm-hook [--config FILE] [--no-drain] commit [--] IP MAC [HOSTNAME]   (dhcpd)
 *   bm-hook [--config FILE] [--no-drain] kea [--] HOOK_POINT [ARGS…]     (Kea, by a wrapper)
 *   bm-hook [--config FILE] [--no-drain] leases4_committed [ARGS…]        (Kea run_script: argv[1])
 *
 * Options come only BEFORE the subcommand. Everything after it is lease data,
 * never an option: dhcpd passes the client's hostname verbatim, so a hostname of
 * `--help`, `--no-drain` or `--config=/etc/passwd` is a hostname (lease.ts then
 * keeps or drops it), not an instruction. A leading `--` after the subcommand is
 * accepted and skipped. Anything else (help, version, other commands, an unknown
 * option before the subcommand, a commit with more than three data arguments) goes
 * to the full CLI, whose commit command refuses to run. Pure.
 */

export type FastPath =
  | { kind: 'commit'; ip?: string; mac?: string; hostname?: string; configPath?: string; drain: boolean }
  | { kind: 'kea'; hookPoint?: string; configPath?: string; drain: boolean };

const KEA_HOOK_POINT = /^(leases4_committed|leases6_committed|lease[46]_[a-z0-9_]+)$/;

/** The options a dhcpd/Kea call may carry, all before the subcommand; null for anything else. */
function leadingOptions(argv: readonly string[]): { configPath?: string; drain: boolean; next: number } | null {
  let configPath: string | undefined;
  let drain = true;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--config') {
      configPath = argv[++i];
      if (configPath === undefined) return null;
    } else if (arg.startsWith('--config=')) configPath = arg.slice('--config='.length);
    else if (arg === '--no-drain') drain = false;
    else if (arg === '--drain') drain = true;
    else if (arg.startsWith('-')) return null;
    else break;
  }
  return { configPath, drain, next: i };
}

/** The data after the subcommand, without a leading `--`. */
const dataAfter = (argv: readonly string[], index: number) => (argv[index] === '--' ? argv.slice(index + 1) : argv.slice(index));

/** dhcpd's or Kea's call, or null when the full CLI should handle the command line. */
export function parseFastPath(argv: readonly string[]): FastPath | null {
  const options = leadingOptions(argv);
  if (!options) return null;
  const { configPath, drain, next } = options;
  const subcommand = argv[next];
  if (subcommand === 'commit') {
    const data = dataAfter(argv, next + 1);
    if (data.length > 3) return null;
    const [ip, mac, hostname] = data;
    return { kind: 'commit', ip, mac, hostname, configPath, drain };
  }
  if (subcommand === 'kea') return { kind: 'kea', hookPoint: dataAfter(argv, next + 1)[0], configPath, drain };
  if (subcommand !== undefined && KEA_HOOK_POINT.test(subcommand)) return { kind: 'kea', hookPoint: subcommand, configPath, drain };
  return null;
}
