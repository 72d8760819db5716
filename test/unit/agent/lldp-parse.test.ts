import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIpLinkJson } from '../../../agent/tools/ip.parse.ts';
import { neighboursByInterface, parseLldpcliJson0 } from '../../../agent/tools/lldpcli.parse.ts';
import { ToolOutputError } from '../../../agent/tools/tool-output-error.ts';
import { showNeighboursArgs } from '../../../agent/tools/lldpcli.ts';
import { lldpdArgv } from '../../../agent/tools/lldpd.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dir, '../../fixtures/lldpcli', name), 'utf8');

describe('lldpcli json0 parser', () => {
  test('zero neighbours parse to an empty list', () => {
    expect(parseLldpcliJson0(fixture('json0-zero-neighbours.json'))).toEqual([]);
  });

  test('one neighbour gives the switch name, chassis id, port id and description and the management IP', () => {
    const neighbours = parseLldpcliJson0(fixture('json0-one-neighbour.json'));
    expect(neighbours).toHaveLength(1);
    expect(neighbours[0]).toMatchObject({
      localInterface: 'eno1',
      via: 'LLDP',
      chassisName: 'leaf-1',
      chassisIdType: 'mac',
      portId: 'swp7',
      portIdType: 'ifname',
      portDescr: 'eno1 (lab server)',
      mgmtIps: ['192.0.2.10'],
      vlans: [],
    });
    expect(neighbours[0]!.chassisId).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
  });

  test('several neighbours come out one per local interface, in lldpcli order', () => {
    const neighbours = parseLldpcliJson0(fixture('json0-several-neighbours.json'));
    expect(neighbours.map((n) => [n.localInterface, n.chassisName, n.portId])).toEqual([
      ['eno1', 'leaf-1', 'swp7'],
      ['eno2', 'leaf-1', 'swp8'],
    ]);
    expect([...neighboursByInterface(neighbours).keys()]).toEqual(['eno1', 'eno2']);
  });

  test('two neighbours heard on the same NIC are both kept', () => {
    const data = JSON.parse(fixture('json0-several-neighbours.json'));
    data.lldp[0].interface[1].name = 'eno1';
    const byNic = neighboursByInterface(parseLldpcliJson0(JSON.stringify(data)));
    expect(byNic.get('eno1')?.map((n) => n.portId)).toEqual(['swp7', 'swp8']);
  });

  // Synthetic: the lab kernel cannot announce VLANs, so a vlan element shaped as
  // lldpd's display_vlans() writes it is added to a real capture.
  test('VLANs are read with their native (pvid) flag', () => {
    const data = JSON.parse(fixture('json0-one-neighbour.json'));
    data.lldp[0].interface[0].vlan = [
      { 'vlan-id': '100', pvid: true, value: 'vlan100' },
      { 'vlan-id': '200', value: 'storage' },
    ];
    expect(parseLldpcliJson0(JSON.stringify(data))[0]!.vlans).toEqual([
      { id: 100, pvid: true, name: 'vlan100' },
      { id: 200, pvid: false, name: 'storage' },
    ]);
  });

  test('the collapsing -f json shape is refused rather than read as no neighbours', () => {
    expect(() => parseLldpcliJson0(fixture('json-one-neighbour.json'))).toThrow(ToolOutputError);
    expect(() => parseLldpcliJson0(fixture('json-one-neighbour.json'))).toThrow(/-f json0/);
  });

  test('output that is not JSON is a parse error quoting the start of it', () => {
    const error = (() => {
      try {
        parseLldpcliJson0('lldpcli: unable to connect to socket');
      } catch (e) {
        return e as ToolOutputError;
      }
    })();
    expect(error).toBeInstanceOf(ToolOutputError);
    expect(error?.excerpt).toContain('unable to connect');
  });

  test('JSON without an lldp element is a parse error', () => {
    expect(() => parseLldpcliJson0('{"interfaces":[]}')).toThrow(/no "lldp" element/);
  });
});

describe('ip link parser', () => {
  test('carrier comes from LOWER_UP and MACs are lower-case', () => {
    const links = parseIpLinkJson(fixture('ip-link-show.json'));
    expect(links.map((l) => l.name)).toEqual(['lo', 'eno1', 'eno2', 'eno3']);
    expect(links.find((l) => l.name === 'eno1')).toEqual({ name: 'eno1', mac: '02:00:5e:10:00:01', up: true, carrier: true, operstate: 'UP' });
  });

  test('a NIC that is up without a cable has no carrier', () => {
    const links = parseIpLinkJson('[{"ifname":"eno4","flags":["NO-CARRIER","BROADCAST","MULTICAST","UP"],"operstate":"DOWN","address":"AA:BB:CC:00:00:04"}]');
    expect(links[0]).toMatchObject({ up: true, carrier: false, mac: 'aa:bb:cc:00:00:04' });
  });
});

describe('command lines', () => {
  test('lldpcli is asked for json0 neighbour details on our own socket', () => {
    expect(showNeighboursArgs('/tmp/x/lldpd.socket')).toEqual(['-u', '/tmp/x/lldpd.socket', '-f', 'json0', 'show', 'neighbors', 'details']);
  });

  test('lldpd runs in the foreground, receive-only, hearing CDP too, unfiltered, on its own socket, PID file and config, limited to the NICs', () => {
    expect(lldpdArgv({ interfaces: ['eno1', 'eno2'], socketPath: '/r/s', pidFile: '/r/p', configFile: '/r/c' })).toEqual([
      'lldpd',
      '-d',
      '-r',
      '-c',
      '-H',
      '0',
      '-u',
      '/r/s',
      '-p',
      '/r/p',
      '-O',
      '/r/c',
      '-I',
      'eno1,eno2',
    ]);
  });
});
