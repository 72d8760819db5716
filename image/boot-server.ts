/**
 * Boot-server configuration for the three kinds of network-booting clients, told apart
 * by DHCP option 93 (client system architecture, RFC 4578) and the vendor class:
 *
 * - legacy BIOS PXE (arch 0) → `undionly.kpxe` over TFTP; iPXE then asks again (user
 *   class `iPXE`, option 175) and gets the iPXE script's URL;
 * - UEFI PXE (arch 7 or 9) → Debian's signed `shimx64.efi` over TFTP, which loads the
 *   signed `grubx64.efi` from its own directory; GRUB reads `/grub/grub.cfg` and loads
 *   the signed kernel (Secure Boot on or off: the same chain);
 * - UEFI HTTP boot (arch 16, vendor class `HTTPClient…`) → the URL of `boot.img`, a FAT
 *   image the firmware mounts as a RAM disk (by the `.img` extension) and boots from its
 *   `EFI/BOOT/BOOTX64.EFI` (shim); Debian's signed network GRUB has no http module, so
 *   GRUB, grub.cfg, the kernel and the initrd are all on that disk. The reply must carry
 *   vendor class `HTTPClient` or the firmware ignores it.
 *
 * Pure: options in, configuration text out, for ISC dhcpd, Kea and dnsmasq. The same
 * functions render the examples in docs/image.md (docs/generate.ts) and configure the
 * e2e's boot servers, so what the docs show is what was booted.
 */

/** Where and how the boot files are served. Every address is IPv4 dotted quad. */
export interface BootServerOptions {
  /** The boot server: DHCP server identity, TFTP server (`next-server`), usually also the HTTP host. */
  serverIp: string;
  /** The clients' subnet in CIDR notation, e.g. `10.0.0.0/24`. */
  subnet: string;
  /** First and last address handed out. */
  range: readonly [start: string, end: string];
  /** Default gateway for the clients (none when absent: the boot server's subnet is enough). */
  router?: string;
  /** DNS servers for the clients (none when absent). */
  dnsServers?: readonly string[];
  /** Lease time; default 600 s (a boot, a validation run, a retry). */
  leaseSeconds?: number;
  /** The directory dnsmasq's TFTP server serves (the boot tree, e.g. a copy of dist/image). ISC dhcpd and Kea do not serve TFTP. */
  tftpRoot: string;
  /**
   * URL of the directory the boot tree is served from over HTTP, ending in `/`, e.g. `http://10.0.0.5:8080/`.
   * UEFI HTTP boot clients get `${httpBase}boot.img` (a RAM disk with the whole chain). For TFTP clients, GRUB's embedded
   * prefix is `/grub`: grub.cfg must be at `/grub/grub.cfg` of the TFTP root (docs/image.md).
   */
  httpBase: string;
  /** What iPXE clients are given: a full URL; default `${httpBase}boot.ipxe` (a site script chaining boot.ipxe also fits). */
  ipxeScriptUrl?: string;
  /** Interface the DHCP server listens on (dnsmasq `interface=`, Kea `interfaces-config`); default: all (Kea `*`). */
  interface?: string;
}

/** The three configurations; each is the complete text of one file. */
export interface BootServerConfigs {
  /** dnsmasq: DHCP and TFTP in one (`dnsmasq --conf-file=FILE`). */
  dnsmasq: string;
  /** ISC dhcpd (`dhcpd -cf FILE`); a TFTP server for `tftpRoot` is needed next to it (e.g. `dnsmasqTftpOnly`). */
  iscDhcpd: string;
  /** Kea DHCPv4 as JSON (`kea-dhcp4 -c FILE`); like dhcpd, it needs a TFTP server next to it. */
  kea: string;
  /** dnsmasq as TFTP server only (`port=0`: no DNS, no DHCP), for use next to ISC dhcpd or Kea. */
  dnsmasqTftpOnly: string;
}

/** Which client kind fetches a file (see the module comment). */
export type ClientKind = 'bios' | 'uefi' | 'uefi-http';

/** A file the boot server must serve, by its path in the boot tree (dist/image/ after `make image`). */
export interface BootFile {
  path: string;
  /** The client kinds that fetch it. */
  clients: readonly ClientKind[];
  /** Over which protocols it is fetched: TFTP for what the firmware's PXE loads, HTTP for what iPXE or HTTP boot loads. */
  over: readonly ('tftp' | 'http')[];
  what: string;
}

