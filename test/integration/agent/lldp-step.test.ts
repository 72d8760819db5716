/**
 * 04-lldp against a real lldpd "switch" in network namespaces and NetBox (the
 * simulator and the real one): the server's lldpd (started by the step) runs in
 * the server namespace, and so does every tool the step runs. Cabling is
 * modelled in NetBox directly and through patch panels.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createLldpStep, LLDP_TUNABLES } from '../../../agent/steps/04-lldp.ts';
import type { StepResult } from '../../../agent/step.ts';
import type { DaemonProcess, DaemonStarter } from '../../../agent/tools/lldpd.ts';
import { createToolRunner } from '../../../agent/tools/run-tool.ts';
import type { Device } from '../../../shared/netbox/index.ts';
import { createTestContext, type TestStepContext } from '../../helpers/agent-context.ts';
import { createLldpLab, describeEachNetbox, runnerInNetns, type LldpLab } from '../../helpers/lldp-lab.ts';
import type { Fixtures } from '../../helpers/netbox-fixtures.ts';
import type { TargetName } from '../../helpers/netbox-target.ts';
import { requirementsMet } from '../../helpers/requirements.ts';

const canRun = requirementsMet('04-lldp with real lldpd', { root: true, tools: ['ip', 'lldpd', 'lldpcli'] });

const MAC = { eno1: '02:00:5e:10:00:01', eno2: '02:00:5e:10:00:02', eno3: '02:00:5e:10:00:03' };

/** A switch device with ports in NetBox, and a server device cabled to them as `cabling` says. */
async function netboxCabling(fx: Fixtures, switchName: string, serverName: string, cabling: Record<keyof typeof MAC, string | null>): Promise<Device> {
  const sw = await fx.createDevice({ name: switchName, status: 'active' });
  const ports = new Map<string, number>();
  for (const port of ['swp7', 'swp8', 'swp9', 'swp10']) ports.set(port, (await fx.createInterface(sw.id, { name: port })).id);
  const server = await fx.createDevice({ name: serverName, status: 'discovered' });
  for (const [nic, mac] of Object.entries(MAC) as [keyof typeof MAC, string][]) {
    const iface = await fx.createInterface(server.id, { name: nic, mac });
    const port = cabling[nic];
    if (port) await fx.cable(iface.id, ports.get(port)!);
  }
  return server;
}

/** The simulator flavour with MAC objects and the real NetBox. */
const LLDP_TARGETS: readonly TargetName[] = ['4.6', 'real'];

