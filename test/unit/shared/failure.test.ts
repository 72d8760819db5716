/**
 * The one failure vocabulary: every row of classifyFailure's and causeOf's tables,
 * the exit code of a cause, and every error of the NetBox module, the hook and the
 * delivery serialising to {type, message, details}.
 */
import { describe, expect, test } from 'bun:test';
import { CallbackHttpError, DeliveryError } from '../../../agent/deliver.ts';
import { DeviceRefusedError, IpInPopulatedRangeError, StatusChoiceMissingError } from '../../../hook/actions.ts';
import { NetboxNotConfiguredError } from '../../../hook/drain.ts';
import { VrfNotFoundError } from '../../../hook/observe.ts';
import { exitCodeFor } from '../../../shared/cli/errors.ts';
import { EXIT } from '../../../shared/cli/exit-codes.ts';
import { ConfigError } from '../../../shared/config.ts';
import { BmError, serialiseError } from '../../../shared/errors.ts';
import { causeOf, classifyFailure, classifyHttpStatus, isNetworkFailure } from '../../../shared/failure.ts';
import { InvalidMacError } from '../../../shared/mac.ts';
import {
  AmbiguousMatchError,
  NetboxAbortedError,
  NetboxHttpError,
  NetboxNetworkError,
  NetboxResponseError,
  NetboxTimeoutError,
} from '../../../shared/netbox/index.ts';

const DENIED = { detail: 'You do not have permission to perform this action.' };
const http = (status: number, body: unknown = '') => new NetboxHttpError('GET', '/api/dcim/devices/', status, body);
const errno = (code: string, message = code) => Object.assign(new TypeError(message), { code });
const named = (name: string) => Object.assign(new Error(name), { name });

describe('classifyFailure: every row of the table', () => {
  test('errors declaring their class are taken at their word', () => {
    expect(classifyFailure(new NetboxNotConfiguredError('no URL'))).toBe('retry-later');
    expect(classifyFailure(new VrfNotFoundError('oob'))).toBe('retry-later');
    expect(classifyFailure(new CallbackHttpError('http://cb/', 503, ''))).toBe('retry-now');
    expect(classifyFailure(new CallbackHttpError('http://cb/', 500, ''))).toBe('retry-later');
    expect(classifyFailure(new CallbackHttpError('http://cb/', 404, ''))).toBe('permanent');
    // A NetBox refusal the FSM has a row for, escaping the re-decision, fails the event.
    expect(classifyFailure(new StatusChoiceMissingError('discovered'))).toBe('permanent');
    expect(causeOf(new StatusChoiceMissingError('discovered'))).toBe('netbox-refused');
  });
  test('network errors, ours and those of fetch/ky/node, are retry-now', () => {
    expect(classifyFailure(new NetboxNetworkError('GET', '/', errno('ECONNREFUSED')))).toBe('retry-now');
    for (const code of [
      'ECONNREFUSED',
      'ECONNRESET',
      'ENOTFOUND',
      'EAI_AGAIN',
      'ETIMEDOUT',
      'EHOSTUNREACH',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'CERT_HAS_EXPIRED',
    ]) {
      expect(classifyFailure(errno(code))).toBe('retry-now');
    }
    expect(classifyFailure(Object.assign(new TypeError('fetch failed'), { cause: errno('ECONNRESET') }))).toBe('retry-now');
    expect(classifyFailure(named('TimeoutError'))).toBe('retry-now'); // ky's TimeoutError, AbortSignal.timeout()
  });
  test('a per-request timeout is retry-now, a spent deadline retry-later', () => {
    expect(classifyFailure(new NetboxTimeoutError('GET', '/', 10, 'request'))).toBe('retry-now');
    expect(classifyFailure(new NetboxTimeoutError('GET', '/', 10, 'deadline'))).toBe('retry-later');
  });
  test('429, 502, 503, 504 are retry-now', () => {
    for (const status of [429, 502, 503, 504]) expect(classifyFailure(http(status))).toBe('retry-now');
  });
  test('a malformed 2xx body is retry-now', () => {
    expect(classifyFailure(new NetboxResponseError('GET', '/', 'malformed JSON (3 bytes)'))).toBe('retry-now');
  });
  test('500 and other 5xx are retry-later', () => {
    for (const status of [500, 501, 505, 599]) expect(classifyFailure(http(status))).toBe('retry-later');
  });
  test('401 and a 403 refusing the token are retry-later', () => {
    expect(classifyFailure(http(401))).toBe('retry-later');
    for (const detail of ['Invalid v1 token', 'Token expired', 'Token disabled']) expect(classifyFailure(http(403, { detail }))).toBe('retry-later');
  });
  test('a 403 naming a missing permission is permanent', () => {
    expect(classifyFailure(http(403, DENIED))).toBe('permanent');
  });
  test('other 4xx are permanent', () => {
    for (const status of [400, 404, 405, 409, 413]) expect(classifyFailure(http(status))).toBe('permanent');
  });
  test('aborted is permanent', () => {
    expect(classifyFailure(new NetboxAbortedError('GET', '/'))).toBe('permanent');
    expect(classifyFailure(named('AbortError'))).toBe('permanent');
    expect(classifyFailure(new DeliveryError('callback', new Error('x'), 'aborted'))).toBe('permanent');
  });
  test('unknown errors (bugs) are permanent', () => {
    expect(classifyFailure(new TypeError("cannot read properties of undefined (reading 'id')"))).toBe('permanent');
    expect(classifyFailure(new RangeError('too many'))).toBe('permanent');
    expect(classifyFailure('a string')).toBe('permanent');
    expect(classifyFailure(undefined)).toBe('permanent');
    expect(isNetworkFailure(errno('EACCES'))).toBe(false);
  });
  test('one status table for NetBox and the callback receiver', () => {
    for (const status of [400, 401, 403, 404, 429, 500, 502, 503, 504]) {
      expect(classifyFailure(new CallbackHttpError('http://cb/', status, ''))).toBe(classifyHttpStatus(status));
      expect(classifyFailure(http(status, ''))).toBe(classifyHttpStatus(status));
    }
    expect(classifyHttpStatus(403, true)).toBe('permanent');
  });
});