/** Every file of the boot tree. All are in dist/image/ after `make image`, at these paths; serve the tree's root. */
export const BOOT_FILES: readonly BootFile[] = [
  { path: 'undionly.kpxe', clients: ['bios'], over: ['tftp'], what: 'iPXE for legacy BIOS PXE ROMs (Debian package ipxe)' },
  { path: 'boot.ipxe', clients: ['bios'], over: ['http', 'tftp'], what: 'the iPXE script: kernel arguments, kernel, initrd' },
  { path: 'shimx64.efi', clients: ['uefi'], over: ['tftp'], what: "Debian's shim, signed by Microsoft (shim-signed)" },
  {
    path: 'grubx64.efi',
    clients: ['uefi'],
    over: ['tftp'],
    what: "Debian's signed network GRUB (grub-efi-amd64-signed: grubnetx64.efi.signed); shim loads it by this name from its own directory",
  },
  {
    path: 'grub/grub.cfg',
    clients: ['uefi'],
    over: ['tftp'],
    what: "GRUB's configuration; GRUB's embedded prefix is /grub, so it must be at the server root's /grub/",
  },
  { path: 'vmlinuz', clients: ['bios', 'uefi'], over: ['tftp', 'http'], what: 'the Debian-signed kernel' },
  { path: 'initrd.zst', clients: ['bios', 'uefi'], over: ['tftp', 'http'], what: 'the root file system with bm-agent' },
  {
    path: 'boot.img',
    clients: ['uefi-http'],
    over: ['http'],
    what:
      'FAT32 RAM disk for UEFI HTTP boot: EFI/BOOT/BOOTX64.EFI (shim), grubx64.efi, grub/grub.cfg, vmlinuz, initrd.zst ' +
      '(a site adds grub/site.cfg with mcopy)',
  },
];

