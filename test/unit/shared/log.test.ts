import { expect, test } from 'bun:test';
import { createLogger, createMemoryLogger } from '../../../shared/log.ts';

test('lines carry level, message and key=value fields, quoted when needed', () => {
  const log = createMemoryLogger();
  log.info('lease recorded', { mac: '94:40:C9:01:0A:56', note: 'two words', n: 3 });
  expect(log.lines).toEqual(['INFO lease recorded mac=94:40:C9:01:0A:56 note="two words" n=3']);
});

test('syslog priority prefix and program name for journald', () => {
  const lines: string[] = [];
  const log = createLogger({ name: 'bm-hook', priorityPrefix: true, write: (l) => lines.push(l) });
  log.warning('netbox down');
  expect(lines[0]).toBe(`<4>bm-hook[${process.pid}]: WARNING netbox down`);
});

test('levels below the threshold are dropped', () => {
  const lines: string[] = [];
  const log = createLogger({ level: 'warning', write: (l) => lines.push(l) });
  log.info('quiet');
  log.error('loud');
  expect(lines).toEqual(['ERROR loud']);
});

test('the token never reaches a log line, even inside an error message', () => {
  const log = createMemoryLogger();
  log.error('request failed', { error: new Error('sent Authorization: Token 0123456789abcdef0123456789abcdef01234567') });
  expect(log.lines[0]).not.toContain('0123456789abcdef');
  expect(log.lines[0]).toContain('[REDACTED]');
});

test('child loggers add their fields to every line', () => {
  const log = createMemoryLogger();
  log.child({ event: 'e1' }).info('x', { a: 1 });
  expect(log.lines).toEqual(['INFO x event=e1 a=1']);
});

test('newlines in messages cannot forge extra log lines', () => {
  const log = createMemoryLogger();
  log.info('a\nERROR forged');
  expect(log.lines).toEqual(['INFO a ERROR forged']);
});
