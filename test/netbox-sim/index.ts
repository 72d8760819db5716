/**
 * NetBox REST API simulator — library API.
 *
 *   const sim = await startSimulator({ flavour: '4.6' });
 *   fetch(`${sim.url}/api/status/`, { headers: { Authorization: `Bearer ${sim.token}` } });
 *   await sim.close();
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { FaultEngine } from './faults.ts';
import { choiceValues } from './filters.ts';
import { featuresOf, isFlavour, VERSIONS } from './flavours.ts';
import { available, Models, RESOURCES } from './models.ts';
import { RequestValidator } from './schema-validator.ts';
import { createSimServer } from './server.ts';
import { Store } from './store.ts';
import type { Flavour, FaultSpec, RequestLogEntry, SeedData, SimOptions, Simulator } from './types.ts';

export type { Flavour, FaultSpec, RequestLogEntry, SeedData, SeedKey, SimOptions, Simulator } from './types.ts';

export { FLAVOUR_LIST, VERSIONS, featuresOf, flavourAtLeast } from './flavours.ts';
export const DEFAULT_STATUS_CHOICES = ['discovered', 'ready'];

/** Seed keys in dependency order → model. */
const SEED_ORDER: [string, string][] = [
  ['sites', 'site'],
  ['manufacturers', 'manufacturer'],
  ['device-types', 'devicetype'],
  ['device-roles', 'devicerole'],
  ['devices', 'device'],
  ['interfaces', 'interface'],
  ['mac-addresses', 'macaddress'],
  ['prefixes', 'prefix'],
  ['vrfs', 'vrf'],
  ['ip-ranges', 'iprange'],
  ['fhrp-groups', 'fhrpgroup'],
  ['virtual-machines', 'virtualmachine'],
  ['vm-interfaces', 'vminterface'],
  ['custom-fields', 'customfield'],
  ['config-contexts', 'configcontext'],
  ['rear-ports', 'rearport'],
  ['front-ports', 'frontport'],
  ['ip-addresses', 'ipaddress'],
  ['cables', 'cable'],
  ['journal-entries', 'journalentry'],
];

export function randomV1Token(): string {
  return randomBytes(20).toString('hex');
}

export function randomV2Token(): string {
  return `nbt_${randomBytes(6).toString('hex')}.${randomBytes(20).toString('hex')}`;
}

/**
 * Applies seed data through the API's create path (validated like a POST), in dependency order.
 * Related objects are referenced by id (ids start at 1 per model, in seed order) or by a
 * dictionary of attributes. Fields that need later objects (e.g. a device's `oob_ip`) are set
 * with a PATCH after start-up.
 */
function applySeed(models: Models, flavour: Flavour, data: SeedData): void {
  const known = new Set(SEED_ORDER.flatMap(([k]) => [k, k.replace(/-/g, '_')]));
  for (const k of Object.keys(data)) if (!known.has(k)) throw new Error(`seed: unknown key "${k}"`);
  for (const [key, model] of SEED_ORDER) {
    const items =
      (data as Record<string, Record<string, unknown>[] | undefined>)[key] ??
      (data as Record<string, Record<string, unknown>[] | undefined>)[key.replace(/-/g, '_')];
    if (items === undefined) continue;
    const res = RESOURCES.find((r) => r.model === model);
    if (res === undefined || !available(res, flavour)) {
      throw new Error(`seed: "${key}" is not available on NetBox ${flavour}`);
    }
    items.forEach((item, i) => {
      const w = models.write(res, item, undefined, false);
      if (!w.ok) throw new Error(`seed: ${key}[${i}] rejected: ${JSON.stringify(w.errors)}`);
    });
  }
}

export async function startSimulator(opts: SimOptions = {}): Promise<Simulator> {
  const flavour: Flavour = opts.flavour ?? '4.6';
  if (!isFlavour(flavour)) throw new Error(`unknown flavour ${String(flavour)}`);
  const v1Token = opts.v1Token ?? randomV1Token();
  if (!/^[0-9a-f]{40}$/i.test(v1Token)) throw new Error('v1Token must be 40 hex characters');
  let v2Token: string | undefined;
  const features = featuresOf(flavour);
  if (features.v2Tokens) {
    v2Token = opts.v2Token ?? randomV2Token();
    if (!/^nbt_[A-Za-z0-9]+\.[A-Za-z0-9_-]+$/.test(v2Token)) throw new Error('v2Token must look like nbt_<key>.<token>');
  } else if (opts.v2Token !== undefined) {
    throw new Error('v2 tokens exist only on NetBox 4.5+');
  }
  const leastPrivilegeTokens: { v1: string; v2?: string } = { v1: randomV1Token() };
  if (features.v2Tokens) leastPrivilegeTokens.v2 = randomV2Token();
  const statusChoices = opts.statusChoices ?? DEFAULT_STATUS_CHOICES;
  const store = new Store();
  const validator = new RequestValidator(flavour, statusChoices);
  const models = new Models({ store, flavour, validator, enforceGlobalUnique: opts.enforceGlobalUnique ?? true });
  if (opts.data) applySeed(models, flavour, opts.data);
  const faults = new FaultEngine();
  faults.set(opts.faults ?? []);
  const log: RequestLogEntry[] = [];
  const waiters = new Set<(e: RequestLogEntry) => void>();
  const onLog = (e: RequestLogEntry): void => {
    for (const w of [...waiters]) w(e);
  };
  const version = VERSIONS[flavour];
  const deviceStatuses = [...choiceValues('DeviceWithConfigContext', 'status'), ...statusChoices];
  const { server, destroySockets } = createSimServer({
    flavour,
    version,
    v1Token,
    v2Token,
    store,
    models,
    faults,
    log,
    leastPrivilegeTokens: opts.leastPrivilege === false ? undefined : leastPrivilegeTokens,
    maxPageSize: opts.maxPageSize ?? 1000,
    graphqlEnabled: opts.graphqlEnabled ?? true,
    deviceStatuses,
    onLog,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  const sim: Simulator = {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    flavour,
    version,
    v1Token,
    token: v2Token ?? v1Token,
    leastPrivilegeTokens,
    leastPrivilegeToken: leastPrivilegeTokens.v2 ?? leastPrivilegeTokens.v1,
    setFaults: (f: FaultSpec[]) => faults.set(f),
    clearFaults: () => faults.clear(),
    requests: () => log.map((e) => structuredClone(e)),
    clearRequests: () => {
      log.length = 0;
    },
    waitForRequest: (pred, timeoutMs = 5000) => {
      const found = log.find(pred);
      if (found) return Promise.resolve(structuredClone(found));
      return new Promise<RequestLogEntry>((resolve, reject) => {
        const waiter = (e: RequestLogEntry): void => {
          if (!pred(e)) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          resolve(structuredClone(e));
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`waitForRequest: no matching request within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        destroySockets();
      });
      return closed;
    },
  };
  if (v2Token !== undefined) sim.v2Token = v2Token;
  return sim;
}
