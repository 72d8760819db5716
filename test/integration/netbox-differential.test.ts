/**
 * Differential test: ONE scripted request sequence — the requests the product makes
 * (shared/netbox, hook, agent), the fixtures' set-up requests and the error cases — run against
 * the real NetBox and the simulator's 4.7 flavour. Status codes, response key sets and value
 * types (recursively) and error texts (numbers normalised) must agree; every accepted
 * difference is in test/netbox-sim/differential-allowlist.json with its reason. A new,
 * unlisted difference fails the test.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { leaseQueryOf, leaseVariablesOf } from '../../hook/observe-graphql.ts';
import type { Mac } from '../../shared/mac.ts';
import { DEVICE_FIELDS } from '../../shared/netbox/devices.ts';
import { allowed, canonicalGraphql, compareShapes, errorTexts, shapeOf, type AllowEntry } from '../netbox-sim/differential.ts';
import { startSimulator, type Simulator } from '../netbox-sim/index.ts';
import { randomMac, randomNet } from '../helpers/netbox-fixtures.ts';
import { realNetbox, targetAvailable } from '../helpers/netbox-target.ts';

const ALLOWLIST = JSON.parse(readFileSync(join(import.meta.dir, '..', 'netbox-sim', 'differential-allowlist.json'), 'utf8')) as { entries: AllowEntry[] };

type TokenKind = 'admin' | 'least' | 'bad';
interface Endpoint {
  url: string;
  tokens: Record<TokenKind, string>;
}
interface Answer {
  status: number;
  body: unknown;
}
interface Step {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  token?: TokenKind;
}

/** Ids captured from earlier answers, per target. */
type Ids = Record<string, number>;

async function call(ep: Endpoint, step: Step): Promise<Answer> {
  const headers: Record<string, string> = { Authorization: ep.tokens[step.token ?? 'admin'], Accept: 'application/json' };
  if (step.body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(`${ep.url}${step.path}`, { method: step.method, headers, body: step.body === undefined ? undefined : JSON.stringify(step.body) });
  const text = await r.text();
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: r.status, body };
}

const q = (o: Record<string, string | number | undefined>): string =>
  `?${new URLSearchParams(Object.entries(o).map(([k, v]): [string, string] => [k, String(v)])).toString()}`;

/**
 * The script. Each entry builds its request from the ids captured so far (`id.site`, …) and may
 * capture the answer's id under a name. Names are unique per run, the same for both targets.
 */
