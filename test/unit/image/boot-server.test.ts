/**
 * The boot-server configurations (image/boot-server.ts): each daemon sends each client
 * kind to its first boot file, HTTP boot replies carry vendor class HTTPClient, bad
 * options are refused by name, and the daemons' own config checks accept the output
 * (`dhcpd -t`, `kea-dhcp4 -t`, `dnsmasq --test`; installed by make deps / image-deps).
 */
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BOOT_FILES,
  type BootServerOptions,
  bootServerConfigs,
  EXAMPLE_BOOT_SERVER,
  firstBootFile,
  parseSubnet,
  renderDnsmasq,
  renderIscDhcpd,
  renderKea,
} from '../../../image/boot-server.ts';
import { bootScripts } from '../../../image/boot-scripts.ts';

const OPTIONS: BootServerOptions = {
  serverIp: '10.99.0.1',
  subnet: '10.99.0.0/24',
  range: ['10.99.0.100', '10.99.0.199'],
  tftpRoot: '/srv/boot',
  httpBase: 'http://10.99.0.1:8080/',
};

test('the first boot file per client kind: undionly.kpxe, shim over TFTP, the RAM-disk image by URL, the iPXE script', () => {
  expect(firstBootFile('bios', OPTIONS)).toBe('undionly.kpxe');
  expect(firstBootFile('uefi', OPTIONS)).toBe('shimx64.efi');
  expect(firstBootFile('uefi-http', OPTIONS)).toBe('http://10.99.0.1:8080/boot.img');
  expect(firstBootFile('ipxe', OPTIONS)).toBe('http://10.99.0.1:8080/boot.ipxe');
  expect(firstBootFile('ipxe', { ...OPTIONS, ipxeScriptUrl: 'http://10.99.0.1:8080/site.ipxe' })).toBe('http://10.99.0.1:8080/site.ipxe');
});

test('every boot file is one make image produces: the generated scripts, the chain, kernel, initrd and the RAM disk', () => {
  expect(BOOT_FILES.map((f) => f.path).sort()).toEqual(
    [...Object.keys(bootScripts()), 'undionly.kpxe', 'shimx64.efi', 'grubx64.efi', 'vmlinuz', 'initrd.zst', 'boot.img'].sort(),
  );
  for (const kind of ['bios', 'uefi'] as const) expect(BOOT_FILES.some((f) => f.clients.includes(kind) && f.path === 'vmlinuz')).toBe(true);
  // UEFI HTTP boot fetches one file, over HTTP: the RAM disk holds the rest (Debian's network GRUB has no http module).
  expect(BOOT_FILES.filter((f) => f.clients.includes('uefi-http'))).toEqual([expect.objectContaining({ path: 'boot.img', over: ['http'] })]);
  expect(new URL(firstBootFile('uefi-http', OPTIONS)).pathname).toBe('/boot.img');
});

test('dnsmasq: tags by option 175, 93 and vendor class; mutually exclusive dhcp-boot lines; HTTPClient echoed', () => {
  const lines = renderDnsmasq(OPTIONS).split('\n');
  expect(lines).toContain('dhcp-range=10.99.0.100,10.99.0.199,255.255.255.0,600s');
  expect(lines).toContain('tftp-root=/srv/boot');
  expect(lines).toContain('dhcp-match=set:ipxe,175');
  expect(lines).toContain('dhcp-match=set:efi64,option:client-arch,7');
  expect(lines).toContain('dhcp-match=set:efi64,option:client-arch,9');
  expect(lines).toContain('dhcp-match=set:efihttp,option:client-arch,16');
  expect(lines).toContain('dhcp-option-force=tag:efihttp,option:vendor-class,HTTPClient');
  expect(lines.filter((l) => l.startsWith('dhcp-boot='))).toEqual([
    'dhcp-boot=tag:efihttp,http://10.99.0.1:8080/boot.img',
    'dhcp-boot=tag:ipxe,tag:!efihttp,http://10.99.0.1:8080/boot.ipxe',
    'dhcp-boot=tag:efi64,tag:!ipxe,tag:!efihttp,shimx64.efi,,10.99.0.1',
    'dhcp-boot=tag:!efi64,tag:!ipxe,tag:!efihttp,undionly.kpxe,,10.99.0.1',
  ]);
  expect(lines.some((l) => l.startsWith('interface='))).toBe(false);
  expect(renderDnsmasq({ ...OPTIONS, interface: 'veth0', router: '10.99.0.254' })).toContain('interface=veth0\n');
});

