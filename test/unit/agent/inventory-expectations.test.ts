import { describe, expect, test } from 'bun:test';
import { compareWithPlan, diffExpectations, expectationsOf, validateExpectations, type DiffInput } from '../../../agent/inventory/expectations.ts';
import { checkModel, genericProductReason, namesMatch, normaliseVendorName, type ModelIdentifiers } from '../../../agent/inventory/model.ts';
import type { Inventory } from '../../../agent/inventory-types.ts';
import { inventoryTable } from '../../../agent/inventory/table.ts';

const GiB = 2 ** 30;

const inventory: Inventory = {
  system: { manufacturer: 'Dell Inc.', model: 'PowerEdge R640', serial: '4XK9QJ3', uuid: null },
  bios: { vendor: 'Dell Inc.', version: '2.17.1', releaseDate: null },
  baseboard: { manufacturer: 'Dell Inc.', model: '0CRT1G', serial: null },
  chassis: { manufacturer: 'Dell Inc.', type: 'Rack Mount Chassis', serial: '4XK9QJ3' },
  cpus: { sockets: 2, cores: 40, threads: 80, model: 'Intel Xeon Gold 6230' },
  memory: {
    totalBytes: 125 * GiB,
    dimms: [0, 1, 2, 3].map((i) => ({ slot: `A${i + 1}`, sizeBytes: 32 * GiB, type: 'DDR4', speedMTs: 2933, manufacturer: null, serial: null })),
  },
  disks: [
    { name: 'nvme0n1', path: '/dev/nvme0n1', sizeBytes: 960e9, model: 'Dell NVMe', serial: 'S1', mediaClass: 'nvme', removable: false, readOnly: false },
    { name: 'nvme1n1', path: '/dev/nvme1n1', sizeBytes: 960e9, model: 'Dell NVMe', serial: 'S2', mediaClass: 'nvme', removable: false, readOnly: false },
    { name: 'sdz', path: '/dev/sdz', sizeBytes: 16e9, model: 'USB stick', serial: null, mediaClass: 'unknown', removable: true, readOnly: false },
  ],
  nics: [
    { name: 'eno1', mac: 'B4:96:91:00:00:01', physical: true, driver: 'i40e', speedMbps: 10000, linkUp: true },
    { name: 'eno2', mac: 'B4:96:91:00:00:02', physical: true, driver: 'i40e', speedMbps: 10000, linkUp: false },
    { name: 'docker0', mac: '02:42:00:00:00:01', physical: false, driver: null, speedMbps: null, linkUp: false },
  ],
  bmc: { ip: '10.0.0.9', mac: 'D0:94:66:00:00:09' },
};

const iface = (name: string, mac: string | null, extra: Partial<DiffInput['interfaces'][number]> = {}): DiffInput['interfaces'][number] => ({
  name,
  mac_address: mac,
  mac_addresses: mac ? [{ id: 1, url: '', display: mac, mac_address: mac }] : [],
  mgmt_only: false,
  type: { value: '10gbase-x-sfpp', label: 'SFP+' },
  ...extra,
});

const device = {
  device_type: {
    id: 1,
    url: '',
    display: 'PowerEdge R640',
    model: 'PowerEdge R640',
    slug: 'r640',
    manufacturer: { id: 1, url: '', display: 'Dell', name: 'Dell', slug: 'dell' },
  },
};
const interfaces = [
  iface('eno1', 'B4:96:91:00:00:01'),
  iface('eno2', 'b4-96-91-00-00-02'),
  iface('idrac', 'D0:94:66:00:00:09', { mgmt_only: true }),
  iface('bond0', null, { type: { value: 'lag', label: 'LAG' } }),
];

const diff = (overrides: Partial<DiffInput> = {}) => diffExpectations({ inventory, device, interfaces, expectations: {}, ...overrides });

