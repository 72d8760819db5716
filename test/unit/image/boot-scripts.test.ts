/**
 * boot.ipxe and grub/grub.cfg come from one declaration of the kernel command line
 * (image/boot-scripts.ts): both carry the same arguments, a change to the declaration
 * shows in both, the site override story works for each, and GRUB's own parser
 * (grub-script-check, package grub-common) accepts what we generate.
 */
import { expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BOOT_VARIABLES,
  type BootVariable,
  effectiveCommandLine,
  FIXED_KERNEL_ARGUMENTS,
  grubName,
  grubQuote,
  ipxeName,
  renderGrubConfig,
  renderGrubSiteConfig,
  renderIpxeScript,
  renderIpxeSiteScript,
} from '../../../image/boot-scripts.ts';

/** The arguments after the kernel path on the `kernel` (iPXE) or `linux` (GRUB) line, with each variable reference made neutral. */
function kernelArguments(script: string, command: 'kernel' | 'linux'): string[] {
  const line = script.split('\n').find((l) => l.trimStart().startsWith(`${command} `) || l.startsWith(`if ${command} `));
  if (!line) throw new Error(`no ${command} line in:\n${script}`);
  const args = line
    .replace(/^if /, '')
    .replace(/; then$/, '')
    .replace(/ \|\| goto failed$/, '')
    .trim()
    .split(/\s+/)
    .slice(2)
    .filter((a) => !a.startsWith('initrd='));
  return args.map((a) => a.replace(/\$\{bm[-_]([a-z_-]+)\}/g, (_, name: string) => `<${name.replaceAll('_', '-')}>`));
}

/** The default each script assigns to each variable: iPXE `isset … || set NAME VALUE`, GRUB `if [ -z … ]; then set NAME="VALUE"`. */
function defaults(script: string, kind: 'ipxe' | 'grub'): Record<string, string> {
  const out: Record<string, string> = {};
  const pattern =
    kind === 'ipxe' ? /^isset \$\{bm-([a-z-]+)\} \|\| set bm-[a-z-]+ ?(.*)$/gm : /^if \[ -z "\$\{bm_([a-z_]+)\}" \]; then set bm_[a-z_]+="(.*)"; fi$/gm;
  for (const match of script.matchAll(pattern)) if (match[1] !== 'boot') out[match[1]!.replaceAll('_', '-')] = match[2]!;
  return out;
}

test('boot.ipxe and grub.cfg pass the same kernel arguments in the same order', () => {
  const ipxe = kernelArguments(renderIpxeScript(), 'kernel');
  const grub = kernelArguments(renderGrubConfig(), 'linux');
  expect(ipxe).toEqual(grub);
  expect(ipxe).toEqual([...FIXED_KERNEL_ARGUMENTS, 'bm.netbox_url=<netbox-url>', '<token-arg>', 'bm.profile=<profile>', 'bm.on_finish=<on-finish>', '<extra>']);
});

test('both scripts default every variable to the declared default', () => {
  const declared = Object.fromEntries(BOOT_VARIABLES.map((v) => [v.name, v.default]));
  expect(defaults(renderIpxeScript(), 'ipxe')).toEqual(declared);
  expect(defaults(renderGrubConfig(), 'grub')).toEqual(declared);
  expect(declared['netbox-url']).toBe('https://netbox.example.net');
});

test('a new or changed variable in the declaration shows in both scripts', () => {
  const changed: BootVariable[] = [
    ...BOOT_VARIABLES.map((v) => (v.name === 'profile' ? { ...v, default: 'quick' } : v)),
    { name: 'on-failure', argument: 'bm.on_failure=', default: 'leave', description: 'status on failure' },
  ];
  const ipxe = renderIpxeScript(changed);
  const grub = renderGrubConfig(changed);
  expect(kernelArguments(ipxe, 'kernel')).toEqual(kernelArguments(grub, 'linux'));
  expect(kernelArguments(ipxe, 'kernel').at(-1)).toBe('bm.on_failure=<on-failure>');
  expect(defaults(ipxe, 'ipxe')).toMatchObject({ profile: 'quick', 'on-failure': 'leave' });
  expect(defaults(grub, 'grub')).toMatchObject({ profile: 'quick', 'on-failure': 'leave' });
});