describe.skipIf(!canRun)('04-lldp with real lldpd pairs in network namespaces', () => {
  let wrongLab: LldpLab | undefined;
  let rightLab: LldpLab | undefined;
  const contexts: TestStepContext[] = [];

  beforeAll(async () => {
    // eno3's switch port is up but runs no LLDP: link, no neighbour.
    wrongLab = await createLldpLab({
      switchName: 'leaf-1',
      switchMgmtIp: '192.0.2.10',
      cables: [
        { server: 'eno1', switchPort: 'swp7', mac: MAC.eno1 },
        { server: 'eno2', switchPort: 'swp8', mac: MAC.eno2 },
        { server: 'eno3', switchPort: 'swp10', mac: MAC.eno3, lldp: false },
      ],
    });
    // eno3's switch port is down: no link, and NetBox has no cable on it.
    rightLab = await createLldpLab({
      switchName: 'leaf-2',
      switchMgmtIp: '192.0.2.20',
      cables: [
        { server: 'eno1', switchPort: 'swp7', mac: MAC.eno1 },
        { server: 'eno2', switchPort: 'swp8', mac: MAC.eno2 },
        { server: 'eno3', switchPort: 'swp10', mac: MAC.eno3, switchPortUp: false },
      ],
    });
  }, 30_000);

  afterAll(async () => {
    for (const ctx of contexts) ctx.cleanup();
    await wrongLab?.close();
    await rightLab?.close();
  });

  /** Runs the step in the lab's server namespace; returns the result, wall time and lldpd's PID. */
  async function runStep(
    lab: LldpLab,
    tunables: Record<string, string | number | boolean>,
    device?: Device,
    fx?: Fixtures,
  ): Promise<{ result: StepResult; ms: number; lldpd: DaemonProcess | undefined; ctx: TestStepContext }> {
    const ctx = createTestContext({
      tunables: { deadline_s: LLDP_TUNABLES.deadline_s.default, interfaces: 'eno1,eno2,eno3', poll_ms: 250, require_neighbour: true, ...tunables },
    });
    contexts.push(ctx);
    ctx.run = runnerInNetns(lab.serverNs, createToolRunner({ evidence: ctx.evidence, log: ctx.log }));
    if (device && fx) {
      ctx.device = device;
      ctx.netbox = fx.client;
    }
    let lldpd: DaemonProcess | undefined;
    const starter: DaemonStarter = (argv, options) => (lldpd = lab.serverDaemons(argv, options));
    const started = performance.now();
    const result = await createLldpStep({ startDaemon: starter }).run(ctx, () => {});
    return { result, ms: performance.now() - started, lldpd, ctx };
  }

  const verdicts = (result: StepResult) => result.table?.rows.map((row) => [row[0], row[2], row[3], row[5], row[6]]);

  describeEachNetbox(LLDP_TARGETS, (netbox) => {
    test('one correct, one wrong and one missing neighbour fail the step naming eno2 and eno3', async () => {
      const { fx } = netbox();
      const device = await netboxCabling(fx, 'leaf-1', 'srv-wrong', { eno1: 'swp7', eno2: 'swp9', eno3: 'swp10' });
      const { result, lldpd } = await runStep(wrongLab!, { deadline_s: 6 }, device, fx);
      expect(verdicts(result)).toEqual([
        ['eno1', 'leaf-1 swp7', 'leaf-1 swp7', '192.0.2.10', 'match'],
        ['eno2', 'leaf-1 swp9', 'leaf-1 swp8', '192.0.2.10', 'mismatch'],
        ['eno3', 'leaf-1 swp10', '—', '—', 'missing'],
      ]);
      expect(result.status).toBe('fail');
      expect(result.summary).toBe('cabling differs from NetBox on eno2 (mismatch), eno3 (missing)');
      expect(result.reasons).toEqual([
        'eno2: wrong port: NetBox says leaf-1 swp9, LLDP sees leaf-1 swp8',
        'eno3: NetBox says leaf-1 swp10, but no LLDP neighbour was heard (is LLDP enabled on the switch port?)',
      ]);
      expect(result.metrics).toMatchObject({ earlyExit: false, matched: 1, mismatched: 1, missing: 1, comparedWithNetbox: true });
      expect(lldpd?.hasExited()).toBe(true);
    }, 30_000);

    test('cabling that matches NetBox passes and returns long before the deadline', async () => {
      const { fx } = netbox();
      const device = await netboxCabling(fx, 'leaf-2', 'srv-right', { eno1: 'swp7', eno2: 'swp8', eno3: null });
      const { result, ms, lldpd } = await runStep(rightLab!, {}, device, fx);
      const deadlineMs = 35_000;
      expect(verdicts(result)).toEqual([
        ['eno1', 'leaf-2 swp7', 'leaf-2 swp7', '192.0.2.20', 'match'],
        ['eno2', 'leaf-2 swp8', 'leaf-2 swp8', '192.0.2.20', 'match'],
        ['eno3', 'not cabled', '—', '—', 'no-link'],
      ]);
      expect(result.status).toBe('pass');
      expect(result.summary).toBe('2 of 2 cabled NICs are where NetBox says');
      expect(result.metrics).toMatchObject({ earlyExit: true, deadlineMs });
      // tx-interval 1 s: every neighbour within a few seconds; well under a fifth of the deadline.
      expect(ms).toBeLessThan(deadlineMs / 5);
      expect(result.metrics.allNeighboursMs as number).toBeLessThan(deadlineMs / 5);
      process.stderr.write(`04-lldp: all neighbours after ${result.metrics.allNeighboursMs} ms, step took ${Math.round(ms)} ms (deadline ${deadlineMs} ms)\n`);
      expect(lldpd?.hasExited()).toBe(true);
    }, 45_000);

    test('a NIC NetBox says is cabled whose switch port is down (no carrier) fails as no-link', async () => {
      // Its own site: leaf-2 exists in the first one already.
      const fx = await netbox().ownSite();
      const device = await netboxCabling(fx, 'leaf-2', 'srv-nolink', { eno1: 'swp7', eno2: 'swp8', eno3: 'swp10' });
      const { result } = await runStep(rightLab!, { deadline_s: 4 }, device, fx);
      expect(verdicts(result)).toEqual([
        ['eno1', 'leaf-2 swp7', 'leaf-2 swp7', '192.0.2.20', 'match'],
        ['eno2', 'leaf-2 swp8', 'leaf-2 swp8', '192.0.2.20', 'match'],
        ['eno3', 'leaf-2 swp10', '—', '—', 'no-link'],
      ]);
      expect(result.status).toBe('fail');
      expect(result.summary).toBe('cabling differs from NetBox on eno3 (no-link)');
      expect(result.reasons).toEqual(['eno3: NetBox says it is cabled to leaf-2 swp10, but it has no link (cable, optic or switch port down)']);
      expect(result.metrics).toMatchObject({ linked: 2, missing: 1, matched: 2 });
    }, 45_000);

    test('a NIC behind two patch panels matches the far switch port; a path stopping at a panel says where', async () => {
      // Its own site: the test above has a leaf-2 too.
      const fx = await netbox().ownSite();
      // eno1 → ppa F1 · ppa R1 ↔ ppb R1 · ppb F1 → leaf-2 swp7; eno2 → ppc F1 · ppc R1 not cabled; eno3 not cabled.
      const sw = await fx.createDevice({ name: 'leaf-2', status: 'active' });
      const swp7 = await fx.createInterface(sw.id, { name: 'swp7' });
      const [ppa, ppb, ppc] = [await fx.createPatchPanel({ ports: 1 }), await fx.createPatchPanel({ ports: 1 }), await fx.createPatchPanel({ ports: 1 })];
      const server = await fx.createDevice({ name: 'srv-panels', status: 'discovered' });
      const eno1 = await fx.createInterface(server.id, { name: 'eno1', mac: MAC.eno1 });
      const eno2 = await fx.createInterface(server.id, { name: 'eno2', mac: MAC.eno2 });
      await fx.createInterface(server.id, { name: 'eno3', mac: MAC.eno3 });
      await fx.cableEnds({ type: 'dcim.interface', id: eno1.id }, { type: 'dcim.frontport', id: ppa.fronts[0]!.id });
      await fx.cableEnds({ type: 'dcim.rearport', id: ppa.rear.id }, { type: 'dcim.rearport', id: ppb.rear.id });
      await fx.cableEnds({ type: 'dcim.frontport', id: ppb.fronts[0]!.id }, { type: 'dcim.interface', id: swp7.id });
      await fx.cableEnds({ type: 'dcim.interface', id: eno2.id }, { type: 'dcim.frontport', id: ppc.fronts[0]!.id });

      const { result } = await runStep(rightLab!, { deadline_s: 10 }, server, fx);
      expect(verdicts(result)).toEqual([
        ['eno1', 'leaf-2 swp7', 'leaf-2 swp7', '192.0.2.20', 'match'],
        ['eno2', `stops at ${ppc.device.name} R1`, 'leaf-2 swp8', '192.0.2.20', 'incomplete-path'],
        ['eno3', 'not cabled', '—', '—', 'no-link'],
      ]);
      expect(result.status).toBe('pass');
      expect(result.summary).toBe('1 of 1 cabled NICs are where NetBox says; 1 warning');
      expect((result.details as { warnings: string[] }).warnings).toEqual([
        `eno2: path stops at patch panel ${ppc.device.name} port R1: not cabled further; LLDP sees leaf-2 swp8: complete the cabling in NetBox`,
      ]);
    }, 45_000);
  });

  test('the final json0 output is saved as evidence and parses to what the table shows', async () => {
    const { result, ctx } = await runStep(wrongLab!, { deadline_s: 3, interfaces: 'eno1,eno2' });
    const evidence = result.evidence.find((e) => e.file === '04-lldp/neighbors.json');
    expect(evidence?.command).toEqual(['lldpcli', '-u', expect.stringContaining('lldpd.socket'), '-f', 'json0', 'show', 'neighbors', 'details']);
    const saved = JSON.parse(await Bun.file(ctx.evidence.pathOf('04-lldp/neighbors.json')).text());
    expect(saved.lldp[0].interface.map((i: { name: string }) => i.name)).toEqual(['eno1', 'eno2']);
  }, 30_000);

  test('without a NetBox device the neighbours are reported and every linked NIC having one passes', async () => {
    const { result } = await runStep(rightLab!, { deadline_s: 10 });
    expect(verdicts(result)).toEqual([
      ['eno1', '—', 'leaf-2 swp7', '192.0.2.20', 'seen'],
      ['eno2', '—', 'leaf-2 swp8', '192.0.2.20', 'seen'],
      ['eno3', '—', '—', '—', 'no-link'],
    ]);
    expect(result.status).toBe('pass');
    expect(result.metrics.earlyExit).toBe(true);
  }, 30_000);
});
