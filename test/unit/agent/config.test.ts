import { describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cmdlineLayer, loadAgentConfig } from '../../../agent/config.ts';
import { bmParameters, splitCmdline } from '../../../agent/kernel-cmdline.ts';
import { parseSetOptions, resolveTunables } from '../../../agent/tunables.ts';
import { ConfigError } from '../../../shared/config.ts';
import type { Step } from '../../../agent/step.ts';

const CMDLINE =
  'BOOT_IMAGE=/vmlinuz console=ttyS0,115200 bm.netbox_url=https://nb.example bm.token_file=/run/token bm.profile=quick bm.disk.allow_write=1 "bm.note=two words" bm.callback_url=http://cb.example/hook quiet';

describe('kernel command line', () => {
  test('splits on spaces and keeps quoted groups', () => {
    expect(splitCmdline('a b="c d" "e f"  g')).toEqual(['a', 'b=c d', 'e f', 'g']);
  });
  test('bm.* parameters become settings; others are ignored', () => {
    expect(bmParameters(CMDLINE)).toEqual({
      netbox_url: 'https://nb.example',
      token_file: '/run/token',
      profile: 'quick',
      'disk.allow_write': '1',
      note: 'two words',
      callback_url: 'http://cb.example/hook',
    });
  });
  test('top-level keys map to config and area.knob keys to step settings', () => {
    // bm.note is not a kernel parameter of the agent (refused: config-strict.test.ts); the rest map to config.
    const { layer } = cmdlineLayer(CMDLINE.replace('"bm.note=two words" ', ''));
    expect(layer).toMatchObject({
      netbox: { url: 'https://nb.example', tokenFile: '/run/token' },
      profile: 'quick',
      callback: { url: 'http://cb.example/hook' },
      steps: { disk: { allow_write: '1' } },
    });
    expect(cmdlineLayer('bm.config_url=http://cfg/x.json').configUrl).toBe('http://cfg/x.json');
  });
});

describe('layering', () => {
  const file = (content: unknown) => {
    const path = join(mkdtempSync(join(tmpdir(), 'agentcfg-')), 'config.json');
    writeFileSync(path, JSON.stringify(content));
    return path;
  };

  test('CLI beats environment beats file beats kernel command line beats config_url', async () => {
    const config = await loadAgentConfig({
      cli: { profile: 'full' },
      env: { NETBOX_URL: 'http://env' },
      configPath: file({ netbox: { url: 'http://file', token: 't' }, evidenceDir: '/file' }),
      cmdline: 'bm.netbox_url=http://cmdline bm.profile=quick bm.evidence_dir=/cmdline bm.config_url=http://cfg',
      fetchConfigUrl: async () => ({ onFailure: 'leave', evidenceDir: '/fetched', logLevel: 'debug' }),
    });
    expect(config).toMatchObject({ profile: 'full', netbox: { url: 'http://env', token: 't' }, evidenceDir: '/file', onFailure: 'leave', logLevel: 'debug' });
  });

  test('defaults apply with no sources', async () => {
    const config = await loadAgentConfig({ cli: {}, env: {}, configPath: undefined, cmdline: '' });
    expect(config).toEqual({
      profile: 'full',
      evidenceDir: '/var/lib/bm-agent/runs',
      onFailure: 'failed',
      deliveryDeadlineMs: 1800000,
      stepLayers: [],
      logLevel: 'info',
    });
  });

  test('errors name the key, whatever the source', async () => {
    const bad = await loadAgentConfig({ cli: {}, env: {}, cmdline: 'bm.profile=fast' }).catch((e) => e);
    expect(bad).toBeInstanceOf(ConfigError);
    expect(bad.issues[0]).toEqual({ key: 'profile', message: 'must be one of "quick", "full"' });
    const typo = await loadAgentConfig({ cli: {}, env: {}, cmdline: '', configPath: file({ onFailur: 'leave' }) }).catch((e) => e);
    expect(typo.issues[0]).toEqual({ key: 'onFailur', message: 'unknown key (check the spelling); did you mean onFailure?' });
  });
});

describe('step settings', () => {
  const disk: Pick<Step, 'id' | 'tunables'> = {
    id: '03-disk',
    tunables: {
      allow_write: { default: false, description: '' },
      runtime_s: { default: 60, profiles: { quick: 3 }, description: '' },
      devices: { default: '', description: '' },
    },
  };
  test('profile defaults, then config, then --set; values coerced to the default type', () => {
    expect(resolveTunables(disk, 'quick', [])).toEqual({ allow_write: false, runtime_s: 3, devices: '' });
    expect(
      resolveTunables(disk, 'full', [
        { source: 'cmdline', values: { disk: { allow_write: '1', runtime_s: '30' } } },
        { source: '--set', values: parseSetOptions(['disk.devices=/dev/loop1,/dev/loop2']) },
      ]),
    ).toEqual({
      allow_write: true,
      runtime_s: 30,
      devices: '/dev/loop1,/dev/loop2',
    });
  });
  test('an unknown knob or a bad value is named as bm.area.knob', () => {
    expect(() => resolveTunables(disk, 'full', [{ source: 'cmdline', values: { disk: { alow_write: '1' } } }])).toThrow(
      /bm\.disk\.alow_write: unknown setting/,
    );
    expect(() => resolveTunables(disk, 'full', [{ source: 'cmdline', values: { disk: { runtime_s: 'long' } } }])).toThrow(
      /bm\.disk\.runtime_s: "long" is not a number/,
    );
    expect(() => parseSetOptions(['disk'])).toThrow(ConfigError);
  });
});
