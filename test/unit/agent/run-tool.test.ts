/**
 * createToolRunner with real processes (no mocks): success, a missing tool, a
 * tool that hangs past its time limit, cancellation through the AbortSignal,
 * and the evidence files (`<file>`, `.stderr`, `.meta.json`) it writes.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createEvidenceStore } from '../../../agent/evidence.ts';
import { createToolRunner, describeToolFailure, type ToolMeta } from '../../../agent/tools/run-tool.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bmt-run-tool-'));
  dirs.push(dir);
  return dir;
}

/** Whether a process with this PID still exists (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves with the PID in `pidFile` once the tool has written it (file-system events, no polling). Call before starting the tool. */
function pidWritten(pidFile: string): Promise<number> {
  return new Promise((resolve) => {
    const watcher = watch(dirname(pidFile), () => {
      const text = existsSync(pidFile) ? readFileSync(pidFile, 'utf8') : '';
      if (!text.endsWith('\n')) return;
      watcher.close();
      resolve(Number(text));
    });
  });
}

/** `sh` that writes its PID to `pidFile`, then becomes `sleep 30` (same PID): a tool that hangs. */
const hangingTool = (pidFile: string) => ({ tool: 'sh', args: ['-c', `echo $$ > ${pidFile}; exec sleep 30`] });

describe('createToolRunner', () => {
  test('a tool that succeeds: output, exit code 0, stdin from input', async () => {
    const result = await createToolRunner()({ tool: 'cat', args: [], timeoutMs: 5000, input: 'hello\n' });
    expect(result).toMatchObject({
      tool: 'cat',
      command: ['cat'],
      exitCode: 0,
      signal: null,
      stdout: 'hello\n',
      stderr: '',
      timedOut: false,
      aborted: false,
      missing: false,
    });
  });

  test('a tool that is not installed is a missing result, not an exception', async () => {
    const result = await createToolRunner()({ tool: 'bm-no-such-tool', args: ['--version'], timeoutMs: 5000 });
    expect(result).toMatchObject({ tool: 'bm-no-such-tool', missing: true, timedOut: false, aborted: false });
    expect(result.exitCode).not.toBe(0);
    expect(describeToolFailure(result)).toBe('bm-no-such-tool is not installed');
  });

  test('a tool that hangs past its time limit is a timeout result and the process is killed', async () => {
    const pidFile = join(tempDir(), 'pid');
    const result = await createToolRunner()({ ...hangingTool(pidFile), timeoutMs: 300 });
    expect(result).toMatchObject({ timedOut: true, aborted: false, missing: false, exitCode: null, signal: 'SIGTERM' });
    expect(result.durationMs).toBeLessThan(10_000);
    expect(alive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
    expect(describeToolFailure(result)).toBe('sh did not finish within its time limit');
  });

  test('an abort through the signal is an aborted result and the process is killed', async () => {
    const pidFile = join(tempDir(), 'pid');
    const started = pidWritten(pidFile);
    const controller = new AbortController();
    const running = createToolRunner()({ ...hangingTool(pidFile), timeoutMs: 30_000, signal: controller.signal });
    const pid = await started;
    expect(alive(pid)).toBe(true);
    controller.abort();
    const result = await running;
    expect(result).toMatchObject({ aborted: true, timedOut: false, missing: false });
    expect(result.durationMs).toBeLessThan(10_000);
    expect(alive(pid)).toBe(false);
    expect(describeToolFailure(result)).toBe('sh was cancelled');
  });

  test('evidenceAs saves stdout, stderr and a .meta.json with command, exit code and duration', async () => {
    const dir = tempDir();
    const run = createToolRunner({ evidence: createEvidenceStore(dir) });
    const result = await run({ tool: 'sh', args: ['-c', 'echo out; echo err >&2; exit 3'], timeoutMs: 5000, evidenceAs: 'x/out.txt' });
    expect(result.evidence).toBe('x/out.txt');
    expect(readFileSync(join(dir, 'x/out.txt'), 'utf8')).toBe('out\n');
    expect(readFileSync(join(dir, 'x/out.txt.stderr'), 'utf8')).toBe('err\n');
    const meta = JSON.parse(readFileSync(join(dir, 'x/out.txt.meta.json'), 'utf8')) as ToolMeta;
    expect(meta).toEqual({
      tool: 'sh',
      command: ['sh', '-c', 'echo out; echo err >&2; exit 3'],
      exitCode: 3,
      signal: null,
      durationMs: result.durationMs,
      timedOut: false,
      aborted: false,
      missing: false,
    });
    expect(meta.durationMs).toBeGreaterThanOrEqual(0);
    expect(describeToolFailure(result)).toBe('sh exited 3: err');
  });

  test('no .stderr file when the tool printed nothing there', async () => {
    const dir = tempDir();
    await createToolRunner({ evidence: createEvidenceStore(dir) })({ tool: 'echo', args: ['hi'], timeoutMs: 5000, evidenceAs: 'hi.txt' });
    expect(existsSync(join(dir, 'hi.txt'))).toBe(true);
    expect(existsSync(join(dir, 'hi.txt.stderr'))).toBe(false);
    expect(existsSync(join(dir, 'hi.txt.meta.json'))).toBe(true);
  });
});
