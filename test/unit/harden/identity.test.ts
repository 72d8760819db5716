/** harden/identity.ts: is the BMC at the oob_ip the device's? Serial (and MAC) verdicts, and the refusal. */
import { describe, expect, test } from 'bun:test';
import { identityRefusal, judgeIdentity } from '../../../harden/identity.ts';
import { identityRows } from '../../../harden/report.ts';
import { exitCodeFor } from '../../../shared/cli/errors.ts';
import { EXIT } from '../../../shared/cli/exit-codes.ts';
import { causeOf, classifyFailure } from '../../../shared/failure.ts';

describe('judgeIdentity', () => {
  test('the same serial on both sides is proved, compared as shared/serial.ts normalises (case, spaces, dashes)', () => {
    expect(judgeIdentity({ netboxSerial: 'CZ3A0456DM', bmcSerial: 'CZ3A0456DM' }).result).toBe('proved');
    const verdict = judgeIdentity({ netboxSerial: 'cz3a-0456 dm', bmcSerial: ' CZ3A0456DM ' });
    expect(verdict.result).toBe('proved');
    expect(verdict.summary).toBe('identity proved: serial "cz3a-0456 dm" on both');
  });

  test('another serial is a mismatch naming both values', () => {
    const verdict = judgeIdentity({ netboxSerial: 'CZ3A0456DM', bmcSerial: 'J8X2K11' });
    expect(verdict.result).toBe('mismatch');
    expect(verdict.serial).toEqual({ netbox: '"CZ3A0456DM"', bmc: '"J8X2K11"', result: 'differ' });
    expect(verdict.summary).toBe('identity MISMATCH: the BMC reports serial "J8X2K11", the NetBox device has "CZ3A0456DM"');
  });

  test.each([
    ['', 'CZ3A0456DM', 'the NetBox device has no serial'],
    ['CZ3A0456DM', undefined, 'the BMC reports no SerialNumber'],
    ['To be filled by O.E.M.', 'To be filled by O.E.M.', 'NetBox\'s serial is a placeholder (generic phrase "filledby")'],
    ['CZ3A0456DM', '0123456789', "the BMC's SerialNumber is a placeholder (a run of consecutive digits)"],
  ])('NetBox %j, BMC %j: not proved (%s)', (netboxSerial, bmcSerial, note) => {
    const verdict = judgeIdentity({ netboxSerial, bmcSerial });
    expect(verdict.result).toBe('unproved');
    expect(verdict.serial.note).toBe(note);
    expect(verdict.summary).toStartWith(`identity NOT PROVED: ${note}`);
  });

  test("MACs: one of the BMC's on the management interface agrees; none is a mismatch even when the serials agree", () => {
    const agree = judgeIdentity({
      netboxSerial: 'CZ3A0456DM',
      bmcSerial: 'CZ3A0456DM',
      bmcMacs: ['94-40-c9-01-0a-56', 'aa:bb:cc:00:00:01'],
      netboxMacs: ['94:40:C9:01:0A:56'],
    });
    expect(agree.result).toBe('proved');
    expect(agree.mac.result).toBe('agree');
    expect(agree.summary).toContain("its MAC 94:40:C9:01:0A:56, AA:BB:CC:00:00:01 is on the device's management interface");
    const differ = judgeIdentity({ netboxSerial: 'CZ3A0456DM', bmcSerial: 'CZ3A0456DM', bmcMacs: ['aa:bb:cc:00:00:01'], netboxMacs: ['94:40:c9:01:0a:56'] });
    expect(differ.result).toBe('mismatch');
    expect(differ.summary).toBe(
      'identity MISMATCH: serial "CZ3A0456DM"; its MAC AA:BB:CC:00:00:01 is not on the device\'s management interface (94:40:C9:01:0A:56)',
    );
  });

  test('MACs unknown on either side decide nothing: the serial does', () => {
    expect(judgeIdentity({ netboxSerial: 'CZ3A0456DM', bmcSerial: 'CZ3A0456DM', bmcMacs: ['aa:bb:cc:00:00:01'], netboxMacs: [] }).result).toBe('proved');
    expect(judgeIdentity({ netboxSerial: '', bmcSerial: 'CZ3A0456DM', bmcMacs: ['aa:bb:cc:00:00:01'], netboxMacs: ['aa:bb:cc:00:00:01'] }).result).toBe(
      'unproved',
    );
  });
});

describe('identityRefusal', () => {
  test('a mismatch: both serials, nothing changed, what to check; permanent, device-ambiguous, exit 1', () => {
    const error = identityRefusal('srv-7 (#7)', 'run', 'https://10.0.0.5', 'staged', judgeIdentity({ netboxSerial: 'CZ3A0456DM', bmcSerial: 'J8X2K11' }));
    expect(error.message).toBe(
      'bm-harden run refused for device srv-7 (#7): identity MISMATCH: the BMC reports serial "J8X2K11", the NetBox device has "CZ3A0456DM". ' +
        'Nothing was changed (no Redfish write, no Ansible, status stays staged); the BMC at https://10.0.0.5 belongs to another machine, ' +
        "or NetBox's record is wrong: check the device's oob_ip (stale IPAM, swapped cables) and its serial, then run it again",
    );
    expect(classifyFailure(error)).toBe('permanent');
    expect(causeOf(error)).toBe('device-ambiguous');
    expect(exitCodeFor(error)).toBe(EXIT.failed);
    expect(error.toJSON().details).toMatchObject({ result: 'mismatch', serial: { result: 'differ' } });
  });

  test('not proved: check-failed, exit 1, the fix is recording the serial', () => {
    const error = identityRefusal('srv-7 (#7)', 'pxe-boot', 'https://10.0.0.5', 'discovered', judgeIdentity({ netboxSerial: '', bmcSerial: 'J8X2K11' }));
    expect(error.message).toContain('identity NOT PROVED: the NetBox device has no serial');
    expect(error.message).toContain("record the server's serial in NetBox");
    expect(causeOf(error)).toBe('check-failed');
    expect(exitCodeFor(error)).toBe(EXIT.failed);
  });
});

describe('identityRows', () => {
  test('the serial row always, the MAC row when the BMC listed NICs', () => {
    expect(identityRows(judgeIdentity({ netboxSerial: 'CZ3A0456DM', bmcSerial: 'J8X2K11' }))).toEqual([
      ['identity.serial', '"CZ3A0456DM"', '"J8X2K11"', 'MISMATCH'],
    ]);
    expect(identityRows(judgeIdentity({ netboxSerial: 'CZ3A0456DM', bmcSerial: 'CZ3A0456DM', bmcMacs: ['aa:bb:cc:00:00:01'] }))).toEqual([
      ['identity.serial', '"CZ3A0456DM"', '"CZ3A0456DM"', 'ok'],
      ['identity.mac', '(none)', 'AA:BB:CC:00:00:01', "not proved (no MAC on the device's management interface in NetBox)"],
    ]);
  });
});
