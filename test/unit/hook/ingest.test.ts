/** The fast path's own pieces: the OUI check without building the set, and stderr written synchronously. */
import { expect, spyOn, test } from 'bun:test';
import { ouiSetOf, type HookConfig } from '../../../hook/config.ts';
import { DEFAULT_BMC_OUIS } from '../../../hook/default-ouis.ts';
import { isBmcOui } from '../../../hook/ingest.ts';
import { writeStderrLine } from '../../../hook/main.ts';
import { macMatchesOui, parseMac, parseOui, type Mac } from '../../../shared/mac.ts';

test('the built-in OUIs are stored canonical (isBmcOui compares them as they are)', () => {
  for (const { oui } of DEFAULT_BMC_OUIS) expect(parseOui(oui)).toBe(oui as never);
});

test('isBmcOui answers what the OUI set answers, for extend and replace, any spelling of the entries', () => {
  const configs: HookConfig['ouis'][] = [
    { mode: 'extend', entries: [] },
    { mode: 'extend', entries: [{ oui: '02-00-00', vendor: 'Lab' }] },
    { mode: 'replace', entries: [{ oui: '020000', vendor: 'Lab' }] },
    { mode: 'replace', entries: [{ oui: 'd0:94:66', vendor: 'Dell' }] },
    { mode: 'replace', entries: [] },
  ];
  const macs = ['94:40:c9:00:00:01', 'D0:94:66:12:34:56', '02:00:00:aa:bb:cc', 'a0:36:9f:01:02:03', ...DEFAULT_BMC_OUIS.map((e) => `${e.oui}:01:02:03`)].map(
    (text) => parseMac(text) as Mac,
  );
  for (const ouis of configs) {
    const set = ouiSetOf({ ouis }).set;
    for (const mac of macs) expect({ mac, mode: ouis.mode, bmc: isBmcOui(mac, ouis) }).toEqual({ mac, mode: ouis.mode, bmc: macMatchesOui(mac, set) });
  }
});

test('writeStderrLine writes the line to fd 2 in one call', () => {
  const calls: [number, string][] = [];
  writeStderrLine('<6>bm-hook[1]: INFO x', (fd, text) => {
    calls.push([fd, text]);
    return Buffer.byteLength(text);
  });
  expect(calls).toEqual([[2, '<6>bm-hook[1]: INFO x\n']]);
});

test('writeStderrLine hands what a blocked or short write left to process.stderr', () => {
  const stream = spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    writeStderrLine('abcdef', () => {
      throw Object.assign(new Error('EAGAIN'), { code: 'EAGAIN' });
    });
    writeStderrLine('abcdef', () => 4);
    expect(stream.mock.calls.map(([chunk]) => Buffer.from(chunk as Uint8Array).toString())).toEqual(['abcdef\n', 'ef\n']);
  } finally {
    stream.mockRestore();
  }
});
