/**
 * The HTTP side of the simulator: node:http server, routing, auth, pagination, faults, request log.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { traceSegments } from './cabling.ts';
import { type FaultEngine, faultResponse, junkResponse, parseFaults } from './faults.ts';
import { DJANGO, featuresOf, INSTALLED_APPS_47 } from './flavours.ts';
import { applyFilters } from './filters.ts';
import { answerGraphql } from './graphql.ts';
import type { FilterCtx } from './filters.ts';
import { available, type Models, RESOURCES } from './models.ts';
import { leastPrivilegeRules, PERMISSION_DENIED, permits } from './permissions.ts';
import type { Resource } from './models.ts';
import { OBJECT_TYPES, Serializer, parseViewOptions, render } from './serializers.ts';
import type { Store } from './store.ts';
import type { Flavour, RequestLogEntry } from './types.ts';

export interface ServerState {
  flavour: Flavour;
  version: string;
  v1Token: string;
  v2Token: string | undefined;
  /** Tokens of the least-privilege user (permissions.json); undefined: no such user. */
  leastPrivilegeTokens?: { v1: string; v2?: string } | undefined;
  store: Store;
  models: Models;
  faults: FaultEngine;
  log: RequestLogEntry[];
  maxPageSize: number;
  deviceStatuses: string[];
  /** Called after each request is logged. */
  onLog?: (e: RequestLogEntry) => void;
  /** NetBox's GRAPHQL_ENABLED (default true); false: /graphql/ answers 404 as NetBox does. */
  graphqlEnabled?: boolean;
}

type AuthKind = RequestLogEntry['auth'];
type Headers = Record<string, string>;

const DEFAULT_PAGE_SIZE = 50;

interface Reply {
  status: number;
  body?: unknown;
  headers?: Headers;
  ignoredFields?: string[];
}

function authenticate(header: string | undefined, st: ServerState): { kind: AuthKind; detail?: string; leastPrivilege?: boolean } {
  if (header === undefined || header.trim() === '') return { kind: 'none', detail: 'Authentication credentials were not provided.' };
  const parts = header.trim().split(/\s+/);
  const scheme = (parts[0] ?? '').toLowerCase();
  const cred = parts[1];
  if (scheme === 'token') {
    if (cred === undefined) return { kind: 'invalid', detail: 'Invalid token header. No credentials provided.' };
    if (parts.length > 2) return { kind: 'invalid', detail: 'Invalid token header. Token string should not contain spaces.' };
    if (cred === st.v1Token) return { kind: 'v1' };
    if (cred === st.leastPrivilegeTokens?.v1) return { kind: 'v1', leastPrivilege: true };
    return { kind: 'invalid', detail: featuresOf(st.flavour).v2Tokens ? 'Invalid v1 token' : 'Invalid token' };
  }
  if (scheme === 'bearer' && featuresOf(st.flavour).v2Tokens) {
    if (cred === undefined || !/^nbt_[A-Za-z0-9]+\.[A-Za-z0-9_-]+$/.test(cred)) return { kind: 'invalid', detail: 'Invalid v2 token' };
    if (cred === st.v2Token) return { kind: 'v2' };
    if (cred !== undefined && cred === st.leastPrivilegeTokens?.v2) return { kind: 'v2', leastPrivilege: true };
    return { kind: 'invalid', detail: 'Invalid v2 token' };
  }
  // Before 4.5 only the "Token" keyword is known: any other scheme authenticates nobody.
  return { kind: 'invalid', detail: 'Authentication credentials were not provided.' };
}

