/** The sysfs NIC reader (agent/inventory/nics.ts) on a fake sysfs tree, readSysfsFacts built on it, and the inventory's NICs from it. */
import { afterEach, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSysfsFacts } from '../../../agent/inventory/collect.ts';
import { diffExpectations } from '../../../agent/inventory/expectations.ts';
import { mapInventory, type SiSnapshot, type SysfsFacts } from '../../../agent/inventory/map.ts';
import { nicFromSysfs, readPhysicalNics } from '../../../agent/inventory/nics.ts';
import type { Device, Interface } from '../../../shared/netbox/index.ts';
import { createFakeSysfs, type FakeSysfs } from '../../helpers/fake-sysfs.ts';

const captured = JSON.parse(readFileSync(join(import.meta.dir, '../../fixtures/systeminformation/debian12-kvm.json'), 'utf8')) as {
  systeminformation: SiSnapshot;
  sysfs: SysfsFacts;
};

const trees: FakeSysfs[] = [];
afterEach(() => {
  for (const tree of trees.splice(0)) tree.remove();
});

/** eno1 linked at 10G (i40e), eno2 cabled but down, enp0s3 virtio without speed, plus a bridge and loopback. */
function machine(): FakeSysfs {
  const sys = createFakeSysfs([
    { name: 'lo', mac: '00:00:00:00:00:00', carrier: '1', operstate: 'unknown' },
    { name: 'br0', mac: '02:00:5e:10:00:09', carrier: '1', operstate: 'up' },
    { name: 'eno2', mac: '3C:FD:FE:00:00:02', operstate: 'down', device: { driver: 'i40e', address: '0000:3b:00.1' } },
    { name: 'eno1', mac: '3c:fd:fe:00:00:01', carrier: '1', operstate: 'up', speed: '10000', device: { driver: 'i40e', address: '0000:3b:00.0' } },
    {
      name: 'enp0s3',
      mac: '52:54:00:12:34:56',
      carrier: '0',
      operstate: 'down',
      speed: '-1',
      device: { driver: 'virtio_net', bus: 'virtio', address: 'virtio2' },
    },
  ]);
  trees.push(sys);
  return sys;
}

describe('readPhysicalNics', () => {
  test('lists every NIC with a device behind it, sorted, with what sysfs says about it', () => {
    expect(readPhysicalNics(machine().root)).toEqual([
      { name: 'eno1', mac: '3c:fd:fe:00:00:01', driver: 'i40e', bus: 'pci', busAddress: '0000:3b:00.0', carrier: true, operstate: 'up', speedMbps: 10000 },
      { name: 'eno2', mac: '3c:fd:fe:00:00:02', driver: 'i40e', bus: 'pci', busAddress: '0000:3b:00.1', carrier: null, operstate: 'down', speedMbps: null },
      {
        name: 'enp0s3',
        mac: '52:54:00:12:34:56',
        driver: 'virtio_net',
        bus: 'virtio',
        busAddress: 'virtio2',
        carrier: false,
        operstate: 'down',
        speedMbps: null,
      },
    ]);
  });

  test('no sysfs at all is no NICs', () => {
    expect(readPhysicalNics('/nonexistent/sys')).toEqual([]);
  });
});

describe('nicFromSysfs', () => {
  test('a NIC whose driver is unbound and whose files are unreadable is all unknowns', () => {
    expect(nicFromSysfs({ name: 'eth9' })).toEqual({
      name: 'eth9',
      mac: null,
      driver: null,
      bus: null,
      busAddress: null,
      carrier: null,
      operstate: null,
      speedMbps: null,
    });
  });

  test('speed -1 (no link, or the driver does not say) is unknown', () => {
    expect(nicFromSysfs({ name: 'eth0', speed: '-1\n', carrier: '0\n' })).toMatchObject({ speedMbps: null, carrier: false });
  });
});

describe('readSysfsFacts (the inventory’s sysfs facts)', () => {
  test('physical NICs come from the NIC reader, with their drivers, carrier and operstate', () => {
    const facts = readSysfsFacts(machine().root);
    expect(facts.nics.map((n) => n.name)).toEqual(['eno1', 'eno2', 'enp0s3']);
    expect(facts.nics.map((n) => [n.name, n.driver, n.carrier, n.operstate])).toEqual([
      ['eno1', 'i40e', true, 'up'],
      ['eno2', 'i40e', null, 'down'],
      ['enp0s3', 'virtio_net', false, 'down'],
    ]);
  });
});

describe('the inventory’s NICs (mapInventory on the sysfs facts)', () => {
  // systeminformation lists only interfaces with an address: of this machine, eno1 and the bridge.
  const si = {
    ...captured.systeminformation,
    networkInterfaces: [
      { ...captured.systeminformation.networkInterfaces[1]!, iface: 'eno1', mac: '3c:fd:fe:00:00:01', operstate: 'up', speed: 10000 },
      { ...captured.systeminformation.networkInterfaces[1]!, iface: 'br0', mac: '02:00:5e:10:00:09', operstate: 'up', speed: -1 },
    ],
  } as SiSnapshot;

  test('an up NIC without carrier and a down NIC are inventoried, with carrier and operstate; the bridge is virtual', () => {
    const inventory = mapInventory({ si, sysfs: readSysfsFacts(machine().root), dmi: null, bmc: null });
    expect(inventory.nics).toEqual([
      { name: 'br0', mac: '02:00:5E:10:00:09', physical: false, driver: null, speedMbps: null, linkUp: true },
      { name: 'eno1', mac: '3C:FD:FE:00:00:01', physical: true, driver: 'i40e', speedMbps: 10000, linkUp: true, carrier: true, operstate: 'up' },
      { name: 'eno2', mac: '3C:FD:FE:00:00:02', physical: true, driver: 'i40e', speedMbps: null, linkUp: false, carrier: null, operstate: 'down' },
      { name: 'enp0s3', mac: '52:54:00:12:34:56', physical: true, driver: 'virtio_net', speedMbps: null, linkUp: false, carrier: false, operstate: 'down' },
    ]);
  });

  test('01-init finds every NIC NetBox knows, the unplugged one too (no "not on this machine")', () => {
    const inventory = mapInventory({ si, sysfs: readSysfsFacts(machine().root), dmi: null, bmc: null, dmiTableAbsent: true });
    const device = { device_type: { model: 'R650', manufacturer: { name: 'Dell' } } } as Device;
    const netboxInterfaces = [
      { id: 1, name: 'eno1', mac: '3C:FD:FE:00:00:01' },
      { id: 2, name: 'eno2', mac: '3C:FD:FE:00:00:02' },
      { id: 3, name: 'enp0s3', mac: '52:54:00:12:34:56' },
    ].map(
      (i) =>
        ({
          id: i.id,
          name: i.name,
          type: { value: '10gbase-x-sfpp', label: 'SFP+' },
          mgmt_only: false,
          mac_address: i.mac,
        }) as Interface,
    );
    const mismatches = diffExpectations({ inventory, device, expectations: {}, interfaces: netboxInterfaces });
    expect(mismatches).toEqual([]);
  });
});
