/** harden/pxe-boot.ts, the pure parts: what is read of a System, what is sent, what is warned, and the bounded wait for On. */
import { describe, expect, test } from 'bun:test';
import { judgeIdentity } from '../../../harden/identity.ts';
import {
  chooseResetType,
  overrideWarnings,
  PXE_BOOT_HEADLINE,
  PxeBootError,
  type PxeSystem,
  parsePxeSystem,
  planPxeBoot,
  pxeJournalMarkdown,
  waitForPowerOn,
} from '../../../harden/pxe-boot.ts';
import { RedfishError } from '../../../harden/redfish.ts';
import { exitCodeFor } from '../../../shared/cli/errors.ts';
import { EXIT } from '../../../shared/cli/exit-codes.ts';

/** A ComputerSystem as sushy-tools 2.2.0 serves it (trimmed). */
const SUSHY_SYSTEM = {
  Id: 'abc',
  PowerState: 'Off',
  Boot: {
    BootSourceOverrideEnabled: 'Continuous',
    BootSourceOverrideTarget: 'Hdd',
    'BootSourceOverrideTarget@Redfish.AllowableValues': ['Pxe', 'Cd', 'Hdd', 'UefiHttp'],
  },
  Actions: {
    '#ComputerSystem.Reset': {
      target: '/redfish/v1/Systems/abc/Actions/ComputerSystem.Reset',
      'ResetType@Redfish.AllowableValues': ['On', 'ForceOff', 'GracefulShutdown', 'GracefulRestart', 'ForceRestart', 'Nmi', 'ForceOn'],
    },
  },
};