describe('planned vs actual', () => {
  test('a machine that matches its device type and interfaces has no differences', () => {
    expect(diff()).toEqual([]);
  });

  test('every expectation met gives no differences', () => {
    expect(
      diff({
        expectations: {
          cpu: { sockets: 2, cores: 40, threads: 80, modelContains: 'gold 6230' },
          memoryGB: 128,
          disks: { count: 2, minSizeGB: 800 },
          nics: { count: 2 },
        },
      }),
    ).toEqual([]);
  });

  test('wrong memory size is one difference naming memoryGB with both values', () => {
    expect(diff({ expectations: { memoryGB: 256 } })).toEqual([{ field: 'memoryGB', expected: '256 GiB ±5 %', actual: '128 GiB (DIMMs)' }]);
  });

  test('a memory range is checked against MemTotal when DMI lists no DIMMs', () => {
    const noDimms = { ...inventory, memory: { totalBytes: 23.5 * GiB, dimms: [] } };
    expect(diff({ inventory: noDimms, expectations: { memoryGB: 24 } })).toEqual([]);
    expect(diff({ inventory: noDimms, expectations: { memoryGB: { min: 32 } } })).toEqual([
      { field: 'memoryGB', expected: '32…∞ GiB', actual: '23.5 GiB (MemTotal)' },
    ]);
  });

  test('CPU, disk and NIC differences are each named', () => {
    const fields = diff({ expectations: { cpu: { sockets: 1, modelContains: 'EPYC' }, disks: { count: 4 }, nics: { count: 4 } } }).map((m) => m.field);
    expect(fields).toEqual(['cpu.sockets', 'cpu.model', 'disks.count', 'nics.count']);
  });

  test('removable disks and small disks do not count', () => {
    expect(diff({ expectations: { disks: { count: 1, minSizeGB: 900 } } })[0]).toMatchObject({ field: 'disks.count', expected: '1 of ≥ 900 GiB' });
  });

  test('a different device type model is a difference', () => {
    const other = { device_type: { ...device.device_type, model: 'PowerEdge R740' } };
    expect(diff({ device: other })).toEqual([{ field: 'model', expected: 'PowerEdge R740', actual: 'PowerEdge R640' }]);
  });

  test('bm_expect manufacturer/model override the device type', () => {
    expect(diff({ expectations: { manufacturer: 'HPE' } })).toEqual([{ field: 'manufacturer', expected: 'HPE', actual: 'Dell Inc.' }]);
  });

  test('a NetBox interface MAC missing on the machine is a difference', () => {
    const fields = diff({ interfaces: [...interfaces, iface('eno3', 'B4:96:91:00:00:03')] });
    expect(fields).toEqual([{ field: 'interfaces.eno3.mac', expected: 'B4:96:91:00:00:03', actual: 'not on this machine' }]);
  });

  test("a management interface is compared with the BMC's MAC", () => {
    expect(diff({ interfaces: [iface('idrac', 'D0:94:66:00:00:10', { mgmt_only: true })] })).toEqual([
      { field: 'interfaces.idrac.mac', expected: 'D0:94:66:00:00:10', actual: 'BMC D0:94:66:00:00:09' },
    ]);
  });

  test('interface checks can be turned off', () => {
    expect(diff({ interfaces: [iface('eno3', 'B4:96:91:00:00:03')], checkInterfaces: false })).toEqual([]);
  });

  test('unknown DMI identity (VMs) is not compared', () => {
    expect(diff({ inventory: { ...inventory, system: { manufacturer: '', model: '', serial: '', uuid: null } } })).toEqual([]);
  });
});

describe('vendor names', () => {
  test.each([
    ['Dell', 'Dell Inc.'],
    ['HPE', 'Hewlett Packard Enterprise'],
    ['HP', 'HPE'],
    ['Supermicro', 'Super Micro Computer, Inc.'],
    ['Lenovo', 'LENOVO'],
    ['ThinkSystem SR650 V2', 'ThinkSystem SR650 V2 -[7Z73CTO1WW]-'],
    ['R640', 'PowerEdge R640'],
  ])('%j matches %j', (a, b) => {
    expect(namesMatch(a, b)).toBe(true);
  });

  test.each([
    ['Dell', 'HPE'],
    ['PowerEdge R740', 'PowerEdge R640'],
    ['SYS-6019P-WTR', 'SYS-6029P-WTR'],
  ])('%j does not match %j', (a, b) => {
    expect(namesMatch(a, b)).toBe(false);
  });

  test('suffixes and punctuation are dropped', () => {
    expect(normaliseVendorName('Super Micro Computer, Inc.')).toBe('super micro');
  });
});

