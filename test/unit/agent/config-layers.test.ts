/**
 * Config layers keep every explicit step setting (issue 11): bm.config_url, the kernel command
 * line and the config file each stay their own layer of step settings, so an explicit
 * `bm.disk.allow_write=0` in one is not lost under a `1` in a later one — the disk guard sees
 * both and the most restrictive wins. And every URL setting is checked by one rule when config
 * is loaded: a URL no client can use is a ConfigError (exit 2) naming the setting.
 */
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tunableLayersOf } from '../../../agent/commands/run.ts';
import { loadAgentConfig, type AgentConfigSources } from '../../../agent/config.ts';
import { diskSettingsFrom } from '../../../agent/disk/settings.ts';
import { diskStep } from '../../../agent/steps/03-disk.ts';
import { resolveTunables } from '../../../agent/tunables.ts';
import { EXIT_CODE_OF_CAUSE } from '../../../shared/cli/exit-codes.ts';
import { causeOf } from '../../../shared/failure.ts';
import { configErrorOf } from '../../helpers/config-error.ts';

const file = (content: unknown) => {
  const path = join(mkdtempSync(join(tmpdir(), 'agent-layers-')), 'config.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
};

const load = (sources: Partial<AgentConfigSources>) => loadAgentConfig({ cli: {}, env: {}, cmdline: '', ...sources });

/** The disk guard's decision on writing disks that hold data, from a loaded config (and --set), as `run` and `plan` take it. */
async function diskWrites(sources: Partial<AgentConfigSources>, set: string[] = []) {
  const config = await load(sources);
  const settings = diskSettingsFrom({ tunables: resolveTunables(diskStep, 'quick', tunableLayersOf(config, { set })) });
  return { allowWriteBy: settings.allowWriteBy, writeForbiddenBy: settings.writeForbiddenBy };
}

const CONFIG_URL = 'http://cfg.example/bm.json';
const fetchedSays = (allowWrite: number) => async () => ({ steps: { disk: { allow_write: allowWrite } } });

describe('an explicit allow_write=0 in any layer wins over a 1 in another', () => {
  test('bm.config_url says 0, the file says 1: read-only', async () => {
    const path = file({ steps: { disk: { allow_write: 1 } } });
    expect(await diskWrites({ cmdline: `bm.config_url=${CONFIG_URL}`, fetchConfigUrl: fetchedSays(0), configPath: path })).toEqual({
      allowWriteBy: null,
      writeForbiddenBy: [`bm.disk.allow_write=0 (from bm.config_url (${CONFIG_URL}))`],
    });
  });

  test('bm.config_url says 1, the file says 0: read-only', async () => {
    const path = file({ steps: { disk: { allow_write: 0 } } });
    expect(await diskWrites({ cmdline: `bm.config_url=${CONFIG_URL}`, fetchConfigUrl: fetchedSays(1), configPath: path })).toEqual({
      allowWriteBy: null,
      writeForbiddenBy: [`bm.disk.allow_write=0 (from ${path})`],
    });
  });

  test('the kernel command line says 0, the file says 1: read-only; and the reverse', async () => {
    expect(await diskWrites({ cmdline: 'bm.disk.allow_write=0', configPath: file({ steps: { disk: { allow_write: true } } }) })).toMatchObject({
      allowWriteBy: null,
      writeForbiddenBy: ['bm.disk.allow_write=0 (from kernel command line)'],
    });
    const path = file({ steps: { disk: { allow_write: false } } });
    expect(await diskWrites({ cmdline: 'bm.disk.allow_write=1', configPath: path })).toMatchObject({
      allowWriteBy: null,
      writeForbiddenBy: [`bm.disk.allow_write=0 (from ${path})`],
    });
  });

  test('every layer saying 1 allows; --set 0 over them forbids', async () => {
    const sources = { cmdline: `bm.config_url=${CONFIG_URL} bm.disk.allow_write=1`, fetchConfigUrl: fetchedSays(1), configPath: file({}) };
    expect(await diskWrites(sources)).toEqual({ allowWriteBy: 'bm.disk.allow_write', writeForbiddenBy: [] });
    expect((await diskWrites(sources, ['disk.allow_write=0'])).writeForbiddenBy).toEqual(['bm.disk.allow_write=0 (from --set)']);
  });

  test('other settings still layer as before: the later source wins', async () => {
    const config = await load({
      cmdline: `bm.config_url=${CONFIG_URL} bm.disk.runtime_s=5`,
      fetchConfigUrl: async () => ({ steps: { disk: { runtime_s: 3, size_mb: 64 } } }),
      configPath: file({ steps: { disk: { runtime_s: 7 } } }),
    });
    expect(config.stepLayers.map((l) => l.source)).toEqual([`bm.config_url (${CONFIG_URL})`, 'kernel command line', expect.stringContaining('config.json')]);
    const tunables = resolveTunables(diskStep, 'quick', tunableLayersOf(config, { set: [] }));
    expect({ runtime: tunables.runtime_s, size: tunables.size_mb }).toEqual({ runtime: 7, size: 64 });
  });

  test('an area that is not an object of settings is named with its source', async () => {
    const path = file({ steps: { disk: { runtime_s: 7 } } });
    const error = await configErrorOf(() =>
      load({ cmdline: `bm.config_url=${CONFIG_URL}`, fetchConfigUrl: async () => ({ steps: { disk: 1 } }), configPath: path }),
    );
    expect(error.source).toBe(`bm.config_url (${CONFIG_URL})`);
    expect(error.issues).toEqual([{ key: 'steps.disk', message: 'must be an object of settings (area → knob → value)' }]);
  });
});

describe('URL settings: one rule, a config error (exit 2) naming the setting', () => {
  test.each([
    ['http://:99999', 'no host'],
    ['ftp://x', 'the scheme is ftp, not http or https'],
    ['not a url', 'not a URL (expected http://host[:port]/… or https://…)'],
    ['http://nb.example:99999/', 'port "99999" is not a port (1–65535)'],
  ])('%s', async (url, problem) => {
    const fromEnv = await configErrorOf(() => load({ env: { NETBOX_URL: url } }));
    expect(fromEnv.issues).toEqual([{ key: 'netbox.url', message: expect.stringContaining(`${JSON.stringify(url)} is not a usable URL: ${problem}`) }]);
    expect(EXIT_CODE_OF_CAUSE[causeOf(fromEnv)]).toBe(2);
    const callback = await configErrorOf(() => load({ cli: { callback: { url } } }));
    expect(callback.issues[0]).toMatchObject({ key: 'callback.url', message: expect.stringContaining(problem) });
    const evidence = await configErrorOf(() => load({ cmdline: `bm.evidence_url="${url}"` }));
    expect(evidence.issues[0]).toMatchObject({ key: 'evidenceUrl', message: expect.stringContaining(problem) });
    let fetched = false;
    const configUrl = await configErrorOf(() =>
      load({
        cmdline: `"bm.config_url=${url}"`,
        fetchConfigUrl: async () => {
          fetched = true;
          return {};
        },
      }),
    );
    expect(configUrl.issues[0]).toMatchObject({ key: 'bm.config_url', message: expect.stringContaining(problem) });
    expect(fetched).toBe(false);
  });

  test('every bad URL is named at once, with credentials redacted', async () => {
    const error = await configErrorOf(() => load({ env: { NETBOX_URL: 'http://admin:hunter2@:99999' }, cli: { callback: { url: 'ftp://cb' } } }));
    expect(error.issues.map((i) => i.key)).toEqual(['netbox.url', 'callback.url']);
    expect(error.message).not.toContain('hunter2');
    expect(error.message).toContain('admin:[REDACTED]@');
  });

  test('usable URLs pass: http and https, a port, credentials, IPv6', async () => {
    for (const url of ['http://nb.example', 'https://nb.example:8443/netbox', 'http://u:p@10.0.0.1/', 'http://[fd00::1]:8000/']) {
      expect((await load({ env: { NETBOX_URL: url, NETBOX_TOKEN: 't' } })).netbox?.url).toBe(url);
    }
  });
});
