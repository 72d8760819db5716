/**
 * `build-image.sh uefi` (make image): copies Debian's signed shim and network GRUB and
 * iPXE's undionly.kpxe into the boot tree, and stops with sbverify's output when the
 * kernel (or shim, or GRUB) lacks its Secure Boot signature. Runs the real script and
 * sbverify against the host's packages (make image-deps installs them); the "kernel" is
 * a stand-in with or without the Debian CA's signature, so no image build is needed.
 */
import { expect, test } from 'bun:test';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DEBIAN_SIGNED = '/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed';
const UNSIGNED = '/usr/lib/shim/shimx64.efi';
const NEEDED = [Bun.which('sbverify'), DEBIAN_SIGNED, UNSIGNED, '/usr/lib/shim/shimx64.efi.signed', '/usr/lib/ipxe/undionly.kpxe'];
const ready = NEEDED.every((n) => n && existsSync(n));
if (!ready) console.error('!!! NOT RUN: sbverify, shim-signed, grub-efi-amd64-signed or ipxe missing (make image-deps as root)');

/** A boot-tree directory whose base holds KERNEL as its vmlinuz; runs the uefi step there. */
function runUefi(kernel: string, env: Record<string, string> = {}) {
  const out = mkdtempSync(join(tmpdir(), 'bm-image-uefi-'));
  mkdirSync(join(out, '.base'));
  copyFileSync(kernel, join(out, '.base', 'vmlinuz'));
  writeFileSync(join(out, '.base', 'kernel-version'), '6.1.0-test-amd64\n');
  const run = Bun.spawnSync(['image/build-image.sh', 'uefi'], { env: { ...process.env, IMAGE_OUT: out, ...env }, stdout: 'pipe', stderr: 'pipe' });
  return { out, exitCode: run.exitCode, stdout: run.stdout.toString(), stderr: run.stderr.toString() };
}

test.skipIf(!ready)('a Debian-signed kernel passes and the tree gets shimx64.efi, grubx64.efi and undionly.kpxe', () => {
  const run = runUefi(DEBIAN_SIGNED);
  expect(run.stderr).toBe('');
  expect(run.exitCode).toBe(0);
  expect(run.stdout).toContain('carry their Secure Boot signatures');
  expect(readdirSync(run.out).sort()).toEqual(['.base', 'grubx64.efi', 'shimx64.efi', 'undionly.kpxe']);
  expect(Bun.file(join(run.out, 'grubx64.efi')).size).toBe(Bun.file(DEBIAN_SIGNED).size);
});

test.skipIf(!ready)('an unsigned kernel stops the build, naming the kernel, the missing signer and what sbverify saw', () => {
  const run = runUefi(UNSIGNED);
  expect(run.exitCode).not.toBe(0);
  expect(run.stderr).toContain('build-image: the kernel (linux-image-amd64 6.1.0-test-amd64)');
  expect(run.stderr).toContain('is not signed by Debian Secure Boot CA');
  expect(run.stderr).toContain('No signature table present');
  expect(existsSync(join(run.out, 'grubx64.efi'))).toBe(false);
});

test.skipIf(!ready)('a shim without Microsoft signature stops the build before anything is copied', () => {
  const run = runUefi(DEBIAN_SIGNED, { SHIM_EFI: UNSIGNED });
  expect(run.exitCode).not.toBe(0);
  expect(run.stderr).toContain('build-image: shim (/usr/lib/shim/shimx64.efi) is not signed by Microsoft');
  expect(readdirSync(run.out)).toEqual(['.base']);
});

test.skipIf(!ready)("a host of another Debian release than the image's stops the build: shim, GRUB and kernel must be one set", () => {
  const osRelease = join(mkdtempSync(join(tmpdir(), 'bm-os-release-')), 'os-release');
  writeFileSync(osRelease, 'ID=debian\nVERSION_CODENAME=trixie\n');
  const run = runUefi(DEBIAN_SIGNED, { OS_RELEASE_FILE: osRelease });
  expect(run.exitCode).not.toBe(0);
  expect(run.stderr).toContain("comes from the host's shim-signed and grub-efi-amd64-signed (trixie) but the kernel from Release=bookworm");
  expect(run.stderr).toContain('Build on Debian bookworm, or set Release=trixie.');
});
