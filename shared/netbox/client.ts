/**
 * The NetBox HTTP client: auth, TLS (optionally unverified), per-request timeout,
 * an overall deadline, retries with jitter for idempotent requests (the shared loop
 * of shared/retry.ts, retry-now failures only), one error family, and version
 * detection from `/api/status/` cached per process.
 *
 * Resource modules (devices.ts, interfaces.ts, …) take a NetboxClient first and
 * return domain types; nothing else in the code base builds NetBox URLs.
 */
import ky from 'ky';
import type { Logger } from '../log.ts';
import { registerSecret } from '../redact.ts';
import { BACKOFF, type BackoffPolicy, retryUntil } from '../retry.ts';
import { NetboxAbortedError, NetboxHttpError, NetboxNetworkError, NetboxResponseError, NetboxTimeoutError } from './errors.ts';
import { hintFor } from './hints.ts';
import { isIdempotentMethod, retryAfterMs } from './retry.ts';
import { type NetboxCapabilities, type NetboxVersion, capabilitiesOf, parseNetboxVersion } from './version.ts';

export type QueryValue = string | number | boolean | readonly (string | number)[];
export type Query = Record<string, QueryValue | undefined>;

export interface NetboxClientOptions {
  /** Base URL, e.g. `https://netbox.example.net` (a trailing `/` or `/api` is tolerated). */
  url: string;
  /** v1 (40 hex) or v2 (`nbt_<key>.<secret>`); the scheme is picked from its form. */
  token: string;
  /** Per-request timeout; default 5000 ms. */
  timeoutMs?: number;
  /** Overall deadline for one call, retries and waits included; default 20000 ms. */
  deadlineMs?: number;
  /** Extra attempts for retry-now failures (shared/failure.ts) of idempotent requests; default 3. */
  retries?: number;
  /** Backoff between retries; default BACKOFF.netboxRequest (250 ms base, 5000 ms cap, full jitter). */
  backoff?: BackoffPolicy;
  /**
   * Skip verification of NetBox's TLS certificate (self-signed lab NetBox). The
   * connection is still encrypted but anyone in the path can impersonate NetBox
   * and read the token: prefer NODE_EXTRA_CA_CERTS=/path/to/ca.pem.
   */
  insecureTls?: boolean;
  /** Cancels every request of this client (e.g. on SIGTERM). */
  signal?: AbortSignal;
  /**
   * Where NetBox's version is remembered beyond this process (e.g. bm-hook's spool cache,
   * so each short-lived drainer does not probe `/api/status/`); read before probing.
   */
  versionStore?: VersionStore;
  logger?: Logger;
  /** Injectable for tests; default Math.random. */
  random?: () => number;
}

export interface RequestOptions {
  searchParams?: Query;
  json?: unknown;
  /** Retry this request; default by method (GET/HEAD/OPTIONS/PUT/DELETE yes, POST/PATCH no). */
  idempotent?: boolean;
  /** Overrides the client's deadline for this call. */
  deadlineMs?: number;
  /** Epoch ms this call must end by, retries included (the shorter of this and the deadline wins); see withDeadline. */
  deadlineAt?: number;
  signal?: AbortSignal;
}

export interface NetboxClient {
  readonly baseUrl: string;
  readonly authScheme: 'Token' | 'Bearer';
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  get<T>(path: string, searchParams?: Query, options?: RequestOptions): Promise<T>;
  post<T>(path: string, json: unknown, options?: RequestOptions): Promise<T>;
  patch<T>(path: string, json: unknown, options?: RequestOptions): Promise<T>;
  delete(path: string, options?: RequestOptions): Promise<void>;
  /** NetBox's version, fetched once per process and base URL. */
  version(): Promise<NetboxVersion>;
  capabilities(): Promise<NetboxCapabilities>;
}

/** v2 tokens (`nbt_…`) go as `Bearer`, v1 tokens as `Token`. */
export function authScheme(token: string): 'Token' | 'Bearer' {
  return token.startsWith('nbt_') ? 'Bearer' : 'Token';
}

export function normaliseBaseUrl(url: string): string {
  return url
    .trim()
    .replace(/\/+$/, '')
    .replace(/\/api$/, '');
}

/** `?a=1&a=2` for arrays (NetBox's multi-value filters), undefined values dropped. */
export function toSearchParams(query: Query | undefined): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) params.append(key, String(item));
    else params.append(key, String(value));
  }
  return params;
}

/** A place outside the process that remembers NetBox's version per base URL (absent or expired = undefined). */
export interface VersionStore {
  get(baseUrl: string): NetboxVersion | undefined;
  set(baseUrl: string, version: NetboxVersion): void;
}

const versionCache = new Map<string, Promise<NetboxVersion>>();