test('ISC dhcpd: HTTP boot first (with HTTPClient), then iPXE, then UEFI arch 7/9, else BIOS', () => {
  const text = renderIscDhcpd({ ...OPTIONS, router: '10.99.0.254', dnsServers: ['10.99.0.53', '10.99.0.54'] });
  expect(text).toContain('option client-arch code 93 = unsigned integer 16;');
  expect(text).toContain('subnet 10.99.0.0 netmask 255.255.255.0 {');
  expect(text).toContain('option domain-name-servers 10.99.0.53, 10.99.0.54;');
  const order = ['"HTTPClient" or option client-arch = 00:10', 'option vendor-class-identifier "HTTPClient";', 'filename "http://10.99.0.1:8080/boot.img";'];
  order.push('option user-class = "iPXE"', 'filename "http://10.99.0.1:8080/boot.ipxe";', 'client-arch = 00:07 or option client-arch = 00:09');
  order.push('filename "shimx64.efi";', '} else {', 'filename "undionly.kpxe";');
  const positions = order.map((snippet) => text.indexOf(snippet));
  expect(positions.every((p) => p >= 0)).toBe(true);
  expect(positions).toEqual([...positions].sort((a, b) => a - b));
});

test('Kea: four mutually exclusive classes; the HTTP class always sends HTTPClient', () => {
  const config = JSON.parse(renderKea(OPTIONS)).Dhcp4;
  const classes = config['client-classes'] as { name: string; test: string; 'boot-file-name': string; 'option-data'?: unknown[] }[];
  expect(classes.map((c) => [c.name, c['boot-file-name']])).toEqual([
    ['uefi-http', 'http://10.99.0.1:8080/boot.img'],
    ['ipxe', 'http://10.99.0.1:8080/boot.ipxe'],
    ['uefi-pxe', 'shimx64.efi'],
    ['bios-pxe', 'undionly.kpxe'],
  ]);
  expect(classes[0]!['option-data']).toEqual([{ name: 'vendor-class-identifier', data: 'HTTPClient', 'always-send': true }]);
  for (const later of classes.slice(1)) expect(later.test).toContain("not member('uefi-http')");
  expect(config.subnet4[0]).toMatchObject({ subnet: '10.99.0.0/24', pools: [{ pool: '10.99.0.100 - 10.99.0.199' }], 'next-server': '10.99.0.1' });
  expect(config['interfaces-config'].interfaces).toEqual(['*']);
});

test('bad options are refused naming the field', () => {
  expect(() => bootServerConfigs({ ...OPTIONS, serverIp: '10.99.0' })).toThrow('serverIp must be an IPv4 address');
  expect(() => bootServerConfigs({ ...OPTIONS, subnet: '10.99.0.0' })).toThrow('subnet must be CIDR');
  expect(() => bootServerConfigs({ ...OPTIONS, httpBase: 'http://10.99.0.1:8080' })).toThrow('httpBase must be an http(s) URL of a directory, ending in "/"');
  expect(() => bootServerConfigs({ ...OPTIONS, tftpRoot: 'srv/boot' })).toThrow('tftpRoot must be an absolute path');
  expect(() => bootServerConfigs({ ...OPTIONS, interface: 'eth0 # x' })).toThrow('interface must not contain spaces');
  expect(() => bootServerConfigs({ ...OPTIONS, ipxeScriptUrl: 'site.ipxe' })).toThrow('ipxeScriptUrl must be an http(s) or tftp URL');
});

test('parseSubnet derives the netmask from the prefix length', () => {
  expect(parseSubnet('10.0.0.0/24')).toEqual({ network: '10.0.0.0', prefixLength: 24, netmask: '255.255.255.0' });
  expect(parseSubnet('172.16.0.0/12').netmask).toBe('255.240.0.0');
  expect(parseSubnet('0.0.0.0/0').netmask).toBe('0.0.0.0');
});