function queryRecord(params: URLSearchParams): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of params) (out[k] ??= []).push(v);
  return out;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function intParam(v: string | null): number | undefined {
  if (v === null || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

function withParams(base: string, query: URLSearchParams, set: Record<string, string | undefined>): string {
  const q = new URLSearchParams(query);
  for (const [k, v] of Object.entries(set)) {
    if (v === undefined) q.delete(k);
    else q.set(k, v);
  }
  const s = q.toString();
  return s === '' ? base : `${base}?${s}`;
}

export interface SimServer {
  server: Server;
  /** Destroys every open connection (hung requests included). */
  destroySockets(): void;
}

export function createSimServer(st: ServerState): SimServer {
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let seq = 0;
  const filterCtx: FilterCtx = { store: st.store, flavour: st.flavour, deviceStatuses: st.deviceStatuses };

  const send = (res: ServerResponse, r: Reply): void => {
    const headers: Headers = { 'API-Version': st.flavour, ...(r.headers ?? {}) };
    let payload = '';
    if (r.body !== undefined) {
      payload = typeof r.body === 'string' && headers['Content-Type'] !== undefined ? r.body : JSON.stringify(r.body);
      headers['Content-Type'] ??= 'application/json';
    }
    headers['Content-Length'] = String(Buffer.byteLength(payload));
    res.writeHead(r.status, headers);
    res.end(payload);
  };

  const route = (method: string, path: string, url: URL, bodyText: string, base: string, leastPrivilege: boolean): Reply => {
    if (path === '/api/status/') {
      if (method !== 'GET') return { status: 405, body: { detail: `Method "${method}" not allowed.` } };
      const body: Record<string, unknown> = {
        'django-version': DJANGO[st.flavour],
        ...(featuresOf(st.flavour).netbox47 ? { hostname: 'netbox-sim', installed_apps: INSTALLED_APPS_47 } : { 'installed-apps': {} }),
        'netbox-version': st.version,
        plugins: {},
        'python-version': '3.12.3',
        'rq-workers-running': 1,
      };
      if (featuresOf(st.flavour).fullVersion) body['netbox-full-version'] = st.version;
      return { status: 200, body };
    }
    if (path === '/graphql/') {
      if (!featuresOf(st.flavour).graphqlLeaseFilters || st.graphqlEnabled === false) {
        return { status: 404, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: 'The GraphQL API is not enabled.' };
      }
      if (method !== 'POST') return { status: 405, body: { detail: `Method "${method}" not allowed.` } };
      const serializer = new Serializer({ store: st.store, flavour: st.flavour, base });
      const mayView = (objectType: string) => !leastPrivilege || permits(leastPrivilegeRules(), 'GET', objectType);
      return answerGraphql(bodyText, { store: st.store, flavour: st.flavour, serializer, mayView });
    }
    const trace = /^\/api\/dcim\/interfaces\/(\d+)\/trace\/$/.exec(path);
    if (trace && method === 'GET') {
      if (leastPrivilege && !permits(leastPrivilegeRules(), method, 'dcim.interface')) return { status: 403, body: { detail: PERMISSION_DENIED } };
      if (!st.store.get('interface', Number(trace[1]))) return { status: 404, body: { detail: 'No Interface matches the given query.' } };
      const ser = new Serializer({ store: st.store, flavour: st.flavour, base });
      const ends = (side: { model: string; ids: number[] }) => side.ids.map((id) => ser.briefOf(side.model, id));
      return {
        status: 200,
        body: traceSegments(st.store, Number(trace[1])).map((s) => [ends(s.near), s.cable === null ? [] : ser.briefOf('cable', s.cable), ends(s.far)]),
      };
    }
    const active = RESOURCES.filter((r) => available(r, st.flavour));
    const match = (p: string): { res: Resource; id?: number; badId?: boolean } | undefined => {
      for (const res of active) {
        if (p === res.path) return { res };
        if (p.startsWith(res.path)) {
          const rest = p.slice(res.path.length);
          const m = /^([^/]+)\/$/.exec(rest);
          if (m?.[1] !== undefined) return /^\d+$/.test(m[1]) ? { res, id: Number(m[1]) } : { res, badId: true };
        }
      }
      return undefined;
    };
    const hit = match(path);
    if (hit === undefined && !path.endsWith('/') && match(`${path}/`) !== undefined) {
      // Django APPEND_SLASH
      return { status: 301, headers: { Location: `${path}/${url.search}` }, body: '' };
    }
    if (hit === undefined || hit.badId === true) return { status: 404, body: { detail: 'Not found.' } };
    const { res } = hit;
    if (leastPrivilege && !permits(leastPrivilegeRules(), method, OBJECT_TYPES[res.model] ?? '')) {
      return { status: 403, body: { detail: PERMISSION_DENIED } };
    }
    const ser = new Serializer({ store: st.store, flavour: st.flavour, base });
    const view = parseViewOptions(url.searchParams, st.flavour);
    const parseJson = (): { ok: true; value: unknown } | { ok: false; reply: Reply } => {
      if (bodyText.trim() === '') return { ok: true, value: {} };
      try {
        return { ok: true, value: JSON.parse(bodyText) as unknown };
      } catch (e) {
        return { ok: false, reply: { status: 400, body: { detail: `JSON parse error - ${(e as Error).message}` } } };
      }
    };
    if (hit.id === undefined) {
      if (method === 'GET') {
        const filtered = applyFilters(res.model, st.store.all(res.model), url.searchParams, filterCtx);
        if ('errors' in filtered) return { status: 400, body: filtered.errors };
        const count = filtered.rows.length;
        const limitParam = intParam(url.searchParams.get('limit'));
        const limit = limitParam === undefined ? DEFAULT_PAGE_SIZE : limitParam === 0 ? st.maxPageSize : Math.min(limitParam, st.maxPageSize);
        const offset = intParam(url.searchParams.get('offset')) ?? 0;
        const page = filtered.rows.slice(offset, offset + limit);
        const listUrl = `${base}${path}`;
        const next = offset + limit < count ? withParams(listUrl, url.searchParams, { limit: String(limit), offset: String(offset + limit) }) : null;
        const previous =
          offset <= 0
            ? null
            : offset - limit <= 0
              ? withParams(listUrl, url.searchParams, { limit: String(limit), offset: undefined })
              : withParams(listUrl, url.searchParams, { limit: String(limit), offset: String(offset - limit) });
        return { status: 200, body: { count, next, previous, results: page.map((r) => render(ser, res.model, r, view)) } };
      }
      if (method === 'POST') {
        const parsed = parseJson();
        if (!parsed.ok) return parsed.reply;
        const w = st.models.write(res, parsed.value, undefined, false);
        if (!w.ok) return { status: 400, body: w.errors, ignoredFields: w.ignoredFields };
        return { status: 201, body: render(ser, res.model, w.row, view), ignoredFields: w.ignoredFields };
      }
      return { status: 405, body: { detail: `Method "${method}" not allowed.` } };
    }
    const row = st.store.get(res.model, hit.id);
    if (!['GET', 'PUT', 'PATCH', 'DELETE'].includes(method)) return { status: 405, body: { detail: `Method "${method}" not allowed.` } };
    if (row === undefined) {
      return { status: 404, body: { detail: st.flavour === '3.7' ? 'Not found.' : `No ${res.verbose} matches the given query.` } };
    }
    if (method === 'GET') return { status: 200, body: render(ser, res.model, row, view) };
    if (method === 'DELETE') {
      const deps = st.models.dependents(res.model, row.id);
      if (deps.length > 0) {
        const names = deps.map((d) => String(d.name ?? d.model ?? d.id));
        return {
          status: 409,
          body: { detail: `Unable to delete object. ${deps.length} dependent objects were found: ${names.join(', ')}` },
        };
      }
      st.models.remove(res.model, row.id);
      return { status: 204 };
    }
    const parsed = parseJson();
    if (!parsed.ok) return parsed.reply;
    const w = st.models.write(res, parsed.value, row, method === 'PATCH');
    if (!w.ok) return { status: 400, body: w.errors, ignoredFields: w.ignoredFields };
    return { status: 200, body: render(ser, res.model, w.row, view), ignoredFields: w.ignoredFields };
  };

  const simRoute = (method: string, path: string, bodyText: string): Reply => {
    if (path === '/__sim/faults' || path === '/__sim/faults/') {
      if (method === 'PUT') {
        try {
          st.faults.set(parseFaults(JSON.parse(bodyText === '' ? '[]' : bodyText)));
        } catch (e) {
          return { status: 400, body: { detail: (e as Error).message } };
        }
        return { status: 204 };
      }
      if (method === 'DELETE') {
        st.faults.clear();
        return { status: 204 };
      }
      return { status: 405, body: { detail: `Method "${method}" not allowed.` } };
    }
    if (path === '/__sim/requests' || path === '/__sim/requests/') {
      if (method === 'GET') return { status: 200, body: st.log };
      if (method === 'DELETE') {
        st.log.length = 0;
        return { status: 204 };
      }
      return { status: 405, body: { detail: `Method "${method}" not allowed.` } };
    }
    return { status: 404, body: { detail: 'Not found.' } };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const bodyText = await readBody(req);
    const base = `http://${req.headers.host ?? 'localhost'}`;
    const auth = authenticate(req.headers.authorization, st);
    let logBody: unknown = null;
    if (bodyText !== '') {
      try {
        logBody = JSON.parse(bodyText);
      } catch {
        logBody = bodyText;
      }
    }
    const entry: RequestLogEntry = {
      seq: 0,
      method,
      path,
      query: queryRecord(url.searchParams),
      body: logBody,
      status: 0,
      auth: auth.kind,
      ignoredFields: [],
    };
    const record = (status: number, extra: Partial<RequestLogEntry> = {}): void => {
      Object.assign(entry, extra, { status, seq: ++seq });
      st.log.push(entry);
      st.onLog?.(entry);
    };

    if (path.startsWith('/__sim/')) {
      const r =
        (auth.kind === 'v1' || auth.kind === 'v2') && auth.leastPrivilege !== true
          ? simRoute(method, path, bodyText)
          : { status: 403, body: { detail: auth.detail ?? 'Invalid token' } };
      send(res, r);
      return;
    }

    const fault = st.faults.take(method, path);
    if (fault !== undefined) {
      const label = fault.kind === 'status' ? `status:${fault.status ?? 500}` : fault.kind;
      switch (fault.kind) {
        case 'hang':
          record(0, { fault: label });
          return; // never answered; close() destroys the socket
        case 'drop':
          record(0, { fault: label });
          req.socket.destroy();
          return;
        case 'status': {
          const f = faultResponse(fault, st.version);
          record(f.status, { fault: label });
          send(res, { status: f.status, headers: f.headers, body: f.body });
          return;
        }
        case 'malformed': {
          const text = '{"count": 1, "next": null, "previous": null, "results": [{"id": 1, "url": "';
          record(200, { fault: label });
          send(res, { status: 200, headers: { 'Content-Type': 'application/json' }, body: text });
          return;
        }
        case 'not-a-list':
        case 'html':
        case 'no-results':
        case 'endless-next': {
          const junk = junkResponse(fault, new URL(url.pathname + url.search, base))!;
          record(junk.status, { fault: label });
          send(res, junk);
          return;
        }
        case 'latency': {
          entry.fault = `latency:${fault.ms ?? 0}`;
          await new Promise<void>((resolve) => {
            const t = setTimeout(() => {
              timers.delete(t);
              resolve();
            }, fault.ms ?? 0);
            timers.add(t);
          });
          if (res.destroyed || req.socket.destroyed) return;
          break;
        }
      }
    }

    if (auth.kind !== 'v1' && auth.kind !== 'v2') {
      const r: Reply = { status: 403, body: { detail: auth.detail ?? 'Invalid token' } };
      record(r.status);
      send(res, r);
      return;
    }
    const ct = req.headers['content-type'];
    let r: Reply;
    if (['POST', 'PUT', 'PATCH'].includes(method) && bodyText !== '' && ct !== undefined && !/json/i.test(ct)) {
      r = { status: 415, body: { detail: `Unsupported media type "${ct}" in request.` } };
    } else {
      try {
        r = route(method, path, url, bodyText, base, auth.leastPrivilege === true);
      } catch (e) {
        r = { status: 500, body: { error: (e as Error).message, exception: (e as Error).name, netbox_version: st.version, python_version: '3.12.3' } };
      }
    }
    record(r.status, { ignoredFields: r.ignoredFields ?? [] });
    if (r.status === 301) {
      send(res, { status: 301, headers: r.headers ?? {} });
      return;
    }
    send(res, r);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, { status: 500, body: { error: String(e) } });
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    server,
    destroySockets: () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
  };
}
