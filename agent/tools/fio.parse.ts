/**
 * Parses fio's `--output-format=json` report. Pure.
 *
 * fio prints job errors as text lines on stdout *before* the JSON document
 * (`fio: pid=…, err=5/file:io_u.c:1876, func=io_u error, error=Input/output error`)
 * and `io_u error` lines on stderr; both are collected as error messages. A
 * job's `error` field is the errno it stopped on (0 = none). Bandwidth is in
 * decimal MB/s (10^6 bytes/s, as disk vendors quote it), latency in µs.
 */
import { isJsonObject, type JsonObject } from '../../shared/json.ts';
import { EXCERPT_CHARS, parseJsonOrThrow, ToolOutputError } from './tool-output-error.ts';

export interface FioDirection {
  ioBytes: number;
  /** 10^6 bytes per second. */
  bandwidthMBps: number;
  iops: number;
  totalIos: number;
  runtimeMs: number;
  /** Completion latency percentiles in µs; null when no I/O completed. */
  clatP50Us: number | null;
  clatP99Us: number | null;
  clatP999Us: number | null;
  clatMeanUs: number | null;
}

export interface FioJob {
  name: string;
  /** fio `rw` of the job: read, write, randread, randwrite, … (from `job options`). */
  rw: string | null;
  /** errno the job stopped on; 0 = no error. */
  error: number;
  /** `Input/output error (errno 5)`; null when error is 0. */
  errorText: string | null;
  read: FioDirection;
  write: FioDirection;
}

export interface FioReport {
  /** `fio-3.33`. */
  version: string | null;
  jobs: FioJob[];
  /** Distinct error messages fio printed outside the JSON (stdout preamble, stderr), first seen first. */
  messages: string[];
}

/** The errno values a disk test meets, named as strerror(3) does on Linux. */
const ERRNO_TEXT: Record<number, string> = {
  1: 'Operation not permitted',
  5: 'Input/output error',
  6: 'No such device or address',
  11: 'Resource temporarily unavailable',
  12: 'Cannot allocate memory',
  13: 'Permission denied',
  16: 'Device or resource busy',
  19: 'No such device',
  22: 'Invalid argument',
  27: 'File too large',
  28: 'No space left on device',
  30: 'Read-only file system',
  61: 'No data available',
  95: 'Operation not supported',
  110: 'Connection timed out',
  121: 'Remote I/O error',
};

export function describeErrno(errno: number): string {
  return `${ERRNO_TEXT[errno] ?? 'error'} (errno ${errno})`;
}

const num = (value: unknown): number =>
  typeof value === 'number' && Number.isFinite(value)
    ? value
    : typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))
      ? Number(value)
      : 0;

function percentileUs(clat: JsonObject, key: string): number | null {
  const percentiles = isJsonObject(clat.percentile) ? clat.percentile : null;
  if (!percentiles || !(key in percentiles)) return null;
  return Math.round(num(percentiles[key]) / 10) / 100;
}

function directionOf(value: unknown): FioDirection {
  const d = isJsonObject(value) ? value : {};
  const clat = isJsonObject(d.clat_ns) ? d.clat_ns : {};
  const completed = num(clat.N) > 0;
  return {
    ioBytes: num(d.io_bytes),
    bandwidthMBps: Math.round(num(d.bw_bytes) / 10_000) / 100,
    iops: Math.round(num(d.iops) * 10) / 10,
    totalIos: num(d.total_ios),
    runtimeMs: num(d.runtime),
    clatP50Us: completed ? percentileUs(clat, '50.000000') : null,
    clatP99Us: completed ? percentileUs(clat, '99.000000') : null,
    clatP999Us: completed ? percentileUs(clat, '99.900000') : null,
    clatMeanUs: completed ? Math.round(num(clat.mean) / 10) / 100 : null,
  };
}

/**
 * Error messages in fio's text lines: `error=<text>` of the per-process
 * summary and the first `io_u error` line (which names the offset).
 */
export function fioErrorMessages(text: string): string[] {
  const messages: string[] = [];
  let ioUErrorSeen = false;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('fio:')) continue;
    const summary = /err=(\d+)\/.*?error=(.+)$/.exec(trimmed);
    if (summary) {
      messages.push(`${summary[2]!.trim()} (errno ${summary[1]})`);
      continue;
    }
    const ioU = /^fio: io_u error on file (\S+): (.+?): (read|write|trim|sync)\w* offset=(\d+), buflen=(\d+)/.exec(trimmed);
    if (ioU) {
      if (!ioUErrorSeen) messages.push(`${ioU[2]} on ${ioU[3]} at offset ${ioU[4]} (${ioU[5]} bytes) of ${ioU[1]}`);
      ioUErrorSeen = true;
      continue;
    }
    messages.push(trimmed.replace(/^fio:\s*/, ''));
  }
  return [...new Set(messages)];
}

/** Splits fio's stdout into the text before the JSON document and the document. */
function splitPreamble(stdout: string): { preamble: string; json: string } {
  const newlineBrace = stdout.indexOf('\n{');
  const start = stdout.startsWith('{') ? 0 : newlineBrace < 0 ? -1 : newlineBrace + 1;
  if (start < 0) return { preamble: stdout, json: '' };
  return { preamble: stdout.slice(0, start), json: stdout.slice(start, stdout.lastIndexOf('}') + 1) };
}

/** fio's JSON report (with the error messages printed around it); throws ToolOutputError when there is none. */
export function parseFioJson(stdout: string, stderr = ''): FioReport {
  const { preamble, json } = splitPreamble(stdout);
  if (!json) throw new ToolOutputError('fio', 'fio printed no JSON report', (stderr || stdout).trim().slice(-300));
  const data = parseJsonOrThrow('fio', json, 'fio report');
  if (!isJsonObject(data) || !Array.isArray(data.jobs)) throw new ToolOutputError('fio', 'fio JSON report has no "jobs" array', json.slice(0, EXCERPT_CHARS));
  const jobs = data.jobs.filter(isJsonObject).map((job): FioJob => {
    const options = isJsonObject(job['job options']) ? job['job options'] : {};
    const error = num(job.error);
    return {
      name: typeof job.jobname === 'string' ? job.jobname : 'job',
      rw: typeof options.rw === 'string' ? options.rw : null,
      error,
      errorText: error ? describeErrno(error) : null,
      read: directionOf(job.read),
      write: directionOf(job.write),
    };
  });
  return {
    version: typeof data['fio version'] === 'string' ? data['fio version'] : null,
    jobs,
    messages: [...new Set([...fioErrorMessages(preamble), ...fioErrorMessages(stderr)])],
  };
}