/** Runs a daemon's config check on TEXT written to a file; returns exit code and output. */
function check(argv: (file: string) => string[], text: string, name: string): { exitCode: number; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bm-boot-server-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  const run = Bun.spawnSync(argv(file), { stdout: 'pipe', stderr: 'pipe' });
  return { exitCode: run.exitCode ?? -1, output: `${run.stdout}${run.stderr}` };
}

const TOOLS = {
  dhcpd: { bin: Bun.which('dhcpd') ?? (Bun.which('dhcpd', { PATH: '/usr/sbin' }) || null), argv: (bin: string) => (f: string) => [bin, '-t', '-cf', f] },
  'kea-dhcp4': { bin: Bun.which('kea-dhcp4', { PATH: '/usr/sbin:/usr/bin' }), argv: (bin: string) => (f: string) => [bin, '-t', f] },
  dnsmasq: { bin: Bun.which('dnsmasq', { PATH: '/usr/sbin:/usr/bin' }), argv: (bin: string) => (f: string) => [bin, '--test', `--conf-file=${f}`] },
};
for (const [name, tool] of Object.entries(TOOLS)) {
  if (!tool.bin) console.error(`!!! NOT RUN: ${name} is missing, its config check is skipped (make deps / make image-deps as root)`);
}

describe("the daemons' own config checks accept the generated configurations", () => {
  // The docs' example on an interface that exists here (kea-dhcp4 -t opens it), and a minimal lab configuration.
  const configs = { example: bootServerConfigs({ ...EXAMPLE_BOOT_SERVER, interface: 'lo' }), lab: bootServerConfigs({ ...OPTIONS, interface: 'lo' }) };
  for (const [label, c] of Object.entries(configs)) {
    test.skipIf(!TOOLS.dhcpd.bin)(`dhcpd -t (${label})`, () => {
      expect(check(TOOLS.dhcpd.argv(TOOLS.dhcpd.bin!), c.iscDhcpd, 'dhcpd.conf').exitCode).toBe(0);
    });
    test.skipIf(!TOOLS['kea-dhcp4'].bin)(`kea-dhcp4 -t (${label})`, () => {
      const result = check(TOOLS['kea-dhcp4'].argv(TOOLS['kea-dhcp4'].bin!), c.kea, 'kea-dhcp4.conf');
      expect(result.output).not.toContain('ERROR');
      expect(result.exitCode).toBe(0);
    });
    test.skipIf(!TOOLS.dnsmasq.bin)(`dnsmasq --test (${label}), DHCP+TFTP and TFTP only`, () => {
      expect(check(TOOLS.dnsmasq.argv(TOOLS.dnsmasq.bin!), c.dnsmasq, 'dnsmasq.conf')).toEqual({ exitCode: 0, output: 'dnsmasq: syntax check OK.\n' });
      expect(check(TOOLS.dnsmasq.argv(TOOLS.dnsmasq.bin!), c.dnsmasqTftpOnly, 'tftp.conf')).toEqual({ exitCode: 0, output: 'dnsmasq: syntax check OK.\n' });
    });
  }

  test.skipIf(!TOOLS.dhcpd.bin || !TOOLS['kea-dhcp4'].bin || !TOOLS.dnsmasq.bin)('the checks are not rubber stamps: each refuses a broken config', () => {
    const c = configs.lab;
    expect(check(TOOLS.dhcpd.argv(TOOLS.dhcpd.bin!), c.iscDhcpd.replace('range ', 'rnage '), 'dhcpd.conf').exitCode).not.toBe(0);
    expect(check(TOOLS['kea-dhcp4'].argv(TOOLS['kea-dhcp4'].bin!), c.kea.replace("== 'iPXE'", "=== 'iPXE'"), 'kea.conf').exitCode).not.toBe(0);
    expect(check(TOOLS.dnsmasq.argv(TOOLS.dnsmasq.bin!), c.dnsmasq.replace('dhcp-match=', 'dhcp-matc='), 'dnsmasq.conf').exitCode).not.toBe(0);
  });
});