describe('causeOf and the exit code', () => {
  test('NetBox down, slow, failing or answering garbage: netbox-unreachable, exit 3', () => {
    for (const error of [
      new NetboxNetworkError('GET', '/', errno('ECONNREFUSED')),
      new NetboxTimeoutError('GET', '/', 10, 'request'),
      new NetboxTimeoutError('GET', '/', 10, 'deadline'),
      new NetboxResponseError('GET', '/', 'x'),
      http(500),
      http(503),
    ]) {
      expect(causeOf(error)).toBe('netbox-unreachable');
      expect(exitCodeFor(error)).toBe(EXIT.netbox);
    }
  });
  test('NetBox refusing (4xx, the token, a permission): netbox-refused, exit 3', () => {
    for (const error of [http(400), http(401), http(403, DENIED), http(403, { detail: 'Invalid v1 token' }), http(404), http(429)]) {
      expect(causeOf(error)).toBe('netbox-refused');
      expect(exitCodeFor(error)).toBe(EXIT.netbox);
    }
  });
  test('a MAC or serial on several devices: device-ambiguous, exit 1', () => {
    const error = new AmbiguousMatchError('MAC', '94:40:c9:01:0a:56', [{ id: 1, display: 'a' }]);
    expect(causeOf(error)).toBe('device-ambiguous');
    expect(exitCodeFor(error)).toBe(EXIT.failed);
  });
  test('bad config or arguments: config, exit 2', () => {
    for (const error of [
      new ConfigError('--set', [{ key: 'x', message: 'unknown' }]),
      new InvalidMacError('zz'),
      new NetboxNotConfiguredError('no URL'),
      new VrfNotFoundError('oob'),
    ]) {
      expect(causeOf(error)).toBe('config');
      expect(exitCodeFor(error)).toBe(EXIT.usage);
    }
  });
  test('aborted: exit 4', () => {
    for (const error of [new NetboxAbortedError('GET', '/'), named('AbortError'), new DeliveryError('callback', new Error('x'), 'aborted')]) {
      expect(causeOf(error)).toBe('aborted');
      expect(exitCodeFor(error)).toBe(EXIT.internal);
    }
  });
  test('anything else is internal, exit 4', () => {
    expect(causeOf(new TypeError('bug'))).toBe('internal');
    expect(causeOf(errno('ECONNREFUSED'))).toBe('internal');
    expect(exitCodeFor('odd')).toBe(EXIT.internal);
  });
  test('a delivery that gave up has the cause of its last failure', () => {
    expect(causeOf(new DeliveryError('status', http(503), 'deadline'))).toBe('netbox-unreachable');
    expect(causeOf(new DeliveryError('status', http(400), 'refused'))).toBe('netbox-refused');
    expect(classifyFailure(new DeliveryError('status', http(503), 'deadline'))).toBe('retry-later');
  });
});

