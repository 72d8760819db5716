/**
 * The typed NetBox module against every simulator flavour and token scheme
 * (or a real NetBox when NETBOX_TEST_URL/NETBOX_TEST_TOKEN are set).
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { normaliseMac } from '../../shared/mac.ts';
import {
  AmbiguousMatchError,
  assignIpAddress,
  clearVersionCache,
  createIpAddress,
  createJournalEntry,
  createNetboxClient,
  farEndOf,
  findDeviceByMac,
  findDevicesBySerial,
  findInterfaceIpAddresses,
  findIpAddresses,
  findMacAddresses,
  findPrefixesContaining,
  getDevice,
  listAll,
  listDeviceInterfaces,
  listDeviceJournal,
  mostSpecificPrefixLength,
  NetboxHttpError,
  setDeviceOobIp,
  setDeviceStatus,
  updateIpAddress,
  type NetboxClient,
} from '../../shared/netbox/index.ts';
import { runNetboxCheck } from '../../shared/cli/netbox-check.ts';
import { rejectionOf } from '../helpers/rejection.ts';
import { createFixtures, randomMac, randomNet, type Fixtures } from '../helpers/netbox-fixtures.ts';
import { atLeast, startNetboxTarget, TARGETS, targetAvailable, tokenSchemes, type NetboxTarget } from '../helpers/netbox-target.ts';

for (const flavour of TARGETS) {
  for (const tokenScheme of tokenSchemes(flavour)) {
    describe.skipIf(!targetAvailable(flavour))(`NetBox ${flavour}, ${tokenScheme} token`, () => {
      let target: NetboxTarget;
      let fx: Fixtures;
      let client: NetboxClient;

      beforeEach(async () => {
        clearVersionCache();
        target = await startNetboxTarget({ flavour, tokenScheme });
        fx = await createFixtures(target.url, target.token);
        client = createNetboxClient({ url: target.url, token: target.token, retries: 0 });
      });
      afterEach(async () => {
        await fx.cleanup();
        await target.close();
      });

      test('the version is read from /api/status/ once per process', async () => {
        const version = await client.version();
        if (flavour !== 'real') expect(`${version.major}.${version.minor}`).toBe(flavour);
        target.sim?.clearRequests();
        await client.version();
        await createNetboxClient({ url: target.url, token: target.token }).version();
        expect(target.sim?.requests().filter((r) => r.path === '/api/status/') ?? []).toEqual([]);
      });

      test('a device is found by its BMC MAC in any written form', async () => {
        const device = await fx.createDevice();
        const mac = randomMac('94:40:c9');
        await fx.createInterface(device.id, { name: 'bmc', mac, mgmtOnly: true });
        const shortForm = mac
          .split(':')
          .map((o) => o.replace(/^0/, ''))
          .join(':');
        for (const form of [mac, mac.toUpperCase(), shortForm]) {
          const match = await findDeviceByMac(client, normaliseMac(form));
          expect(match?.device.id).toBe(device.id);
          expect(match?.interfaces.map((i) => i.name)).toEqual(['bmc']);
        }
      });

      test('an unknown MAC finds no device', async () => {
        expect(await findDeviceByMac(client, normaliseMac(randomMac()))).toBeNull();
      });

      test('one MAC on two devices is an AmbiguousMatchError naming both', async () => {
        const mac = randomMac();
        const a = await fx.createDevice();
        const b = await fx.createDevice();
        await fx.createInterface(a.id, { mac });
        await fx.createInterface(b.id, { mac });
        const error = await rejectionOf(findDeviceByMac(client, normaliseMac(mac)));
        expect(error).toBeInstanceOf(AmbiguousMatchError);
        expect(error.matches.map((m: { id: number }) => m.id)).toEqual([a.id, b.id]);
      });

      test('MAC objects are found on 4.2+, and an empty list before', async () => {
        const device = await fx.createDevice();
        const mac = randomMac();
        await fx.createInterface(device.id, { mac });
        const macs = await findMacAddresses(client, normaliseMac(mac));
        expect(macs.length).toBe(atLeast(flavour, '4.2') ? 1 : 0);
      });

      if (atLeast(flavour, '4.2')) {
        test('a MAC that is not the interface primary still finds the device', async () => {
          const device = await fx.createDevice();
          const secondary = randomMac();
          await fx.createInterface(device.id, { mac: randomMac(), extraMacs: [secondary] });
          expect((await findDeviceByMac(client, normaliseMac(secondary)))?.device.id).toBe(device.id);
        });
      }

      test('a device is read without its config context, with fields= where supported', async () => {
        const device = await fx.createDevice({ serial: 'SN-1' });
        target.sim?.clearRequests();
        const read = await getDevice(client, device.id);
        expect(read).toMatchObject({ id: device.id, serial: 'SN-1', status: { value: 'offline' } });
        expect(read.config_context).toBeUndefined();
        const query = target.sim?.requests().find((r) => r.path === `/api/dcim/devices/${device.id}/`)?.query;
        if (query) {
          expect(query.exclude).toEqual(['config_context']);
          expect(query.fields !== undefined).toBe(flavour !== '3.7');
        }
      });

      test('devices are found by serial; placeholder serials are refused without asking NetBox', async () => {
        const serial = `CZ${Date.now()}`;
        const device = await fx.createDevice({ serial });
        expect((await findDevicesBySerial(client, serial)).map((d) => d.id)).toEqual([device.id]);
        target.sim?.clearRequests();
        await expect(findDevicesBySerial(client, 'To Be Filled By O.E.M.')).rejects.toThrow(/placeholder serial/);
        expect(target.sim?.requests().length ?? 0).toBe(0);
      });

      test('a serial stored with surrounding spaces is found by its trimmed form (NetBox trims on save)', async () => {
        const serial = `SP${Date.now()}`;
        const device = await fx.createDevice({ serial: `  ${serial}  ` });
        for (const query of [serial, ` ${serial} `, serial.toLowerCase()]) {
          expect((await findDevicesBySerial(client, query)).map((d) => d.id)).toEqual([device.id]);
        }
      });

      test('netbox-check accepts the least-privilege token and names its scheme', async () => {
        const limited = await startNetboxTarget({ flavour, tokenScheme, leastPrivilege: true });
        try {
          const lines: string[] = [];
          const code = await runNetboxCheck({ json: false }, { NETBOX_URL: limited.url, NETBOX_TOKEN: limited.token }, (line) => lines.push(line));
          expect({ code, out: lines.join('\n') }).toMatchObject({
            code: 0,
            out: expect.stringContaining(`token accepted (${tokenScheme === 'v1' ? 'Token' : 'Bearer'})`),
          });
        } finally {
          await limited.close();
        }
      });

      test('status changes to a configured custom status', async () => {
        const device = await fx.createDevice();
        expect((await setDeviceStatus(client, device.id, 'discovered')).status.value).toBe('discovered');
        expect((await getDevice(client, device.id)).status.value).toBe('discovered');
      });

      test('a journal entry is written to the device in markdown', async () => {
        const device = await fx.createDevice();
        const entry = await createJournalEntry(client, { deviceId: device.id, kind: 'warning', comments: '**BMC** moved\n\n| a | b |\n|---|---|' });
        expect(entry.kind.value).toBe('warning');
        const journal = await listDeviceJournal(client, device.id);
        expect(journal.map((j) => j.comments)).toEqual(['**BMC** moved\n\n| a | b |\n|---|---|']);
      });

      test('an IP is recorded with its real prefix length, found, reassigned and set as oob_ip', async () => {
        const net = randomNet();
        await fx.createPrefix(net.supernet);
        await fx.createPrefix(net.prefix);
        const device = await fx.createDevice();
        const bmc = await fx.createInterface(device.id, { name: 'bmc', mac: randomMac() });
        const length = mostSpecificPrefixLength(await findPrefixesContaining(client, net.host(7)), 32);
        expect(length).toBe(24);
        const ip = await createIpAddress(client, { address: `${net.host(7)}/${length}`, status: 'dhcp', interfaceId: bmc.id });
        expect(ip.address).toBe(`${net.host(7)}/24`);
        expect((await findIpAddresses(client, net.host(7))).map((i) => i.id)).toEqual([ip.id]);
        expect((await findInterfaceIpAddresses(client, bmc.id)).map((i) => i.id)).toEqual([ip.id]);
        expect((await setDeviceOobIp(client, device.id, ip.id)).oob_ip?.id).toBe(ip.id);
        expect((await updateIpAddress(client, ip.id, { status: 'active' })).status.value).toBe('active');
        const other = await fx.createInterface(device.id, { name: 'eth9' });
        expect((await assignIpAddress(client, ip.id, other.id)).assigned_object_id).toBe(other.id);
      });

      test('a duplicate IP is refused with a hint to reassign it', async () => {
        const net = randomNet();
        await createIpAddress(client, { address: `${net.host(9)}/24`, status: 'dhcp' });
        const error = await rejectionOf(createIpAddress(client, { address: `${net.host(9)}/25`, status: 'dhcp' }));
        expect(error).toBeInstanceOf(NetboxHttpError);
        expect(error.status).toBe(400);
        expect(error.fieldErrors.address?.[0]).toMatch(/Duplicate IP address/);
        expect(error.hint).toMatch(/ENFORCE_GLOBAL_UNIQUE/);
      });

      test("a device's interfaces come with the far end of their cables", async () => {
        const server = await fx.createDevice();
        const leaf = await fx.createDevice({ name: `leaf-${Date.now()}` });
        const nic = await fx.createInterface(server.id, { name: 'eno1' });
        await fx.createInterface(server.id, { name: 'eno2' });
        const port = await fx.createInterface(leaf.id, { name: 'Ethernet1/7' });
        await fx.cable(nic.id, port.id);
        const interfaces = await listDeviceInterfaces(client, server.id);
        const byName = Object.fromEntries(interfaces.map((i) => [i.name, farEndOf(i)]));
        expect(byName.eno1).toEqual({ deviceId: leaf.id, deviceName: leaf.name!, interfaceId: port.id, interfaceName: 'Ethernet1/7' });
        expect(byName.eno2).toBeNull();
      });

      test('lists are read across pages', async () => {
        const device = await fx.createDevice();
        for (let i = 0; i < 5; i++) await fx.createInterface(device.id, { name: `eth${i}` });
        const all = await listAll<{ name: string }>(client, '/api/dcim/interfaces/', { device_id: device.id }, { pageSize: 2 });
        expect(all.map((i) => i.name).sort()).toEqual(['eth0', 'eth1', 'eth2', 'eth3', 'eth4']);
      });
    });
  }
}