function script(u: string, net: ReturnType<typeof randomNet>, macs: string[]) {
  const slug = (b: string) => ({ name: `${b}-${u}`, slug: `${b}-${u}` });
  const fields = DEVICE_FIELDS.join(',');
  const iface = (dev: string, name: string) => (id: Ids) => ({ device: id[dev], name, type: '1000base-t' });
  const cable = (a: [string, string], b: [string, string]) => (id: Ids) => ({
    a_terminations: [{ object_type: a[0], object_id: id[a[1]] }],
    b_terminations: [{ object_type: b[0], object_id: id[b[1]] }],
  });
  type Entry = [name: string, method: string, path: (id: Ids) => string, body?: (id: Ids) => unknown, capture?: string, token?: TokenKind];
  const lease = (host: string, vrf?: number | string) => ({
    query: leaseQueryOf(vrf, true),
    variables: leaseVariablesOf({ ip: host, mac: macs[0]! as Mac }, vrf),
  });
  const s = (p: string) => () => p;
  const steps: Entry[] = [
    ['status', 'GET', s('/api/status/')],
    ['probe devices brief', 'GET', s('/api/dcim/devices/?limit=1&brief=1')],
    ['bad token', 'GET', s('/api/dcim/devices/'), undefined, undefined, 'bad'],
    ['create site', 'POST', s('/api/dcim/sites/'), () => slug('site'), 'site'],
    ['create role', 'POST', s('/api/dcim/device-roles/'), () => ({ ...slug('role'), color: '2196f3' }), 'role'],
    ['create manufacturer', 'POST', s('/api/dcim/manufacturers/'), () => slug('mf'), 'mf'],
    ['create device type', 'POST', s('/api/dcim/device-types/'), (id) => ({ manufacturer: id.mf, model: `model-${u}`, slug: `model-${u}` }), 'dt'],
    [
      'create device',
      'POST',
      s('/api/dcim/devices/'),
      (id) => ({ name: `srv-${u}`, device_type: id.dt, role: id.role, site: id.site, serial: `  SN-${u}  `, status: 'offline' }),
      'srv',
    ],
    ['create switch', 'POST', s('/api/dcim/devices/'), (id) => ({ name: `sw-${u}`, device_type: id.dt, role: id.role, site: id.site, status: 'active' }), 'sw'],
    ['create panel 1', 'POST', s('/api/dcim/devices/'), (id) => ({ name: `pp1-${u}`, device_type: id.dt, role: id.role, site: id.site }), 'pp1'],
    ['create panel 2', 'POST', s('/api/dcim/devices/'), (id) => ({ name: `pp2-${u}`, device_type: id.dt, role: id.role, site: id.site }), 'pp2'],
    ['duplicate device name', 'POST', s('/api/dcim/devices/'), (id) => ({ name: `srv-${u}`, device_type: id.dt, role: id.role, site: id.site }), undefined],
    ['create interface', 'POST', s('/api/dcim/interfaces/'), iface('srv', 'bmc0'), 'bmc'],
    ['create interface 2', 'POST', s('/api/dcim/interfaces/'), iface('srv', 'eth0'), 'eth0'],
    ['create switch port', 'POST', s('/api/dcim/interfaces/'), iface('sw', 'ge0'), 'ge0'],
    ['duplicate interface', 'POST', s('/api/dcim/interfaces/'), iface('srv', 'bmc0'), undefined],
    [
      'create MAC',
      'POST',
      s('/api/dcim/mac-addresses/'),
      (id) => ({ mac_address: macs[0], assigned_object_type: 'dcim.interface', assigned_object_id: id.bmc }),
      'mac',
    ],
    ['set primary MAC', 'PATCH', (id) => `/api/dcim/interfaces/${id.bmc}/`, (id) => ({ primary_mac_address: id.mac })],
    ['find interface by MAC', 'GET', s(`/api/dcim/interfaces/${q({ mac_address: macs[0]!.toLowerCase(), limit: 250, offset: 0 })}`)],
    ['find MAC object', 'GET', s(`/api/dcim/mac-addresses/${q({ mac_address: macs[0]!, limit: 250, offset: 0 })}`)],
    ['bad MAC filter', 'GET', s('/api/dcim/interfaces/?mac_address=zz')],
    ['device by id', 'GET', (id) => `/api/dcim/devices/${id.srv}/${q({ exclude: 'config_context', fields })}`],
    ['device by id with context', 'GET', (id) => `/api/dcim/devices/${id.srv}/${q({ fields: `${fields},config_context` })}`],
    ['device full', 'GET', (id) => `/api/dcim/devices/${id.srv}/`],
    ['device by serial', 'GET', s(`/api/dcim/devices/${q({ serial: `sn-${u}`, exclude: 'config_context', fields, limit: 250, offset: 0 })}`)],
    ['device interfaces', 'GET', (id) => `/api/dcim/interfaces/${q({ device_id: id.srv, limit: 250, offset: 0 })}`],
    ['status discovered', 'PATCH', (id) => `/api/dcim/devices/${id.srv}/`, () => ({ status: 'discovered' })],
    ['status bad choice', 'PATCH', (id) => `/api/dcim/devices/${id.srv}/`, () => ({ status: 'nonsense' })],
    [
      'journal entry',
      'POST',
      s('/api/extras/journal-entries/'),
      (id) => ({ assigned_object_type: 'dcim.device', assigned_object_id: id.srv, kind: 'info', comments: '**bm** test' }),
    ],
    [
      'journal list',
      'GET',
      (id) => `/api/extras/journal-entries/${q({ assigned_object_type: 'dcim.device', assigned_object_id: id.srv, limit: 250, offset: 0 })}`,
    ],
    ['create prefix', 'POST', s('/api/ipam/prefixes/'), () => ({ prefix: net.prefix, status: 'active' }), 'prefix'],
    ['prefix contains', 'GET', s(`/api/ipam/prefixes/${q({ contains: net.host(5), limit: 250, offset: 0 })}`)],
    [
      'create IP',
      'POST',
      s('/api/ipam/ip-addresses/'),
      (id) => ({ address: `${net.host(5)}/24`, status: 'active', assigned_object_type: 'dcim.interface', assigned_object_id: id.bmc, description: 'BMC' }),
      'ip',
    ],
    ['duplicate IP', 'POST', s('/api/ipam/ip-addresses/'), () => ({ address: `${net.host(5)}/24`, status: 'active' })],
    [
      'IP network ID on interface',
      'POST',
      s('/api/ipam/ip-addresses/'),
      (id) => ({ address: `${net.host(0)}/24`, assigned_object_type: 'dcim.interface', assigned_object_id: id.eth0 }),
    ],
    [
      'IP to missing object',
      'POST',
      s('/api/ipam/ip-addresses/'),
      () => ({ address: `${net.host(7)}/24`, assigned_object_type: 'dcim.interface', assigned_object_id: 99999999 }),
    ],
    ['find IP by address', 'GET', s(`/api/ipam/ip-addresses/${q({ address: net.host(5), limit: 250, offset: 0 })}`)],
    ['find IP by interface', 'GET', (id) => `/api/ipam/ip-addresses/${q({ interface_id: id.bmc, limit: 250, offset: 0 })}`],
    ['update IP', 'PATCH', (id) => `/api/ipam/ip-addresses/${id.ip}/`, () => ({ status: 'active', dns_name: `bmc-${u}.example.net` })],
    ['set oob_ip', 'PATCH', (id) => `/api/dcim/devices/${id.srv}/`, (id) => ({ oob_ip: id.ip })],
    ['create VRF', 'POST', s('/api/ipam/vrfs/'), () => ({ name: `vrf-${u}` }), 'vrf'],
    ['prefix in VRF', 'POST', s('/api/ipam/prefixes/'), (id) => ({ prefix: net.prefix, vrf: id.vrf, status: 'active' })],
    ['IP in VRF (same address)', 'POST', s('/api/ipam/ip-addresses/'), (id) => ({ address: `${net.host(5)}/24`, vrf: id.vrf }), 'ipvrf'],
    ['duplicate IP in VRF', 'POST', s('/api/ipam/ip-addresses/'), (id) => ({ address: `${net.host(5)}/25`, vrf: id.vrf })],
    ['IPs by vrf_id', 'GET', (id) => `/api/ipam/ip-addresses/${q({ vrf_id: id.vrf })}`],
    ['IPs global table', 'GET', s(`/api/ipam/ip-addresses/${q({ vrf_id: 'null', address: net.host(5) })}`)],
    ['prefixes by vrf_id', 'GET', (id) => `/api/ipam/prefixes/${q({ vrf_id: id.vrf })}`],
    ['bad vrf_id', 'GET', s('/api/ipam/prefixes/?vrf_id=99999999')],
    [
      'create populated range',
      'POST',
      s('/api/ipam/ip-ranges/'),
      () => ({ start_address: `${net.host(100)}/24`, end_address: `${net.host(150)}/24`, status: 'active', mark_populated: true }),
      'range',
    ],
    ['IP in populated range', 'POST', s('/api/ipam/ip-addresses/'), () => ({ address: `${net.host(120)}/24`, status: 'active' })],
    ['overlapping range', 'POST', s('/api/ipam/ip-ranges/'), () => ({ start_address: `${net.host(140)}/24`, end_address: `${net.host(160)}/24` })],
    ['range masks differ', 'POST', s('/api/ipam/ip-ranges/'), () => ({ start_address: `${net.host(200)}/24`, end_address: `${net.host(210)}/25` })],
    ['ranges containing', 'GET', s(`/api/ipam/ip-ranges/${q({ contains: `${net.host(120)}/24` })}`)],
    ['ranges containing bare IP', 'GET', s(`/api/ipam/ip-ranges/${q({ contains: net.host(120) })}`)],
    ['ranges by parent', 'GET', s(`/api/ipam/ip-ranges/${q({ parent: net.prefix, vrf_id: 'null' })}`)],
    ['create FHRP group', 'POST', s('/api/ipam/fhrp-groups/'), () => ({ protocol: 'vrrp2', group_id: 10 }), 'fhrp'],
    [
      'IP on FHRP group',
      'POST',
      s('/api/ipam/ip-addresses/'),
      (id) => ({ address: `${net.host(1)}/24`, role: 'vip', assigned_object_type: 'ipam.fhrpgroup', assigned_object_id: id.fhrp }),
    ],
    ['create VM', 'POST', s('/api/virtualization/virtual-machines/'), (id) => ({ name: `vm-${u}`, site: id.site, status: 'active' }), 'vm'],
    ['create VM interface', 'POST', s('/api/virtualization/interfaces/'), (id) => ({ virtual_machine: id.vm, name: 'eth0' }), 'vmif'],
    [
      'IP on VM interface',
      'POST',
      s('/api/ipam/ip-addresses/'),
      (id) => ({ address: `${net.host(2)}/24`, assigned_object_type: 'virtualization.vminterface', assigned_object_id: id.vmif }),
    ],
    ['IPs by vminterface_id', 'GET', (id) => `/api/ipam/ip-addresses/${q({ vminterface_id: id.vmif })}`],
    // bm-hook's one-request lease look-up (hook/observe-graphql.ts): the same objects must match on both.
    ['graphql: lease query', 'POST', s('/graphql/'), () => lease(net.host(5))],
    ['graphql: lease query, ip.vrf by name', 'POST', s('/graphql/'), () => lease(net.host(5), `vrf-${u}`)],
    ['graphql: lease query, ip.vrf by id', 'POST', s('/graphql/'), (id) => lease(net.host(5), id.vrf)],
    ['graphql: lease query, another host', 'POST', s('/graphql/'), () => lease(net.host(6))],
    ['least: graphql lease query', 'POST', s('/graphql/'), () => lease(net.host(5)), undefined, 'least'],
    ['least: graphql address on a VM (no view_virtualmachine)', 'POST', s('/graphql/'), () => lease(net.host(2)), undefined, 'least'],
    ['graphql: syntax error', 'POST', s('/graphql/'), () => ({ query: '{ interface_list' })],
    ['graphql: bad MAC', 'POST', s('/graphql/'), () => ({ query: leaseQueryOf(undefined, true), variables: { mac: 'zz', ip: [net.host(5)] } })],
    [
      'create text custom field',
      'POST',
      s('/api/extras/custom-fields/'),
      () => ({ name: `bm_text_${u.replace(/-/g, '_')}`, type: 'text', object_types: ['dcim.device'] }),
      'cft',
    ],
    [
      'create JSON custom field',
      'POST',
      s('/api/extras/custom-fields/'),
      () => ({ name: `bm_json_${u.replace(/-/g, '_')}`, type: 'json', object_types: ['dcim.device'], default: { a: [1] } }),
      'cfj',
    ],
    ['bad custom field name', 'POST', s('/api/extras/custom-fields/'), () => ({ name: 'bad name', type: 'text', object_types: ['dcim.device'] })],
    [
      'device JSON custom field',
      'PATCH',
      (id) => `/api/dcim/devices/${id.srv}/`,
      () => ({ custom_fields: { [`bm_json_${u.replace(/-/g, '_')}`]: { x: [1, { y: null }] } } }),
    ],
    ['device unknown custom field', 'PATCH', (id) => `/api/dcim/devices/${id.srv}/`, () => ({ custom_fields: { nope_nope: 1 } })],
    [
      'create required custom field',
      'POST',
      s('/api/extras/custom-fields/'),
      () => ({ name: `bm_req_${u.replace(/-/g, '_')}`, type: 'integer', object_types: ['dcim.device'], required: true }),
      'cfr',
    ],
    ['device write without required field', 'PATCH', (id) => `/api/dcim/devices/${id.srv}/`, () => ({ status: 'discovered' })],
    [
      'device required field wrong type',
      'PATCH',
      (id) => `/api/dcim/devices/${id.srv}/`,
      () => ({ custom_fields: { [`bm_req_${u.replace(/-/g, '_')}`]: 'x' } }),
    ],
    ['delete required custom field', 'DELETE', (id) => `/api/extras/custom-fields/${id.cfr}/`],
    [
      'config context by role',
      'POST',
      s('/api/extras/config-contexts/'),
      (id) => ({ name: `cc-b-${u}`, weight: 1000, data: { bm: { a: 1 }, x: 1 }, roles: [id.role] }),
      'cc1',
    ],
    [
      'config context by site',
      'POST',
      s('/api/extras/config-contexts/'),
      (id) => ({ name: `cc-a-${u}`, weight: 1000, data: { x: 2, y: [1] }, sites: [id.site] }),
      'cc2',
    ],
    ['config context bad data', 'POST', s('/api/extras/config-contexts/'), () => ({ name: `cc-c-${u}`, data: [1] })],
    ['local context', 'PATCH', (id) => `/api/dcim/devices/${id.srv}/`, () => ({ local_context_data: { bm: { b: 2 } } })],
    ['device rendered context', 'GET', (id) => `/api/dcim/devices/${id.srv}/${q({ fields: 'id,config_context,local_context_data' })}`],
    ['create rear port 1', 'POST', s('/api/dcim/rear-ports/'), (id) => ({ device: id.pp1, name: 'R1', type: '8p8c', positions: 1 }), 'rp1'],
    [
      'create front port 1',
      'POST',
      s('/api/dcim/front-ports/'),
      (id) => ({ device: id.pp1, name: 'F1', type: '8p8c', rear_ports: [{ position: 1, rear_port: id.rp1, rear_port_position: 1 }] }),
      'fp1',
    ],
    ['create rear port 2', 'POST', s('/api/dcim/rear-ports/'), (id) => ({ device: id.pp2, name: 'R1', type: '8p8c', positions: 1 }), 'rp2'],
    [
      'create front port 2',
      'POST',
      s('/api/dcim/front-ports/'),
      (id) => ({ device: id.pp2, name: 'F1', type: '8p8c', rear_ports: [{ position: 1, rear_port: id.rp2, rear_port_position: 1 }] }),
      'fp2',
    ],
    ['duplicate front port', 'POST', s('/api/dcim/front-ports/'), (id) => ({ device: id.pp2, name: 'F1', type: '8p8c' })],
    ['cable to panel', 'POST', s('/api/dcim/cables/'), cable(['dcim.interface', 'eth0'], ['dcim.frontport', 'fp1'])],
    ['interface at uncabled panel', 'GET', (id) => `/api/dcim/interfaces/${id.eth0}/`],
    ['trunk cable', 'POST', s('/api/dcim/cables/'), cable(['dcim.rearport', 'rp1'], ['dcim.rearport', 'rp2'])],
    ['cable to switch', 'POST', s('/api/dcim/cables/'), cable(['dcim.frontport', 'fp2'], ['dcim.interface', 'ge0'])],
    ['interface through panels', 'GET', (id) => `/api/dcim/interfaces/${id.eth0}/`],
    ['switch port through panels', 'GET', (id) => `/api/dcim/interfaces/${id.ge0}/`],
    ['front port', 'GET', (id) => `/api/dcim/front-ports/${id.fp1}/`],
    ['rear port', 'GET', (id) => `/api/dcim/rear-ports/${id.rp1}/`],
    ['least: device list', 'GET', s(`/api/dcim/devices/${q({ name: `srv-${u}` })}`), undefined, undefined, 'least'],
    ['least: device status change', 'PATCH', (id) => `/api/dcim/devices/${id.srv}/`, () => ({ status: 'offline' }), undefined, 'least'],
    [
      'least: journal list',
      'GET',
      (id) => `/api/extras/journal-entries/${q({ assigned_object_type: 'dcim.device', assigned_object_id: id.srv })}`,
      undefined,
      undefined,
      'least',
    ],
    [
      'least: journal entry',
      'POST',
      s('/api/extras/journal-entries/'),
      (id) => ({ assigned_object_type: 'dcim.device', assigned_object_id: id.srv, kind: 'warning', comments: 'least' }),
      undefined,
      'least',
    ],
    ['least: site list (no view_site)', 'GET', s('/api/dcim/sites/'), undefined, undefined, 'least'],
    ['least: create interface (no add_interface)', 'POST', s('/api/dcim/interfaces/'), iface('srv', 'x9'), undefined, 'least'],
    ['least: delete device (no delete_device)', 'DELETE', (id) => `/api/dcim/devices/${id.sw}/`, undefined, undefined, 'least'],
    ['least: cable list (no view_cable)', 'GET', s('/api/dcim/cables/?limit=1'), undefined, undefined, 'least'],
    ['least: status', 'GET', s('/api/status/'), undefined, undefined, 'least'],
    ['missing device', 'GET', s('/api/dcim/devices/99999999/')],
  ];
  return steps;
}

