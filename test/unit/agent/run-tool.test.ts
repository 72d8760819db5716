/**
 * createToolRunner with real processes (no mocks): success, a missing tool, a
 * tool that hangs past its time limit, cancellation through the AbortSignal,
 * the evidence files (`<file>`, `.stderr`, `.meta.json`) it writes, the minimal
 * environment every tool gets, and streaming mode (lines as they arrive, bounded
 * memory, capped evidence files).
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createEvidenceStore } from '../../../agent/evidence.ts';
import { childEnvironment, DEFAULT_CHILD_PATH, withdrawAgentEnvironment } from '../../../agent/child-env.ts';
import { AGENT_ENV_NAMES } from '../../../agent/config.ts';
import { STREAM_FILE_MAX_BYTES, STREAM_TAIL_BYTES } from '../../../agent/tools/output-stream.ts';
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

/** Sets variables in process.env for one test and puts the old values back. */
async function withProcessEnv(vars: Record<string, string>, body: () => Promise<void>): Promise<void> {
  const old = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    await body();
  } finally {
    for (const [k, v] of Object.entries(old)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** `env`'s output as a map. */
const envOf = (text: string) =>
  Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

describe('the environment of a tool', () => {
  test('only PATH, the C locale, TZ/TMPDIR and what the invocation asks for; never a secret, even one still in process.env', async () => {
    await withProcessEnv({ NETBOX_TOKEN: 'nbt_secret-token', BM_CALLBACK_SECRET: 'hmac-secret', HOME: '/root', TZ: 'Europe/Paris' }, async () => {
      const result = await createToolRunner()({ tool: 'env', args: [], timeoutMs: 5000, env: { FIO_HELPER: 'x', NETBOX_TOKEN: 'asked-for' } });
      expect(result.exitCode).toBe(0);
      const tmpdirVar: Record<string, string> = process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {};
      expect(envOf(result.stdout)).toEqual({ PATH: process.env.PATH!, LANG: 'C', LC_ALL: 'C', TZ: 'Europe/Paris', ...tmpdirVar, FIO_HELPER: 'x' });
      expect(result.stdout).not.toContain('secret');
    });
  });

  test('childEnvironment: a default PATH when the agent has none, TMPDIR passed on, every agent variable dropped', () => {
    const env = childEnvironment({ BM_PROFILE: 'quick', X: '1' }, { TMPDIR: '/run/tmp', NETBOX_URL: 'https://u:p@nb', HOME: '/root' });
    expect(env).toEqual({ PATH: DEFAULT_CHILD_PATH, LANG: 'C', LC_ALL: 'C', TMPDIR: '/run/tmp', X: '1' });
  });

  test("withdrawAgentEnvironment empties the environment of the agent's variables and returns what it held", () => {
    const env: Record<string, string | undefined> = Object.fromEntries(AGENT_ENV_NAMES.map((n) => [n, `value-of-${n}`]));
    env.PATH = '/bin';
    const snapshot = withdrawAgentEnvironment(env);
    expect(env).toEqual({ PATH: '/bin' });
    expect(snapshot.NETBOX_TOKEN).toBe('value-of-NETBOX_TOKEN');
    expect(snapshot.BM_CALLBACK_SECRET).toBe('value-of-BM_CALLBACK_SECRET');
    expect(snapshot.PATH).toBe('/bin');
  });
});

describe('streaming mode', () => {
  test('lines reach the callback as they arrive, the evidence files hold the output, the meta.json its counts', async () => {
    const dir = tempDir();
    const lines: string[] = [];
    const run = createToolRunner({ evidence: createEvidenceStore(dir) });
    const result = await run({
      tool: 'sh',
      args: ['-c', 'echo one; echo err1 >&2; printf "two\\nthree"; echo err2 >&2; exit 4'],
      timeoutMs: 5000,
      evidenceAs: 's/out.txt',
      stream: { onLine: (line, from) => lines.push(`${from}:${line}`) },
    });
    expect(lines.filter((l) => l.startsWith('stdout:'))).toEqual(['stdout:one', 'stdout:two', 'stdout:three']);
    expect(lines.filter((l) => l.startsWith('stderr:'))).toEqual(['stderr:err1', 'stderr:err2']);
    expect(result).toMatchObject({ exitCode: 4, stdout: 'one\ntwo\nthree', stderr: 'err1\nerr2\n', evidence: 's/out.txt' });
    expect(readFileSync(join(dir, 's/out.txt'), 'utf8')).toBe('one\ntwo\nthree');
    expect(readFileSync(join(dir, 's/out.txt.stderr'), 'utf8')).toBe('err1\nerr2\n');
    const meta = JSON.parse(readFileSync(join(dir, 's/out.txt.meta.json'), 'utf8')) as ToolMeta;
    expect(meta.streamed).toEqual({ stdout: { bytes: 13, lines: 3, omittedBytes: 0 }, stderr: { bytes: 10, lines: 2, omittedBytes: 0 } });
    expect(describeToolFailure(result)).toBe('sh exited 4: err2');
  });

  test('a missing tool in streaming mode is a missing result with no evidence output', async () => {
    const dir = tempDir();
    const run = createToolRunner({ evidence: createEvidenceStore(dir) });
    const result = await run({ tool: 'bm-no-such-tool', args: [], timeoutMs: 5000, evidenceAs: 'm.txt', stream: { onLine: () => {} } });
    expect(result).toMatchObject({ missing: true, stdout: '', stderr: '' });
    expect(readFileSync(join(dir, 'm.txt'), 'utf8')).toBe('');
    expect(existsSync(join(dir, 'm.txt.stderr'))).toBe(false);
  });

  test('a flood: every line counted, memory holds only the tail, the evidence file is capped with a marker and ends with the last lines', async () => {
    const dir = tempDir();
    const count = 200_000;
    let seen = 0;
    let last = '';
    const run = createToolRunner({ evidence: createEvidenceStore(dir) });
    const result = await run({
      tool: 'sh',
      args: ['-c', `seq -f 'FAILURE: line %.0f of a failing DIMM, padded to make it long enough' 1 ${count} >&2`],
      timeoutMs: 30_000,
      evidenceAs: 'f/memtester.txt',
      stream: {
        onLine: (line) => {
          seen++;
          last = line;
        },
      },
    });
    expect(seen).toBe(count);
    expect(last).toBe(`FAILURE: line ${count} of a failing DIMM, padded to make it long enough`);
    expect(result.stderr.length).toBeLessThanOrEqual(STREAM_TAIL_BYTES);
    expect(result.stderr.endsWith(`${last}\n`)).toBe(true);
    expect(result.stderr.startsWith('FAILURE: line ')).toBe(true); // whole lines only
    const bytes = result.streamed!.stderr.bytes;
    expect(bytes).toBeGreaterThan(STREAM_FILE_MAX_BYTES + STREAM_TAIL_BYTES);
    const saved = readFileSync(join(dir, 'f/memtester.txt.stderr'), 'utf8');
    expect(saved.length).toBeLessThan(STREAM_FILE_MAX_BYTES + STREAM_TAIL_BYTES + 200);
    expect(saved.startsWith('FAILURE: line 1 of')).toBe(true);
    expect(saved).toContain(`[bm-agent: ${result.streamed!.stderr.omittedBytes} bytes left out here`);
    expect(saved.endsWith(`${last}\n`)).toBe(true);
    // head + tail + marker account for every byte
    const marker = saved.slice(saved.indexOf('\n[bm-agent:'), saved.indexOf(']\n') + 2);
    expect(Buffer.byteLength(saved) - Buffer.byteLength(marker) + result.streamed!.stderr.omittedBytes).toBe(bytes);
  });
});
