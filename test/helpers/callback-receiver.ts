/** A callback receiver on loopback that records what bm-agent POSTs and can be told to fail. */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface ReceivedCallback {
  headers: Record<string, string>;
  body: string;
  json: unknown;
  signatureValid: boolean | null;
}

export interface CallbackReceiver {
  url: string;
  received: ReceivedCallback[];
  /** Answer the next `n` requests with this status. */
  failNext(n: number, status: number): void;
  close(): Promise<void>;
}

export function startCallbackReceiver(secret?: string): CallbackReceiver {
  const received: ReceivedCallback[] = [];
  let failures = 0;
  let failStatus = 503;
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const body = await request.text();
      if (failures > 0) {
        failures--;
        return new Response('try later', { status: failStatus });
      }
      const signature = request.headers.get('x-bm-signature-256');
      let signatureValid: boolean | null = null;
      if (secret) {
        const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
        signatureValid = signature !== null && signature.length === expected.length && timingSafeEqual(Buffer.from(signature), expected);
      }
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        // recorded as-is
      }
      received.push({ headers: Object.fromEntries(request.headers), body, json, signatureValid });
      return new Response(null, { status: 204 });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/bm-hook`,
    received,
    failNext(n, status) {
      failures = n;
      failStatus = status;
    },
    close: async () => {
      await server.stop(true);
    },
  };
}
