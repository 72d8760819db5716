/** Fault injection: which fault (if any) applies to a request, with `times` counting down per match. */
import type { FaultSpec } from './types.ts';

const KINDS = new Set(['latency', 'hang', 'status', 'drop', 'malformed', 'not-a-list', 'html', 'no-results', 'endless-next']);
const STATUSES = new Set([500, 502, 503, 504, 429]);

/** Validates a fault list (from the library, the CLI or `PUT /__sim/faults`); throws with a reason. */
export function parseFaults(input: unknown): FaultSpec[] {
  if (!Array.isArray(input)) throw new Error('faults must be a JSON array');
  return input.map((f: unknown, i) => {
    if (typeof f !== 'object' || f === null) throw new Error(`fault ${i}: not an object`);
    const spec = f as Record<string, unknown>;
    if (typeof spec.kind !== 'string' || !KINDS.has(spec.kind)) throw new Error(`fault ${i}: kind must be one of ${[...KINDS].join(', ')}`);
    for (const k of ['ms', 'status', 'retryAfterS', 'times'] as const) {
      const v = spec[k];
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || ((k === 'status' || k === 'times') && !Number.isInteger(v)))) {
        throw new Error(`fault ${i}: ${k} must be a non-negative ${k === 'status' || k === 'times' ? 'integer' : 'number'}`);
      }
    }
    for (const k of ['method', 'pathPrefix'] as const) {
      if (spec[k] !== undefined && typeof spec[k] !== 'string') throw new Error(`fault ${i}: ${k} must be a string`);
    }
    if (spec.kind === 'status' && !STATUSES.has(spec.status as number)) throw new Error(`fault ${i}: status must be one of 500, 502, 503, 504, 429`);
    if (spec.kind === 'latency' && spec.ms === undefined) throw new Error(`fault ${i}: latency needs ms`);
    return { ...spec } as unknown as FaultSpec;
  });
}

/**
 * Parses the CLI form: `kind[:key=value,...]`, e.g. `status:status=503,times=2,pathPrefix=/api/dcim/`
 * or `latency:ms=200`. A JSON array is accepted too.
 */
export function parseFaultArg(arg: string): FaultSpec[] {
  if (arg.trim().startsWith('[')) return parseFaults(JSON.parse(arg));
  const [kind, rest] = arg.split(/:(.*)/s);
  const spec: Record<string, unknown> = { kind };
  for (const kv of (rest ?? '').split(',').filter((s) => s !== '')) {
    const [k, v] = kv.split(/=(.*)/s);
    if (k === undefined || v === undefined) throw new Error(`bad fault option ${kv}`);
    spec[k] = /^\d+$/.test(v) && k !== 'method' && k !== 'pathPrefix' ? Number(v) : v;
  }
  return parseFaults([spec]);
}

export class FaultEngine {
  private faults: { spec: FaultSpec; left: number }[] = [];

  set(faults: FaultSpec[]): void {
    this.faults = parseFaults(faults).map((spec) => ({ spec, left: spec.times ?? Number.POSITIVE_INFINITY }));
  }

  clear(): void {
    this.faults = [];
  }

  /** The first fault matching this request, consuming one of its `times`. */
  take(method: string, path: string): FaultSpec | undefined {
    for (const f of this.faults) {
      if (f.left <= 0) continue;
      if (f.spec.method !== undefined && f.spec.method.toUpperCase() !== method.toUpperCase()) continue;
      if (f.spec.pathPrefix !== undefined && !path.startsWith(f.spec.pathPrefix)) continue;
      f.left -= 1;
      return f.spec;
    }
    return undefined;
  }
}

/** Body and headers of a `status` fault, as NetBox (500, 429) or nginx in front of it (502-504) sends them. */
export function faultResponse(spec: FaultSpec, version: string): { status: number; headers: Record<string, string>; body: string } {
  const status = spec.status ?? 500;
  if (status === 429) {
    const s = spec.retryAfterS ?? 1;
    return {
      status,
      headers: { 'Content-Type': 'application/json', 'Retry-After': String(s) },
      body: JSON.stringify({ detail: `Request was throttled. Expected available in ${s} second${s === 1 ? '' : 's'}.` }),
    };
  }
  if (status === 500) {
    return {
      status,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        error: 'Simulated server error (netbox-sim fault injection)',
        exception: 'Exception',
        netbox_version: version,
        python_version: '3.12.3',
      }),
    };
  }
  const reason: Record<number, string> = { 502: 'Bad Gateway', 503: 'Service Temporarily Unavailable', 504: 'Gateway Time-out' };
  const title = `${status} ${reason[status] ?? 'Error'}`;
  const headers: Record<string, string> = { 'Content-Type': 'text/html' };
  if (spec.retryAfterS !== undefined) headers['Retry-After'] = String(spec.retryAfterS);
  return {
    status,
    headers,
    body: `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
  };
}

/**
 * A 200 that is not the NetBox list asked for, as a proxy or a broken NetBox sends it (the kinds
 * `not-a-list`, `html`, `no-results`, `endless-next`); undefined for the other kinds. `url` is the
 * request's, for `endless-next`'s `next` (always the following offset).
 */
export function junkResponse(spec: FaultSpec, url: URL): { status: number; headers: Record<string, string>; body: string } | undefined {
  const json = (body: unknown) => ({ status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  switch (spec.kind) {
    case 'not-a-list':
      return json({});
    case 'no-results':
      return json({ count: 1, next: null, previous: null, detail: 'cached by the proxy' });
    case 'html':
      return { status: 200, headers: { 'Content-Type': 'text/html' }, body: '<html><head><title>Sign in</title></head><body>Proxy login</body></html>\n' };
    case 'endless-next': {
      const next = new URL(url);
      next.searchParams.set('offset', String(Number(url.searchParams.get('offset') ?? 0) + 1));
      return json({ count: 9_000, next: next.href, previous: null, results: [{ id: 1, url: '', display: 'endless', name: 'endless' }] });
    }
    default:
      return undefined;
  }
}
