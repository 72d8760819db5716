/**
 * Reading an HTTP body with a size cap, as a stream: what an untrusted sender (a config
 * server, a webhook caller) sends is never held beyond the cap. Used by bm-agent's
 * `bm.config_url` fetch and bm-harden's `serve`.
 */
import { BmError } from './errors.ts';
import type { FailureClass } from './failure.ts';
import { formatBytes } from './units.ts';

/** The body is longer than the cap: never retried. */
export class BodyTooLargeError extends BmError {
  override readonly name = 'BodyTooLargeError';
  constructor(
    readonly maxBytes: number,
    readonly seenBytes: number,
  ) {
    super(`the answer is larger than ${formatBytes(maxBytes)} (stopped reading at ${seenBytes} bytes)`);
  }

  override get failureClass(): FailureClass {
    return 'permanent';
  }
}

/**
 * A body read as a stream up to `maxBytes`: past the cap the stream is cancelled (the
 * connection dropped) and a BodyTooLargeError thrown; never more than one chunk past the cap is held.
 */
export async function readBodyCapped(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array> {
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      reader.cancel().catch(() => {});
      throw new BodyTooLargeError(maxBytes, total);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