describe('parsePxeSystem and planPxeBoot', () => {
  test("sushy's System: power, boot override and the reset action with its allowed values", () => {
    expect(parsePxeSystem('/redfish/v1/Systems/abc', SUSHY_SYSTEM)).toEqual({
      path: '/redfish/v1/Systems/abc',
      powerState: 'Off',
      bootTarget: 'Hdd',
      bootEnabled: 'Continuous',
      allowedTargets: ['Pxe', 'Cd', 'Hdd', 'UefiHttp'],
      resetTarget: '/redfish/v1/Systems/abc/Actions/ComputerSystem.Reset',
      allowedResets: ['On', 'ForceOff', 'GracefulShutdown', 'GracefulRestart', 'ForceRestart', 'Nmi', 'ForceOn'],
    });
  });

  test('off: PATCH Pxe/Once, then reset On', () => {
    expect(planPxeBoot(parsePxeSystem('/redfish/v1/Systems/abc', SUSHY_SYSTEM), 'https://bmc')).toEqual({
      boot: { Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once' } },
      resetTarget: '/redfish/v1/Systems/abc/Actions/ComputerSystem.Reset',
      resetType: 'On',
    });
  });

  test.each([
    ['Off', undefined, 'On'],
    ['Off', ['ForceOn', 'ForceOff'], 'ForceOn'],
    ['PoweringOff', ['On'], 'On'],
    ['On', undefined, 'ForceRestart'],
    ['On', ['GracefulRestart', 'PowerCycle'], 'PowerCycle'],
    ['PoweringOn', ['ForceRestart'], 'ForceRestart'],
    [undefined, ['GracefulRestart'], 'GracefulRestart'],
    ['On', ['On', 'ForceOff'], undefined],
  ] as const)('PowerState %p, allowed %p: reset %p', (power, allowed, expected) => {
    expect(chooseResetType(power, allowed as readonly string[] | undefined)).toBe(expected);
  });

  test('a BMC without Pxe among its targets, without the Reset action, or without a usable reset type: refused before anything is sent', () => {
    const base: PxeSystem = { path: '/redfish/v1/Systems/1', powerState: 'On', resetTarget: '/r' };
    const cases: [PxeSystem, RegExp][] = [
      [{ ...base, allowedTargets: ['Hdd', 'Cd'] }, /does not offer Pxe as a boot override target \(it allows Hdd, Cd\); nothing was sent/],
      [{ path: base.path, powerState: 'On' }, /offers no ComputerSystem\.Reset action on \/redfish\/v1\/Systems\/1; nothing was sent/],
      [
        { ...base, allowedResets: ['ForceOff'] },
        /allows no reset that powers the server into a restart \(PowerState On; it allows ForceOff\); nothing was sent/,
      ],
    ];
    for (const [system, message] of cases) {
      const error = (() => {
        try {
          planPxeBoot(system, 'https://bmc');
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(PxeBootError);
      expect((error as Error).message).toMatch(message);
      expect(exitCodeFor(error)).toBe(EXIT.internal);
    }
  });
});

describe('overrideWarnings', () => {
  test('Pxe/Once kept: no warning; Continuous (sushy-tools) and a target gone: a warning each', () => {
    expect(overrideWarnings({ bootTarget: 'Pxe', bootEnabled: 'Once' })).toEqual([]);
    expect(overrideWarnings({ bootTarget: 'Pxe', bootEnabled: 'Continuous' })[0]).toContain(
      'BootSourceOverrideEnabled Continuous, not Once: the server may network-boot on every restart',
    );
    expect(overrideWarnings({ bootTarget: 'None', bootEnabled: 'Disabled' })[0]).toContain(
      'BootSourceOverrideTarget None, not Pxe, after the power-on: it may have used the one-time override already',
    );
  });
});

/** A fake clock: sleeping advances time at once (no real waits). */
function fakeClock() {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    clock: {
      now: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
      random: () => 0.5,
    },
  };
}

const system = (powerState?: string): PxeSystem => ({ path: '/s', ...(powerState ? { powerState } : {}), bootTarget: 'Pxe', bootEnabled: 'Once' });

describe('waitForPowerOn', () => {
  test('polls until On, waiting between reads; a read that fails on the network in between is tried again', async () => {
    const answers: (PxeSystem | Error)[] = [
      system('Off'),
      new RedfishError('unreachable', 'BMC unreachable', 'https://bmc/s'),
      system('PoweringOn'),
      system('On'),
    ];
    const { clock, sleeps } = fakeClock();
    let reads = 0;
    const result = await waitForPowerOn(
      async () => {
        const next = answers[reads++]!;
        if (next instanceof Error) throw next;
        return next;
      },
      120_000,
      clock,
    );
    expect(result.powerState).toBe('On');
    expect(reads).toBe(4);
    expect(sleeps).toHaveLength(3);
    for (const ms of sleeps) expect(ms).toBeGreaterThanOrEqual(500);
  });

  test('still off at the deadline: a timeout naming the wait and the last PowerState (exit 4)', async () => {
    const { clock } = fakeClock();
    const error = await waitForPowerOn(async () => system('Off'), 10_000, clock).catch((e) => e);
    expect(error).toBeInstanceOf(PxeBootError);
    expect(error.message).toBe('the server did not report PowerState On within 10 s (last: Off)');
    expect(exitCodeFor(error)).toBe(EXIT.internal);
  });

  test('wrong credentials while waiting: thrown at once, not waited out', async () => {
    const { clock, sleeps } = fakeClock();
    const refused = new RedfishError('credentials', 'BMC refused the credentials', 'https://bmc/s', 401);
    const error = await waitForPowerOn(
      async () => {
        throw refused;
      },
      60_000,
      clock,
    ).catch((e) => e);
    expect(error).toBe(refused);
    expect(sleeps).toEqual([]);
  });
});

describe('pxeJournalMarkdown', () => {
  test('the headline, what was sent, what the BMC said, the warnings and the identity table', () => {
    const text = pxeJournalMarkdown({
      bmc: 'https://10.0.0.5',
      identity: judgeIdentity({ netboxSerial: 'CZ3A0456DM', bmcSerial: 'CZ3A0456DM' }),
      runId: '20261201T1200-abc123',
      powerBefore: 'Off',
      powerAfter: 'On',
      resetType: 'On',
      boot: { target: 'Pxe', enabled: 'Continuous' },
      warnings: ['the BMC reports BootSourceOverrideEnabled Continuous, not Once'],
      durationMs: 7400,
    });
    expect(text.split('\n')[0]).toBe(`**${PXE_BOOT_HEADLINE}**`);
    expect(text).toContain('ComputerSystem.Reset `On`; PowerState Off → On. The BMC now reports BootSourceOverrideTarget `Pxe`');
    expect(text).toContain('BootSourceOverrideEnabled `Continuous`. 7.4 s. Marker: `bm-harden pxe-boot 20261201T1200-abc123`');
    expect(text).toContain('⚠️ the BMC reports BootSourceOverrideEnabled Continuous, not Once');
    expect(text).toContain('| identity.serial | "CZ3A0456DM" | "CZ3A0456DM" | ok |');
  });
});