interface Run {
  answers: Map<string, Answer>;
}

/**
 * Drops what the shared real NetBox holds besides this run: custom fields other tests defined
 * (a device lists every custom field of its type). Only this run's fields (names holding `tag`) stay.
 */
function scrub(v: unknown, tag: string): unknown {
  if (Array.isArray(v)) return v.map((x) => scrub(x, tag));
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    out[k] =
      k === 'custom_fields' && typeof x === 'object' && x !== null
        ? Object.fromEntries(Object.entries(x).filter(([name]) => name.includes(tag)))
        : scrub(x, tag);
  }
  return out;
}

async function runScript(ep: Endpoint, steps: ReturnType<typeof script>, cleanup: string[]): Promise<Run> {
  const ids: Ids = {};
  const answers = new Map<string, Answer>();
  for (const [name, method, path, body, capture, token] of steps) {
    const step: Step = { name, method, path: path(ids), ...(body ? { body: body(ids) } : {}), ...(token ? { token } : {}) };
    const a = await call(ep, step);
    answers.set(name, a);
    if (capture && a.status === 201 && typeof (a.body as { id?: unknown })?.id === 'number') {
      ids[capture] = (a.body as { id: number }).id;
      if (['cft', 'cfj', 'cfr', 'cc1', 'cc2'].includes(capture)) cleanup.push(`${step.path}${ids[capture]}/`);
    }
  }
  return { answers };
}

