/**
 * A step's time limit holds while it waits on NetBox (issue 11: with `next` always present,
 * 01-init ran 6.5 min past its 180 s limit). The real 01-init (the captured KVM guest's
 * inventory: test/helpers/captured-machine.ts) run by the runner against the simulator,
 * whose `endless-next` fault answers every device and interface list with one object a
 * page and a `next` that never ends; the step's limit is made small (1 s) so the test
 * measures how far past it the step ends. Simulator-only (a real NetBox cannot be told to
 * do this); needs no root.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { runSteps } from '../../../agent/runner.ts';
import type { Step } from '../../../agent/step.ts';
import { createInitStep } from '../../../agent/steps/01-init.ts';
import { createMemoryLogger } from '../../../shared/log.ts';
import { clearVersionCache, createNetboxClient } from '../../../shared/netbox/index.ts';
import { createTestContext, type TestStepContext } from '../../helpers/agent-context.ts';
import { capturedKvmGuest } from '../../helpers/captured-machine.ts';
import { startSimulator, type Simulator } from '../../netbox-sim/index.ts';

const LIMIT_MS = 1000;
/** How far past its limit a step may end: the in-flight page is cancelled, not waited for. */
const MARGIN_MS = 500;

describe('a step time limit during a paginated NetBox query', () => {
  let sim: Simulator;
  let ctx: TestStepContext | undefined;

  beforeEach(async () => {
    clearVersionCache();
    sim = await startSimulator({ port: 0, flavour: '4.6' });
  });
  afterEach(() => {
    ctx?.cleanup();
    sim.close();
  });

  test('`next` forever: 01-init ends as timed out within its limit plus a small margin', async () => {
    sim.setFaults([{ kind: 'endless-next', pathPrefix: '/api/dcim/' }]);
    // A client whose own deadline (20 s a call) is far beyond the step's limit: only the step's signal can stop the walk.
    const netbox = createNetboxClient({ url: sim.url, token: sim.token, retries: 0 });
    const init: Step = { ...createInitStep({ collect: async () => capturedKvmGuest() }), timeoutMs: () => LIMIT_MS };
    const started = performance.now();
    const [record] = await runSteps({
      steps: [init],
      log: createMemoryLogger(),
      signal: new AbortController().signal,
      contextFor: (_step, signal, outputs) => {
        ctx = createTestContext({ netbox, signal, ...outputs });
        return ctx;
      },
    });
    const pastLimitMs = performance.now() - started - LIMIT_MS;
    console.log(`01-init ended ${Math.round(pastLimitMs)} ms past its ${LIMIT_MS} ms limit`);
    expect(record!.result).toMatchObject({ status: 'error', cause: 'timeout', summary: 'timed out after 1 s' });
    expect(pastLimitMs).toBeLessThan(MARGIN_MS);
    expect(pastLimitMs).toBeGreaterThan(-50);
    // The fault was what held the step: many pages were served, each with `next` set.
    expect(sim.requests().filter((r) => r.fault === 'endless-next').length).toBeGreaterThan(10);
  });
});
