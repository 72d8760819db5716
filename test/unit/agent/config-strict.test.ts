/**
 * bm-agent's config is strict at every level: misspelt kernel parameters, forbidden keys on the
 * command line, in files and in the fetched JSON, misspelt environment variables, durations over
 * their bound. Each is a ConfigError (exit 2) naming the key.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cmdlineLayer, KERNEL_PARAMETERS, loadAgentConfig, type AgentConfigSources } from '../../../agent/config.ts';
import { bmParameters } from '../../../agent/kernel-cmdline.ts';
import { configErrorOf } from '../../helpers/config-error.ts';

const file = (content: unknown) => {
  const path = join(mkdtempSync(join(tmpdir(), 'agent-strict-')), 'config.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};

const load = (sources: Partial<AgentConfigSources>) => loadAgentConfig({ cli: {}, env: {}, cmdline: '', ...sources });

afterEach(() => {
  const probe: Record<string, unknown> = {};
  expect({ x: probe.x, polluted: probe.polluted, keys: Object.keys(Object.prototype) }).toEqual({ x: undefined, polluted: undefined, keys: [] });
});

describe('kernel command line', () => {
  test.each([
    ['bm.netbox_ur=http://nb', 'bm.netbox_ur', 'bm.netbox_url'],
    ['bm.profle=quick', 'bm.profle', 'bm.profile'],
    ['bm.token_fiel=/run/token', 'bm.token_fiel', 'bm.token_file'],
    ['bm.netbox_tokn=abc', 'bm.netbox_tokn', 'bm.netbox_token'],
    ['bm.callback_ulr=http://cb', 'bm.callback_ulr', 'bm.callback_url'],
    ['bm.callback_secret_fle=/s', 'bm.callback_secret_fle', 'bm.callback_secret_file'],
    ['bm.config_ur=http://cfg', 'bm.config_ur', 'bm.config_url'],
    ['bm.on_failur=leave', 'bm.on_failur', 'bm.on_failure'],
    ['bm.evidence-dir=/x', 'bm.evidence-dir', 'bm.evidence_dir'],
    ['bm.on_finsh=poweroff', 'bm.on_finsh', 'bm.on_finish'],
    ['bm.Profile=quick', 'bm.Profile', 'bm.profile'],
  ])('%s is a ConfigError naming %s and suggesting %s', async (word, key, suggestion) => {
    const error = await configErrorOf(() => cmdlineLayer(`quiet ${word} bm.profile=quick`));
    expect(error.source).toBe('kernel command line');
    expect(error.issues).toEqual([{ key, message: `unknown kernel parameter (check the spelling); did you mean ${suggestion}?` }]);
  });

  test('a name far from every parameter lists the known ones', async () => {
    const error = await configErrorOf(() => cmdlineLayer('bm.note=x'));
    expect(error.issues[0]?.key).toBe('bm.note');
    expect(error.issues[0]?.message).toStartWith('unknown kernel parameter (check the spelling); known: bm.netbox_url, ');
    expect(error.issues[0]?.message).toEndWith('; step settings are bm.<area>.<setting>');
  });

  test('every unknown name is named at once', async () => {
    expect((await configErrorOf(() => cmdlineLayer('bm.netbox_ur=x bm.profle=quick'))).issues.map((i) => i.key)).toEqual(['bm.netbox_ur', 'bm.profle']);
  });

  test('every known parameter is accepted and sets its config key; bm.on_finish is the image’s', () => {
    const words = Object.keys(KERNEL_PARAMETERS).map((name) => `bm.${name}=v-${name}`);
    const { layer, configUrl } = cmdlineLayer(words.join(' '));
    expect(configUrl).toBe('v-config_url');
    expect(JSON.parse(JSON.stringify(layer))).toEqual({
      netbox: { url: 'v-netbox_url', token: 'v-netbox_token', tokenFile: 'v-token_file' },
      callback: { url: 'v-callback_url', secretFile: 'v-callback_secret_file' },
      profile: 'v-profile',
      onFailure: 'v-on_failure',
      evidenceDir: 'v-evidence_dir',
      evidenceUrl: 'v-evidence_url',
    });
  });

  test('area.knob parameters go to the steps layer unchecked here (tunables.ts checks them)', () => {
    const { layer } = cmdlineLayer('bm.dsik.write_blank=0 bm.disk.a.b=1');
    expect(JSON.parse(JSON.stringify(layer))).toEqual({ steps: { dsik: { write_blank: '0' }, disk: { 'a.b': '1' } } });
  });

  test.each(['bm.__proto__.x=1', 'bm.__proto__=1', 'bm.constructor=1', 'bm.constructor.prototype.x=1', 'bm.disk.__proto__=1', 'bm.prototype.x=1'])(
    '%s is a ConfigError naming it, and Object.prototype stays clean',
    async (word) => {
      const error = await configErrorOf(() => cmdlineLayer(`quiet ${word}`));
      expect(error.source).toBe('kernel command line');
      expect(error.issues).toEqual([{ key: word.replace(/=.*/, ''), message: 'forbidden key: __proto__, constructor, prototype are never config keys' }]);
    },
  );

  test('the raw parameters are a null-prototype object, so __proto__ is just a key there', () => {
    const params = bmParameters('bm.__proto__=1 bm.profile=quick');
    expect(Object.getPrototypeOf(params)).toBeNull();
    expect(Object.keys(params)).toEqual(['__proto__', 'profile']);
  });

  test('through loadAgentConfig: exit 2 material, before anything is fetched', async () => {
    let fetched = false;
    const error = await configErrorOf(() =>
      load({
        cmdline: 'bm.netbox_ur=http://nb bm.config_url=http://cfg',
        fetchConfigUrl: async () => {
          fetched = true;
          return {};
        },
      }),
    );
    expect(error.issues[0]?.key).toBe('bm.netbox_ur');
    expect(fetched).toBe(false);
  });
});

