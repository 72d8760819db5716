/**
 * 04-lldp against real lldpd "switches" configured the way vendors' switches
 * send (test/helpers/lldp-lab.ts), compared with NetBox (the simulator and the
 * real one): Junos (port id = ifIndex, name or description in the port
 * description), SONiC (port id = the alias), Cisco IOS with LLDP off (CDPv2
 * only), and a switch with MAC port ids, a serial as chassis id and no system
 * name. The server's lldpd is the step's own (LLDP and CDP, receive-only).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createLldpStep, LLDP_TUNABLES } from '../../../agent/steps/04-lldp.ts';
import type { StepResult } from '../../../agent/step.ts';
import { createToolRunner } from '../../../agent/tools/run-tool.ts';
import type { Device, Interface } from '../../../shared/netbox/index.ts';
import { createTestContext, type TestStepContext } from '../../helpers/agent-context.ts';
import { createLldpLab, describeEachNetbox, runnerInNetns, type LldpLab } from '../../helpers/lldp-lab.ts';
import type { Fixtures } from '../../helpers/netbox-fixtures.ts';
import type { TargetName } from '../../helpers/netbox-target.ts';
import { requirementsMet } from '../../helpers/requirements.ts';

const canRun = requirementsMet('04-lldp with vendor-style lldpd switches', { root: true, tools: ['ip', 'lldpd', 'lldpcli'] });

const MAC = { eno1: '02:00:5e:10:00:01', eno2: '02:00:5e:10:00:02', eno3: '02:00:5e:10:00:03' } as const;
type Nic = keyof typeof MAC;
/** The MAC-port-id switch's chassis id: a serial of this run's own, so no other device in the real NetBox has it. */
const SERIAL = `FOC${process.pid.toString(36).toUpperCase()}X0AB`;

interface SwitchPort {
  name: string;
  label?: string;
  description?: string;
  mac?: string;
}

/** The switch as NetBox has it, and a server cabled to its ports as `cabling` says. */
async function netboxModel(
  fx: Fixtures,
  sw: { name: string; serial?: string; ports: SwitchPort[] },
  server: string,
  cabling: Record<Nic, string>,
): Promise<Device> {
  const device = await fx.createDevice({ name: sw.name, status: 'active', ...(sw.serial ? { serial: sw.serial } : {}) });
  const ports = new Map<string, number>();
  for (const port of sw.ports) {
    const iface = await fx.createInterface(device.id, { name: port.name, ...(port.mac ? { mac: port.mac } : {}) });
    if (port.label || port.description)
      await fx.client.patch<Interface>(`/api/dcim/interfaces/${iface.id}/`, { label: port.label ?? '', description: port.description ?? '' });
    ports.set(port.name, iface.id);
  }
  const host = await fx.createDevice({ name: server, status: 'discovered' });
  for (const [nic, mac] of Object.entries(MAC) as [Nic, string][]) {
    const iface = await fx.createInterface(host.id, { name: nic, mac });
    await fx.cable(iface.id, ports.get(cabling[nic])!);
  }
  return host;
}

const LLDP_TARGETS: readonly TargetName[] = ['4.6', 'real'];

