/**
 * Every FSM row end to end: a lease spooled, drained against NetBox (simulator
 * flavours 3.7/4.1/4.6 with each token scheme, or a real NetBox), and NetBox's
 * resulting state asserted through the API.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { getDevice, listDeviceJournal, findInterfaceIpAddresses, findIpAddresses } from '../../../shared/netbox/index.ts';
import { randomMac, randomNet } from '../../helpers/netbox-fixtures.ts';
import { startHookHarness, type HookHarness } from '../../helpers/hook-harness.ts';
import { TARGETS, targetAvailable, tokenSchemes } from '../../helpers/netbox-target.ts';

const WRITES = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

for (const flavour of TARGETS) {
  for (const tokenScheme of tokenSchemes(flavour)) {
    describe.skipIf(!targetAvailable(flavour))(`bm-hook FSM rows, NetBox ${flavour}, ${tokenScheme} least-privilege token`, () => {
      let h: HookHarness;
      beforeEach(async () => {
        h = await startHookHarness({ flavour, tokenScheme, leastPrivilege: true });
      });
      afterEach(async () => {
        await h.fx.cleanup();
        await h.close();
      });

      async function server(status = 'offline') {
        const device = await h.fx.createDevice({ status });
        const mac = randomMac('94:40:c9');
        const bmc = await h.fx.createInterface(device.id, { name: 'bmc', mac, mgmtOnly: true });
        return { device, mac, bmc };
      }
      // A GraphQL query (POST /graphql/, hook/observe-graphql.ts) reads.
      const writes = () => h.target.sim?.requests().filter((r) => WRITES.has(r.method) && r.path !== '/graphql/') ?? [];
      const journal = async (id: number) => (await listDeviceJournal(h.client, id)).map((j) => ({ kind: j.kind.value, comments: j.comments }));

      test('an offline device becomes discovered with the BMC IP at its real prefix length as oob_ip', async () => {
        const net = randomNet();
        await h.fx.createPrefix(net.supernet);
        await h.fx.createPrefix(net.prefix);
        const { device, mac, bmc } = await server();
        h.spool(
          net.host(21),
          mac
            .split(':')
            .map((o) => o.replace(/^0/, ''))
            .join(':'),
        );
        expect(await h.drain()).toMatchObject({ applied: 1, failed: 0, remaining: 0 });
        const after = await getDevice(h.client, device.id);
        expect(after.status.value).toBe('discovered');
        expect(after.oob_ip?.address).toBe(`${net.host(21)}/24`);
        expect((await findInterfaceIpAddresses(h.client, bmc.id)).map((i) => [i.address, i.status.value])).toEqual([[`${net.host(21)}/24`, 'dhcp']]);
        const entries = await journal(device.id);
        expect(entries.length).toBe(1);
        expect(entries[0]).toMatchObject({ kind: 'success' });
        expect(entries[0]!.comments).toContain('offline → **discovered**');
      });

      test('a renewal with the same IP writes nothing', async () => {
        const { device, mac } = await server();
        const net = randomNet();
        h.spool(net.host(5), mac);
        await h.drain();
        h.target.sim?.clearRequests();
        h.spool(net.host(5), mac);
        expect(await h.drain()).toMatchObject({ applied: 1 });
        expect(writes()).toEqual([]);
        expect((await journal(device.id)).length).toBe(1);
      });

      test('a discovered device with a new IP gets it refreshed on the same IP object', async () => {
        const { device, mac, bmc } = await server();
        const net = randomNet();
        await h.fx.createPrefix(net.prefix); // a shared real NetBox may hold a supernet from other tests
        h.spool(net.host(5), mac);
        await h.drain();
        const [before] = await findInterfaceIpAddresses(h.client, bmc.id);
        h.spool(net.host(6), mac);
        await h.drain();
        const ips = await findInterfaceIpAddresses(h.client, bmc.id);
        expect(ips.map((i) => [i.id, i.address])).toEqual([[before!.id, `${net.host(6)}/24`]]);
        expect((await getDevice(h.client, device.id)).oob_ip?.address).toBe(`${net.host(6)}/24`);
        expect((await journal(device.id)).at(-1)!.comments).toContain('BMC IP changed');
      });

      test('an active device without a BMC IP gets it recorded, and stays active', async () => {
        const { device, mac } = await server('active');
        const net = randomNet();
        await h.fx.createPrefix(net.prefix);
        h.spool(net.host(7), mac);
        await h.drain();
        const after = await getDevice(h.client, device.id);
        expect(after.status.value).toBe('active');
        expect(after.oob_ip?.address).toBe(`${net.host(7)}/24`);
        expect((await journal(device.id))[0]!.comments).toContain('BMC IP recorded');
      });

      test('an active device whose IP matches writes nothing', async () => {
        const { device, mac, bmc } = await server('active');
        const net = randomNet();
        await h.fx.createIp(`${net.host(8)}/24`, bmc.id);
        h.target.sim?.clearRequests();
        h.spool(net.host(8), mac);
        await h.drain();
        expect(writes()).toEqual([]);
        expect(await journal(device.id)).toEqual([]);
      });

      test('an active device whose IP differs gets a warning and no change', async () => {
        const { device, mac, bmc } = await server('active');
        const net = randomNet();
        await h.fx.createIp(`${net.host(8)}/24`, bmc.id);
        h.spool(net.host(9), mac);
        await h.drain();
        expect((await findInterfaceIpAddresses(h.client, bmc.id)).map((i) => i.address)).toEqual([`${net.host(8)}/24`]);
        expect(await findIpAddresses(h.client, net.host(9))).toEqual([]);
        const entries = await journal(device.id);
        expect(entries.map((e) => e.kind)).toEqual(['warning']);
        expect(entries[0]!.comments).toContain(`NetBox records ${net.host(8)}/24`);
      });

      test('a device in another status gets a warning and no change', async () => {
        const { device, mac } = await server('staged');
        h.spool(randomNet().host(10), mac);
        await h.drain();
        expect((await getDevice(h.client, device.id)).status.value).toBe('staged');
        expect((await journal(device.id)).map((e) => e.kind)).toEqual(['warning']);
      });

      test('renewals do not repeat an anomaly already in the journal; a new anomaly is journaled', async () => {
        const { device, mac } = await server('staged');
        const net = randomNet();
        h.spool(net.host(10), mac);
        await h.drain();
        h.spool(net.host(10), mac);
        await h.drain();
        expect((await journal(device.id)).length).toBe(1);
        h.spool(net.host(11), mac);
        await h.drain();
        expect((await journal(device.id)).length).toBe(2);
      });

      test('an unknown MAC changes nothing and is not kept', async () => {
        h.target.sim?.clearRequests();
        h.spool(randomNet().host(11), randomMac('94:40:c9'));
        expect(await h.drain()).toMatchObject({ applied: 1, remaining: 0, failed: 0 });
        expect(writes()).toEqual([]);
        expect(h.log.lines.some((l) => l.includes('unknown in NetBox'))).toBe(true);
      });

      test('a MAC on two devices is journaled on both and changes nothing', async () => {
        const a = await server();
        const b = await h.fx.createDevice();
        await h.fx.createInterface(b.id, { name: 'bmc', mac: a.mac });
        h.spool(randomNet().host(12), a.mac);
        await h.drain();
        for (const id of [a.device.id, b.id]) {
          expect((await getDevice(h.client, id)).status.value).toBe('offline');
          expect((await journal(id)).map((e) => e.kind)).toEqual(['warning']);
        }
      });

      test('a data NIC with a BMC vendor OUI (Dell on a LOM, eth0, not mgmt-only) is logged once and changes nothing', async () => {
        const device = await h.fx.createDevice();
        const mac = randomMac('d0:94:66');
        const eth0 = await h.fx.createInterface(device.id, { name: 'eth0', mac });
        const net = randomNet();
        await h.fx.createPrefix(net.prefix);
        h.target.sim?.clearRequests();
        const linesBefore = h.log.lines.length;
        h.spool(net.host(14), mac);
        expect(await h.drain()).toMatchObject({ applied: 1, failed: 0, remaining: 0 });
        expect(writes()).toEqual([]);
        const after = await getDevice(h.client, device.id);
        expect({ status: after.status.value, oob: after.oob_ip }).toEqual({ status: 'offline', oob: null });
        expect(await findInterfaceIpAddresses(h.client, eth0.id)).toEqual([]);
        expect(await findIpAddresses(h.client, net.host(14))).toEqual([]);
        expect(await journal(device.id)).toEqual([]);
        const lines = h.log.lines.slice(linesBefore).filter((l) => l.includes(mac.toLowerCase()) || l.includes(mac.toUpperCase()));
        expect(lines.length).toBe(1);
        expect(lines[0]).toContain('data interface, not the BMC');
      });

      test('a discovered server whose data NIC PXE-boots through the same dhcpd keeps its BMC IP record and oob_ip', async () => {
        const { device, mac, bmc } = await server();
        const net = randomNet();
        await h.fx.createPrefix(net.prefix);
        h.spool(net.host(15), mac);
        await h.drain();
        const before = await getDevice(h.client, device.id);
        expect(before.status.value).toBe('discovered');
        const bmcIps = await findInterfaceIpAddresses(h.client, bmc.id);
        const entries = (await journal(device.id)).length;
        const pxeMac = randomMac('d0:94:66');
        const eth0 = await h.fx.createInterface(device.id, { name: 'eth0', mac: pxeMac });
        h.target.sim?.clearRequests();
        h.spool(net.host(16), pxeMac);
        expect(await h.drain()).toMatchObject({ applied: 1, failed: 0, remaining: 0 });
        expect(writes()).toEqual([]);
        const after = await getDevice(h.client, device.id);
        expect({ status: after.status.value, oob: after.oob_ip?.id }).toEqual({ status: 'discovered', oob: before.oob_ip?.id });
        expect(await findInterfaceIpAddresses(h.client, bmc.id)).toEqual(bmcIps);
        expect(await findInterfaceIpAddresses(h.client, eth0.id)).toEqual([]);
        expect((await journal(device.id)).length).toBe(entries);
      });

      test('an interface named like a BMC (iDRAC), not mgmt-only, counts as the BMC', async () => {
        const device = await h.fx.createDevice();
        const mac = randomMac('d0:94:66');
        await h.fx.createInterface(device.id, { name: 'iDRAC', mac });
        h.spool(randomNet().host(17), mac);
        expect(await h.drain()).toMatchObject({ applied: 1, failed: 0 });
        expect((await getDevice(h.client, device.id)).status.value).toBe('discovered');
      });

      test('an IP assigned to another device is journaled and changes nothing', async () => {
        const { device, mac } = await server();
        const other = await h.fx.createDevice();
        const otherIface = await h.fx.createInterface(other.id, { name: 'eth0' });
        const net = randomNet();
        await h.fx.createIp(`${net.host(13)}/24`, otherIface.id);
        h.spool(net.host(13), mac);
        await h.drain();
        expect((await getDevice(h.client, device.id)).status.value).toBe('offline');
        const entries = await journal(device.id);
        expect(entries.map((e) => e.kind)).toEqual(['warning']);
        expect(entries[0]!.comments).toContain(`#${other.id}`);
      });
    });
  }
}

describe('bm-hook without the discovered status configured', () => {
  test('records the IP, keeps the device offline and journals the FIELD_CHOICES fix', async () => {
    const h = await startHookHarness({ flavour: '4.6', statusChoices: [] });
    try {
      const device = await h.fx.createDevice();
      const mac = randomMac('94:40:c9');
      await h.fx.createInterface(device.id, { name: 'bmc', mac });
      h.spool('10.9.9.9', mac);
      expect(await h.drain()).toMatchObject({ applied: 1, failed: 0 });
      const after = await getDevice(h.client, device.id);
      expect(after.status.value).toBe('offline');
      expect(after.oob_ip?.address).toBe('10.9.9.9/32');
      const entries = await listDeviceJournal(h.client, device.id);
      expect(entries.map((e) => e.kind.value)).toEqual(['danger']);
      expect(entries[0]!.comments).toContain("FIELD_CHOICES = {'dcim.Device.status+'");
    } finally {
      await h.close();
    }
  });
});