/** Forgets cached versions; for tests that reuse a URL with another NetBox behind it. */
export function clearVersionCache(): void {
  versionCache.clear();
}

export function createNetboxClient(options: NetboxClientOptions): NetboxClient {
  const baseUrl = normaliseBaseUrl(options.url);
  const scheme = authScheme(options.token);
  const timeoutMs = options.timeoutMs ?? 5000;
  const defaultDeadlineMs = options.deadlineMs ?? 20000;
  const retries = options.retries ?? 3;
  const backoff = options.backoff ?? BACKOFF.netboxRequest;
  const random = options.random ?? Math.random;
  const log = options.logger;
  registerSecret(options.token);

  const http = ky.create({
    prefixUrl: baseUrl,
    headers: { Authorization: `${scheme} ${options.token}`, Accept: 'application/json' },
    retry: 0,
    timeout: false,
    throwHttpErrors: false,
    ...(options.insecureTls ? { fetch: insecureFetch } : {}),
  });

  async function attempt<T>(method: string, path: string, request: RequestOptions, signal: AbortSignal): Promise<{ value: T; retryAfter?: number }> {
    const relative = path.replace(/^\/+/, '');
    let response: Response;
    try {
      response = await http(relative, {
        method,
        searchParams: toSearchParams(request.searchParams),
        json: request.json,
        signal,
      });
    } catch (error) {
      throw new NetboxNetworkError(method, path, error);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new NetboxNetworkError(method, path, error);
    }
    if (!response.ok) {
      const body = parseErrorBody(text);
      const hint = hintFor(method, path, response.status, body, request.json);
      throw new NetboxHttpError(method, path, response.status, body, hint, retryAfterMs(response.headers.get('retry-after')));
    }
    if (response.status === 204 || text === '') return { value: undefined as T };
    const contentType = response.headers.get('content-type') ?? '';
    if (!contentType.includes('json')) {
      throw new NetboxResponseError(method, path, `expected JSON, got ${contentType || 'no content type'} (is the URL NetBox's?)`);
    }
    try {
      return { value: JSON.parse(text) as T };
    } catch {
      throw new NetboxResponseError(method, path, `malformed JSON (${text.length} bytes)`);
    }
  }

  async function request<T>(method: string, path: string, request: RequestOptions = {}): Promise<T> {
    const upper = method.toUpperCase();
    const callDeadlineMs = request.deadlineMs ?? defaultDeadlineMs;
    const leftMs = request.deadlineAt === undefined ? Number.POSITIVE_INFINITY : Math.floor(request.deadlineAt - Date.now());
    // The caller's time is up before the request starts: nothing is sent.
    if (leftMs <= 0) throw new NetboxTimeoutError(upper, path, 0, 'deadline');
    const deadlineMs = Math.min(callDeadlineMs, leftMs);
    const idempotent = request.idempotent ?? isIdempotentMethod(upper);
    const deadline = AbortSignal.timeout(deadlineMs);
    const callerSignals = [options.signal, request.signal].filter((s): s is AbortSignal => s !== undefined);
    const cancelled = callerSignals.length ? AbortSignal.any(callerSignals) : new AbortController().signal;

    const once = async (attemptNo: number): Promise<T> => {
      const perRequest = AbortSignal.timeout(timeoutMs);
      const attemptStarted = Date.now();
      try {
        const { value } = await attempt<T>(upper, path, request, AbortSignal.any([deadline, perRequest, cancelled]));
        log?.debug('netbox request', { method: upper, path, attempt: attemptNo + 1, ms: Date.now() - attemptStarted });
        return value;
      } catch (error) {
        if (cancelled.aborted) throw new NetboxAbortedError(upper, path);
        if (deadline.aborted) throw new NetboxTimeoutError(upper, path, deadlineMs, 'deadline');
        if (perRequest.aborted) throw new NetboxTimeoutError(upper, path, timeoutMs, 'request');
        throw error;
      }
    };
    // A 500, a refused token or a missing permission is not repeated here: retry-now only.
    return retryUntil(once, {
      what: `NetBox ${upper} ${path}`,
      deadline: Date.now() + deadlineMs,
      signal: cancelled,
      backoff,
      retryOn: ['retry-now'],
      retries: idempotent ? retries : 0,
      waitOf: (error) => (error instanceof NetboxHttpError ? error.retryAfterMs : undefined),
      giveUp: (error, why) => (why === 'aborted' ? new NetboxAbortedError(upper, path) : error),
      log,
      logFields: { method: upper, path },
      clock: { random },
    });
  }

  const client: NetboxClient = {
    baseUrl,
    authScheme: scheme,
    ...verbsOf(request),
    version() {
      let cached = versionCache.get(baseUrl);
      const stored = cached ? undefined : options.versionStore?.get(baseUrl);
      if (stored) {
        cached = Promise.resolve(stored);
        versionCache.set(baseUrl, cached);
      }
      if (!cached) {
        cached = request<Record<string, unknown>>('GET', '/api/status/').then((status) => {
          const text = String(status?.['netbox-version'] ?? '');
          const version = parseNetboxVersion(text);
          if (!version) throw new NetboxResponseError('GET', '/api/status/', `no usable netbox-version (${JSON.stringify(text)})`);
          options.versionStore?.set(baseUrl, version);
          return version;
        });
        cached.catch(() => versionCache.delete(baseUrl));
        versionCache.set(baseUrl, cached);
      }
      return cached;
    },
    capabilities: async () => capabilitiesOf(await client.version()),
  };
  return client;
}

