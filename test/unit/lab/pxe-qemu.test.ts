/**
 * The e2e lab's pure parts: the qemu command line per firmware kind (Secure Boot
 * really enforced, HTTP boot really chosen, no iPXE ROM under UEFI) and the job pool
 * that runs the boot variants side by side.
 */
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPool } from '../../helpers/pool.ts';
import { missingFirmware, OVMF_FILES, type QemuSpec, qemuArgv } from '../../helpers/pxe-qemu.ts';
import { waitUntil } from '../../helpers/wait.ts';

const BASE: QemuSpec = {
  firmware: 'bios',
  netBoot: 'pxe',
  memoryMiB: 2560,
  cpus: 1,
  smbios: { manufacturer: 'QEMU', product: 'BM-E2E', serial: 'E2E-1' },
  nic: { tap: 'swp7', mac: '52:54:00:b3:00:01' },
  disks: [{ file: '/lab/blank0.raw', serial: 'blank0' }],
  serialLog: '/lab/serial.log',
};

/** The value following each occurrence of `option`. */
function values(argv: string[], option: string): string[] {
  return argv.flatMap((a, i) => (a === option ? [argv[i + 1]!] : []));
}

describe('qemuArgv', () => {
  test('legacy BIOS: SeaBIOS network boot through the NIC option ROM (iPXE), no pflash, no SMM', () => {
    const argv = qemuArgv(BASE);
    expect(values(argv, '-machine')).toEqual(['q35,graphics=off']);
    expect(values(argv, '-boot')).toEqual(['n']);
    expect(values(argv, '-device')[0]).toBe('virtio-net-pci,netdev=n0,mac=52:54:00:b3:00:01');
    expect(argv.join(' ')).not.toContain('pflash');
    expect(values(argv, '-smbios')).toEqual(['type=1,manufacturer=QEMU,product=BM-E2E,serial=E2E-1']);
  });

  test('UEFI Secure Boot: SMM, secure flash, the secboot code read-only and the VM its own Microsoft-keyed variable store', () => {
    const argv = qemuArgv({ ...BASE, firmware: 'uefi-secureboot', varsFile: '/lab/vars.fd', ovmfDir: '/fw' });
    expect(values(argv, '-machine')).toEqual(['q35,smm=on']);
    expect(values(argv, '-global')).toContain('driver=cfi.pflash01,property=secure,value=on');
    expect(values(argv, '-drive').filter((d) => d.startsWith('if=pflash'))).toEqual([
      'if=pflash,format=raw,unit=0,readonly=on,file=/fw/OVMF_CODE_4M.secboot.fd',
      'if=pflash,format=raw,unit=1,file=/lab/vars.fd',
    ]);
    expect(OVMF_FILES['uefi-secureboot'].vars).toBe('OVMF_VARS_4M.ms.fd');
    // The firmware's own PXE, not qemu's iPXE ROM; no -boot (bootindex orders the NIC first).
    expect(values(argv, '-device')[0]).toBe('virtio-net-pci,netdev=n0,mac=52:54:00:b3:00:01,romfile=,bootindex=1');
    expect(values(argv, '-boot')).toEqual([]);
    expect(values(argv, '-fw_cfg')).toEqual([]);
  });

  test('UEFI HTTP boot: PXE boot options off through fw_cfg, so the HTTPv4 entry boots; no SMM without Secure Boot', () => {
    const argv = qemuArgv({ ...BASE, firmware: 'uefi', netBoot: 'http', varsFile: '/lab/vars.fd', ovmfDir: '/fw' });
    expect(values(argv, '-machine')).toEqual(['q35']);
    expect(values(argv, '-global')).toEqual([]);
    expect(values(argv, '-drive')).toContain('if=pflash,format=raw,unit=0,readonly=on,file=/fw/OVMF_CODE_4M.fd');
    expect(values(argv, '-fw_cfg')).toEqual(['name=opt/org.tianocore/IPv4PXESupport,string=no', 'name=opt/org.tianocore/IPv6PXESupport,string=no']);
  });

  test('commas in values are escaped the way qemu reads them', () => {
    const argv = qemuArgv({ ...BASE, smbios: { ...BASE.smbios, product: 'A,B' }, serialLog: '/lab/a,b.log' });
    expect(values(argv, '-smbios')[0]).toContain('product=A,,B,');
    expect(values(argv, '-chardev')).toEqual(['file,id=ser0,path=/lab/a,,b.log']);
  });

  test('impossible machines are refused with the reason', () => {
    expect(() => qemuArgv({ ...BASE, netBoot: 'http' })).toThrow(/HTTP boot needs UEFI/);
    expect(() => qemuArgv({ ...BASE, firmware: 'uefi' })).toThrow(/own copy of OVMF_VARS_4M.fd/);
  });

  test('missingFirmware names the OVMF files that are not installed, once each', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bmt-ovmf-'));
    writeFileSync(join(dir, 'OVMF_CODE_4M.fd'), '');
    expect(missingFirmware(['bios'], dir)).toEqual([]);
    expect(missingFirmware(['uefi', 'uefi'], dir)).toEqual([join(dir, 'OVMF_VARS_4M.fd')]);
    expect(missingFirmware(['uefi-secureboot'], dir)).toEqual([join(dir, 'OVMF_CODE_4M.secboot.fd'), join(dir, 'OVMF_VARS_4M.ms.fd')]);
  });
});

describe('runPool', () => {
  /** A job that records when it starts and ends, and finishes when told to. */
  function gated(log: string[]) {
    const gates: Record<string, () => void> = {};
    const job = (key: string, fail = false) => ({
      key,
      run: () =>
        new Promise<string>((resolve, reject) => {
          log.push(`start ${key}`);
          gates[key] = () => {
            log.push(`end ${key}`);
            if (fail) reject(new Error(`${key} failed`));
            else resolve(key);
          };
        }),
    });
    return { gates, job };
  }

  test('at most `limit` jobs run at once; the next starts when one ends, in the given order', async () => {
    const log: string[] = [];
    const { gates, job } = gated(log);
    const outcomes = runPool([job('a'), job('b'), job('c')], 2);
    await waitUntil(() => log.length === 2, { timeoutMs: 1000, what: 'two jobs to start' });
    expect(log).toEqual(['start a', 'start b']);
    gates.b!();
    await outcomes.b;
    await waitUntil(() => log.length === 4, { timeoutMs: 1000, what: 'the third job to start' });
    expect(log).toEqual(['start a', 'start b', 'end b', 'start c']);
    gates.a!();
    gates.c!();
    expect(await Promise.all([outcomes.a, outcomes.c])).toEqual(['a', 'c']);
  });

  test('a failing job rejects only its own outcome and frees its slot', async () => {
    const log: string[] = [];
    const { gates, job } = gated(log);
    const outcomes = runPool([job('a', true), job('b')], 1);
    await waitUntil(() => gates.a !== undefined, { timeoutMs: 1000, what: 'the first job to start' });
    expect(log).toEqual(['start a']);
    gates.a!();
    await expect(outcomes.a).rejects.toThrow('a failed');
    await waitUntil(() => gates.b !== undefined, { timeoutMs: 1000, what: 'the second job to start' });
    gates.b!();
    expect(await outcomes.b).toBe('b');
  });

  test('a bad limit or a duplicate key is refused', () => {
    expect(() => runPool([], 0)).toThrow(/positive integer/);
    const run = async () => 1;
    expect(() =>
      runPool(
        [
          { key: 'x', run },
          { key: 'x', run },
        ],
        1,
      ),
    ).toThrow(/listed twice/);
  });
});
