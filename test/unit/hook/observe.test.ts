import { describe, expect, test } from 'bun:test';
import { failureReason } from '../../../hook/drain.ts';
import { classifyFailure } from '../../../shared/failure.ts';
import { foreignOwnerOf, leaseScopeOf, VrfNotFoundError } from '../../../hook/observe.ts';
import { journalTextOf } from '../../../hook/actions.ts';
import { NetboxHttpError, type IpAddress, type Prefix } from '../../../shared/netbox/index.ts';

const vrf = (id: number, name = `vrf${id}`) => ({ id, url: '', display: name, name, rd: null });
const prefix = (id: number, text: string, v: ReturnType<typeof vrf> | null): Prefix => ({
  id,
  url: '',
  display: text,
  prefix: text,
  status: { value: 'active', label: 'Active' },
  vrf: v,
});

describe('the VRF and length of a lease', () => {
  test('the most specific prefix gives both', () => {
    const scope = leaseScopeOf([prefix(1, '10.0.0.0/16', null), prefix(2, '10.0.1.0/24', vrf(5, 'oob'))], 32);
    expect(scope).toMatchObject({ vrf: { id: 5, name: 'oob' }, prefix: { id: 2 }, length: 24, alsoIn: [], configured: false });
  });
  test('no prefix: the global table and the default length', () => {
    expect(leaseScopeOf([], 32)).toMatchObject({ vrf: null, prefix: null, length: 32 });
  });
  test('equally specific prefixes in several VRFs: the global table wins, the others are named', () => {
    const scope = leaseScopeOf([prefix(3, '10.0.1.0/24', vrf(5)), prefix(4, '10.0.1.0/24', null)], 32);
    expect(scope.vrf).toBeNull();
    expect(scope.alsoIn.map((p) => p.id)).toEqual([3]);
  });
  test('a configured VRF is kept; the length comes from its prefixes', () => {
    expect(leaseScopeOf([prefix(1, '10.0.0.0/20', vrf(7))], 32, { id: 7, name: 'oob' })).toMatchObject({ vrf: { id: 7 }, length: 20, configured: true });
  });
});

describe('who else holds the leased IP', () => {
  const ip = (type: string | null, object: Record<string, unknown> | null, id: number | null = 9): IpAddress =>
    ({
      id: 1,
      url: '',
      display: '',
      address: '10.0.0.5/24',
      status: { value: 'active', label: 'Active' },
      assigned_object_type: type,
      assigned_object_id: id,
      assigned_object: object,
      vrf: null,
      dns_name: '',
      description: '',
    }) as IpAddress;
  test('this device, or nobody: no owner', () => {
    expect(foreignOwnerOf(ip('dcim.interface', { id: 9, name: 'eth0', device: { id: 1, display: 'me' } }), 1)).toBeNull();
    expect(foreignOwnerOf(ip(null, null, null), 1)).toBeNull();
  });
  test('another device, a VM interface, an FHRP group are named', () => {
    expect(foreignOwnerOf(ip('dcim.interface', { id: 9, name: 'eth0', device: { id: 2, display: 'srv-b' } }), 1)?.label).toBe(
      'device #2 srv-b (interface eth0)',
    );
    expect(
      foreignOwnerOf(ip('virtualization.vminterface', { id: 9, name: 'eth0', display: 'eth0', virtual_machine: { id: 3, display: 'vm-a' } }), 1)?.label,
    ).toBe('VM #3 vm-a (interface eth0)');
    expect(foreignOwnerOf(ip('ipam.fhrpgroup', { id: 4, display: 'gw VRRPv2: 7' }, 4), 1)?.label).toBe('FHRP group #4 gw VRRPv2: 7');
  });
});

describe('failures of an event', () => {
  const denied = new NetboxHttpError('GET', '/api/extras/journal-entries/', 403, { detail: 'You do not have permission to perform this action.' });
  test('a missing permission fails the event, naming the permission', () => {
    expect(classifyFailure(denied)).toBe('permanent');
    expect(failureReason(denied)).toStartWith('missing NetBox permission "view extras.journalentry": ');
  });
  test('a refused token, and a configured VRF NetBox lacks, keep the event', () => {
    expect(classifyFailure(new NetboxHttpError('GET', '/api/dcim/interfaces/', 403, { detail: 'Invalid v1 token' }))).toBe('retry-later');
    expect(classifyFailure(new VrfNotFoundError('oob'))).toBe('retry-later');
  });
});

describe('journal texts of the refusals', () => {
  const observation = {
    kind: 'device' as const,
    from: 'offline' as const,
    when: 'ip-none' as const,
    device: { id: 1, name: 'srv-1', status: { value: 'offline', label: 'Offline' } },
    bmcInterface: { id: 2, name: 'bmc' },
    interfaceIps: [],
    scope: { vrf: null, prefix: null, length: 24, alsoIn: [], configured: false },
    leaseIpObjects: [],
    owners: [],
  } as never;
  const event = { ip: '10.0.0.5', mac: '94:40:C9:00:00:01', hostname: '', source: 'dhcpd', receivedAt: '' } as never;
  test('a refused device change quotes NetBox, says what was applied and what to do', () => {
    const text = journalTextOf('journalDeviceRefused', {
      event,
      observation,
      eventName: 'e1.json',
      reason: 'NetBox refused to change device srv-1 (status offline → discovered; it stays offline): asset_tag: Needs a tag.',
      done: ['recordBmcIp'],
    });
    expect(text?.kind).toBe('danger');
    expect(text?.text).toContain('asset_tag: Needs a tag.');
    expect(text?.text).toContain('Already applied: BMC IP and OOB IP recorded');
    expect(text?.text).toContain('failed/');
  });
  test('an IP in a populated range: discovered without the IP, and the same anomaly marker on renewals', () => {
    const first = journalTextOf('journalDiscoveredWithoutIp', { event, observation, eventName: 'e1.json', reason: 'range R' })!.text;
    const renewal = journalTextOf('journalIpNotRecorded', { event, observation, eventName: 'e2.json', reason: 'range R' })!.text;
    expect(first).toContain('**discovered**');
    const marker = (t: string) => /\[journal\w+ [^\]]+\]/.exec(t)?.[0];
    expect(marker(first)).toBe(marker(renewal));
  });
});