test('variable names: kebab case for iPXE, underscores for GRUB', () => {
  expect(BOOT_VARIABLES.map(ipxeName)).toEqual(['bm-netbox-url', 'bm-token-arg', 'bm-profile', 'bm-on-finish', 'bm-extra']);
  expect(BOOT_VARIABLES.map(grubName)).toEqual(['bm_netbox_url', 'bm_token_arg', 'bm_profile', 'bm_on_finish', 'bm_extra']);
});

test('grub.cfg sources the site file before the defaults, loads kernel and initrd from $bm_boot and retries on failure', () => {
  const lines = renderGrubConfig().split('\n');
  const site = lines.indexOf('source "$prefix/site.cfg"');
  const firstDefault = lines.findIndex((l) => l.startsWith('if [ -z "${bm_'));
  expect(site).toBeGreaterThan(-1);
  expect(site).toBeLessThan(firstDefault);
  expect(lines).toContain(`  if initrd \${bm_boot}/initrd.zst; then boot; fi`);
  expect(lines.at(-2)).toBe('configfile "$prefix/grub.cfg"');
});

test('the effective command line uses site values where set and the defaults elsewhere', () => {
  expect(effectiveCommandLine({ 'netbox-url': 'http://10.0.0.5:8000', extra: 'bm.lldp.deadline_s=60' })).toBe(
    `${FIXED_KERNEL_ARGUMENTS.join(' ')} bm.netbox_url=http://10.0.0.5:8000 bm.token_file=/etc/bm-agent/netbox-token bm.profile=full bm.on_finish=stay bm.lldp.deadline_s=60`,
  );
});

test('site files set the variables under each loader name; unknown names and multi-line values are refused', () => {
  expect(renderIpxeSiteScript({ 'netbox-url': 'https://nb', profile: 'quick' }, 'http://10.0.0.5/boot.ipxe')).toBe(
    '#!ipxe\n# Site settings; the shipped boot.ipxe does the rest.\nset bm-netbox-url https://nb\nset bm-profile quick\nchain http://10.0.0.5/boot.ipxe\n',
  );
  expect(renderGrubSiteConfig({ extra: 'bm.callback_url=http://x/$y' }, '(tftp,10.0.0.5)')).toBe(
    '# Site settings, sourced by the shipped grub.cfg.\nset bm_extra="bm.callback_url=http://x/\\$y"\nset bm_boot="(tftp,10.0.0.5)"\n',
  );
  expect(() => renderGrubSiteConfig({ netbox_url: 'x' })).toThrow('unknown variable "netbox_url"; known: netbox-url, token-arg');
  expect(() => renderIpxeSiteScript({ extra: 'a\nshell' }, 'x')).toThrow('the value of "extra" must be one line');
});

test('grubQuote escapes what GRUB would expand or end the string on', () => {
  expect(grubQuote('a "b" $c \\d')).toBe('"a \\"b\\" \\$c \\\\d"');
});

const grubScriptCheck = Bun.which('grub-script-check');
if (!grubScriptCheck) console.error('!!! NOT RUN: grub-script-check is missing (package grub-common: make image-deps as root)');
test.skipIf(!grubScriptCheck)("GRUB's own parser accepts grub.cfg and a site.cfg", () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-grub-'));
  for (const [name, text] of [
    ['grub.cfg', renderGrubConfig()],
    ['site.cfg', renderGrubSiteConfig({ 'netbox-url': 'http://10.0.0.5:8000', 'token-arg': 'bm.netbox_token=nbt_x', extra: 'a=1 b="2"' }, '(tftp,10.0.0.5)')],
  ]) {
    writeFileSync(join(dir, name!), text!);
    const run = Bun.spawnSync([grubScriptCheck!, join(dir, name!)], { stdout: 'pipe', stderr: 'pipe' });
    expect({ name, exitCode: run.exitCode, stderr: run.stderr.toString() }).toEqual({ name, exitCode: 0, stderr: '' });
  }
});

test('grub-script-check is not a rubber stamp: an unclosed if is refused', () => {
  if (!grubScriptCheck) return;
  const dir = mkdtempSync(join(tmpdir(), 'bm-grub-'));
  writeFileSync(join(dir, 'bad.cfg'), renderGrubConfig().replace('\nfi\n', '\n'));
  expect(Bun.spawnSync([grubScriptCheck, join(dir, 'bad.cfg')], { stdout: 'pipe', stderr: 'pipe' }).exitCode).not.toBe(0);
});