describe('model identification', () => {
  test.each([
    ['Super Server', 'Supermicro'],
    ['SuperServer', 'Supermicro'],
    ['Super Server', null],
    ['To Be Filled By O.E.M.', null],
    ['To be filled by O.E.M', null],
    ['System Product Name', 'System manufacturer'],
    ['Default string', null],
    ['$(DEFAULT_STRING)', null],
    ['Standard PC (Q35 + ICH9, 2009)', 'QEMU'],
    ['Standard PC (i440FX + PIIX, 1996)', 'QEMU'],
    ['All Series', 'ASUS'],
    ['Server', null],
    ['x86 Server', null],
    ['Supermicro', 'Supermicro'],
    ['VMware Virtual Platform', 'VMware, Inc.'],
    ['Virtual Machine', 'Microsoft Corporation'],
    ['', null],
  ])('%j (manufacturer %j) names no model', (product, manufacturer) => {
    expect(genericProductReason(product, manufacturer)).not.toBeNull();
  });

  test.each([
    ['PowerEdge R640', 'Dell Inc.'],
    ['ProLiant DL380 Gen10', 'HPE'],
    ['SYS-1029P-WTR', 'Supermicro'],
    ['SuperServer 1029P-WTR', 'Supermicro'],
    ['X11DPi-NT', 'Supermicro'],
    ['ThinkSystem SR650 V2 -[7Z73CTO1WW]-', 'Lenovo'],
    ['BM-E2E', 'QEMU'],
    ['868703-B21', 'HPE'],
  ])('%j (manufacturer %j) may name a model', (product, manufacturer) => {
    expect(genericProductReason(product, manufacturer)).toBeNull();
  });

  const superServer: ModelIdentifiers = { manufacturer: 'Supermicro', product: 'Super Server', sku: null, baseboard: 'X11DPi-NT' };
  test.each<[string, string, ModelIdentifiers, ReturnType<typeof checkModel>['verdict'], string | null]>([
    ['Super Server, NetBox has the system model: not identifiable (the board is not the system)', 'SYS-1029P-WTR', superServer, 'unidentifiable', null],
    ['Super Server, NetBox has the board as the model: match by baseboard', 'X11DPi-NT', superServer, 'match', 'baseboard'],
    ['Super Server whose SKU names the system model: match by SKU', 'SYS-1029P-WTR', { ...superServer, sku: 'SYS-1029P-WTR' }, 'match', 'sku'],
    [
      'a meaningful product that differs: differs',
      'PowerEdge R740',
      { manufacturer: 'Dell Inc.', product: 'PowerEdge R640', sku: null, baseboard: '0CRT1G' },
      'differs',
      null,
    ],
    ['a meaningful product that matches', 'R640', { manufacturer: 'Dell Inc.', product: 'PowerEdge R640', sku: null, baseboard: '0CRT1G' }, 'match', 'product'],
    [
      'NetBox models by part number: the SKU matches',
      '868703-B21',
      { manufacturer: 'HPE', product: 'ProLiant DL380 Gen10', sku: '868703-B21', baseboard: 'ProLiant DL380 Gen10' },
      'match',
      'sku',
    ],
    ['white box, no product name: the board matches', 'X470D4U', { manufacturer: null, product: null, sku: null, baseboard: 'X470D4U' }, 'match', 'baseboard'],
    [
      'white box, no product name, another model: not identifiable',
      '1U whitebox',
      { manufacturer: null, product: null, sku: null, baseboard: 'X470D4U' },
      'unidentifiable',
      null,
    ],
    [
      'QEMU machine type: not identifiable',
      'Standard PC (Q35 + ICH9, 2009)',
      { manufacturer: 'QEMU', product: 'Standard PC (Q35 + ICH9, 2009)', sku: null, baseboard: null },
      'unidentifiable',
      null,
    ],
    ['nothing at all (no SMBIOS): not identifiable', 'R640', { manufacturer: null, product: null, sku: null, baseboard: null }, 'unidentifiable', null],
  ])('%s', (_name, expected, dmi, verdict, by) => {
    const check = checkModel(expected, dmi);
    expect(check.verdict).toBe(verdict);
    if (check.verdict === 'match') expect(check.by).toBe(by as 'product' | 'sku' | 'baseboard');
  });

  test('"not identifiable" says why: the generic product and what else was tried', () => {
    expect(checkModel('SYS-1029P-WTR', superServer)).toEqual({
      verdict: 'unidentifiable',
      why: 'DMI product name "Super Server" is generic (only generic words); baseboard "X11DPi-NT" does not name "SYS-1029P-WTR"',
    });
    expect(checkModel('R640', { manufacturer: null, product: null, sku: null, baseboard: null })).toEqual({
      verdict: 'unidentifiable',
      why: 'DMI has no product name; no usable SKU or baseboard name',
    });
  });

  const supermicro: Inventory = {
    ...inventory,
    system: { manufacturer: 'Supermicro', model: 'Super Server', serial: 'A1029PWTR1A2B00', uuid: null },
    baseboard: { manufacturer: 'Supermicro', model: 'X11DPi-NT', serial: 'OM19AS01A2B00' },
    sku: null,
  };
  const supermicroType = {
    device_type: { ...device.device_type, model: 'SYS-1029P-WTR', manufacturer: { ...device.device_type.manufacturer, name: 'Supermicro' } },
  };

  test('a "Super Server" against NetBox model SYS-1029P-WTR: no mismatch, a "model not identifiable" warning', () => {
    expect(compareWithPlan({ inventory: supermicro, device: supermicroType, interfaces, expectations: {} })).toEqual({
      mismatches: [],
      warnings: [
        'model not identifiable: DMI product name "Super Server" is generic (only generic words); baseboard "X11DPi-NT" does not name "SYS-1029P-WTR"; NetBox expects "SYS-1029P-WTR" (not checked)',
      ],
    });
  });

  test('a machine whose DMI names nothing at all (a VM without SMBIOS) is not compared: no mismatch, no warning', () => {
    const noDmi: Inventory = {
      ...inventory,
      system: { manufacturer: '', model: '', serial: '', uuid: null },
      baseboard: { manufacturer: '', model: '', serial: null },
    };
    expect(compareWithPlan({ inventory: noDmi, device, interfaces, expectations: {} })).toEqual({ mismatches: [], warnings: [] });
    const whitebox: Inventory = { ...noDmi, baseboard: { manufacturer: 'ASRock', model: 'X470D4U', serial: null } };
    expect(compareWithPlan({ inventory: whitebox, device, interfaces, expectations: {} }).warnings).toEqual([
      'model not identifiable: DMI has no product name; baseboard "X470D4U" does not name "PowerEdge R640"; NetBox expects "PowerEdge R640" (not checked)',
    ]);
  });

  test('the same machine modelled in NetBox by its board passes without warning; a meaningful product that differs still fails', () => {
    const byBoard = { device_type: { ...supermicroType.device_type, model: 'X11DPi-NT' } };
    expect(compareWithPlan({ inventory: supermicro, device: byBoard, interfaces, expectations: {} })).toEqual({ mismatches: [], warnings: [] });
    const other = { device_type: { ...device.device_type, model: 'PowerEdge R740' } };
    expect(compareWithPlan({ inventory, device: other, interfaces, expectations: {} })).toEqual({
      mismatches: [{ field: 'model', expected: 'PowerEdge R740', actual: 'PowerEdge R640' }],
      warnings: [],
    });
  });
});

