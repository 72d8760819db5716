/** The JSON schema of bm-hook's config (hook.json); see config.ts for loading and docs/hook.md for the keys. */
import { netboxConnectionSchema } from '../shared/config.ts';

export const DEFAULT_SPOOL_DIR = '/var/spool/bm-hook';
export const DEFAULT_HOOK_PATH = '/usr/local/sbin/bm-hook';
/** Default `bmc.interfaceNames`: names vendors and operators give BMC ports (matched case-insensitively). */
export const DEFAULT_BMC_INTERFACE_NAMES = ['^(bmc|idrac|ilo|ipmi|imm|xcc|irmc|cimc|mgmt|oob)'];

/**
 * bm-hook talks to NetBox only from the drainer, off dhcpd's clock: a per-request timeout and
 * a per-call deadline longer than the shared defaults, so a slow NetBox is waited for rather
 * than given up on; `drain.budgetMs` still bounds the whole run.
 */
const hookNetboxSchema = {
  ...netboxConnectionSchema,
  properties: {
    ...netboxConnectionSchema.properties,
    timeoutMs: { ...netboxConnectionSchema.properties.timeoutMs, default: 30000 },
    deadlineMs: { ...netboxConnectionSchema.properties.deadlineMs, default: 60000 },
  },
} as const;

export const hookConfigSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['ouis', 'bmc', 'spool', 'ip', 'drain', 'hookPath', 'logLevel'],
  properties: {
    netbox: hookNetboxSchema,
    ouis: {
      type: 'object',
      additionalProperties: false,
      default: {},
      required: ['mode', 'entries'],
      properties: {
        mode: { type: 'string', enum: ['extend', 'replace'], default: 'extend' },
        entries: {
          type: 'array',
          default: [],
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['oui', 'vendor'],
            properties: {
              oui: { type: 'string', description: 'first three octets: aa:bb:cc, aa-bb-cc or aabbcc' },
              vendor: { type: 'string', minLength: 1 },
            },
          },
        },
      },
    },
    bmc: {
      type: 'object',
      additionalProperties: false,
      default: {},
      required: ['interfaceNames'],
      properties: {
        interfaceNames: {
          description:
            'regular expressions (case-insensitive) naming a BMC interface besides mgmt-only ones; a lease whose MAC is on no such interface of its device is ignored',
          type: 'array',
          items: { type: 'string', minLength: 1 },
          default: DEFAULT_BMC_INTERFACE_NAMES,
        },
      },
    },
    spool: {
      type: 'object',
      additionalProperties: false,
      default: {},
      required: ['dir', 'maxEvents'],
      properties: {
        dir: { type: 'string', minLength: 1, default: DEFAULT_SPOOL_DIR },
        maxEvents: { type: 'integer', minimum: 10, maximum: 1000000, default: 10000 },
      },
    },
    ip: {
      type: 'object',
      additionalProperties: false,
      default: {},
      required: ['status', 'defaultPrefixLength'],
      properties: {
        status: { type: 'string', enum: ['active', 'reserved', 'deprecated', 'dhcp', 'slaac'], default: 'dhcp' },
        defaultPrefixLength: { type: 'integer', minimum: 1, maximum: 32, default: 32 },
        vrf: {
          description: 'VRF (id or exact name) to look BMC IPs up and create them in; absent = the VRF of the most specific prefix containing the IP',
          oneOf: [
            { type: 'integer', minimum: 1 },
            { type: 'string', minLength: 1 },
          ],
        },
      },
    },
    drain: {
      type: 'object',
      additionalProperties: false,
      default: {},
      required: ['budgetMs', 'trigger'],
      properties: {
        budgetMs: { type: 'integer', minimum: 1000, maximum: 3600000, default: 120000 },
        trigger: {
          description: 'how commit gets a drainer going: spawn one detached, or leave it to systemd (bm-hook-drain.path watches new/)',
          type: 'string',
          enum: ['spawn', 'systemd'],
          default: 'spawn',
        },
      },
    },
    hookPath: { type: 'string', pattern: '^/[^"\\\\\\s]+$', default: DEFAULT_HOOK_PATH },
    logLevel: { type: 'string', enum: ['debug', 'info', 'notice', 'warning', 'error'], default: 'info' },
  },
} as const;
