/** harden/device.ts: which devices bm-harden works on, and what it says when it will not. */
import { describe, expect, test } from 'bun:test';
import { eligibility, facetsOf, type HardenDevice } from '../../../harden/device.ts';
import { causeOf } from '../../../shared/failure.ts';
import { exitCodeFor } from '../../../shared/cli/errors.ts';
import { EXIT } from '../../../shared/cli/exit-codes.ts';

function device(status: string, oob: string | null, platform?: string): HardenDevice {
  return {
    id: 7,
    url: '',
    display: 'srv-7',
    name: 'srv-7',
    serial: 'S7',
    status: { value: status, label: status },
    device_type: {
      id: 1,
      url: '',
      display: 'R650',
      model: 'R650',
      slug: 'poweredge-r650',
      manufacturer: { id: 1, url: '', display: 'Dell', name: 'Dell', slug: 'dell' },
    },
    role: { id: 1, url: '', display: 'server', name: 'server', slug: 'server' },
    site: { id: 1, url: '', display: 'dc1', name: 'dc1', slug: 'dc1' },
    oob_ip: oob ? { id: 3, url: '', display: oob, address: oob, family: { value: 4, label: 'IPv4' } } : null,
    primary_ip4: null,
    custom_fields: {},
    ...(platform ? { platform: { id: 2, slug: platform } } : {}),
  } as HardenDevice;
}

describe('eligibility', () => {
  test('run hardens a staged device with an oob_ip, and re-verifies a ready one', () => {
    expect(eligibility(device('staged', '10.0.0.5/24'), 'run')).toBeNull();
    expect(eligibility(device('ready', '10.0.0.5/24'), 'run')).toBeNull();
  });

  test.each(['offline', 'discovered', 'active', 'failed'])('run refuses a %s device, saying nothing was changed (exit 1)', (status) => {
    const problem = eligibility(device(status, '10.0.0.5/24'), 'run');
    expect(problem?.message).toBe(
      `device srv-7 (#7) is ${status}, not staged: bm-harden run hardens staged devices (Phase 1 stages them); nothing was changed`,
    );
    expect(causeOf(problem)).toBe('check-failed');
    expect(exitCodeFor(problem)).toBe(EXIT.failed);
  });

  test('no oob_ip: refused in every mode, naming where the address comes from', () => {
    for (const mode of ['run', 'plan', 'check'] as const) expect(eligibility(device('staged', null), mode)?.message).toMatch(/has no oob_ip in NetBox/);
    expect(eligibility(device('discovered', null), 'pxe-boot')?.message).toMatch(/has no oob_ip in NetBox/);
  });

  test('pxe-boot powers on a discovered device, and a failed one (validation again after a fix)', () => {
    expect(eligibility(device('discovered', '10.0.0.5/24'), 'pxe-boot')).toBeNull();
    expect(eligibility(device('failed', '10.0.0.5/24'), 'pxe-boot')).toBeNull();
  });

  test.each(['offline', 'staged', 'ready', 'active'])('pxe-boot refuses a %s device, saying nothing was sent (exit 1)', (status) => {
    const problem = eligibility(device(status, '10.0.0.5/24'), 'pxe-boot');
    expect(problem?.message).toBe(
      `device srv-7 (#7) is ${status}, not discovered: bm-harden pxe-boot powers on discovered devices for validation ` +
        '(or failed ones, to validate again after a fix); nothing was sent to the BMC',
    );
    expect(exitCodeFor(problem)).toBe(EXIT.failed);
  });

  test('plan and check read any status', () => {
    expect(eligibility(device('active', '10.0.0.5/24'), 'plan')).toBeNull();
    expect(eligibility(device('offline', '10.0.0.5/24'), 'check')).toBeNull();
  });
});

test('facets: manufacturer and device type slugs, the platform when the device has one', () => {
  expect(facetsOf(device('staged', null))).toEqual({ manufacturer: 'dell', deviceType: 'poweredge-r650' });
  expect(facetsOf(device('staged', null, 'ubuntu-24'))).toEqual({ manufacturer: 'dell', deviceType: 'poweredge-r650', platform: 'ubuntu-24' });
});
