/**
 * One output stream of a tool (stdout or stderr) consumed as it arrives, in
 * bounded memory: the bytes go to a file (capped: the first `maxFileBytes`, a
 * marker saying how much was left out, then the last bytes), each complete line
 * goes to a callback, and only the last `tailBytes` stay in memory (for error
 * messages and the result). A failing DIMM makes memtester print millions of
 * lines; holding them all took the agent to 1.9 GB.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { KiB, MiB } from '../../shared/units.ts';

/** Bytes of each stream kept in memory. */
export const STREAM_TAIL_BYTES = 64 * KiB;
/** Bytes of each stream written to its evidence file before the middle is left out. */
export const STREAM_FILE_MAX_BYTES = 4 * MiB;
/** A line longer than this (characters) is handed on in pieces, so a stream without newlines stays bounded. */
export const STREAM_MAX_LINE_CHARS = MiB;
/**
 * Streamed bytes (all streams together) between two garbage collections. A flood is thousands of
 * throwaway chunks and millions of line strings: without a collection now and then the garbage
 * collector lets them pile up (5 M lines: +80 MiB RSS; with one every 16 MiB: see bench/README.md).
 */
export const STREAM_GC_EVERY_BYTES = 16 * MiB;

let streamedSinceGc = 0;

/** Counts streamed bytes and collects garbage every STREAM_GC_EVERY_BYTES (never for ordinary output). */
function collectGarbageNowAndThen(bytes: number): void {
  streamedSinceGc += bytes;
  if (streamedSinceGc < STREAM_GC_EVERY_BYTES) return;
  streamedSinceGc = 0;
  Bun.gc(true);
}

/** What is known about a stream once it ended. */
export interface StreamStats {
  /** Bytes the tool wrote. */
  bytes: number;
  /** Lines handed to the callback. */
  lines: number;
  /** Bytes not in the file (between its head and its tail); 0 when the file holds everything. */
  omittedBytes: number;
}

export interface OutputStream {
  write(chunk: Uint8Array): void;
  /** Flushes the last line and the file's tail; returns the in-memory tail (text) and the counts. */
  end(): { tail: string; stats: StreamStats };
}

export interface OutputStreamOptions {
  /** File for the whole output (created at the first byte); none: callback and tail only. */
  file?: string;
  onLine?: (line: string) => void;
  tailBytes?: number;
  maxFileBytes?: number;
  maxLineChars?: number;
}

/** The marker line written where a capped file leaves bytes out. */
export function omissionMarker(omittedBytes: number, maxFileBytes: number): string {
  return `\n[bm-agent: ${omittedBytes} bytes left out here (the evidence keeps the first ${maxFileBytes} bytes and the last lines)]\n`;
}

/** A sink for one stream; see the module comment. */
export function createOutputStream(options: OutputStreamOptions = {}): OutputStream {
  const tailBytes = options.tailBytes ?? STREAM_TAIL_BYTES;
  const maxFileBytes = options.maxFileBytes ?? STREAM_FILE_MAX_BYTES;
  const maxLineChars = options.maxLineChars ?? STREAM_MAX_LINE_CHARS;
  const decoder = new TextDecoder();
  let fd: number | null = null;
  let written = 0;
  let bytes = 0;
  let lines = 0;
  let pending = '';
  // The tail: a ring of tailBytes allocated once (a failing DIMM's output is thousands of chunks).
  const ring = new Uint8Array(tailBytes);
  let ringEnd = 0;

  const emit = (line: string) => {
    lines++;
    options.onLine?.(line);
  };
  const split = (text: string) => {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const piece = text.slice(start, nl);
      emit(pending ? pending + piece : piece);
      pending = '';
      start = nl + 1;
    }
    if (start < text.length) pending += text.slice(start);
    while (pending.length > maxLineChars) {
      emit(pending.slice(0, maxLineChars));
      pending = pending.slice(maxLineChars);
    }
  };
  const toFile = (chunk: Uint8Array) => {
    if (!options.file || written >= maxFileBytes) return;
    if (fd === null) {
      mkdirSync(dirname(options.file), { recursive: true });
      fd = openSync(options.file, 'w');
    }
    const part = chunk.subarray(0, maxFileBytes - written);
    writeSync(fd, part);
    written += part.length;
  };
  const keepTail = (chunk: Uint8Array) => {
    const part = chunk.length > tailBytes ? chunk.subarray(chunk.length - tailBytes) : chunk;
    const first = Math.min(part.length, tailBytes - (ringEnd % tailBytes));
    ring.set(part.subarray(0, first), ringEnd % tailBytes);
    ring.set(part.subarray(first), 0);
    ringEnd += part.length;
  };
  /** The last min(bytes, tailBytes) bytes, in order. */
  const tailBytesInOrder = (): Uint8Array => {
    if (ringEnd <= tailBytes) return ring.subarray(0, ringEnd);
    const at = ringEnd % tailBytes;
    const out = new Uint8Array(tailBytes);
    out.set(ring.subarray(at), 0);
    out.set(ring.subarray(0, at), tailBytes - at);
    return out;
  };

  return {
    write(chunk) {
      bytes += chunk.length;
      toFile(chunk);
      keepTail(chunk);
      if (options.onLine) split(decoder.decode(chunk, { stream: true }));
      collectGarbageNowAndThen(chunk.length);
    },
    end() {
      if (options.onLine) {
        split(decoder.decode());
        if (pending) emit(pending);
        pending = '';
      }
      const tail = tailBytesInOrder();
      // The bytes after the file's head: all in the tail (nothing lost), or more (marker, then the tail from a line start).
      const notWritten = bytes - written;
      let omittedBytes = 0;
      if (fd !== null && notWritten > 0) {
        if (notWritten <= tail.length) writeSync(fd, tail.subarray(tail.length - notWritten));
        else {
          const lineStart = tail.indexOf(0x0a) + 1;
          const kept = tail.subarray(lineStart);
          omittedBytes = notWritten - kept.length;
          writeSync(fd, omissionMarker(omittedBytes, maxFileBytes));
          writeSync(fd, kept);
        }
      }
      if (fd !== null) closeSync(fd);
      fd = null;
      // In memory only the tail: drop a first line cut in half when output was longer than the tail.
      const text = new TextDecoder().decode(bytes > tail.length ? tail.subarray(tail.indexOf(0x0a) + 1) : tail);
      return { tail: text, stats: { bytes, lines, omittedBytes } };
    },
  };
}