describe.skipIf(!canRun)('04-lldp against vendor-style switches (real lldpd) and NetBox', () => {
  const labs: Partial<Record<'junos' | 'sonic' | 'cdp' | 'mac', LldpLab>> = {};
  const contexts: TestStepContext[] = [];

  beforeAll(async () => {
    labs.junos = await createLldpLab({
      switchName: 'qfx5100-1',
      switchMgmtIp: '192.0.2.40',
      cables: [
        { server: 'eno1', switchPort: 'xe17', mac: MAC.eno1, local: { id: '541', description: 'xe-0/0/17' } },
        { server: 'eno2', switchPort: 'xe18', mac: MAC.eno2, local: { id: '542', description: 'xe-0/0/18' } },
        { server: 'eno3', switchPort: 'xe19', mac: MAC.eno3, local: { id: '543', description: 'srv-1 eno3' } },
      ],
    });
    labs.sonic = await createLldpLab({
      switchName: 'sonic-leaf-1',
      switchMgmtIp: '192.0.2.50',
      cables: [
        { server: 'eno1', switchPort: 'Ethernet28', mac: MAC.eno1, local: { id: 'etp8', description: 'srv-1:eno1' } },
        { server: 'eno2', switchPort: 'Ethernet32', mac: MAC.eno2, local: { id: 'etp9', description: 'srv-1:eno2' } },
        { server: 'eno3', switchPort: 'Ethernet36', mac: MAC.eno3, alias: null, local: { id: 'etp10' } },
      ],
    });
    labs.cdp = await createLldpLab({
      switchName: 'c9300-1',
      switchMgmtIp: '192.0.2.30',
      protocol: 'cdp',
      cables: [
        { server: 'eno1', switchPort: 'tw7', mac: MAC.eno1, alias: 'TwoGigabitEthernet1/0/7' },
        { server: 'eno2', switchPort: 'twe1', mac: MAC.eno2, alias: 'TwentyFiveGigE1/1/1' },
        { server: 'eno3', switchPort: 'tw9', mac: MAC.eno3, alias: 'TwoGigabitEthernet1/0/9' },
      ],
    });
    labs.mac = await createLldpLab({
      switchName: null,
      switchMgmtIp: '192.0.2.60',
      chassisId: SERIAL,
      portIdSubtype: 'macaddress',
      cables: [
        { server: 'eno1', switchPort: 'swp7', mac: MAC.eno1, switchMac: '02:00:5e:20:00:07', portDescription: 'srv-1 eno1' },
        { server: 'eno2', switchPort: 'swp8', mac: MAC.eno2, switchMac: '02:00:5e:20:00:08', portDescription: 'srv-1 eno2' },
        { server: 'eno3', switchPort: 'swp9', mac: MAC.eno3, switchMac: '02:00:5e:20:00:09', portDescription: 'srv-1 eno3' },
      ],
    });
  }, 60_000);

  afterAll(async () => {
    for (const ctx of contexts) ctx.cleanup();
    for (const lab of Object.values(labs)) await lab?.close();
  });

  async function runStep(lab: LldpLab, device: Device, fx: Fixtures): Promise<StepResult> {
    const ctx = createTestContext({
      tunables: { deadline_s: LLDP_TUNABLES.deadline_s.default, interfaces: 'eno1,eno2,eno3', poll_ms: 250, require_neighbour: true },
    });
    contexts.push(ctx);
    ctx.run = runnerInNetns(lab.serverNs, createToolRunner({ evidence: ctx.evidence, log: ctx.log }));
    ctx.device = device;
    ctx.netbox = fx.client;
    return createLldpStep({ startDaemon: lab.serverDaemons }).run(ctx, () => {});
  }

  /** NIC, NetBox says, LLDP sees, verdict. */
  const verdicts = (result: StepResult) => result.table?.rows.map((row) => [row[0], row[2], row[3], row[6]]);
  const warnings = (result: StepResult) => (result.details as { warnings: string[] }).warnings;

  describeEachNetbox(LLDP_TARGETS, (netbox) => {
    test('Junos: the ifIndex port id is not compared; the port description names the port, or another one', async () => {
      const { fx } = netbox();
      const device = await netboxModel(
        fx,
        { name: 'qfx5100-1', ports: [{ name: 'xe-0/0/17' }, { name: 'xe-0/0/18' }, { name: 'xe-0/0/19', description: 'srv-1 eno3' }, { name: 'xe-0/0/20' }] },
        'srv-junos',
        { eno1: 'xe-0/0/17', eno2: 'xe-0/0/20', eno3: 'xe-0/0/19' },
      );
      const result = await runStep(labs.junos!, device, fx);
      expect(verdicts(result)).toEqual([
        ['eno1', 'qfx5100-1 xe-0/0/17', 'qfx5100-1 541 (xe-0/0/17)', 'match'],
        ['eno2', 'qfx5100-1 xe-0/0/20', 'qfx5100-1 542 (xe-0/0/18)', 'mismatch'],
        ['eno3', 'qfx5100-1 xe-0/0/19', 'qfx5100-1 543 (srv-1 eno3)', 'match'],
      ]);
      expect(result.status).toBe('fail');
      expect(result.reasons).toEqual(['eno2: wrong port: NetBox says qfx5100-1 xe-0/0/20, LLDP sees qfx5100-1 542 (xe-0/0/18)']);
    }, 45_000);

    test('SONiC: the alias port id matches a NetBox label; without one the port cannot be identified (a warning)', async () => {
      const { fx } = netbox();
      const device = await netboxModel(
        fx,
        { name: 'sonic-leaf-1', ports: [{ name: 'Ethernet28', label: 'etp8' }, { name: 'Ethernet32' }, { name: 'Ethernet36' }] },
        'srv-sonic',
        { eno1: 'Ethernet28', eno2: 'Ethernet32', eno3: 'Ethernet36' },
      );
      const result = await runStep(labs.sonic!, device, fx);
      expect(verdicts(result)).toEqual([
        ['eno1', 'sonic-leaf-1 Ethernet28', 'sonic-leaf-1 etp8 (srv-1:eno1)', 'match'],
        ['eno2', 'sonic-leaf-1 Ethernet32', 'sonic-leaf-1 etp9 (srv-1:eno2)', 'unidentified'],
        ['eno3', 'sonic-leaf-1 Ethernet36', 'sonic-leaf-1 etp10 (Ethernet36)', 'match'],
      ]);
      expect(result.status).toBe('pass');
      expect(result.summary).toBe('2 of 3 cabled NICs are where NetBox says; 1 warning');
      expect(warnings(result)).toEqual([
        expect.stringMatching(
          /^eno2: cannot identify the far port: NetBox says sonic-leaf-1 Ethernet32, the switch sends LLDP: chassis id \(mac\) [0-9a-f:]{17}, system name sonic-leaf-1, port id \(local\) etp9, port description srv-1:eno2, management address 192\.0\.2\.50 /,
        ),
      ]);
    }, 45_000);

    test('Cisco IOS with LLDP off: CDP neighbours are heard and compared; TwentyFiveGigE is not TwoGigabitEthernet', async () => {
      const { fx } = netbox();
      const device = await netboxModel(
        fx,
        {
          name: 'c9300-1',
          ports: [{ name: 'TwoGigabitEthernet1/0/7' }, { name: 'TwoGigabitEthernet1/0/8' }, { name: 'TwentyFiveGigE1/1/1' }, { name: 'Tw1/0/9' }],
        },
        'srv-cisco',
        { eno1: 'TwoGigabitEthernet1/0/7', eno2: 'TwoGigabitEthernet1/0/8', eno3: 'Tw1/0/9' },
      );
      const result = await runStep(labs.cdp!, device, fx);
      expect(verdicts(result)).toEqual([
        ['eno1', 'c9300-1 TwoGigabitEthernet1/0/7', 'c9300-1 TwoGigabitEthernet1/0/7 via CDPv2', 'match'],
        ['eno2', 'c9300-1 TwoGigabitEthernet1/0/8', 'c9300-1 TwentyFiveGigE1/1/1 via CDPv2', 'mismatch'],
        ['eno3', 'c9300-1 Tw1/0/9', 'c9300-1 TwoGigabitEthernet1/0/9 via CDPv2', 'match'],
      ]);
      expect(result.reasons).toEqual(['eno2: wrong port: NetBox says c9300-1 TwoGigabitEthernet1/0/8, LLDP sees c9300-1 TwentyFiveGigE1/1/1 via CDPv2']);
      expect(result.table?.rows.map((row) => row[5])).toEqual(['192.0.2.30', '192.0.2.30', '192.0.2.30']);
    }, 45_000);

    test('MAC port ids and no system name: identified by serial and port MACs where NetBox has them, else a warning, never a wrong switch', async () => {
      const { fx } = netbox();
      const device = await netboxModel(
        fx,
        {
          name: 'leaf-9',
          serial: SERIAL,
          ports: [{ name: 'swp7', mac: '02:00:5e:20:00:07' }, { name: 'swp8' }, { name: 'swp9', mac: '02:00:5e:20:00:09' }, { name: 'swp10' }],
        },
        'srv-mac',
        { eno1: 'swp7', eno2: 'swp8', eno3: 'swp10' },
      );
      const result = await runStep(labs.mac!, device, fx);
      expect(verdicts(result)).toEqual([
        ['eno1', 'leaf-9 swp7', `${SERIAL} srv-1 eno1`, 'match'],
        ['eno2', 'leaf-9 swp8', `${SERIAL} srv-1 eno2`, 'unidentified'],
        ['eno3', 'leaf-9 swp10', `${SERIAL} srv-1 eno3`, 'mismatch'],
      ]);
      expect(result.reasons).toEqual([`eno3: wrong port: NetBox says leaf-9 swp10, LLDP sees ${SERIAL} srv-1 eno3`]);
      expect(warnings(result)).toEqual([
        expect.stringContaining(
          `eno2: cannot identify the far port: NetBox says leaf-9 swp8, the switch sends LLDP: chassis id (local) ${SERIAL}, no system name, port id (mac) 02:00:5e:20:00:08, port description srv-1 eno2`,
        ),
      ]);
      expect((result.details as { rows: { nic: string; matchedBy?: string[] }[] }).rows[0]!.matchedBy).toEqual(['chassis id = serial', 'port id (mac)']);
    }, 45_000);
  });
});
