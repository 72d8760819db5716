/** The one error of tool parsers: what it carries, how it serialises, and the JSON-or-throw helper. */
import { describe, expect, test } from 'bun:test';
import { serialiseError } from '../../../shared/errors.ts';
import { causeOf } from '../../../shared/failure.ts';
import { outputProblem, parseJsonOrThrow, ToolOutputError } from '../../../agent/tools/tool-output-error.ts';
import { parseLsblkJson } from '../../../agent/tools/lsblk.parse.ts';

describe('ToolOutputError', () => {
  test('serialises to {type, message, details: {tool, reason, excerpt}}', () => {
    const error = new ToolOutputError('lsblk', 'lsblk JSON has no "blockdevices" array', '{"devices":[]}');
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      type: 'ToolOutputError',
      message: 'lsblk JSON has no "blockdevices" array',
      details: { tool: 'lsblk', reason: 'lsblk JSON has no "blockdevices" array', excerpt: '{"devices":[]}' },
    });
    expect(serialiseError(error)).toEqual(error.toJSON());
  });

  test('its cause is tool-failed', () => {
    expect(causeOf(new ToolOutputError('fio', 'fio printed no JSON report', ''))).toBe('tool-failed');
  });

  test('every parser throws it, naming its tool', () => {
    expect(() => parseLsblkJson('lsblk: unknown column')).toThrow(ToolOutputError);
    try {
      parseLsblkJson('lsblk: unknown column');
    } catch (error) {
      expect((error as ToolOutputError).tool).toBe('lsblk');
      expect((error as ToolOutputError).excerpt).toBe('lsblk: unknown column');
    }
  });
});

describe('parseJsonOrThrow', () => {
  test('returns the parsed value', () => {
    expect(parseJsonOrThrow('wipefs', '{"signatures":[]}')).toEqual({ signatures: [] });
  });

  test('text that is not JSON is a ToolOutputError quoting the first 200 characters', () => {
    const text = `wipefs: error: ${'x'.repeat(300)}`;
    const error = (() => {
      try {
        parseJsonOrThrow('wipefs', text);
      } catch (e) {
        return e as ToolOutputError;
      }
    })();
    expect(error).toBeInstanceOf(ToolOutputError);
    expect(error?.message).toStartWith('wipefs output does not parse as JSON (');
    expect(error?.excerpt).toBe(text.slice(0, 200));
  });

  test('`what` names the text in the message', () => {
    expect(() => parseJsonOrThrow('fio', '{', 'fio report')).toThrow(/^fio report does not parse as JSON/);
  });
});

describe('outputProblem', () => {
  test('is the message of a ToolOutputError and throws anything else on', () => {
    expect(outputProblem(new ToolOutputError('ip', 'ip -j link output is not a list', '{}'))).toBe('ip -j link output is not a list');
    expect(() => outputProblem(new TypeError('a bug'))).toThrow(TypeError);
  });
});
