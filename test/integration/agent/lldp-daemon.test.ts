/** The default DaemonStarter with real processes (no root needed). */
import { describe, expect, test } from 'bun:test';
import { DaemonStartError, spawnDaemon } from '../../../agent/tools/lldpd.ts';
import { waitUntil } from '../../helpers/wait.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('spawnDaemon', () => {
  test('a missing executable is a DaemonStartError saying it is not installed', () => {
    let error: unknown;
    try {
      spawnDaemon(['/nonexistent/lldpd', '-d']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DaemonStartError);
    expect((error as DaemonStartError).missing).toBe(true);
    expect((error as Error).message).toBe('/nonexistent/lldpd is not installed (or not on PATH)');
  });

  test('stop() ends the daemon by PID with SIGTERM', async () => {
    const daemon = spawnDaemon(['sleep', '60']);
    expect(alive(daemon.pid)).toBe(true);
    await daemon.stop();
    expect(daemon.hasExited()).toBe(true);
    expect(alive(daemon.pid)).toBe(false);
  });

  test('a daemon ignoring SIGTERM is killed after the grace period', async () => {
    const daemon = spawnDaemon(['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 0.1; done']);
    await waitUntil(() => daemon.output().includes('ready'), { what: 'the shell to set its trap' });
    const started = performance.now();
    await daemon.stop(300);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(await daemon.exited).toBeNull();
  });

  test('its output is kept for failure messages', async () => {
    const daemon = spawnDaemon(['sh', '-c', 'echo to-stdout; echo to-stderr >&2; exit 3']);
    expect(await daemon.exited).toBe(3);
    await waitUntil(() => daemon.output().includes('to-stderr') && daemon.output().includes('to-stdout'), { what: 'the output' });
  });
});
