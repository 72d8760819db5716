/**
 * An LLDP lab: a "server" namespace whose NICs are veth pairs with their peers
 * in a "switch" namespace, where a real lldpd plays the switch (system name,
 * management IP, 1 s tx-interval, port descriptions from interface aliases).
 * Plus wrappers that run the agent's tools and daemons inside the server
 * namespace. Everything is named with this process's PID; close() kills the
 * daemons by PID and deletes the namespaces (call it from afterAll).
 *
 * The switch can speak the way vendors' switches do, configured through lldpcli
 * as those switches' LLDP agents configure lldpd: a port id of subtype `local`
 * (Junos: the ifIndex `541`; SONiC: the alias `etp8`) with a port description
 * (`configure ports X lldp portidsubtype local V description D`), MAC port ids
 * (`configure lldp portidsubtype macaddress`), or CDPv2 only (`lldpd -ccccc -ll`:
 * CDPv1 off, CDPv2 forced, LLDP off — a Cisco IOS switch with LLDP off). lldpd
 * sends CDP's Port ID from the port's description (its alias, or the configured
 * description), so an alias such as `GigabitEthernet1/0/7` is what a CDP
 * neighbour reports as the port.
 */
import { afterAll, beforeAll, describe } from 'bun:test';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lldpdUser, spawnDaemon, type DaemonProcess, type DaemonStarter } from '../../agent/tools/lldpd.ts';
import type { ToolRunner } from '../../agent/tools/run-tool.ts';
import { createFixtures, type Fixtures } from './netbox-fixtures.ts';
import { startNetboxTarget, targetAvailable, type NetboxTarget, type TargetName } from './netbox-target.ts';
import { waitUntil } from './wait.ts';

const PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

