/** The default BMC OUIs against the IEEE registry (the oui-data package, used only at test time). */
import { expect, test } from 'bun:test';
import registry from 'oui-data';
import { DEFAULT_BMC_OUIS } from '../../../hook/default-ouis.ts';
import { parseOui } from '../../../shared/mac.ts';

const vendorOf = (oui: string) => ((registry as Record<string, string>)[oui.replaceAll(':', '')] ?? '').split('\n')[0];

test('every default OUI is registered to the vendor it is listed under', () => {
  const wrong = DEFAULT_BMC_OUIS.filter((e) => vendorOf(e.oui) !== e.vendor).map(
    (e) => `${e.oui}: listed ${e.vendor}, registry ${vendorOf(e.oui) || 'unassigned'}`,
  );
  expect(wrong).toEqual([]);
});

test('the list is canonical and has no duplicates', () => {
  for (const e of DEFAULT_BMC_OUIS) expect(parseOui(e.oui) as string).toBe(e.oui);
  expect(new Set(DEFAULT_BMC_OUIS.map((e) => e.oui)).size).toBe(DEFAULT_BMC_OUIS.length);
});

test('it covers the BMC vendors operators run', () => {
  const vendors = new Set(DEFAULT_BMC_OUIS.map((e) => e.vendor));
  for (const v of [
    'Hewlett Packard Enterprise',
    'Dell Inc.',
    'Super Micro Computer, Inc.',
    'Lenovo',
    'Cisco Systems, Inc',
    'Fujitsu Technology Solutions GmbH',
    'GIGA-BYTE TECHNOLOGY CO.,LTD.',
    'ASRock Incorporation',
    'IEIT SYSTEMS Co., Ltd.',
    'HUAWEI TECHNOLOGIES CO.,LTD',
  ])
    expect(vendors.has(v)).toBe(true);
});

test("the proof of concept's wrong entries are corrected: Intel NIC OUIs are not BMC OUIs", () => {
  expect(vendorOf('A0:36:9F')).toBe('Intel Corporate');
  expect(vendorOf('B4:96:91')).toBe('Intel Corporate');
  const listed = new Set(DEFAULT_BMC_OUIS.map((e) => e.oui));
  expect(listed.has('A0:36:9F')).toBe(false);
  expect(listed.has('B4:96:91')).toBe(false);
  for (const dell of ['D0:94:66', '14:18:77', '18:FB:7B']) expect(DEFAULT_BMC_OUIS.find((e) => e.oui === dell)?.vendor).toBe('Dell Inc.');
  expect(DEFAULT_BMC_OUIS.find((e) => e.oui === '3C:A8:2A')?.vendor).toBe('Hewlett Packard');
});