describe('files and fetched JSON', () => {
  test('a forbidden key in the config file is named with its path and the file', async () => {
    const path = file('{"netbox": {"url": "http://x", "__proto__": {"polluted": 1}}}');
    const error = await configErrorOf(() => load({ configPath: path }));
    expect(error.source).toBe(path);
    expect(error.issues).toEqual([{ key: 'netbox.__proto__', message: 'forbidden key: __proto__, constructor, prototype are never config keys' }]);
    expect((await configErrorOf(() => load({ configPath: file('{"steps": {"constructor": {"x": 1}}}') }))).issues[0]?.key).toBe('steps.constructor');
  });

  test('a forbidden key in the JSON at bm.config_url is named with the URL', async () => {
    const fetchConfigUrl = async () => JSON.parse('{"__proto__": {"polluted": 1}}');
    const error = await configErrorOf(() => load({ cmdline: 'bm.config_url=http://cfg/x.json', fetchConfigUrl }));
    expect(error.source).toBe('http://cfg/x.json');
    expect(error.issues[0]?.key).toBe('__proto__');
  });

  test('unknown keys are refused at every depth, with the closest known key', async () => {
    const configPath = file({ netbox: { url: 'http://x', tokenFil: '/t' }, callback: { url: 'http://cb', secretFle: '/s' } });
    const error = await configErrorOf(() => load({ configPath }));
    expect(error.issues).toEqual([
      { key: 'netbox.tokenFil', message: 'unknown key (check the spelling); did you mean tokenFile?' },
      { key: 'callback.secretFle', message: 'unknown key (check the spelling); did you mean secretFile?' },
    ]);
  });

  test('durations over their bound are refused with the allowed range, not replaced', async () => {
    const configPath = file({ deliveryDeadlineMs: 2 ** 31, callback: { url: 'http://cb', timeoutMs: -1 }, netbox: { url: 'http://x', deadlineMs: 2 ** 40 } });
    const error = await configErrorOf(() => load({ configPath }));
    expect(error.issues).toEqual([
      { key: 'netbox.deadlineMs', message: 'must be between 100 and 3600000' },
      { key: 'callback.timeoutMs', message: 'must be between 100 and 600000' },
      { key: 'deliveryDeadlineMs', message: 'must be between 0 and 86400000' },
    ]);
  });
});

describe('environment', () => {
  test('a misspelt variable is a ConfigError naming it and the right name', async () => {
    const error = await configErrorOf(() => load({ env: { BM_PROFLE: 'quick' } }));
    expect(error.source).toBe('environment');
    expect(error.issues).toEqual([{ key: 'BM_PROFLE', message: 'unknown environment variable; did you mean BM_PROFILE? (fix the name or unset it)' }]);
  });

  test("the hook's and the test harness's variables are not the agent's business", async () => {
    const config = await load({ env: { BM_HOOK_NO_SYSLOG: '1', BM_SPOOL_DIR: '/x', BM_CONFIG: '/x', BM_NETBOX_REAL_STATE: '/x', BM_PROFILE: 'quick' } });
    expect(config.profile).toBe('quick');
  });

  test('a callback secret from the environment joins a callback URL from another source', async () => {
    const config = await load({ env: { BM_CALLBACK_SECRET: 's' }, configPath: file({ callback: { url: 'http://cb' } }) });
    expect(config.callback).toEqual({ url: 'http://cb', secret: 's', timeoutMs: 10000 });
    const fromCmdline = await load({ env: { BM_CALLBACK_URL: 'http://cb' }, cmdline: 'bm.callback_secret_file=/run/secret' });
    expect(fromCmdline.callback).toEqual({ url: 'http://cb', secretFile: '/run/secret', timeoutMs: 10000 });
    expect((await configErrorOf(() => load({ env: { BM_CALLBACK_SECRET: 's' } }))).issues).toEqual([{ key: 'callback.url', message: 'is required' }]);
  });
});