describe('every error serialises to {type, message, details}', () => {
  const netboxRefusal = new NetboxHttpError('PATCH', '/api/dcim/devices/1/', 400, { serial: ['required'] });
  const cases: [BmError, string, Record<string, unknown>][] = [
    [new NetboxTimeoutError('GET', '/x/', 10, 'request'), 'NetboxTimeoutError', { method: 'GET', path: '/x/', timeoutMs: 10, kind: 'request' }],
    [
      new NetboxNetworkError('GET', '/x/', errno('ECONNREFUSED', 'ECONNREFUSED: Unable to connect')),
      'NetboxNetworkError',
      { method: 'GET', path: '/x/', code: 'ECONNREFUSED' },
    ],
    [new NetboxAbortedError('GET', '/x/'), 'NetboxAbortedError', { method: 'GET', path: '/x/' }],
    [new NetboxNotConfiguredError('no URL'), 'NetboxNotConfiguredError', { reason: 'no URL' }],
    [new VrfNotFoundError('oob'), 'VrfNotFoundError', { vrf: 'oob' }],
    [new StatusChoiceMissingError('discovered'), 'StatusChoiceMissingError', { condition: 'status-choice-missing', status: 'discovered' }],
    [
      new IpInPopulatedRangeError('10.0.0.1-9/24', 'no'),
      'IpInPopulatedRangeError',
      { condition: 'ip-in-populated-range', range: '10.0.0.1-9/24', netboxMessage: 'no' },
    ],
    [
      new DeviceRefusedError('srv-1', 'status', netboxRefusal),
      'DeviceRefusedError',
      { condition: 'device-refused', device: 'srv-1', change: 'status', netboxError: netboxRefusal.toJSON() },
    ],
    [new CallbackHttpError('http://cb/hook', 502, 'bad gateway'), 'CallbackHttpError', { url: 'http://cb/hook', status: 502, body: 'bad gateway' }],
    [
      new DeliveryError('callback', new CallbackHttpError('http://cb/hook', 404, ''), 'refused'),
      'DeliveryError',
      {
        what: 'callback',
        gaveUp: 'refused',
        lastError: {
          type: 'CallbackHttpError',
          message: 'callback receiver answered 404 to POST http://cb/hook',
          details: { url: 'http://cb/hook', status: 404, body: '' },
        },
      },
    ],
  ];
  for (const [error, type, details] of cases) {
    test(type, () => {
      expect(error).toBeInstanceOf(BmError);
      expect(serialiseError(error)).toEqual({ type, message: error.message, details });
      expect(JSON.parse(JSON.stringify(error))).toEqual({ type, message: error.message, details });
    });
  }
  test('foreign errors are redacted: a token in a library message never shows', () => {
    const token = '0123456789abcdef0123456789abcdef01234567';
    const serialised = serialiseError(Object.assign(new Error(`request with Authorization: Token ${token} failed`), { code: 'EX' }));
    expect(serialised).toEqual({ type: 'Error', message: 'request with Authorization: Token [REDACTED] failed', details: { code: 'EX' } });
    expect(serialiseError(`Bearer nbt_abcdefabcdef.secretsecretsecret`).message).not.toContain('secretsecret');
  });
  test('a callback URL carrying a token is redacted', () => {
    const error = new CallbackHttpError('http://cb/hook?t=nbt_abcdefabcdef.secretsecretsecret', 500, '');
    expect(JSON.stringify(error)).not.toContain('secretsecret');
  });
});
