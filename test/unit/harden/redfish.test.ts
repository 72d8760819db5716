/**
 * harden/redfish.ts against a small in-process Redfish server (Bun.serve on port 0):
 * links followed, absent resources undefined, failures classified with their fix.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import {
  bmcBaseUrl,
  createRedfishClient,
  firstSystemPath,
  parseNetworkProtocol,
  RedfishError,
  readBmcState,
  redfishErrorText,
} from '../../../harden/redfish.ts';
import { causeOf } from '../../../shared/failure.ts';

const TREE: Record<string, unknown> = {
  '/redfish/v1/': { RedfishVersion: '1.11.0', Systems: { '@odata.id': '/redfish/v1/Systems' }, Managers: { '@odata.id': '/redfish/v1/Managers' } },
  '/redfish/v1/Systems': { Members: [{ '@odata.id': '/redfish/v1/Systems/s1' }] },
  '/redfish/v1/Systems/s1': { Id: 's1', Manufacturer: 'Sushy', PowerState: 'On', Bios: { '@odata.id': '/redfish/v1/Systems/s1/BIOS' } },
  '/redfish/v1/Systems/s1/BIOS': {
    Attributes: { BootMode: 'Uefi', Cores: 8, Nested: { no: 1 } },
    '@Redfish.Settings': { SettingsObject: { '@odata.id': '/redfish/v1/Systems/s1/BIOS/Settings' } },
  },
  '/redfish/v1/Systems/s1/BIOS/Settings': { Attributes: { BootMode: 'Legacy' } },
  '/redfish/v1/Managers': { Members: [{ '@odata.id': '/redfish/v1/Managers/m1' }] },
  '/redfish/v1/Managers/m1': { Id: 'm1', FirmwareVersion: '2.1' },
};

let requests: string[] = [];
let bodies: unknown[] = [];
let mode: 'ok' | 'html' | 'slow' = 'ok';
const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  async fetch(request) {
    const path = new URL(request.url).pathname;
    requests.push(`${path} ${request.headers.get('authorization')}`);
    if (request.headers.get('authorization') !== `Basic ${btoa('admin:pw-redfish-1')}`) return new Response('{}', { status: 401 });
    if (request.method !== 'GET') {
      bodies.push(await request.json());
      if (path.endsWith('/refuse')) {
        const message = { Message: 'The value Floppy for BootSourceOverrideTarget is not allowed.' };
        return Response.json(
          { error: { code: 'Base.1.8.GeneralError', message: 'A general error has occurred.', '@Message.ExtendedInfo': [message] } },
          { status: 400 },
        );
      }
      return new Response(null, { status: 204 });
    }
    if (mode === 'html') return new Response('<html>login</html>', { headers: { 'content-type': 'text/html' } });
    if (mode === 'slow') await Bun.sleep(2000);
    const body = TREE[path];
    return body ? Response.json(body) : new Response('{}', { status: 404 });
  },
});
afterAll(() => server.stop(true));
const baseUrl = `http://127.0.0.1:${server.port}`;
const client = (password = 'pw-redfish-1', timeoutMs = 1000) => createRedfishClient({ baseUrl, username: 'admin', password, timeoutMs, retries: 0 });

describe('readBmcState', () => {
  test('follows the links the BMC gives; BIOS pending settings read; absent resources are undefined', async () => {
    mode = 'ok';
    requests = [];
    expect(await readBmcState(client())).toEqual({
      redfishVersion: '1.11.0',
      system: { id: 's1', manufacturer: 'Sushy', powerState: 'On' },
      bios: { attributes: { BootMode: 'Uefi', Cores: 8 }, pending: { BootMode: 'Legacy' } },
      manager: { id: 'm1', firmwareVersion: '2.1' },
    });
    expect(requests.map((r) => r.split(' ')[0])).toContain('/redfish/v1/Systems/s1/BIOS');
  });

  test('wrong credentials: a credentials error naming the file to fix, cause bmc-refused, not retried', async () => {
    requests = [];
    const error = await readBmcState(createRedfishClient({ baseUrl, username: 'admin', password: 'wrong', retries: 3 })).catch((e) => e);
    expect(error).toBeInstanceOf(RedfishError);
    expect(error.kind).toBe('credentials');
    expect(error.message).toMatch(/BMC refused the credentials \(HTTP 401\).*check the username and password in the credentials file/);
    expect(causeOf(error)).toBe('bmc-refused');
    expect(requests).toHaveLength(1);
  });

  test('an answer that is not JSON is not-redfish', async () => {
    mode = 'html';
    const error = await readBmcState(client()).catch((e) => e);
    expect(error.kind).toBe('not-redfish');
    mode = 'ok';
  });

  test('no answer in time: timeout, cause bmc-unreachable', async () => {
    mode = 'slow';
    const error = await readBmcState(client('pw-redfish-1', 200)).catch((e) => e);
    expect(error.kind).toBe('timeout');
    expect(error.message).toMatch(/did not answer GET .* in time/);
    expect(causeOf(error)).toBe('bmc-unreachable');
    mode = 'ok';
  });

  test('nobody listening: unreachable with the address and what to check', async () => {
    const probe = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('') });
    const port = probe.port;
    probe.stop(true);
    const error = await readBmcState(createRedfishClient({ baseUrl: `http://127.0.0.1:${port}`, username: 'a', password: 'b', retries: 0 })).catch((e) => e);
    expect(error.kind).toBe('unreachable');
    expect(error.message).toMatch(new RegExp(`BMC unreachable at http://127.0.0.1:${port}/redfish/v1/.*check oob_ip`));
  });
});

describe('the NICs of the Manager, the System path and writes', () => {
  test("the Manager's EthernetInterfaces are read for their MACs (permanent and current, once each)", async () => {
    const saved = TREE['/redfish/v1/Managers/m1'];
    TREE['/redfish/v1/Managers/m1'] = { Id: 'm1', EthernetInterfaces: { '@odata.id': '/redfish/v1/Managers/m1/EthernetInterfaces' } };
    TREE['/redfish/v1/Managers/m1/EthernetInterfaces'] = { Members: [{ '@odata.id': '/redfish/v1/Managers/m1/EthernetInterfaces/1' }] };
    TREE['/redfish/v1/Managers/m1/EthernetInterfaces/1'] = { Id: '1', MACAddress: '94:40:c9:01:0a:56', PermanentMACAddress: '94:40:c9:01:0a:56' };
    try {
      expect((await readBmcState(client())).manager).toEqual({ id: 'm1', macs: ['94:40:c9:01:0a:56'] });
    } finally {
      TREE['/redfish/v1/Managers/m1'] = saved;
    }
  });

  test('firstSystemPath: the first member of the Systems collection', async () => {
    expect(await firstSystemPath(client())).toBe('/redfish/v1/Systems/s1');
  });

  test('send: one request with the JSON body; a refusal carries what the BMC said', async () => {
    bodies = [];
    await client().send('PATCH', '/redfish/v1/Systems/s1', { Boot: { BootSourceOverrideTarget: 'Pxe' } });
    expect(bodies).toEqual([{ Boot: { BootSourceOverrideTarget: 'Pxe' } }]);
    requests = [];
    const error = await createRedfishClient({ baseUrl, username: 'admin', password: 'pw-redfish-1', retries: 3 })
      .send('POST', '/redfish/v1/refuse', { ResetType: 'On' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(RedfishError);
    expect(error.message).toBe(
      `BMC answered HTTP 400 to POST ${baseUrl}/redfish/v1/refuse: A general error has occurred.; The value Floppy for BootSourceOverrideTarget is not allowed.`,
    );
    expect(requests).toHaveLength(1);
  });

  test('redfishErrorText: a plain-text body (sushy-tools) is shown as text', () => {
    expect(redfishErrorText('PATCH only works for Boot and\n IndicatorLED elements')).toBe('PATCH only works for Boot and IndicatorLED elements');
  });
});

test('bmcBaseUrl: the oob_ip host, IPv6 in brackets, the port when configured', () => {
  expect(bmcBaseUrl('10.0.0.5/24', 'https')).toBe('https://10.0.0.5');
  expect(bmcBaseUrl('2001:db8::5/64', 'https', 8443)).toBe('https://[2001:db8::5]:8443');
  expect(bmcBaseUrl('127.0.0.1/32', 'http', 8000)).toBe('http://127.0.0.1:8000');
});

test('parseNetworkProtocol: ProtocolEnabled per protocol and the NTP servers (empty slots dropped)', () => {
  expect(
    parseNetworkProtocol({
      Id: 'NetworkProtocol',
      IPMI: { ProtocolEnabled: true, Port: 623 },
      SSDP: { ProtocolEnabled: false },
      NTP: { ProtocolEnabled: true, NTPServers: ['10.0.0.1', '', null] },
    }),
  ).toEqual({ enabled: { IPMI: true, SSDP: false, NTP: true }, ntpServers: ['10.0.0.1'] });
});
