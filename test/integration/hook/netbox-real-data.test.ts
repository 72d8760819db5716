/**
 * bm-hook against what real NetBox data holds beyond the seed's happy paths: populated
 * IP ranges (4.3+), VRFs, addresses owned by VMs and FHRP groups, whole-object validation
 * of devices (required custom fields, CUSTOM_VALIDATORS), and a least-privilege token
 * (exactly docs/netbox.md's permissions) — missing permissions included.
 * Runs on the real NetBox and on the newest simulator flavour.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createNetboxClient,
  findInterfaceIpAddresses,
  findIpAddresses,
  getDevice,
  listDeviceJournal,
  type NetboxClient,
} from '../../../shared/netbox/index.ts';
import { startHookHarness, type HookHarness } from '../../helpers/hook-harness.ts';
import { randomMac, randomNet } from '../../helpers/netbox-fixtures.ts';
import { realNetbox, TARGETS, targetAvailable, type TargetName } from '../../helpers/netbox-target.ts';

/** The real NetBox and the newest simulator flavour. */
const NEWEST_SIM: TargetName = TARGETS.includes('4.7' as TargetName) ? ('4.7' as TargetName) : '4.6';
const targets = TARGETS.filter((t) => t === 'real' || t === NEWEST_SIM);

for (const flavour of targets) {
  describe.skipIf(!targetAvailable(flavour))(`bm-hook on real NetBox data, NetBox ${flavour}, least-privilege token`, () => {
    let h: HookHarness;
    beforeEach(async () => {
      h = await startHookHarness({ flavour, leastPrivilege: true });
    });
    afterEach(async () => {
      await h.fx.cleanup();
      await h.close();
    });

    const admin = () => h.fx.client;
    async function create<T extends { id: number }>(path: string, body: unknown): Promise<T> {
      const object = await admin().post<T>(path, body);
      h.fx.track(path, object.id);
      return object;
    }
    async function server(status = 'offline') {
      const device = await h.fx.createDevice({ status });
      const mac = randomMac('94:40:c9');
      const bmc = await h.fx.createInterface(device.id, { name: 'bmc', mac, mgmtOnly: true });
      return { device, mac, bmc };
    }
    const journal = async (id: number) => (await listDeviceJournal(h.client, id)).map((j) => ({ kind: j.kind.value, comments: j.comments }));
    const failedReasons = () =>
      readdirSync(join(h.spoolDir, 'failed'))
        .filter((f) => f.endsWith('.json'))
        .map((f) => readFileSync(join(h.spoolDir, 'failed', f), 'utf8'));

    test('an IP inside a populated IP range: the device is still discovered, the journal names the range and the fix, the event is done', async () => {
      const net = randomNet();
      await create('/api/ipam/prefixes/', { prefix: net.prefix, status: 'active' });
      const range = await create<{ id: number; display: string }>('/api/ipam/ip-ranges/', {
        start_address: `${net.host(100)}/24`,
        end_address: `${net.host(200)}/24`,
        status: 'active',
        mark_populated: true,
      });
      const { device, mac, bmc } = await server();
      h.spool(net.host(150), mac);
      expect(await h.drain()).toMatchObject({ applied: 1, failed: 0, remaining: 0 });
      const after = await getDevice(h.client, device.id);
      expect(after.status.value).toBe('discovered');
      expect(after.oob_ip).toBeNull();
      expect(await findInterfaceIpAddresses(h.client, bmc.id)).toEqual([]);
      const entries = await journal(device.id);
      expect(entries.map((e) => e.kind)).toEqual(['warning']);
      expect(entries[0]!.comments).toContain(`range ${range.display}`);
      expect(entries[0]!.comments).toContain('Mark populated');
      expect(entries[0]!.comments).toContain('**discovered**');
      // A renewal reports the same anomaly once only.
      h.spool(net.host(150), mac);
      expect(await h.drain()).toMatchObject({ applied: 1, failed: 0 });
      expect((await journal(device.id)).length).toBe(1);
    });

    test('the IP is created in the VRF of the most specific prefix; the same address in the global table does not interfere', async () => {
      const net = randomNet();
      const vrf = await create<{ id: number; name: string }>('/api/ipam/vrfs/', { name: `bm-oob-${net.prefix}` });
      await create('/api/ipam/prefixes/', { prefix: net.supernet, status: 'active' });
      await create('/api/ipam/prefixes/', { prefix: net.prefix, status: 'active', vrf: vrf.id });
      const other = await h.fx.createDevice({ status: 'active' });
      const otherIface = await h.fx.createInterface(other.id, { name: 'eth0' });
      const globalIp = await h.fx.createIp(`${net.host(30)}/16`, otherIface.id);
      const { device, mac, bmc } = await server();
      h.spool(net.host(30), mac);
      expect(await h.drain()).toMatchObject({ applied: 1, failed: 0 });
      const after = await getDevice(h.client, device.id);
      expect(after.status.value).toBe('discovered');
      const [ip] = await findInterfaceIpAddresses(h.client, bmc.id);
      expect({ address: ip?.address, vrf: ip?.vrf?.id }).toEqual({ address: `${net.host(30)}/24`, vrf: vrf.id });
      expect(after.oob_ip?.id).toBe(ip!.id);
      const global = await findIpAddresses(h.client, net.host(30), { vrfId: null });
      expect(global.map((i) => [i.id, i.assigned_object_id])).toEqual([[globalIp.id, otherIface.id]]);
    });

    test('"owned elsewhere" is judged within the VRF', async () => {
      const net = randomNet();
      const vrf = await create<{ id: number; name: string }>('/api/ipam/vrfs/', { name: `bm-oob-${net.prefix}` });
      await create('/api/ipam/prefixes/', { prefix: net.prefix, status: 'active', vrf: vrf.id });
      const other = await h.fx.createDevice({ status: 'active' });
      const otherIface = await h.fx.createInterface(other.id, { name: 'eth0' });
      await create('/api/ipam/ip-addresses/', {
        address: `${net.host(31)}/24`,
        status: 'active',
        vrf: vrf.id,
        assigned_object_type: 'dcim.interface',
        assigned_object_id: otherIface.id,
      });
      const { device, mac } = await server();
      h.spool(net.host(31), mac);
      expect(await h.drain()).toMatchObject({ applied: 1, failed: 0 });
      expect((await getDevice(h.client, device.id)).status.value).toBe('offline');
      const entries = await journal(device.id);
      expect(entries.map((e) => e.kind)).toEqual(['warning']);
      expect(entries[0]!.comments).toContain(`device #${other.id}`);
      expect(entries[0]!.comments).toContain(`VRF **${vrf.name}**`);
    });

    test('a configured VRF (ip.vrf, by name) decides where the IP goes and its length comes from that VRF', async () => {
      const net = randomNet();
      const vrf = await create<{ id: number; name: string }>('/api/ipam/vrfs/', { name: `bm-oob-cfg-${net.prefix}` });
      await create('/api/ipam/prefixes/', { prefix: net.supernet, status: 'active', vrf: vrf.id });
      await create('/api/ipam/prefixes/', { prefix: net.prefix, status: 'active' });
      const { device, mac, bmc } = await server();
      h.spool(net.host(32), mac);
      expect(await h.drain({ vrf: vrf.name })).toMatchObject({ applied: 1, failed: 0 });
      const [ip] = await findInterfaceIpAddresses(h.client, bmc.id);
      expect({ address: ip?.address, vrf: ip?.vrf?.id }).toEqual({ address: `${net.host(32)}/16`, vrf: vrf.id });
      expect((await getDevice(h.client, device.id)).status.value).toBe('discovered');
    });

    test('an address held by a VM interface is a journaled conflict naming the VM; nothing changes; the event is done', async () => {
      const net = randomNet();
      const vm = await create<{ id: number; name: string }>('/api/virtualization/virtual-machines/', { name: `bm-vm-${net.prefix}`, site: h.fx.site.id });
      const vmIface = await create<{ id: number }>('/api/virtualization/interfaces/', { name: 'eth0', virtual_machine: vm.id });
      await create('/api/ipam/ip-addresses/', {
        address: `${net.host(40)}/24`,
        status: 'active',
        assigned_object_type: 'virtualization.vminterface',
        assigned_object_id: vmIface.id,
      });
      const { device, mac, bmc } = await server();
      h.spool(net.host(40), mac);
      expect(await h.drain()).toMatchObject({ applied: 1, failed: 0 });
      expect((await getDevice(h.client, device.id)).status.value).toBe('offline');
      expect(await findInterfaceIpAddresses(h.client, bmc.id)).toEqual([]);
      const entries = await journal(device.id);
      expect(entries.map((e) => e.kind)).toEqual(['warning']);
      expect(entries[0]!.comments).toContain(`VM #${vm.id} ${vm.name}`);
    });

    test('an address held by an FHRP group is a journaled conflict naming the group; nothing changes; the event is done', async () => {
      const net = randomNet();
      const group = await create<{ id: number }>('/api/ipam/fhrp-groups/', { protocol: 'vrrp2', group_id: 7, name: `bm-fhrp-${net.prefix}` });
      await create('/api/ipam/ip-addresses/', {
        address: `${net.host(41)}/24`,
        status: 'active',
        assigned_object_type: 'ipam.fhrpgroup',
        assigned_object_id: group.id,
      });
      const { device, mac } = await server();
      h.spool(net.host(41), mac);
      expect(await h.drain()).toMatchObject({ applied: 1, failed: 0 });
      expect((await getDevice(h.client, device.id)).status.value).toBe('offline');
      const entries = await journal(device.id);
      expect(entries.map((e) => e.kind)).toEqual(['warning']);
      expect(entries[0]!.comments).toContain(`FHRP group #${group.id}`);
    });

    test("a required custom field refuses the device PATCH: NetBox's message is journaled, the event fails, a renewal after the fix applies the rest", async () => {
      const net = randomNet();
      await create('/api/ipam/prefixes/', { prefix: net.prefix, status: 'active' });
      const { device, mac, bmc } = await server();
      const name = `bm_required_${Date.now().toString(36)}`;
      const field = await admin().post<{ id: number }>('/api/extras/custom-fields/', { name, type: 'text', required: true, object_types: ['dcim.device'] });
      try {
        h.spool(net.host(50), mac);
        expect(await h.drain()).toMatchObject({ applied: 0, failed: 1 });
        const [reason] = failedReasons();
        expect(reason).toContain(`Missing required custom field '${name}'`);
        const after = await getDevice(h.client, device.id);
        expect({ status: after.status.value, oob: after.oob_ip }).toEqual({ status: 'offline', oob: null });
        // Writes happen IP object first, then the device: the IP object stays on the BMC interface.
        expect((await findInterfaceIpAddresses(h.client, bmc.id)).map((i) => i.address)).toEqual([`${net.host(50)}/24`]);
        const entries = await journal(device.id);
        expect(entries.map((e) => e.kind)).toEqual(['danger']);
        expect(entries[0]!.comments).toContain(`Missing required custom field '${name}'`);
        expect(entries[0]!.comments).toContain('whole device');
      } finally {
        await admin().delete(`/api/extras/custom-fields/${field.id}/`);
      }
      h.spool(net.host(50), mac);
      expect(await h.drain()).toMatchObject({ applied: 1, failed: 0 });
      const fixed = await getDevice(h.client, device.id);
      expect({ status: fixed.status.value, oob: fixed.oob_ip?.address }).toEqual({ status: 'discovered', oob: `${net.host(50)}/24` });
    });

    if (flavour === 'real') {
      test("a CUSTOM_VALIDATORS rule refuses the status change: NetBox's reason is journaled, the OOB IP stays recorded, the event fails", async () => {
        const existing = await admin().get<{ results: { id: number }[] }>('/api/dcim/device-roles/', { slug: 'bm-asset-tag-rule' });
        const role =
          existing.results[0] ??
          (await admin().post<{ id: number }>('/api/dcim/device-roles/', { name: 'bm-asset-tag-rule', slug: 'bm-asset-tag-rule', color: 'ff5722' }));
        const net = randomNet();
        await create('/api/ipam/prefixes/', { prefix: net.prefix, status: 'active' });
        const { device, mac } = await server();
        await admin().patch(`/api/dcim/devices/${device.id}/`, { role: role.id });
        h.spool(net.host(60), mac);
        expect(await h.drain()).toMatchObject({ applied: 0, failed: 1 });
        expect(failedReasons()[0]).toContain('asset_tag: Servers of this role need an asset tag before they leave offline.');
        const after = await getDevice(h.client, device.id);
        expect({ status: after.status.value, oob: after.oob_ip?.address }).toEqual({ status: 'offline', oob: `${net.host(60)}/24` });
        const entries = await journal(device.id);
        expect(entries.map((e) => e.kind)).toEqual(['danger']);
        expect(entries[0]!.comments).toContain('Servers of this role need an asset tag before they leave offline.');
        expect(entries[0]!.comments).toContain('Already applied: BMC IP and OOB IP recorded');
        await admin().patch(`/api/dcim/devices/${device.id}/`, { asset_tag: `AT-${Date.now()}` });
        h.spool(net.host(60), mac);
        expect(await h.drain()).toMatchObject({ applied: 1, failed: 0 });
        expect((await getDevice(h.client, device.id)).status.value).toBe('discovered');
      });

      test('a missing object permission is a permanent failure naming it; an invalid token keeps the event', async () => {
        const perms = JSON.parse(readFileSync('test/netbox-real/permissions.json', 'utf8')) as { permissions: { actions: string[]; object_types: string[] }[] };
        const user = await create<{ id: number }>('/api/users/users/', {
          username: `bm-nojournal-${Date.now().toString(36)}`,
          password: `Pw-${crypto.randomUUID()}`,
        });
        for (const rule of perms.permissions) {
          const types = rule.actions.includes('view') ? rule.object_types.filter((t) => t !== 'extras.journalentry') : rule.object_types;
          await create('/api/users/permissions/', {
            name: `bm-nojournal-${user.id}-${rule.actions.join('-')}`,
            actions: rule.actions,
            object_types: types,
            users: [user.id],
          });
        }
        const token = await create<{ id: number; key: string; token: string }>('/api/users/tokens/', { user: user.id });
        const { device, mac } = await server('staged');
        const limited: NetboxClient = createNetboxClient({ url: h.target.url, token: `nbt_${token.key}.${token.token}` });
        const { drainSpool } = await import('../../../hook/drain.ts');
        h.spool(randomNet().host(70), mac);
        // The journal is read before posting an anomaly (not repeated on renewals): that needs view extras.journalentry.
        const summary = await drainSpool({
          dir: h.spoolDir,
          client: limited,
          ipStatus: 'dhcp',
          defaultPrefixLength: 32,
          budgetMs: 2000,
          log: h.log,
          random: () => 0,
        });
        expect(summary).toMatchObject({ applied: 0, failed: 1, remaining: 0 });
        expect(failedReasons()[0]).toContain('missing NetBox permission \\"view extras.journalentry\\"');
        expect((await getDevice(h.client, device.id)).status.value).toBe('staged');

        const badToken = createNetboxClient({ url: h.target.url, token: '0'.repeat(40) });
        h.spool(randomNet().host(71), mac);
        const kept = await drainSpool({
          dir: h.spoolDir,
          client: badToken,
          ipStatus: 'dhcp',
          defaultPrefixLength: 32,
          budgetMs: 1000,
          log: h.log,
          random: () => 0,
        });
        expect(kept).toMatchObject({ applied: 0, failed: 0, remaining: 1 });
        expect(kept.lastError).toContain('Invalid v1 token');
        expect(realNetbox).toBeDefined();
      });
    }
  });
}
