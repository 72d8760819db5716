/**
 * Overhead of the typed NetBox client (auth, timeouts, AbortSignals, retry
 * bookkeeping, error mapping) over a bare fetch of the same URL, against the
 * simulator on loopback. Rounds interleave the two so machine noise hits both;
 * the ratio of medians is what matters, not the absolute times.
 */
import { createNetboxClient } from '../shared/netbox/client.ts';
import { startSimulator } from '../test/netbox-sim/index.ts';

const ROUNDS = 15;
const REQUESTS_PER_ROUND = 100;
const PATH = '/api/dcim/devices/';

const sim = await startSimulator({ port: 0, flavour: '4.6' });
const client = createNetboxClient({ url: sim.url, token: sim.token });
const headers = { Authorization: `Bearer ${sim.token}`, Accept: 'application/json' };

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < REQUESTS_PER_ROUND; i++) await fn();
  return performance.now() - started;
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const raw: number[] = [];
const typed: number[] = [];
await timeIt(() => client.get(PATH));
for (let round = 0; round < ROUNDS; round++) {
  raw.push(await timeIt(() => fetch(`${sim.url}${PATH}`, { headers }).then((r) => r.json())));
  typed.push(await timeIt(() => client.get(PATH)));
  sim.clearRequests();
}
await sim.close();

const perRequest = (ms: number) => ((ms / REQUESTS_PER_ROUND) * 1000).toFixed(0);
console.log(`netbox-client: ${ROUNDS}×${REQUESTS_PER_ROUND} GET ${PATH} on loopback`);
console.log(`  bare fetch (baseline): median ${perRequest(median(raw))} µs/request`);
console.log(`  typed client:          median ${perRequest(median(typed))} µs/request`);
console.log(`  ratio typed/bare: ${(median(typed) / median(raw)).toFixed(2)}`);
