import { expect, test } from 'bun:test';
import { keaLeases, MAX_KEA_LEASES } from '../../../hook/kea.ts';
import { parseLease } from '../../../hook/lease.ts';

test('leases4_committed yields every lease of the batch', () => {
  const env = {
    LEASES4_SIZE: '2',
    LEASES4_AT0_ADDRESS: '10.0.0.5',
    LEASES4_AT0_HWADDR: '94:40:c9:01:0a:56',
    LEASES4_AT0_HOSTNAME: 'ilo1',
    LEASES4_AT1_ADDRESS: '10.0.0.6',
    LEASES4_AT1_HWADDR: 'a0:36:9f:00:00:01',
  };
  expect(keaLeases('leases4_committed', env)).toEqual({
    leases: [
      { ip: '10.0.0.5', mac: '94:40:c9:01:0a:56', hostname: 'ilo1' },
      { ip: '10.0.0.6', mac: 'a0:36:9f:00:00:01', hostname: undefined },
    ],
    truncated: false,
  });
});

test('other hook points and absent or odd sizes yield nothing', () => {
  expect(keaLeases('lease4_renew', { LEASES4_SIZE: '1' }).leases).toEqual([]);
  expect(keaLeases(undefined, {}).leases).toEqual([]);
  expect(keaLeases('leases4_committed', { LEASES4_SIZE: 'x' }).leases).toEqual([]);
  expect(keaLeases('leases4_committed', { LEASES4_SIZE: '-3' }).leases).toEqual([]);
});

test('a huge batch is capped and says so', () => {
  const result = keaLeases('leases4_committed', { LEASES4_SIZE: String(MAX_KEA_LEASES + 10) });
  expect(result.leases.length).toBe(MAX_KEA_LEASES);
  expect(result.truncated).toBe(true);
});

test("a hostile client hostname from Kea's environment is handed on verbatim as data; lease.ts drops it and keeps the lease", () => {
  const hostname = '--no-drain`<img src=x onerror=alert(1)>|**x**\n$(reboot)';
  const { leases } = keaLeases('leases4_committed', {
    LEASES4_SIZE: '1',
    LEASES4_AT0_ADDRESS: '10.0.0.5',
    LEASES4_AT0_HWADDR: '94:40:c9:01:0a:56',
    LEASES4_AT0_HOSTNAME: hostname,
  });
  expect(leases).toEqual([{ ip: '10.0.0.5', mac: '94:40:c9:01:0a:56', hostname }]);
  expect(parseLease(leases[0]!.ip, leases[0]!.mac, leases[0]!.hostname, 'kea', new Date())).toMatchObject({ ok: true, event: { hostname: null } });
});
