/**
 * CLI: bun test/netbox-sim/main.ts --port PORT --flavour 3.7|4.1|4.2|4.4|4.5|4.6|4.7 [--token TOKEN] [--v2-token TOKEN]
 *      [--data FILE] [--statuses discovered,ready] [--fault SPEC]... [--max-page-size N] [--no-global-unique]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseFaultArg } from './faults.ts';
import { FLAVOUR_LIST, isFlavour } from './flavours.ts';
import { startSimulator } from './index.ts';
import type { FaultSpec, Flavour, SeedData, SimOptions } from './index.ts';

const HELP = `netbox-sim — NetBox REST API simulator (test fixture; never shipped)

usage: bun test/netbox-sim/main.ts [options]

  --port PORT          port (default 0 = random)
  --host ADDR          address to listen on (default 127.0.0.1; use only loopback or an
                       address inside a network namespace you created)
  --flavour F          NetBox behaviour: 3.7, 4.1, 4.2, 4.4, 4.5, 4.6 or 4.7 (default 4.6)
  --token TOKEN        v1 token, 40 hex (default random)
  --v2-token TOKEN     v2 token nbt_<key>.<token> (4.5+ only; default random)
  --data FILE          JSON seed {"sites":[…],"devices":[…],…}, created through the API's validation
  --statuses LIST      extra device statuses (default discovered,ready; "" for none)
  --fault SPEC         fault to inject, repeatable: kind[:key=value,…], e.g.
                       status:status=503,times=2,pathPrefix=/api/dcim/devices/   latency:ms=200
                       hang:pathPrefix=/api/dcim/   drop:times=1   malformed   (or a JSON array);
                       a 200 that is not a NetBox list: not-a-list, html, no-results, endless-next
  --max-page-size N    MAX_PAGE_SIZE (default 1000)
  --no-global-unique   ENFORCE_GLOBAL_UNIQUE = False
  -h, --help           this text

Prints one line: "netbox-sim <flavour> listening on http://HOST:PORT/ token: <token>"
(4.5+ adds " v2-token: <token>"). Faults can also be set at run time with
PUT /__sim/faults (JSON array) and the request log read with GET /__sim/requests (token required).`;

function fail(msg: string): never {
  process.stderr.write(`netbox-sim: ${msg}\n`);
  process.exit(2);
}

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      flavour: { type: 'string' },
      token: { type: 'string' },
      'v2-token': { type: 'string' },
      data: { type: 'string' },
      statuses: { type: 'string' },
      fault: { type: 'string', multiple: true },
      'max-page-size': { type: 'string' },
      'no-global-unique': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  });
}
try {
  args = parse();
} catch (e) {
  fail((e as Error).message);
}
const v = args.values;
if (v.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const flavour = (v.flavour ?? '4.6') as Flavour;
if (!isFlavour(flavour)) fail(`--flavour must be one of ${FLAVOUR_LIST.join(', ')} (got ${flavour})`);
const port = Number(v.port ?? '0');
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`bad --port ${String(v.port)}`);
const opts: SimOptions = { port, flavour, ...(v.host !== undefined ? { host: v.host } : {}) };
if (v.token !== undefined) opts.v1Token = v.token;
if (v['v2-token'] !== undefined) opts.v2Token = v['v2-token'];
if (v.statuses !== undefined)
  opts.statusChoices = v.statuses
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
if (v['max-page-size'] !== undefined) opts.maxPageSize = Number(v['max-page-size']);
if (v['no-global-unique']) opts.enforceGlobalUnique = false;
try {
  if (v.data !== undefined) opts.data = JSON.parse(readFileSync(v.data, 'utf8')) as SeedData;
  const faults: FaultSpec[] = (v.fault ?? []).flatMap((f) => parseFaultArg(f));
  opts.faults = faults;
} catch (e) {
  fail((e as Error).message);
}

let sim: Awaited<ReturnType<typeof startSimulator>>;
try {
  sim = await startSimulator(opts);
} catch (e) {
  fail((e as Error).message);
}
process.stdout.write(`netbox-sim ${sim.flavour} listening on ${sim.url}/ token: ${sim.v1Token}${sim.v2Token ? ` v2-token: ${sim.v2Token}` : ''}\n`);
const stop = (): void => {
  void sim.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
