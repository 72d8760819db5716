/**
 * The e2e lab's boot server as daemons to start (pure: files to write, argv, when it
 * is up, what its log says when a client got a lease). The DHCP configuration is the
 * one docs/image.md shows (image/boot-server.ts bootServerConfigs): the lab adds only
 * what a lab needs on top — foreground, logs to stderr, its own pid/lease files, no DNS —
 * so each variant of the e2e boots from the same text an operator would deploy.
 *   - `dnsmasq`: DHCP and TFTP in one daemon;
 *   - `isc-dhcpd`: ISC dhcpd, TFTP by dnsmasq with `port=0` (configs.dnsmasqTftpOnly);
 *   - `kea`: kea-dhcp4, TFTP the same way; leases in memory, log to stderr.
 */
import { join } from 'node:path';
import { type BootServerOptions, bootServerConfigs } from '../../image/boot-server.ts';

export type DhcpServerKind = 'dnsmasq' | 'isc-dhcpd' | 'kea';

/** The executables each kind needs (for the suite's requirements check). */
export const DHCP_SERVER_TOOLS: Record<DhcpServerKind, string[]> = {
  dnsmasq: ['dnsmasq'],
  'isc-dhcpd': ['dhcpd', 'dnsmasq'],
  kea: ['kea-dhcp4', 'dnsmasq'],
};

export interface DaemonPlan {
  name: string;
  argv: string[];
  env?: Record<string, string>;
  /** Files to write before starting it: absolute path → content. */
  files: Record<string, string>;
  /** Its output once it serves. */
  ready: RegExp;
}

export interface BootServerPlanOptions extends Pick<BootServerOptions, 'serverIp' | 'subnet' | 'range' | 'httpBase' | 'ipxeScriptUrl' | 'tftpRoot'> {
  kind: DhcpServerKind;
  /** The bridge the daemons listen on. */
  interface: string;
  /** Where config, lease and pid files go. */
  workDir: string;
}

/** The lab's runtime flags on top of a generated dnsmasq config: foreground, log to stderr, own files, no DNS. */
function dnsmasqArgv(conf: string, workDir: string, name: string, dhcp: boolean): string[] {
  return [
    'dnsmasq',
    '--keep-in-foreground',
    `--conf-file=${conf}`,
    '--port=0',
    '--bind-interfaces',
    `--pid-file=${join(workDir, `${name}.pid`)}`,
    '--log-facility=-',
    ...(dhcp ? ['--log-dhcp', `--dhcp-leasefile=${join(workDir, `${name}.leases`)}`] : []),
  ];
}

/**
 * The daemons of one boot server, in start order (TFTP before DHCP, so no client is sent to
 * a TFTP server that is not there yet). Kea's generated config is amended, not rewritten:
 * leases in memory (the lab's clients are new each run) and its log on stderr at INFO.
 */
export function bootServerPlan(options: BootServerPlanOptions): DaemonPlan[] {
  const { kind, workDir } = options;
  const configs = bootServerConfigs({ ...options, interface: options.interface });
  if (kind === 'dnsmasq') {
    const conf = join(workDir, 'dnsmasq.conf');
    return [{ name: 'dnsmasq', argv: dnsmasqArgv(conf, workDir, 'dnsmasq', true), files: { [conf]: configs.dnsmasq }, ready: /DHCP, IP range/ }];
  }
  const tftpConf = join(workDir, 'tftp.conf');
  const tftp: DaemonPlan = {
    name: 'dnsmasq-tftp',
    argv: dnsmasqArgv(tftpConf, workDir, 'tftp', false),
    files: { [tftpConf]: configs.dnsmasqTftpOnly },
    ready: /TFTP root is/,
  };
  if (kind === 'isc-dhcpd') {
    const conf = join(workDir, 'dhcpd.conf');
    const leases = join(workDir, 'dhcpd.leases');
    return [
      tftp,
      {
        name: 'dhcpd',
        argv: ['dhcpd', '-4', '-f', '-d', '-cf', conf, '-lf', leases, '-pf', join(workDir, 'dhcpd.pid'), options.interface],
        files: { [conf]: configs.iscDhcpd, [leases]: '' },
        ready: /Sending on/,
      },
    ];
  }
  const kea = JSON.parse(configs.kea) as { Dhcp4: Record<string, unknown> };
  kea.Dhcp4['lease-database'] = { type: 'memfile', persist: false };
  kea.Dhcp4.loggers = [{ name: 'kea-dhcp4', output_options: [{ output: 'stderr' }], severity: 'INFO' }];
  const conf = join(workDir, 'kea-dhcp4.conf');
  return [
    tftp,
    {
      name: 'kea-dhcp4',
      argv: ['kea-dhcp4', '-c', conf],
      env: { KEA_PIDFILE_DIR: workDir, KEA_LOCKFILE_DIR: workDir },
      files: { [conf]: `${JSON.stringify(kea, null, 2)}\n` },
      ready: /DHCP4_STARTED/,
    },
  ];
}

/** What each DHCP server logs when it hands `mac` a lease (the evidence that this daemon booted the client). */
export function leaseAckPattern(kind: DhcpServerKind, mac: string): RegExp {
  const m = mac.toLowerCase().replaceAll(':', '\\:');
  switch (kind) {
    case 'dnsmasq':
      return new RegExp(`DHCPACK\\([^)]*\\) [\\d.]+ ${m}`);
    case 'isc-dhcpd':
      return new RegExp(`DHCPACK on [\\d.]+ to ${m}`);
    case 'kea':
      return new RegExp(`DHCP4_LEASE_ALLOC \\[hwtype=1 ${m}\\].*lease [\\d.]+ has been allocated`);
  }
}
