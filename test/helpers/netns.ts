/**
 * Network namespaces for tests that run real daemons: a "server" namespace with
 * a bridge, and client namespaces each joined to it by a veth with a chosen MAC.
 * Everything is named with this process's PID and removed by close(); daemons
 * started here are killed by PID.
 */
import type { Subprocess } from 'bun';

function ip(...args: string[]): void {
  const result = Bun.spawnSync(['ip', ...args], { stdout: 'pipe', stderr: 'pipe' });
  if (result.exitCode !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr.toString().trim()}`);
}

export interface Lab {
  server: string;
  bridge: string;
  serverIp: string;
  clients: { ns: string; ifname: string; mac: string }[];
  /** Runs a command inside a namespace, asynchronously (the test process keeps serving). */
  exec(ns: string, argv: string[], env?: Record<string, string>): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** Starts a long-running daemon inside a namespace; killed by PID on close(). */
  spawn(ns: string, argv: string[], env?: Record<string, string>): Subprocess<'ignore', 'pipe', 'pipe'>;
  close(): Promise<void>;
}

let labCounter = 0;

/**
 * Plugs a machine into a bridge: namespace `hostNs` (created here) joined to `bridge` in `serverNs` by a veth whose
 * bridge end is `port` and whose machine end is `eth0` with `mac`, everything up. The caller deletes `hostNs`.
 */
export function plugHost(serverNs: string, bridge: string, port: string, hostNs: string, mac: string): void {
  ip('netns', 'add', hostNs);
  ip('-n', serverNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', hostNs);
  ip('-n', serverNs, 'link', 'set', port, 'master', bridge, 'up');
  ip('-n', hostNs, 'link', 'set', 'eth0', 'address', mac);
  ip('-n', hostNs, 'link', 'set', 'lo', 'up');
  ip('-n', hostNs, 'link', 'set', 'eth0', 'up');
}

export function createLab(subnet: string, clientMacs: readonly string[]): Lab {
  const tag = `${process.pid.toString(36)}${(labCounter++).toString(36)}`;
  const server = `bmt-s-${tag}`;
  const bridge = 'br0';
  const serverIp = `${subnet}.1`;
  const namespaces = [server];
  const daemons: Subprocess[] = [];
  ip('netns', 'add', server);
  const lab: Lab = {
    server,
    bridge,
    serverIp,
    clients: [],
    async exec(ns, argv, env = {}) {
      const child = Bun.spawn(['ip', 'netns', 'exec', ns, ...argv], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env }, stdout: 'pipe', stderr: 'pipe' });
      const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
      return { exitCode, stdout, stderr };
    },
    spawn(ns, argv, env = {}) {
      const child = Bun.spawn(['ip', 'netns', 'exec', ns, ...argv], {
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env },
        stdin: 'ignore',
        stdout: 'pipe',
        stderr: 'pipe',
      });
      daemons.push(child);
      return child;
    },
    async close() {
      for (const daemon of daemons) {
        daemon.kill('SIGTERM');
        const exited = await Promise.race([daemon.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 3000))]);
        if (!exited) daemon.kill('SIGKILL');
      }
      for (const ns of namespaces) Bun.spawnSync(['ip', 'netns', 'del', ns]);
    },
  };
  try {
    ip('-n', server, 'link', 'set', 'lo', 'up');
    ip('-n', server, 'link', 'add', bridge, 'type', 'bridge');
    ip('-n', server, 'addr', 'add', `${serverIp}/24`, 'dev', bridge);
    ip('-n', server, 'link', 'set', bridge, 'up');
    clientMacs.forEach((mac, i) => {
      const ns = `bmt-c${i}-${tag}`;
      namespaces.push(ns);
      plugHost(server, bridge, `p${i}`, ns, mac);
      lab.clients.push({ ns, ifname: 'eth0', mac });
    });
  } catch (error) {
    for (const ns of namespaces) Bun.spawnSync(['ip', 'netns', 'del', ns]);
    throw error;
  }
  return lab;
}

/** busybox udhcpc: one DISCOVER/REQUEST exchange, exit 0 once leased (addresses are not configured). */
export function udhcpcArgv(hostname: string): string[] {
  return ['busybox', 'udhcpc', '-i', 'eth0', '-f', '-q', '-n', '-t', '6', '-T', '1', '-A', '1', '-s', '/bin/true', '-x', `hostname:${hostname}`];
}

/** Accumulates a daemon's output as it arrives, for start-up checks and failure messages. */
export function captureOutput(stream: ReadableStream<Uint8Array>): { text(): string } {
  let text = '';
  const decoder = new TextDecoder();
  void (async () => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  })();
  return { text: () => text };
}