function ip(...args: string[]): void {
  const result = Bun.spawnSync(['ip', ...args], { stdout: 'pipe', stderr: 'pipe' });
  if (result.exitCode !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr.toString().trim()}`);
}

export interface LldpCable {
  /** NIC name in the server namespace, e.g. `eno1`. */
  server: string;
  /** Port name in the switch namespace, e.g. `swp7`. */
  switchPort: string;
  /** MAC of the server NIC. */
  mac: string;
  /** Whether the switch's lldpd runs on this port (false: link but no neighbour). Default true. */
  lldp?: boolean;
  /** Whether the switch port is up (false: the server NIC gets no carrier). Default true. */
  switchPortUp?: boolean;
  /** The switch port's alias (lldpd's port description, and CDP's port id). Default `<server> (lab server)`; null: none. */
  alias?: string | null;
  /** MAC of the switch port (its port id with `portIdSubtype: 'macaddress'`). Default: the kernel's random one. */
  switchMac?: string;
  /** A port id of subtype `local` with this value, and this port description (`portidsubtype local V description D`). */
  local?: { id: string; description?: string };
  /** A forced port description (`configure ports X lldp portdescription D`): with MAC port ids lldpd otherwise sends the ifname. */
  portDescription?: string;
}

export interface LldpLabOptions {
  /** The switch's system name; null: none (lldpd leaves the System Name TLV out when the hostname is empty). */
  switchName: string | null;
  /** Management address the switch announces. */
  switchMgmtIp: string;
  cables: LldpCable[];
  /** What the switch speaks: LLDP (default) or CDPv2 only. */
  protocol?: 'lldp' | 'cdp';
  /** The port id subtype of ports without `local`: the interface name (default) or its MAC. */
  portIdSubtype?: 'ifname' | 'macaddress';
  /** A chassis id of subtype `local` (`configure system chassisid`, e.g. a serial number) instead of a MAC. */
  chassisId?: string;
}

export interface LldpLab {
  serverNs: string;
  switchNs: string;
  switchSocket: string;
  /** The switch's lldpd (for its log on failure). */
  switchDaemon: DaemonProcess;
  /** Runs a command in a namespace and returns its output (throws on a non-zero exit unless allowFail). */
  exec(ns: string, argv: string[], options?: { allowFail?: boolean }): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** A DaemonStarter that starts daemons inside the server namespace (killed by the step, and by close() as a backstop). */
  serverDaemons: DaemonStarter;
  close(): Promise<void>;
}

let labCounter = 0;

/** A ToolRunner that runs every tool inside `ns` (`ip netns exec <ns> <tool> …`), reporting the tool's own name. */
export function runnerInNetns(ns: string, base: ToolRunner): ToolRunner {
  return async (inv) => {
    const result = await base({ ...inv, tool: 'ip', args: ['netns', 'exec', ns, inv.tool, ...inv.args], env: { PATH, ...inv.env } });
    return {
      ...result,
      tool: inv.tool,
      command: [inv.tool, ...inv.args],
      missing: result.missing || (result.exitCode === 255 && /No such file or directory/.test(result.stderr)),
    };
  };
}

export async function createLldpLab(options: LldpLabOptions): Promise<LldpLab> {
  const tag = `${process.pid.toString(36)}${(labCounter++).toString(36)}`;
  const serverNs = `bmt-lldps-${tag}`;
  const switchNs = `bmt-lldpw-${tag}`;
  const runtime = mkdtempSync(join(tmpdir(), 'bmt-lldp-'));
  // lldpd creates its socket as _lldpd.
  const user = lldpdUser();
  if (user) chownSync(runtime, user.uid, user.gid);
  const daemons: DaemonProcess[] = [];
  const namespaces: string[] = [];
  const exec: LldpLab['exec'] = async (ns, argv, { allowFail = false } = {}) => {
    const child = Bun.spawn(['ip', 'netns', 'exec', ns, ...argv], { env: { PATH }, stdout: 'pipe', stderr: 'pipe' });
    const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    if (exitCode !== 0 && !allowFail) throw new Error(`${argv.join(' ')} in ${ns} exited ${exitCode}: ${stderr.trim()}`);
    return { exitCode, stdout, stderr };
  };
  const close = async () => {
    for (const daemon of daemons) await daemon.stop();
    for (const ns of namespaces) Bun.spawnSync(['ip', 'netns', 'del', ns]);
    rmSync(runtime, { recursive: true, force: true });
  };
  try {
    for (const ns of [serverNs, switchNs]) {
      ip('netns', 'add', ns);
      namespaces.push(ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    for (const cable of options.cables) {
      const peerMac = cable.switchMac ? ['address', cable.switchMac] : [];
      ip('-n', serverNs, 'link', 'add', cable.server, 'address', cable.mac, 'type', 'veth', 'peer', 'name', cable.switchPort, ...peerMac, 'netns', switchNs);
      // Port descriptions as switches carry them: the alias is lldpd's PortDescr.
      const alias = cable.alias === undefined ? `${cable.server} (lab server)` : cable.alias;
      if (alias !== null) ip('-n', switchNs, 'link', 'set', cable.switchPort, 'alias', alias);
      if (cable.switchPortUp !== false) ip('-n', switchNs, 'link', 'set', cable.switchPort, 'up');
      // The server side stays down: the step brings its NICs up itself.
    }
    const lldpPorts = options.cables.filter((c) => c.lldp !== false).map((c) => c.switchPort);
    const switchSocket = join(runtime, 'switch.socket');
    const config = join(runtime, 'switch.conf');
    writeFileSync(config, '');
    const switchDaemon = spawnDaemon(
      [
        'ip',
        'netns',
        'exec',
        switchNs,
        'lldpd',
        '-d',
        '-u',
        switchSocket,
        '-p',
        join(runtime, 'switch.pid'),
        '-O',
        config,
        '-I',
        lldpPorts.join(','),
        '-m',
        options.switchMgmtIp,
        ...(options.protocol === 'cdp' ? ['-ccccc', '-ll'] : []),
      ],
      { env: { PATH } },
    );
    daemons.push(switchDaemon);
    const lldpcli = (...args: string[]) => exec(switchNs, ['lldpcli', '-u', switchSocket, ...args]);
    await waitUntil(async () => (await exec(switchNs, ['lldpcli', '-u', switchSocket, 'show', 'configuration'], { allowFail: true })).exitCode === 0, {
      timeoutMs: 10_000,
      intervalMs: 50,
      what: "the switch lldpd's control socket",
    }).catch((error: Error) => {
      throw new Error(`${error.message}; lldpd said: ${switchDaemon.output().trim()}`);
    });
    await lldpcli('configure', 'system', 'hostname', options.switchName ?? '');
    if (options.chassisId) await lldpcli('configure', 'system', 'chassisid', options.chassisId);
    await lldpcli('configure', 'lldp', 'tx-interval', '1');
    await lldpcli('configure', 'lldp', 'portidsubtype', options.portIdSubtype ?? 'ifname');
    for (const cable of options.cables.filter((c) => c.local && c.lldp !== false)) {
      const { id, description } = cable.local!;
      await lldpcli('configure', 'ports', cable.switchPort, 'lldp', 'portidsubtype', 'local', id, ...(description ? ['description', description] : []));
    }
    for (const cable of options.cables.filter((c) => c.portDescription && c.lldp !== false))
      await lldpcli('configure', 'ports', cable.switchPort, 'lldp', 'portdescription', cable.portDescription!);
    const serverDaemons: DaemonStarter = (argv, opts) => {
      const daemon = spawnDaemon(['ip', 'netns', 'exec', serverNs, ...argv], { env: { PATH, ...opts?.env } });
      daemons.push(daemon);
      return daemon;
    };
    return { serverNs, switchNs, switchSocket, switchDaemon, exec, serverDaemons, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A NetBox for an LLDP suite: the target, fixtures in a site of their own, and more such sites on demand. */
export interface LldpNetbox {
  target: NetboxTarget;
  fx: Fixtures;
  /** Fixtures in another site of their own (for a test reusing device names), cleaned up with the suite. */
  ownSite(): Promise<Fixtures>;
}

/**
 * One `describe` per NetBox flavour (skipped when that NetBox is not available): the
 * target is started and its fixtures created before the tests and cleaned up after them.
 * `body` gets a getter for them (valid inside the tests).
 */
export function describeEachNetbox(flavours: readonly TargetName[], body: (netbox: () => LldpNetbox) => void): void {
  for (const flavour of flavours) {
    describe.skipIf(!targetAvailable(flavour))(`NetBox ${flavour}`, () => {
      let current: LldpNetbox | undefined;
      const sites: Fixtures[] = [];
      beforeAll(async () => {
        const target = await startNetboxTarget({ flavour });
        const site = async () => {
          const fx = await createFixtures(target.url, target.token);
          sites.push(fx);
          return fx;
        };
        current = { target, fx: await site(), ownSite: site };
      });
      afterAll(async () => {
        for (const fx of sites.reverse()) await fx.cleanup();
        await current?.target.close();
      }, 60_000);
      body(() => {
        if (!current) throw new Error(`NetBox ${flavour} was not started`);
        return current;
      });
    });
  }
}
