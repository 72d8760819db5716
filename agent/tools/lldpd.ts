/**
 * lldpd as a child of the agent: foreground (`-d`), its own control socket,
 * PID file and (empty) configuration, so it never meets a system lldpd or
 * /etc/lldpd.d. It is long-running, so it does not go through the ToolRunner:
 * a DaemonStarter spawns it (tests inject one that enters a network namespace)
 * and the step stops it by PID when it ends or is aborted.
 *
 * lldpd 1.0.x with `-d` does not fork: the spawned PID is lldpd's privileged
 * "monitor"; SIGTERM to it ends its unprivileged child too.
 */
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Subprocess } from 'bun';
import { BmError } from '../../shared/errors.ts';
import type { Cause } from '../../shared/failure.ts';
import { childEnvironment } from '../child-env.ts';

export interface DaemonProcess {
  readonly pid: number;
  readonly command: string[];
  /** Resolves with the exit code (null when killed by a signal) once it has ended. */
  readonly exited: Promise<number | null>;
  /** Whether it has ended. */
  hasExited(): boolean;
  /** The last few KiB of its stdout+stderr, for failure messages and evidence. */
  output(): string;
  /** SIGTERM, SIGKILL after `graceMs` (default 3000); resolves once it has ended. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts a long-running program. Throws DaemonStartError when it cannot be started at all. */
export type DaemonStarter = (argv: string[], options?: { env?: Record<string, string> }) => DaemonProcess;

/** A daemon could not be spawned at all: not installed (`missing`), or the spawn itself failed. */
export class DaemonStartError extends BmError {
  override readonly name = 'DaemonStartError';
  constructor(
    readonly command: string[],
    readonly missing: boolean,
    options?: { cause?: unknown },
  ) {
    super(missing ? `${command[0]} is not installed (or not on PATH)` : `could not start ${command.join(' ')}`, options);
  }

  override get failureCause(): Cause {
    return this.missing ? 'tool-missing' : 'tool-failed';
  }

  override details(): Record<string, unknown> {
    return { command: this.command, missing: this.missing };
  }
}

const OUTPUT_TAIL_BYTES = 8192;

function collect(stream: ReadableStream<Uint8Array>, append: (chunk: string) => void): void {
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for await (const chunk of stream) append(decoder.decode(chunk, { stream: true }));
    } catch {
      // The stream ends with the process; nothing to report.
    }
  })();
}

/** The default starter: Bun.spawn, stdout/stderr kept (tail only), killed by PID. */
export const spawnDaemon: DaemonStarter = (argv, options = {}) => {
  let child: Subprocess<'ignore', 'pipe', 'pipe'>;
  try {
    // Always an explicit env: without one Bun.spawn passes the environment the agent started with (secrets included).
    child = Bun.spawn(argv, { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', env: childEnvironment(options.env) });
  } catch (error) {
    const missing = /ENOENT|not found|no such file/i.test(String((error as Error).message ?? error));
    throw new DaemonStartError(argv, missing, { cause: error });
  }
  let tail = '';
  const append = (chunk: string) => {
    tail = (tail + chunk).slice(-OUTPUT_TAIL_BYTES);
  };
  collect(child.stdout, append);
  collect(child.stderr, append);
  let ended = false;
  const exited = child.exited.then((code) => {
    ended = true;
    return child.signalCode ? null : code;
  });
  return {
    pid: child.pid,
    command: argv,
    exited,
    hasExited: () => ended,
    output: () => tail,
    async stop(graceMs = 3000) {
      if (ended) return;
      child.kill('SIGTERM');
      let timer: ReturnType<typeof setTimeout> | undefined;
      const gone = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)))]);
      clearTimeout(timer);
      if (!gone) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
};

export interface LldpdOptions {
  /** Interfaces to listen on (`-I`); lldpd ignores all others. */
  interfaces: readonly string[];
  /** Control socket for lldpcli (`-u`). Keep it short: Unix socket paths max out at 107 bytes. */
  socketPath: string;
  /** PID file (`-p`), so a system lldpd's /run/lldpd.pid is never touched. */
  pidFile: string;
  /** Configuration read at start (`-O`); an empty file keeps /etc/lldpd.conf and /etc/lldpd.d out. */
  configFile: string;
  /** Listen only (`-r`): the server does not announce itself. Default true. */
  receiveOnly?: boolean;
  /**
   * Receive CDP (v1 and v2) as well as LLDP (`-c`): Cisco IOS ships with LLDP off and CDP on.
   * Received-only with `-r`: nothing is ever sent. Default true.
   */
  cdp?: boolean;
  /** Executable; default `lldpd`. */
  executable?: string;
}

/**
 * The lldpd command line for these options (Debian 12's lldpd 1.0.16 flags, lldpd(8)).
 * `-H 0` turns lldpd's neighbour filtering off: by default (`-H 15`) a port hearing
 * both LLDP and CDP from one switch shows only one protocol's neighbour, and the
 * comparison wants every identifier either sends.
 */
export function lldpdArgv(options: LldpdOptions): string[] {
  return [
    options.executable ?? 'lldpd',
    '-d',
    ...(options.receiveOnly === false ? [] : ['-r']),
    ...(options.cdp === false ? [] : ['-c']),
    '-H',
    '0',
    '-u',
    options.socketPath,
    '-p',
    options.pidFile,
    '-O',
    options.configFile,
    '-I',
    options.interfaces.join(','),
  ];
}

export interface LldpdRuntime {
  dir: string;
  socketPath: string;
  pidFile: string;
  configFile: string;
  remove(): void;
}

/** uid/gid of lldpd's privilege-separation user (`_lldpd` on Debian), or null when there is none. */
export function lldpdUser(passwd = '/etc/passwd'): { uid: number; gid: number } | null {
  let text: string;
  try {
    text = readFileSync(passwd, 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === '_lldpd' && uid !== undefined && gid !== undefined) return { uid: Number(uid), gid: Number(gid) };
  }
  return null;
}

/**
 * A private directory for one lldpd: control socket, PID file, empty config.
 * lldpd creates its socket after dropping to `_lldpd`, so the directory is
 * handed to that user (it stays 0700: nobody else gets in).
 */
export function createLldpdRuntime(parent: string): LldpdRuntime {
  const dir = mkdtempSync(join(parent, 'bm-lldp-'));
  const configFile = join(dir, 'lldpd.conf');
  writeFileSync(configFile, '');
  const user = lldpdUser();
  if (user && process.getuid?.() === 0) chownSync(dir, user.uid, user.gid);
  return {
    dir,
    socketPath: join(dir, 'lldpd.socket'),
    pidFile: join(dir, 'lldpd.pid'),
    configFile,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
