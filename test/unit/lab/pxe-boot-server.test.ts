/**
 * The e2e boot server's assembly: each DHCP server kind runs the configuration
 * docs/image.md shows (image/boot-server.ts), with only the lab's runtime settings on
 * top, TFTP before DHCP; and each daemon's lease line is recognised for the right MAC.
 */
import { describe, expect, test } from 'bun:test';
import { bootServerConfigs } from '../../../image/boot-server.ts';
import { type BootServerPlanOptions, bootServerPlan, leaseAckPattern } from '../../helpers/pxe-boot-server.ts';

const OPTIONS: Omit<BootServerPlanOptions, 'kind'> = {
  interface: 'br0',
  workDir: '/lab',
  serverIp: '10.77.1.1',
  subnet: '10.77.1.0/24',
  range: ['10.77.1.100', '10.77.1.199'],
  httpBase: 'http://10.77.1.1:8080/',
  ipxeScriptUrl: 'http://10.77.1.1:8080/site.ipxe',
  tftpRoot: '/lab/boot',
};
const GENERATED = bootServerConfigs(OPTIONS);

describe('bootServerPlan', () => {
  test('dnsmasq: one daemon, DHCP and TFTP, running the generated config with foreground, stderr log and no DNS added', () => {
    const [dnsmasq, ...rest] = bootServerPlan({ ...OPTIONS, kind: 'dnsmasq' });
    expect(rest).toEqual([]);
    expect(dnsmasq!.files).toEqual({ '/lab/dnsmasq.conf': GENERATED.dnsmasq });
    expect(dnsmasq!.argv).toEqual(
      expect.arrayContaining(['--keep-in-foreground', '--conf-file=/lab/dnsmasq.conf', '--port=0', '--log-facility=-', '--dhcp-leasefile=/lab/dnsmasq.leases']),
    );
    expect(dnsmasq!.ready.test('dnsmasq-dhcp: DHCP, IP range 10.77.1.100 -- 10.77.1.199, lease time 10m')).toBe(true);
  });

  test('ISC dhcpd: TFTP-only dnsmasq first, then dhcpd on the bridge with the generated dhcpd.conf and its own lease file', () => {
    const [tftp, dhcpd] = bootServerPlan({ ...OPTIONS, kind: 'isc-dhcpd' });
    expect(tftp!.name).toBe('dnsmasq-tftp');
    expect(tftp!.files).toEqual({ '/lab/tftp.conf': GENERATED.dnsmasqTftpOnly });
    expect(tftp!.argv.some((a) => a.startsWith('--dhcp'))).toBe(false);
    expect(dhcpd!.argv).toEqual(['dhcpd', '-4', '-f', '-d', '-cf', '/lab/dhcpd.conf', '-lf', '/lab/dhcpd.leases', '-pf', '/lab/dhcpd.pid', 'br0']);
    expect(dhcpd!.files).toEqual({ '/lab/dhcpd.conf': GENERATED.iscDhcpd, '/lab/dhcpd.leases': '' });
  });

  test('Kea: the generated JSON with only the lease store (in memory) and the log (stderr) changed, pid and lock files in the lab', () => {
    const [tftp, kea] = bootServerPlan({ ...OPTIONS, kind: 'kea' });
    expect(tftp!.name).toBe('dnsmasq-tftp');
    const written = JSON.parse(kea!.files['/lab/kea-dhcp4.conf']!);
    const generated = JSON.parse(GENERATED.kea);
    const { 'lease-database': leases, loggers, ...rest } = written.Dhcp4;
    const { 'lease-database': _generatedLeases, ...generatedRest } = generated.Dhcp4;
    expect(rest).toEqual(generatedRest);
    expect(leases).toEqual({ type: 'memfile', persist: false });
    expect(loggers).toEqual([{ name: 'kea-dhcp4', output_options: [{ output: 'stderr' }], severity: 'INFO' }]);
    expect(kea!.env).toEqual({ KEA_PIDFILE_DIR: '/lab', KEA_LOCKFILE_DIR: '/lab' });
  });
});

describe('leaseAckPattern', () => {
  const MAC = '52:54:00:B3:00:02';
  const lines = {
    dnsmasq: 'dnsmasq-dhcp: 2103958417 DHCPACK(br0) 10.77.1.123 52:54:00:b3:00:02',
    'isc-dhcpd': 'DHCPACK on 10.77.1.123 to 52:54:00:b3:00:02 via br0',
    kea: 'INFO  [kea-dhcp4.leases/1] DHCP4_LEASE_ALLOC [hwtype=1 52:54:00:b3:00:02], cid=[no info], tid=0x1: lease 10.77.1.100 has been allocated for 600 s',
  } as const;

  test("each daemon's lease line for the MAC matches its own pattern, whatever the MAC's case", () => {
    for (const [kind, line] of Object.entries(lines)) expect(leaseAckPattern(kind as keyof typeof lines, MAC).test(line)).toBe(true);
  });

  test("another MAC's lease, or another daemon's line, does not match", () => {
    for (const [kind, line] of Object.entries(lines)) {
      expect(leaseAckPattern(kind as keyof typeof lines, '52:54:00:b3:00:03').test(line)).toBe(false);
      const others = Object.entries(lines).filter(([k]) => k !== kind);
      for (const [, other] of others) expect(leaseAckPattern(kind as keyof typeof lines, MAC).test(other)).toBe(false);
    }
  });
});
