/**
 * One structured logger for both binaries.
 *
 * Lines are `LEVEL message key=value …`; with `priorityPrefix` each line starts
 * with the sd-daemon `<N>` priority so journald (or dhcpd forwarding stderr to
 * syslog) files it at the right level. Every line is passed through redact():
 * the NetBox token cannot reach a log.
 */
import { redact } from './redact.ts';

export type LogLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error';

const SYSLOG_PRIORITY: Record<LogLevel, number> = { debug: 7, info: 6, notice: 5, warning: 4, error: 3 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  notice(message: string, fields?: LogFields): void;
  warning(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Program name, shown as `name[pid]:`; default none. */
  name?: string;
  /** Lowest level written; default `info`. */
  level?: LogLevel;
  /** Prefix lines with `<N>` syslog priorities (for journald/syslog); default false. */
  priorityPrefix?: boolean;
  /** Where lines go; default stderr. */
  write?: (line: string) => void;
  /** Fields added to every line. */
  fields?: LogFields;
}

export function formatFieldValue(value: unknown): string {
  if (value instanceof Error) return quoteIfNeeded(value.message);
  if (typeof value === 'string') return quoteIfNeeded(value);
  if (value === undefined) return '-';
  return quoteIfNeeded(JSON.stringify(value) ?? String(value));
}

function quoteIfNeeded(text: string): string {
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

export function formatLine(level: LogLevel, message: string, fields: LogFields, options: LoggerOptions): string {
  const parts: string[] = [];
  if (options.priorityPrefix) parts.push(`<${SYSLOG_PRIORITY[level]}>`);
  if (options.name) parts.push(`${options.name}[${process.pid}]:`);
  parts.push(level.toUpperCase(), message.replace(/\s*\n\s*/g, ' '));
  for (const [key, value] of Object.entries(fields)) parts.push(`${key}=${formatFieldValue(value)}`);
  return redact(parts.join(' ').replace(/^(<\d>) /, '$1'));
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = SYSLOG_PRIORITY[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const base = options.fields ?? {};
  const emit =
    (level: LogLevel) =>
    (message: string, fields: LogFields = {}) => {
      if (SYSLOG_PRIORITY[level] > threshold) return;
      write(formatLine(level, message, { ...base, ...fields }, options));
    };
  return {
    debug: emit('debug'),
    info: emit('info'),
    notice: emit('notice'),
    warning: emit('warning'),
    error: emit('error'),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

/** A logger that keeps lines in memory; for tests. */
export function createMemoryLogger(level: LogLevel = 'debug'): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger({ level, write: (line) => lines.push(line) }), { lines });
}