const available = targetAvailable('real');

describe.skipIf(!available)('differential: real NetBox vs simulator 4.7', () => {
  let sim: Simulator | undefined;
  const cleanup: string[] = [];
  afterAll(async () => {
    // Global objects (custom fields, config contexts) must not outlive the test on a shared NetBox.
    if (realNetbox) {
      for (const p of cleanup.reverse()) {
        await fetch(`${realNetbox.url}${p}`, { method: 'DELETE', headers: { Authorization: `Bearer ${realNetbox.admin.tokens.v2}` } }).catch(() => undefined);
      }
    }
    await sim?.close();
  });

  test('every request shape agrees or is allowlisted', async () => {
    const real = realNetbox!;
    sim = await startSimulator({ port: 0, flavour: '4.7' });
    const u = `${process.pid}-${Date.now().toString(36)}`;
    const net = randomNet();
    const macs = [randomMac()];
    const steps = script(u, net, macs);
    const tag = u.replace(/-/g, '_');
    const realRun = await runScript(
      {
        url: real.url,
        tokens: { admin: `Bearer ${real.admin.tokens.v2}`, least: `Bearer ${real.leastPrivilege.tokens.v2}`, bad: `Token ${'0'.repeat(40)}` },
      },
      steps,
      cleanup,
    );
    const simCleanup: string[] = [];
    const simRun = await runScript(
      {
        url: sim.url,
        tokens: { admin: `Bearer ${sim.v2Token!}`, least: `Bearer ${sim.leastPrivilegeTokens.v2!}`, bad: `Token ${'0'.repeat(40)}` },
      },
      steps,
      simCleanup,
    );

    const differences: string[] = [];
    const unlisted: string[] = [];
    let allowlisted = 0;
    const used = new Set<AllowEntry>();
    const note = (step: string, path: string, detail: string) => {
      differences.push(`${step} ${path}: ${detail}`);
      const entry = allowed(ALLOWLIST.entries, step, path);
      if (entry) {
        allowlisted++;
        used.add(entry);
      } else unlisted.push(`${step} ${path}: ${detail}`);
    };
    for (const [name] of steps) {
      const r = realRun.answers.get(name)!;
      const s = simRun.answers.get(name)!;
      if (r.status !== s.status) {
        note(name, 'status', `real ${r.status} ${JSON.stringify(r.body).slice(0, 300)}, sim ${s.status} ${JSON.stringify(s.body).slice(0, 300)}`);
        continue;
      }
      for (const d of compareShapes(shapeOf(scrub(r.body, tag)), shapeOf(scrub(s.body, tag)))) note(name, d.path, d.detail);
      if (steps.find(([n]) => n === name)?.[2]({}) === '/graphql/') {
        // GraphQL: the same objects (ids aside, in any order), not only the same shape.
        const [rc, sc] = [canonicalGraphql(r.body, net.prefix), canonicalGraphql(s.body, net.prefix)];
        if (rc !== sc) note(name, 'content', `real ${rc.slice(0, 600)}, sim ${sc.slice(0, 600)}`);
      }
      if (r.status >= 400) {
        const rt = errorTexts(r.body);
        const st = errorTexts(s.body);
        for (const k of new Set([...Object.keys(rt), ...Object.keys(st)])) {
          if (rt[k] !== undefined && st[k] !== undefined && rt[k] !== st[k])
            note(name, `text ${k}`, `real ${JSON.stringify(rt[k])}, sim ${JSON.stringify(st[k])}`);
        }
      }
    }
    const stale = ALLOWLIST.entries.filter((e) => !used.has(e));
    process.stderr.write(
      `\ndifferential: ${steps.length} request shapes compared, ${differences.length} differences, ${allowlisted} allowlisted, ${unlisted.length} unlisted\n`,
    );
    for (const u2 of unlisted) process.stderr.write(`  UNLISTED ${u2}\n`);
    if (stale.length > 0) process.stderr.write(`  (allowlist entries that matched nothing: ${stale.map((e) => `${e.step} ${e.path}`).join('; ')})\n`);
    expect(unlisted).toEqual([]);
  }, 120_000);
});
