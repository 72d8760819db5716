/**
 * Step settings are declared once and resolved once, strictly: unknown areas and
 * knobs, wrong types, out-of-range values, values outside the choices, durations a
 * timer cannot hold and prototype keys are a ConfigError naming bm.area.knob.
 */
import { describe, expect, test } from 'bun:test';
import { VALIDATION_STEPS } from '../../../agent/steps/index.ts';
import {
  defineTunables,
  parseSetOptions,
  resolveAllTunables,
  resolveTunables,
  tunableDeclarationProblems,
  type TunableLayer,
} from '../../../agent/tunables.ts';
import { phase1Steps } from '../../../agent/flow-dot.ts';
import { configErrorOf } from '../../helpers/config-error.ts';

const layer = (source: string, values: TunableLayer) => ({ source, values });
const issuesOf = async (fn: () => unknown) => (await configErrorOf(fn)).issues;
const all = (values: TunableLayer, source = '--set') => resolveAllTunables(phase1Steps(), 'quick', [layer(source, values)]);

describe('declarations', () => {
  test('every step declares valid defaults, profile defaults of the same type, and documents each knob', async () => {
    for (const step of VALIDATION_STEPS) {
      expect(tunableDeclarationProblems(step.tunables), step.id).toEqual([]);
      for (const [knob, tunable] of Object.entries(step.tunables)) {
        expect(tunable.description.length, `${step.id} ${knob}`).toBeGreaterThan(10);
        if (typeof tunable.default === 'number' && /_(s|ms)$/.test(knob)) expect(tunable.unit, `${step.id} ${knob}`).toMatch(/^(s|ms)$/);
      }
    }
  });

  test('a bad declaration is found', async () => {
    const bad = defineTunables({ n: { description: 'x', default: 5, min: 10, profiles: { quick: 'a' as unknown as number } } });
    expect(tunableDeclarationProblems(bad)).toEqual(['n: default 5 is below the minimum 10', 'n: quick "a" is not a number']);
  });

  test('resolution is typed: the step reads numbers, booleans and its choices as such', async () => {
    const values = all({ disk: { ioengine: 'io_uring', write_blank: 'off', runtime_s: '7' }, memory: { loops: '3' } });
    expect(values['03-disk'].ioengine).toBe('io_uring');
    expect(values['03-disk'].write_blank).toBe(false);
    expect(values['03-disk'].runtime_s).toBe(7);
    expect(values['02-memory']).toEqual({ loops: 3, size_mb: 256, processes: 0, reserve_mb: 0, timeout_s: 0 });
    expect(values['05-report'].evidence_max_mb).toBe(256);
  });
});

describe('strictness (once silently dropped or replaced)', () => {
  test('a misspelt area is refused, naming the key and the closest area, from every layer', async () => {
    expect(await issuesOf(() => all({ dsik: { write_blank: '0' } }, 'kernel command line'))).toEqual([
      { key: 'bm.dsik.write_blank', message: 'unknown area "dsik" (check the spelling); did you mean disk? (from kernel command line)' },
    ]);
    expect((await issuesOf(() => all({ dsik: { write_blank: false } }, 'config file')))[0]!.key).toBe('bm.dsik.write_blank');
    expect((await issuesOf(() => all(parseSetOptions(['dsik.write_blank=0']))))[0]!.message).toContain('did you mean disk?');
  });

  test('an unknown knob is refused with the closest one', async () => {
    expect(await issuesOf(() => all({ disk: { alow_write: '1' } }))).toEqual([
      { key: 'bm.disk.alow_write', message: 'unknown setting (check the spelling); did you mean allow_write? (from --set)' },
    ]);
  });

  test.each([
    ['memory', 'size_mb', '-1', 'bm.memory.size_mb', '-1 MiB is below the minimum 0 MiB'],
    ['memory', 'loops', '0', 'bm.memory.loops', '0 is below the minimum 1'],
    ['memory', 'processes', '1.5', 'bm.memory.processes', '1.5 is not a whole number'],
    ['disk', 'ioengine', 'io-uring', 'bm.disk.ioengine', '"io-uring" is not one of "libaio", "io_uring"'],
    ['disk', 'fail_ratio', '2', 'bm.disk.fail_ratio', '2 is above the maximum 1'],
    ['disk', 'runtime_s', 'long', 'bm.disk.runtime_s', '"long" is not a number'],
    ['disk', 'allow_write', 'maybe', 'bm.disk.allow_write', '"maybe" is not a boolean'],
    ['lldp', 'poll_ms', '10', 'bm.lldp.poll_ms', '10 ms is below the minimum 100 ms'],
    ['lldp', 'deadline_s', '2147484', 'bm.lldp.deadline_s', '2147484 s is longer than a timer can hold (at most 2147483 s)'],
    ['memory', 'timeout_s', '1e10', 'bm.memory.timeout_s', 'longer than a timer can hold'],
  ])('%s.%s=%s is refused, not replaced', async (area, knob, value, key, message) => {
    const issues = await issuesOf(() => all({ [area]: { [knob]: value } }));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.key).toBe(key);
    expect(issues[0]!.message).toContain(message);
  });

  test('a duration a timer can just hold is accepted', async () => {
    expect(all({ lldp: { deadline_s: '2147483' } })['04-lldp'].deadline_s).toBe(2147483);
  });

  test('__proto__, constructor and prototype are refused in --set and in any layer, and nothing is polluted', async () => {
    for (const set of ['__proto__.x=1', 'constructor.x=1', 'disk.constructor=1', 'prototype.polluted=1']) {
      expect(() => parseSetOptions([set]), set).toThrow(/forbidden key/);
    }
    expect((await issuesOf(() => all(JSON.parse('{"__proto__": {"polluted": "1"}}'))))[0]!.key).toBe('bm.__proto__.polluted');
    expect((await issuesOf(() => all({ disk: JSON.parse('{"__proto__": "1"}') })))[0]!.key).toBe('bm.disk.__proto__');
    expect((await issuesOf(() => all({ disk: { constructor: '1' } })))[0]!.key).toBe('bm.disk.constructor');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('every problem of every layer is reported at once', async () => {
    const issues = await issuesOf(() =>
      resolveAllTunables(VALIDATION_STEPS, 'full', [
        layer('config file', { dsik: { a: 1 } }),
        layer('--set', { memory: { size_mb: '-1' }, disk: { ioengine: 'x' } }),
      ]),
    );
    expect(issues.map((i) => i.key)).toEqual(['bm.dsik.a', 'bm.memory.size_mb', 'bm.disk.ioengine']);
  });

  test('one step alone still checks its own area (what tests and `plan` use)', async () => {
    const report = phase1Steps().at(-1)!;
    expect((await issuesOf(() => resolveTunables(report, 'quick', [layer('--set', { report: { x: 1 } })])))[0]!.key).toBe('bm.report.x');
  });
});
