/**
 * drain.trigger "systemd": `commit` spools and starts no drainer (systemd's
 * bm-hook-drain.path unit sees the event land in new/ and starts the drain), so
 * dhcpd does not wait for a fork+exec; the drain the unit runs then applies it.
 */
import { afterEach, beforeAll, beforeEach, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pendingNames } from '../../../hook/spool.ts';
import { getDevice } from '../../../shared/netbox/index.ts';
import { hookBinary, runHook, startHookHarness, type HookHarness } from '../../helpers/hook-harness.ts';
import { randomMac } from '../../helpers/netbox-fixtures.ts';

let h: HookHarness;

beforeAll(() => {
  hookBinary();
});
beforeEach(async () => {
  h = await startHookHarness({ flavour: '4.6', config: { drain: { budgetMs: 15000, trigger: 'systemd' } } });
});
afterEach(() => h.close());

test('commit with drain.trigger systemd spools, starts no drainer and sends NetBox nothing; the unit’s drain applies it', async () => {
  const device = await h.fx.createDevice();
  const mac = randomMac('94:40:c9');
  await h.fx.createInterface(device.id, { name: 'bmc', mac, mgmtOnly: true });
  h.target.sim!.clearRequests();

  const result = await runHook(['commit', '10.7.1.5', mac, 'ilo-t'], { BM_CONFIG: h.configPath });
  expect(result.exitCode).toBe(0);
  expect(pendingNames(h.spoolDir)).toHaveLength(1);
  // A spawned drainer opens drain.log before it starts; none was.
  expect(existsSync(join(h.spoolDir, 'drain.log'))).toBe(false);
  expect(h.target.sim!.requests()).toEqual([]);

  const drain = await runHook(['drain'], { BM_CONFIG: h.configPath });
  expect(drain.exitCode).toBe(0);
  expect(pendingNames(h.spoolDir)).toEqual([]);
  expect((await getDevice(h.client, device.id)).status.value).toBe('discovered');
});
