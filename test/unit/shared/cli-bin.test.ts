import { expect, test } from 'bun:test';
import { runBin, type BinProcess } from '../../../shared/cli/bin.ts';
import { createCliContext } from '../../../shared/cli/context.ts';

/** A process stand-in: records exit() and exposes the stdout error listener. */
function fakeProcess(argv: string[]) {
  const listeners: ((error: NodeJS.ErrnoException) => void)[] = [];
  const exits: number[] = [];
  const proc: BinProcess = {
    argv: ['bun', 'main.ts', ...argv],
    env: { A: '1' },
    stdout: { on: (_event, listener) => listeners.push(listener) },
    exit: ((code: number) => {
      exits.push(code);
    }) as BinProcess['exit'],
  };
  const emitStdoutError = (code: string) => {
    for (const listener of listeners) listener(Object.assign(new Error(code), { code }));
  };
  return { proc, exits, emitStdoutError };
}

test('runBin hands main the arguments after the script and the environment, and sets process.exitCode from its result', async () => {
  const { proc, exits } = fakeProcess(['fsm', '--dot']);
  let seen: unknown;
  await runBin(async (argv, env) => {
    seen = { argv, env };
    return 3;
  }, proc);
  expect(seen).toEqual({ argv: ['fsm', '--dot'], env: { A: '1' } });
  expect(proc.exitCode).toBe(3);
  expect(exits).toEqual([]);
});

test('a closed stdout pipe (EPIPE) exits 0; other stdout errors are left alone', async () => {
  const { proc, exits, emitStdoutError } = fakeProcess([]);
  await runBin(async () => 0, proc);
  emitStdoutError('EIO');
  expect(exits).toEqual([]);
  emitStdoutError('EPIPE');
  expect(exits).toEqual([0]);
});

test('the CLI context keeps its exit code when a binary adds its own members with Object.assign', () => {
  const printed: string[] = [];
  const ctx = Object.assign(
    createCliContext(
      'bm-test',
      {},
      (t) => printed.push(t),
      () => {},
    ),
    { extra: () => 'x' },
  );
  expect(ctx.exitCode).toBe(0);
  ctx.setExitCode(2);
  ctx.print('hello');
  expect({ name: ctx.name, exitCode: ctx.exitCode, printed, extra: ctx.extra() }).toEqual({ name: 'bm-test', exitCode: 2, printed: ['hello'], extra: 'x' });
});
