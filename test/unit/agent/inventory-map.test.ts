import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapInventory, mediaClassOf, type SiSnapshot, type SysfsFacts } from '../../../agent/inventory/map.ts';
import { parseDmidecode } from '../../../agent/tools/dmidecode.parse.ts';

const fixtures = join(import.meta.dir, '../../fixtures');
const captured = JSON.parse(readFileSync(join(fixtures, 'systeminformation/debian12-kvm.json'), 'utf8')) as {
  systeminformation: SiSnapshot;
  sysfs: SysfsFacts;
};
const si = captured.systeminformation;
const sysfs = captured.sysfs;
const GiB = 2 ** 30;

describe('inventory mapping', () => {
  test('this VM (no SMBIOS): identity unknown, not "Docker Container"; one physical NIC; the virtio disk', () => {
    const inventory = mapInventory({ si, sysfs, dmi: null, bmc: null, dmiTableAbsent: true });
    expect(inventory.system).toEqual({ manufacturer: '', model: '', serial: '', uuid: null });
    expect(inventory.cpus).toEqual({ sockets: 1, cores: 2, threads: 2, model: 'AMD EPYC' });
    expect(inventory.memory.totalBytes).toBe(si.mem.total);
    expect(inventory.memory.dimms).toEqual([]);
    expect(inventory.nics).toEqual([
      { name: 'eth0', mac: '02:FC:00:00:00:01', physical: true, driver: 'virtio_net', speedMbps: null, linkUp: true, carrier: true, operstate: 'up' },
    ]);
    expect(inventory.disks).toEqual([
      { name: 'vda', path: '/dev/vda', sizeBytes: 274877906944, model: null, serial: null, mediaClass: 'hdd', removable: false, readOnly: false },
    ]);
    expect(inventory.bmc).toBeNull();
  });

  test('dmidecode fills identity and DIMMs and wins over systeminformation', () => {
    const dmi = parseDmidecode(readFileSync(join(fixtures, 'dmidecode/dell-poweredge-r640.txt'), 'utf8'));
    const inventory = mapInventory({ si, sysfs, dmi, bmc: { ip: '10.0.0.9', mac: 'AA:BB:CC:00:11:22', ipSource: null, subnetMask: null } });
    expect(inventory.system).toEqual({ manufacturer: 'Dell Inc.', model: 'PowerEdge R640', serial: '4XK9QJ3', uuid: '4c4c4544-0058-4b10-8039-b4c04f514a33' });
    expect(inventory.bios).toEqual({ vendor: 'Dell Inc.', version: '2.17.1', releaseDate: '11/14/2022' });
    expect(inventory.baseboard.serial).toBe('.4XK9QJ3.CNCMS0012A00PA.');
    expect(inventory.chassis).toEqual({ manufacturer: 'Dell Inc.', type: 'Rack Mount Chassis', serial: '4XK9QJ3' });
    expect(inventory.memory.dimms).toHaveLength(4);
    expect(inventory.memory.dimms[0]).toEqual({
      slot: 'A1',
      sizeBytes: 32 * GiB,
      type: 'DDR4',
      speedMTs: 2933,
      manufacturer: '00AD063200AD',
      serial: '32A1B0C4',
    });
    expect(inventory.bmc).toEqual({ ip: '10.0.0.9', mac: 'AA:BB:CC:00:11:22' });
  });

  test('systeminformation placeholders ("-") become empty/unknown', () => {
    const inventory = mapInventory({
      si: { ...si, system: { ...si.system, manufacturer: 'Dell Inc.', model: 'PowerEdge R650', serial: '-' } },
      sysfs,
      dmi: null,
      bmc: null,
    });
    expect(inventory.system.serial).toBe('');
    expect(inventory.system.model).toBe('PowerEdge R650');
  });

  test('virtual interfaces are not physical and loopback is left out', () => {
    const nics = [...si.networkInterfaces, { ...si.networkInterfaces[1]!, iface: 'br0', ifaceName: 'br0', mac: '02:00:00:00:00:aa' }];
    const inventory = mapInventory({ si: { ...si, networkInterfaces: nics }, sysfs, dmi: null, bmc: null });
    expect(inventory.nics.map((n) => [n.name, n.physical])).toEqual([
      ['br0', false],
      ['eth0', true],
    ]);
  });

  test.each([
    ['nvme0n1', 'NVMe', false, 'nvme'],
    ['sda', 'SATA', false, 'ssd'],
    ['sdb', 'SAS', true, 'hdd'],
    ['sdc', null, null, 'unknown'],
  ] as const)('disk %s on %s (rotational %p) is %s', (name, iface, rotational, cls) => {
    expect(mediaClassOf(name, iface, rotational)).toBe(cls);
  });
});