describe('memoryGB counts RAM, not persistent memory', () => {
  const PMEM = 129_408 * 2 ** 20;
  const dimms = Array.from({ length: 12 }, (_, i) => ({
    slot: `DIMM${i}`,
    sizeBytes: 32 * GiB,
    type: 'DDR4',
    speedMTs: 2933,
    manufacturer: null,
    serial: null,
  }));
  const pmem = (volatileBytes: number) =>
    Array.from({ length: 8 }, (_, i) => ({
      slot: `PMEM${i}`,
      sizeBytes: PMEM,
      technology: 'Intel Optane DC persistent memory',
      volatileBytes,
      nonVolatileBytes: PMEM - volatileBytes,
      manufacturer: 'Intel',
      serial: null,
    }));
  const withMemory = (memory: Inventory['memory']) => ({ ...inventory, memory });

  test('12 × 32 GB DRAM + 8 PMem in App Direct: memoryGB 384 passes, 1395 fails naming 384 GiB (DIMMs)', () => {
    const machine = withMemory({ totalBytes: 377 * GiB, dimms, persistent: pmem(0) });
    expect(diff({ inventory: machine, expectations: { memoryGB: 384 } })).toEqual([]);
    expect(diff({ inventory: machine, expectations: { memoryGB: 1395 } })).toEqual([
      { field: 'memoryGB', expected: '1395 GiB ±5 %', actual: '384 GiB (DIMMs)' },
    ]);
  });

  test('in Memory Mode the PMem is the RAM and says so', () => {
    const machine = withMemory({ totalBytes: 1000 * GiB, dimms, persistent: pmem(PMEM) });
    expect(diff({ inventory: machine, expectations: { memoryGB: 1011 } })).toEqual([]);
    expect(diff({ inventory: machine, expectations: { memoryGB: 384 } })).toEqual([
      { field: 'memoryGB', expected: '384 GiB ±5 %', actual: '1011 GiB (PMem in Memory Mode)' },
    ]);
  });

  test('the inventory table shows the RAM and the persistent memory on a row of its own', () => {
    const rows = Object.fromEntries(inventoryTable(withMemory({ totalBytes: 377 * GiB, dimms, persistent: pmem(0) })).rows.map(([k, v]) => [k, v]));
    expect(rows.memory).toBe('384 GiB in 12 DIMMs');
    expect(rows['persistent memory']).toBe('8 × Intel Optane DC persistent memory, 1011 GiB persistent, not counted as RAM');
    const memoryMode = Object.fromEntries(inventoryTable(withMemory({ totalBytes: 1000 * GiB, dimms, persistent: pmem(PMEM) })).rows.map(([k, v]) => [k, v]));
    expect(memoryMode.memory).toBe('1011 GiB PMem in Memory Mode (12 DIMMs of DRAM are its cache)');
    expect(memoryMode['persistent memory']).toBe('8 × Intel Optane DC persistent memory, 1011 GiB as RAM (Memory Mode)');
    expect(inventoryTable(inventory).rows.map(([k]) => k)).not.toContain('persistent memory');
  });
});

