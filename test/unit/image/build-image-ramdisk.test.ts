/**
 * `build-image.sh ramdisk` (make image): writes boot.img, the FAT32 RAM disk UEFI HTTP boot
 * clients get (Debian's network GRUB has no http module, so the whole chain travels in one
 * image). Runs the real script with mkfs.fat and mtools on a tree of small stand-in files and
 * reads the image back with mtools: the firmware's removable-media path, GRUB's /grub prefix,
 * kernel and initrd at the root, and a size computed from the contents.
 */
import { expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** mkfs.fat lives in /usr/sbin, which a non-root PATH may lack. */
const PATH = `${process.env.PATH}:/usr/sbin:/sbin`;
const ready = ['mkfs.fat', 'mcopy', 'mtype'].every((tool) => Bun.which(tool, { PATH }));
if (!ready) console.error('!!! NOT RUN: mkfs.fat or mtools missing (make image-deps installs dosfstools and mtools)');

const MIB = 1048576;

/** A boot tree with stand-in files (initrd of INITRD_MIB MiB); runs the ramdisk step there. */
function runRamdisk(initrdMib: number, skip: string[] = []) {
  const out = mkdtempSync(join(tmpdir(), 'bm-image-ramdisk-'));
  mkdirSync(join(out, 'grub'));
  const files: Record<string, string | Uint8Array> = {
    'shimx64.efi': 'shim',
    'grubx64.efi': 'grub',
    'grub/grub.cfg': 'set bm_profile=full\n',
    vmlinuz: 'kernel',
    'initrd.zst': new Uint8Array(initrdMib * MIB).fill(7),
  };
  for (const [path, content] of Object.entries(files)) if (!skip.includes(path)) writeFileSync(join(out, path), content);
  const env = { ...process.env, IMAGE_OUT: out, PATH };
  const run = Bun.spawnSync(['image/build-image.sh', 'ramdisk'], { env, stdout: 'pipe', stderr: 'pipe' });
  const img = join(out, 'boot.img');
  const type = (path: string) => Bun.spawnSync(['mtype', '-i', img, `::${path}`], { env, stdout: 'pipe' }).stdout.toString();
  return { out, img, type, exitCode: run.exitCode, stdout: run.stdout.toString(), stderr: run.stderr.toString() };
}

test.skipIf(!ready)('boot.img holds shim as EFI/BOOT/BOOTX64.EFI, GRUB next to it, /grub/grub.cfg, kernel and initrd', () => {
  const run = runRamdisk(1);
  try {
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.type('/EFI/BOOT/BOOTX64.EFI')).toBe('shim');
    expect(run.type('/EFI/BOOT/grubx64.efi')).toBe('grub');
    expect(run.type('/grub/grub.cfg')).toBe('set bm_profile=full\n');
    expect(run.type('/vmlinuz')).toBe('kernel');
    expect(run.type('/initrd.zst').length).toBe(MIB);
    // FAT32 needs 65525 clusters: small contents still give 64 MiB.
    expect(Bun.file(run.img).size).toBe(64 * MIB);
  } finally {
    rmSync(run.out, { recursive: true, force: true });
  }
});

test.skipIf(!ready)('the size follows the contents: a 100 MiB initrd fits, with room left for a site.cfg', () => {
  const run = runRamdisk(100);
  try {
    expect(run.exitCode).toBe(0);
    const size = Bun.file(run.img).size;
    expect(size).toBeGreaterThan(100 * MIB);
    expect(size).toBeLessThan(112 * MIB);
    expect(run.stdout).toContain(`boot.img ${size / MIB} MiB`);
    writeFileSync(join(run.out, 'site.cfg'), 'set bm_profile=quick\n');
    const add = Bun.spawnSync(['mcopy', '-o', '-i', run.img, join(run.out, 'site.cfg'), '::/grub/site.cfg'], { stderr: 'pipe' });
    expect(add.stderr.toString()).toBe('');
    expect(run.type('/grub/site.cfg')).toBe('set bm_profile=quick\n');
  } finally {
    rmSync(run.out, { recursive: true, force: true });
  }
});

test.skipIf(!ready)('a missing input stops the build, naming the file and the step that makes it', () => {
  const run = runRamdisk(1, ['grubx64.efi']);
  try {
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toContain('grubx64.efi is missing');
    expect(run.stderr).toContain('make image');
  } finally {
    rmSync(run.out, { recursive: true, force: true });
  }
});
