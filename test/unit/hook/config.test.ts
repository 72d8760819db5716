import { expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_BMC_OUIS } from '../../../hook/default-ouis.ts';
import { defaultHookConfig, loadHookConfig, ouiSetOf } from '../../../hook/config.ts';
import { renderDhcpdSnippet } from '../../../hook/dhcpd-snippet.ts';
import { ConfigError } from '../../../shared/config.ts';
import { configErrorOf } from '../../helpers/config-error.ts';

const file = (content: unknown) => {
  const path = join(mkdtempSync(join(tmpdir(), 'hookcfg-')), 'hook.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};
const issuesOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

test('with no file at the default path, defaults apply and NetBox is unset', () => {
  const config = loadHookConfig({ env: { BM_CONFIG: undefined }, path: undefined });
  expect(config.netbox).toBeUndefined();
  expect(config.spool).toEqual({ dir: '/var/spool/bm-hook', maxEvents: 10000 });
  expect(config.ip).toEqual({ status: 'dhcp', defaultPrefixLength: 32 });
});

test('an explicit config path that does not exist is an error', () => {
  expect(() => loadHookConfig({ path: '/nonexistent/hook.json', env: {} })).toThrow(ConfigError);
});

test('environment overrides the file', () => {
  const path = file({ netbox: { url: 'http://file', token: 'f' }, spool: { dir: '/file' } });
  const config = loadHookConfig({ path, env: { NETBOX_URL: 'http://env', BM_SPOOL_DIR: '/env' } });
  expect(config.netbox).toMatchObject({ url: 'http://env', token: 'f' });
  expect(config.spool.dir).toBe('/env');
});

test('bad keys are named: misspelt, wrong type, bad OUI, bad enum', () => {
  expect(issuesOf(() => loadHookConfig({ path: file({ spool: { maxEvent: 5 } }), env: {} }))).toContainEqual({
    key: 'spool.maxEvent',
    message: 'unknown key (check the spelling); did you mean maxEvents?',
  });
  expect(issuesOf(() => loadHookConfig({ path: file({ ip: { defaultPrefixLength: 'x' } }), env: {} }))).toContainEqual({
    key: 'ip.defaultPrefixLength',
    message: 'must be integer',
  });
  expect(issuesOf(() => loadHookConfig({ path: file({ ouis: { entries: [{ oui: 'zz:zz', vendor: 'X' }] } }), env: {} }))).toEqual([
    { key: 'ouis.entries.0.oui', message: 'not an OUI: "zz:zz" (expected e.g. 94:40:c9)' },
  ]);
  expect(issuesOf(() => loadHookConfig({ path: file({ ip: { status: 'up' } }), env: {} }))[0]?.key).toBe('ip.status');
  expect(issuesOf(() => loadHookConfig({ path: file('{"netbox":'), env: {} }))[0]?.message).toMatch(/not valid JSON/);
});

test('OUIs extend the defaults or replace them', () => {
  expect(ouiSetOf(loadHookConfig({ path: file({ ouis: { entries: [{ oui: '02-00-00', vendor: 'Lab' }] } }), env: {} })).set.size).toBe(
    DEFAULT_BMC_OUIS.length + 1,
  );
  const replaced = ouiSetOf(loadHookConfig({ path: file({ ouis: { mode: 'replace', entries: [{ oui: '020000', vendor: 'Lab' }] } }), env: {} }));
  expect<string[]>([...replaced.set]).toEqual(['02:00:00']);
});

test('the defaults-only config ignores NetBox settings but keeps the spool override', () => {
  expect(defaultHookConfig({ BM_SPOOL_DIR: '/x', NETBOX_URL: 'http://y' })).toMatchObject({ spool: { dir: '/x' } });
  expect(defaultHookConfig({ NETBOX_URL: 'http://y' }).netbox).toBeUndefined();
});

test('the dhcpd snippet guards on every OUI without parentheses and pads every octet', () => {
  const snippet = renderDhcpdSnippet({
    hookPath: '/usr/local/sbin/bm-hook',
    ouis: [
      { oui: '94:40:C9', vendor: 'HPE' },
      { oui: '0C:C4:7A', vendor: 'SMC' },
    ],
  });
  expect(snippet).toContain('if substring(hardware, 1, 3) = 94:40:c9\n      or substring(hardware, 1, 3) = 0c:c4:7a {');
  expect(snippet).not.toMatch(/\(substring\(hardware, 1, 3\)/);
  for (let n = 1; n <= 6; n++) expect(snippet).toContain(`suffix(concat("0", binary-to-ascii(16, 8, "", substring(hardware, ${n}, 1))), 2)`);
  expect(snippet).toContain('execute("/usr/local/sbin/bm-hook", "commit", "--", bm_hook_ip, bm_hook_mac, bm_hook_name);');
  expect(() => renderDhcpdSnippet({ hookPath: '/x', ouis: [] })).toThrow(/no OUIs/);
  expect(() => renderDhcpdSnippet({ hookPath: '/x y', ouis: [{ oui: '94:40:C9', vendor: 'x' }] })).toThrow(/must not contain/);
});

test('ip.vrf is a VRF id or name, absent by default', () => {
  expect(loadHookConfig({ path: file({}), env: {} }).ip.vrf).toBeUndefined();
  expect(loadHookConfig({ path: file({ ip: { vrf: 'oob' } }), env: {} }).ip.vrf).toBe('oob');
  expect(loadHookConfig({ path: file({ ip: { vrf: 3 } }), env: {} }).ip.vrf).toBe(3);
  for (const vrf of [0, '', true]) expect(issuesOf(() => loadHookConfig({ path: file({ ip: { vrf } }), env: {} }))[0]?.key).toBe('ip.vrf');
});

test('strict: unknown keys at any depth name the closest known key; forbidden keys are refused', () => {
  expect(issuesOf(() => loadHookConfig({ path: file({ ouis: { entries: [{ oui: '02:00:00', vendr: 'Lab' }] } }), env: {} }))).toContainEqual({
    key: 'ouis.entries.0.vendr',
    message: 'unknown key (check the spelling); did you mean vendor?',
  });
  expect(issuesOf(() => loadHookConfig({ path: file({ netbox: { url: 'http://x', tokenFil: '/t' } }), env: {} }))).toEqual([
    { key: 'netbox.tokenFil', message: 'unknown key (check the spelling); did you mean tokenFile?' },
  ]);
  expect(issuesOf(() => loadHookConfig({ path: file('{"spool": {"__proto__": {"dir": "/tmp"}}}'), env: {} }))).toEqual([
    { key: 'spool.__proto__', message: 'forbidden key: __proto__, constructor, prototype are never config keys' },
  ]);
  expect(issuesOf(() => loadHookConfig({ path: file({ constructor: {} }), env: {} }))[0]?.key).toBe('constructor');
  expect(({} as Record<string, unknown>).dir).toBeUndefined();
});

test('strict: a duration over its bound is refused with the allowed range', () => {
  const issues = issuesOf(() => loadHookConfig({ path: file({ drain: { budgetMs: 2 ** 31 } }), env: {} }));
  expect(issues).toEqual([{ key: 'drain.budgetMs', message: 'must be between 1000 and 3600000' }]);
});

test('strict: a misspelt environment variable is refused by loadHookConfig, never by the defaults commit falls back to', async () => {
  const error = await configErrorOf(() => loadHookConfig({ path: file({}), env: { BM_SPOOL_DR: '/x' } }));
  expect(error.source).toBe('environment');
  expect(error.issues).toEqual([{ key: 'BM_SPOOL_DR', message: 'unknown environment variable; did you mean BM_SPOOL_DIR? (fix the name or unset it)' }]);
  expect(defaultHookConfig({ BM_SPOOL_DR: '/x', BM_SPOOL_DIR: '/y' }).spool.dir).toBe('/y');
  const others = { BM_HOOK_NO_SYSLOG: '1', BM_AGENT_CONFIG: '/x', BM_NETBOX_REAL_STATE: '/x' };
  expect(loadHookConfig({ path: file({}), env: others }).spool.dir).toBe('/var/spool/bm-hook');
});