/** The boot file each client kind is handed first, by DHCP: a TFTP path or (HTTP boot) a URL. */
export function firstBootFile(kind: ClientKind | 'ipxe', options: Pick<BootServerOptions, 'httpBase' | 'ipxeScriptUrl'>): string {
  switch (kind) {
    case 'bios':
      return 'undionly.kpxe';
    case 'uefi':
      return 'shimx64.efi';
    case 'uefi-http':
      return `${options.httpBase}boot.img`;
    case 'ipxe':
      return options.ipxeScriptUrl ?? `${options.httpBase}boot.ipxe`;
  }
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function checkIp(value: string, field: string): void {
  if (!IPV4.test(value)) throw new Error(`bootServerConfigs: ${field} must be an IPv4 address like 10.0.0.5, got ${JSON.stringify(value)}`);
}

/** `10.0.0.0/24` → network and netmask; throws naming the field when the notation is wrong. */
export function parseSubnet(subnet: string): { network: string; prefixLength: number; netmask: string } {
  const [network = '', length = ''] = subnet.split('/');
  const prefixLength = Number(length);
  if (!IPV4.test(network) || !/^\d+$/.test(length) || prefixLength > 32) {
    throw new Error(`bootServerConfigs: subnet must be CIDR like 10.0.0.0/24, got ${JSON.stringify(subnet)}`);
  }
  const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  const netmask = [24, 16, 8, 0].map((shift) => (mask >>> shift) & 0xff).join('.');
  return { network, prefixLength, netmask };
}

function checkOptions(options: BootServerOptions): void {
  checkIp(options.serverIp, 'serverIp');
  parseSubnet(options.subnet);
  checkIp(options.range[0], 'range[0]');
  checkIp(options.range[1], 'range[1]');
  if (options.router) checkIp(options.router, 'router');
  for (const dns of options.dnsServers ?? []) checkIp(dns, 'dnsServers');
  if (!/^https?:\/\/[^/\s"]+\/([^\s"]*\/)?$/.test(options.httpBase)) {
    throw new Error(`bootServerConfigs: httpBase must be an http(s) URL of a directory, ending in "/", got ${JSON.stringify(options.httpBase)}`);
  }
  if (options.ipxeScriptUrl !== undefined && !/^(https?|tftp):\/\/[^\s"]+$/.test(options.ipxeScriptUrl)) {
    throw new Error(`bootServerConfigs: ipxeScriptUrl must be an http(s) or tftp URL, got ${JSON.stringify(options.ipxeScriptUrl)}`);
  }
  for (const [field, value] of [
    ['tftpRoot', options.tftpRoot],
    ['interface', options.interface ?? ''],
  ] as const) {
    if (/[\s"#]/.test(value)) throw new Error(`bootServerConfigs: ${field} must not contain spaces, quotes or #, got ${JSON.stringify(value)}`);
  }
  if (!options.tftpRoot.startsWith('/')) throw new Error(`bootServerConfigs: tftpRoot must be an absolute path, got ${JSON.stringify(options.tftpRoot)}`);
}

const leaseOf = (options: BootServerOptions) => options.leaseSeconds ?? 600;

/** dnsmasq: DHCP on the subnet plus its own TFTP server; tags by option 175 (iPXE), 93 (arch) and the vendor class. */
export function renderDnsmasq(options: BootServerOptions): string {
  checkOptions(options);
  const { netmask } = parseSubnet(options.subnet);
  return [
    '# bm-agent boot server (dnsmasq): DHCP + TFTP. Generated by image/boot-server.ts.',
    ...(options.interface ? [`interface=${options.interface}`] : []),
    `dhcp-range=${options.range[0]},${options.range[1]},${netmask},${leaseOf(options)}s`,
    ...(options.router ? [`dhcp-option=option:router,${options.router}`] : []),
    ...(options.dnsServers?.length ? [`dhcp-option=option:dns-server,${options.dnsServers.join(',')}`] : []),
    'enable-tftp',
    `tftp-root=${options.tftpRoot}`,
    '# Client kinds: iPXE announces itself with option 175; option 93 is the firmware architecture.',
    'dhcp-match=set:ipxe,175',
    'dhcp-match=set:efi64,option:client-arch,7',
    'dhcp-match=set:efi64,option:client-arch,9',
    'dhcp-match=set:efihttp,option:client-arch,16',
    'dhcp-vendorclass=set:efihttp,HTTPClient',
    '# UEFI HTTP boot: a URL as boot file, and the reply must say vendor class HTTPClient.',
    'dhcp-option-force=tag:efihttp,option:vendor-class,HTTPClient',
    `dhcp-boot=tag:efihttp,${firstBootFile('uefi-http', options)}`,
    '# iPXE (after undionly.kpxe): the iPXE script.',
    `dhcp-boot=tag:ipxe,tag:!efihttp,${firstBootFile('ipxe', options)}`,
    '# UEFI PXE (Secure Boot or not): shim over TFTP, which loads grubx64.efi from the same directory.',
    `dhcp-boot=tag:efi64,tag:!ipxe,tag:!efihttp,${firstBootFile('uefi', options)},,${options.serverIp}`,
    '# Everything else is a legacy BIOS PXE ROM: iPXE.',
    `dhcp-boot=tag:!efi64,tag:!ipxe,tag:!efihttp,${firstBootFile('bios', options)},,${options.serverIp}`,
    '',
  ].join('\n');
}

/** dnsmasq as TFTP server only (no DNS, no DHCP), next to ISC dhcpd or Kea. */
export function renderDnsmasqTftpOnly(options: Pick<BootServerOptions, 'tftpRoot' | 'interface'>): string {
  return [
    '# bm-agent boot files over TFTP only (dnsmasq: port=0 turns DNS off; no dhcp-range, no DHCP). Generated by image/boot-server.ts.',
    'port=0',
    ...(options.interface ? [`interface=${options.interface}`] : []),
    'enable-tftp',
    `tftp-root=${options.tftpRoot}`,
    '',
  ].join('\n');
}

/** ISC dhcpd: one subnet; the boot file chosen by user class (iPXE), option 93 and the vendor class. */
export function renderIscDhcpd(options: BootServerOptions): string {
  checkOptions(options);
  const { network, netmask } = parseSubnet(options.subnet);
  const lease = leaseOf(options);
  const q = (text: string) => `"${text}"`;
  return [
    '# bm-agent boot server (ISC dhcpd). Generated by image/boot-server.ts.',
    '# TFTP is served by another daemon (dhcpd has none) from the boot tree, e.g. dnsmasq with port=0.',
    'authoritative;',
    `default-lease-time ${lease};`,
    `max-lease-time ${lease};`,
    'option client-arch code 93 = unsigned integer 16;',
    '',
    `subnet ${network} netmask ${netmask} {`,
    `  range ${options.range[0]} ${options.range[1]};`,
    ...(options.router ? [`  option routers ${options.router};`] : []),
    ...(options.dnsServers?.length ? [`  option domain-name-servers ${options.dnsServers.join(', ')};`] : []),
    `  next-server ${options.serverIp};`,
    '  if substring(option vendor-class-identifier, 0, 10) = "HTTPClient" or option client-arch = 00:10 {',
    '    # UEFI HTTP boot: a URL as boot file, and the reply must say vendor class HTTPClient.',
    '    option vendor-class-identifier "HTTPClient";',
    `    filename ${q(firstBootFile('uefi-http', options))};`,
    '  } elsif exists user-class and option user-class = "iPXE" {',
    `    filename ${q(firstBootFile('ipxe', options))};`,
    '  } elsif option client-arch = 00:07 or option client-arch = 00:09 {',
    '    # UEFI PXE (Secure Boot or not): shim over TFTP, which loads grubx64.efi from the same directory.',
    `    filename ${q(firstBootFile('uefi', options))};`,
    '  } else {',
    '    # Legacy BIOS PXE ROMs (and clients without option 93): iPXE.',
    `    filename ${q(firstBootFile('bios', options))};`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Kea DHCPv4 as JSON text: client classes, mutually exclusive and tried in order, set the boot file. */
export function renderKea(options: BootServerOptions): string {
  checkOptions(options);
  const { network, prefixLength } = parseSubnet(options.subnet);
  const optionData = [
    ...(options.router ? [{ name: 'routers', data: options.router }] : []),
    ...(options.dnsServers?.length ? [{ name: 'domain-name-servers', data: options.dnsServers.join(', ') }] : []),
  ];
  const config = {
    Dhcp4: {
      // An interface without carrier when Kea starts (the boot server up before its switch port) gets no socket, and
      // Kea never serves on it until restarted: keep trying every 5 s for 10 minutes instead (Kea ≥ 1.9.8).
      'interfaces-config': { interfaces: [options.interface ?? '*'], 'service-sockets-max-retries': 120, 'service-sockets-retry-wait-time': 5000 },
      'lease-database': { type: 'memfile', 'lfc-interval': 3600 },
      authoritative: true,
      'valid-lifetime': leaseOf(options),
      'client-classes': [
        {
          name: 'uefi-http',
          test: "substring(option[60].hex, 0, 10) == 'HTTPClient' or option[93].hex == 0x0010",
          'boot-file-name': firstBootFile('uefi-http', options),
          'option-data': [{ name: 'vendor-class-identifier', data: 'HTTPClient', 'always-send': true }],
        },
        {
          name: 'ipxe',
          test: "not member('uefi-http') and option[77].hex == 'iPXE'",
          'boot-file-name': firstBootFile('ipxe', options),
        },
        {
          name: 'uefi-pxe',
          test: "not member('uefi-http') and not member('ipxe') and (option[93].hex == 0x0007 or option[93].hex == 0x0009)",
          'next-server': options.serverIp,
          'boot-file-name': firstBootFile('uefi', options),
        },
        {
          name: 'bios-pxe',
          test: "not member('uefi-http') and not member('ipxe') and not member('uefi-pxe')",
          'next-server': options.serverIp,
          'boot-file-name': firstBootFile('bios', options),
        },
      ],
      subnet4: [
        {
          id: 1,
          subnet: `${network}/${prefixLength}`,
          pools: [{ pool: `${options.range[0]} - ${options.range[1]}` }],
          'next-server': options.serverIp,
          ...(optionData.length ? { 'option-data': optionData } : {}),
        },
      ],
    },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** All configurations for one boot server (see BootServerConfigs); throws naming the bad option. */
export function bootServerConfigs(options: BootServerOptions): BootServerConfigs {
  return {
    dnsmasq: renderDnsmasq(options),
    iscDhcpd: renderIscDhcpd(options),
    kea: renderKea(options),
    dnsmasqTftpOnly: renderDnsmasqTftpOnly(options),
  };
}

/** The example the docs render: a boot server at 10.0.0.5 serving the boot tree from /srv/bm-boot over TFTP and on port 80. */
export const EXAMPLE_BOOT_SERVER: BootServerOptions = {
  serverIp: '10.0.0.5',
  subnet: '10.0.0.0/24',
  range: ['10.0.0.100', '10.0.0.199'],
  router: '10.0.0.1',
  dnsServers: ['10.0.0.1'],
  tftpRoot: '/srv/bm-boot',
  httpBase: 'http://10.0.0.5/',
  ipxeScriptUrl: 'http://10.0.0.5/site.ipxe',
  interface: 'eth1',
};