/** `request` and the per-method shorthands built on it, for a NetboxClient. */
function verbsOf(request: NetboxClient['request']): Pick<NetboxClient, 'request' | 'get' | 'post' | 'patch' | 'delete'> {
  return {
    request,
    get: (path, searchParams, options) => request('GET', path, { ...options, searchParams }),
    post: (path, json, options) => request('POST', path, { ...options, json }),
    patch: (path, json, options) => request('PATCH', path, { ...options, json }),
    delete: async (path, options) => {
      await request('DELETE', path, options);
    },
  };
}

/**
 * `value` when it looks like a NetBox object (a JSON object with a numeric `id`), else a
 * NetboxResponseError: a proxy's `{}` or `[]` must not reach code that reads fields. Pure.
 */
export function expectObject<T extends { id: number }>(value: unknown, method: string, path: string): T {
  if (!value || typeof value !== 'object' || Array.isArray(value) || typeof (value as { id?: unknown }).id !== 'number') {
    throw new NetboxResponseError(method, path, 'not a NetBox object (no numeric "id")');
  }
  return value as T;
}

/** What bounds every call of a client made by withBounds: a time to end by, a signal that cancels, or both. */
export interface ClientBounds {
  /** Epoch ms every call must end by, retries included: then a NetboxTimeoutError (`deadline`, retry-later). */
  deadlineAt?: number;
  /** Cancels every call, each page of a paginated list included: then a NetboxAbortedError. */
  signal?: AbortSignal;
}

/**
 * The same client with every call bounded, paginated lists included (each page is a call, so
 * a list whose `next` never ends stops at the bound): past `deadlineAt` a call fails with a
 * NetboxTimeoutError (`deadline`, retry-later) and none starts after it; once `signal` aborts,
 * the call in flight is cancelled (NetboxAbortedError) and none starts. A call's own bounds
 * still apply (the earlier deadline wins, either signal cancels). The hook's drainer bounds a
 * run by its budget so (withDeadline); the agent's runner bounds each step by its time limit's signal.
 */
export function withBounds(client: NetboxClient, bounds: ClientBounds): NetboxClient {
  const bound = (options: RequestOptions = {}): RequestOptions => {
    const deadlines = [options.deadlineAt, bounds.deadlineAt].filter((d): d is number => d !== undefined);
    const signals = [options.signal, bounds.signal].filter((s): s is AbortSignal => s !== undefined);
    return {
      ...options,
      ...(deadlines.length ? { deadlineAt: Math.min(...deadlines) } : {}),
      ...(signals.length ? { signal: signals.length === 1 ? signals[0] : AbortSignal.any(signals) } : {}),
    };
  };
  const request = <T>(method: string, path: string, options?: RequestOptions) => client.request<T>(method, path, bound(options));
  // The version probe is shared by every user of the client (cached per process): the signal stops waiting for it, not the probe.
  const version = () => untilAborted(client.version(), bounds.signal, '/api/status/');
  return {
    baseUrl: client.baseUrl,
    authScheme: client.authScheme,
    ...verbsOf(request),
    version,
    capabilities: bounds.signal ? async () => capabilitiesOf(await version()) : () => client.capabilities(),
  };
}

/** `promise`, or a NetboxAbortedError (GET `path`) as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, path: string): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new NetboxAbortedError('GET', path));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new NetboxAbortedError('GET', path));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** withBounds with a deadline only: every call, each page of a list included, must end by `deadlineAt` (epoch ms). */
export function withDeadline(client: NetboxClient, deadlineAt: number): NetboxClient {
  return withBounds(client, { deadlineAt });
}

/** fetch without certificate verification (Bun's `tls` option), for `insecureTls`. */
const insecureFetch: typeof fetch = Object.assign(
  (input: string | URL | Request, init?: RequestInit) => fetch(input, { ...init, tls: { rejectUnauthorized: false } }),
  { preconnect: fetch.preconnect },
);

function parseErrorBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
  }
}
