/**
 * `make demo`: the NetBox side of the pipeline against the embedded simulator.
 * Starts a NetBox 4.6 simulator, creates a server with a BMC through the REST
 * API, then walks the calls the hook and the agent make (find by MAC, status,
 * IP with its real prefix length, oob_ip, journal, cabling) and prints the
 * device's journal as an operator would read it.
 */
import { normaliseMac } from '../../shared/mac.ts';
import {
  createIpAddress,
  createJournalEntry,
  createNetboxClient,
  farEndOf,
  findDeviceByMac,
  findPrefixesContaining,
  getDevice,
  listDeviceInterfaces,
  listDeviceJournal,
  mostSpecificPrefixLength,
  setDeviceOobIp,
  setDeviceStatus,
} from '../../shared/netbox/index.ts';
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
  const lease = { ip: '10.20.30.41', mac: '94:40:c9:1:a:56' };
  say(`\nDHCP lease: ${lease.ip} for ${lease.mac} (dhcpd's form, leading zeros dropped)`);
  const match = await findDeviceByMac(client, normaliseMac(lease.mac));
  if (!match) throw new Error('device not found by MAC');
  const bmc = match.interfaces[0]!;
  say(`found ${match.device.display} by MAC on interface ${bmc.name}`);
  const length = mostSpecificPrefixLength(await findPrefixesContaining(client, lease.ip), 32);
  const ip = await createIpAddress(client, { address: `${lease.ip}/${length}`, status: 'dhcp', interfaceId: bmc.id });
  await setDeviceOobIp(client, match.device.id, ip.id);
  await setDeviceStatus(client, match.device.id, 'discovered');
  await createJournalEntry(client, {
    deviceId: match.device.id,
    kind: 'info',
    comments: `BMC seen by DHCP: **${ip.address}** on \`${bmc.name}\`; status offline → discovered`,
  });

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
