/**
 * `make demo`: Phase 0 against the embedded NetBox simulator. Starts a NetBox
 * 4.6 simulator, creates a server with a BMC through the REST API, hands a BMC
 * lease to the compiled bm-hook exactly as dhcpd would, drains the spool, and
 * prints the device, its cabling and its journal as an operator would read them.
 */
import { normaliseMac } from '../../shared/mac.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetboxClient, farEndOf, findDeviceByMac, getDevice, listDeviceInterfaces, listDeviceJournal } from '../../shared/netbox/index.ts';
import { startSimulator } from '../netbox-sim/index.ts';
import { createFixtures } from '../helpers/netbox-fixtures.ts';

const sim = await startSimulator({ port: 0, flavour: '4.6' });
const say = (line: string) => console.log(line);
try {
  say(`NetBox simulator ${sim.version} at ${sim.url} (v2 token)`);
  const fx = await createFixtures(sim.url, sim.token);
  const server = await fx.createDevice({ name: 'srv-r12-u07', serial: 'CZ2034ABCD' });
  await fx.createInterface(server.id, { name: 'bmc', mac: '94:40:c9:01:0a:56', mgmtOnly: true });
  const nic = await fx.createInterface(server.id, { name: 'eno1', mac: '94:40:c9:33:00:01' });
  const leaf = await fx.createDevice({ name: 'leaf-r12', status: 'active' });
  const port = await fx.createInterface(leaf.id, { name: 'Ethernet1/7' });
  await fx.cable(nic.id, port.id);
  await fx.createPrefix('10.20.0.0/16');
  await fx.createPrefix('10.20.30.0/24');
  say(`seeded: ${server.name} (offline) with BMC 94:40:c9:01:0a:56, eno1 cabled to ${leaf.name} Ethernet1/7`);

  const client = createNetboxClient({ url: sim.url, token: sim.token });
  const spool = mkdtempSync(join(tmpdir(), 'bm-demo-spool-'));
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', NETBOX_URL: sim.url, NETBOX_TOKEN: sim.token, BM_SPOOL_DIR: spool, BM_HOOK_NO_SYSLOG: '1' };
  const lease = { ip: '10.20.30.41', mac: '94:40:c9:1:a:56' };
  say(`\ndhcpd commits ${lease.ip} to ${lease.mac} (its naive form: leading zeros dropped) and runs:`);
  say(`  bm-hook commit ${lease.ip} ${lease.mac} ilo-srv-r12-u07`);
  const started = performance.now();
  const commit = Bun.spawn(['dist/bm-hook', 'commit', lease.ip, lease.mac, 'ilo-srv-r12-u07', '--no-drain'], { env, stderr: 'pipe' });
  const commitLog = await new Response(commit.stderr).text();
  say(`  → exit ${await commit.exited} after ${(performance.now() - started).toFixed(0)} ms, no NetBox call; ${commitLog.trim()}`);
  say('then the drainer (started detached in production) applies the spool:');
  const drain = Bun.spawn(['dist/bm-hook', 'drain'], { env, stderr: 'pipe' });
  for (const line of (await new Response(drain.stderr).text()).trim().split('\n')) say(`  ${line}`);
  await drain.exited;

  const match = await findDeviceByMac(client, normaliseMac(lease.mac));
  if (!match) throw new Error('device not found by MAC');
  const device = await getDevice(client, match.device.id);
  say(`device now: status=${device.status.value}, oob_ip=${device.oob_ip?.address}`);
  for (const iface of await listDeviceInterfaces(client, device.id)) {
    const far = farEndOf(iface);
    say(`  ${iface.name.padEnd(6)} ${iface.mac_address ?? '-'}  ${far ? `→ ${far.deviceName} ${far.interfaceName}` : 'not cabled'}`);
  }
  say(`\nJournal of ${device.name}:`);
  for (const entry of await listDeviceJournal(client, device.id)) say(`  [${entry.kind.value}] ${entry.comments}`);
  say(`\n${sim.requests().length} API requests served, all validated against the NetBox 4.6 schema`);
} finally {
  await sim.close();
}