describe('bm_expect', () => {
  test('local context data beats the custom field, which beats config contexts, key by key', () => {
    // NetBox renders config_context with local context data already merged on top.
    const found = expectationsOf({
      config_context: { bm_expect: { memoryGB: 32, cpu: { sockets: 2, cores: 40 }, disks: { count: 4 } } },
      local_context_data: { bm_expect: { memoryGB: 32 } },
      custom_fields: { bm_expect: { memoryGB: 16, cpu: { cores: 32 } } },
    });
    expect(found).toEqual({
      expectations: { memoryGB: 32, cpu: { sockets: 2, cores: 32 }, disks: { count: 4 } },
      sources: ['config_context', 'custom_field', 'local_context_data'],
      issues: [],
    });
  });

  test('the custom field beats config contexts', () => {
    const found = expectationsOf({
      config_context: { bm_expect: { memoryGB: 64, nics: { count: 2 } } },
      local_context_data: null,
      custom_fields: { bm_expect: { memoryGB: 128 } },
    });
    expect(found).toEqual({ expectations: { memoryGB: 128, nics: { count: 2 } }, sources: ['config_context', 'custom_field'], issues: [] });
  });

  test('a rendered context that only repeats local context data is not counted as a source', () => {
    const found = expectationsOf({
      config_context: { bm_expect: { memoryGB: 32 } },
      local_context_data: { bm_expect: { memoryGB: 32 } },
      custom_fields: { bm_expect: null },
    });
    expect(found).toEqual({ expectations: { memoryGB: 32 }, sources: ['local_context_data'], issues: [] });
  });

  test('a custom field holding JSON text is parsed', () => {
    expect(expectationsOf({ config_context: {}, local_context_data: null, custom_fields: { bm_expect: '{"nics":{"count":2}}' } })).toEqual({
      expectations: { nics: { count: 2 } },
      sources: ['custom_field'],
      issues: [],
    });
  });

  test('a custom field that is not an object names where it is', () => {
    expect(expectationsOf({ config_context: { bm_expect: { memoryGB: 8 } }, local_context_data: null, custom_fields: { bm_expect: [1, 2] } }).issues).toEqual([
      'bm_expect in the custom field must be an object',
    ]);
  });

  test('no bm_expect anywhere means no expectations and no source', () => {
    expect(expectationsOf({ config_context: {}, local_context_data: null, custom_fields: {} })).toEqual({ expectations: {}, sources: [], issues: [] });
  });

  test('wrong types and unknown keys are reported, not ignored', () => {
    const { issues } = validateExpectations({ memoryGB: 'lots', cpu: { socket: 2 }, disk: {} });
    expect(issues).toEqual([
      'bm_expect.disk is not a known expectation (known: manufacturer, model, cpu, memoryGB, disks, nics)',
      'bm_expect.cpu.socket is not a known expectation (known: sockets, cores, threads, modelContains)',
      'bm_expect.memoryGB must be a number or {min, max}',
    ]);
  });

  test('the ajv schema names each bad key in the same words', () => {
    const bad = { manufacturer: ' ', cpu: { sockets: -1, cores: 2.5, modelContains: '' }, disks: { count: 1, minSizeGB: -5 }, nics: 'two' };
    expect(validateExpectations(bad).issues).toEqual([
      'bm_expect.manufacturer must be a non-empty string',
      'bm_expect.cpu.sockets must be a non-negative integer',
      'bm_expect.cpu.cores must be a non-negative integer',
      'bm_expect.cpu.modelContains must be a non-empty string',
      'bm_expect.disks.minSizeGB must be a non-negative number',
      'bm_expect.nics must be an object',
    ]);
    expect(validateExpectations({ memoryGB: -1 }).issues).toEqual(['bm_expect.memoryGB must be a non-negative number']);
    expect(validateExpectations({ memoryGB: { min: -1, mx: 4 } }).issues).toEqual([
      'bm_expect.memoryGB.mx is not a known expectation (known: min, max)',
      'bm_expect.memoryGB.min must be a non-negative number',
    ]);
    expect(validateExpectations([1]).issues).toEqual(['bm_expect must be an object']);
  });

  test('valid expectations come back as given; invalid ones are not applied', () => {
    const valid = { manufacturer: 'Dell', cpu: { sockets: 2, modelContains: 'Gold' }, memoryGB: { min: 64 }, disks: { count: 2, minSizeGB: 800.5 } };
    expect(validateExpectations(valid)).toEqual({ expectations: valid, issues: [] });
    const invalid = validateExpectations({ memoryGB: 64, nics: { count: -2 } });
    expect(invalid).toEqual({ expectations: {}, issues: ['bm_expect.nics.count must be a non-negative integer'] });
  });

  test('a forbidden key in any source is an issue naming the source, and Object.prototype stays clean', () => {
    const field = '{"__proto__": {"polluted": 1}, "cpu": {"constructor": 1}}';
    const found = expectationsOf({ config_context: { bm_expect: { memoryGB: 8 } }, local_context_data: null, custom_fields: { bm_expect: field } });
    expect(found.issues).toEqual([
      'bm_expect.__proto__ in the custom field: forbidden key: __proto__, constructor, prototype are never config keys',
      'bm_expect.cpu.constructor in the custom field: forbidden key: __proto__, constructor, prototype are never config keys',
    ]);
    expect(found.expectations).toEqual({});
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
