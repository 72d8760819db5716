/**
 * harden/ansible-inputs.ts, ansible.parse.ts and ansible.ts's environment: no secret on
 * the command line, in the inventory, the vars or the child's environment; the JSON
 * callback's report parsed per host.
 */
import { describe, expect, test } from 'bun:test';
import { ansibleArgv, credentialsFileOf, inventoryOf, varsOf } from '../../../harden/ansible-inputs.ts';
import { parseAnsibleJson } from '../../../harden/ansible.parse.ts';
import { ansibleEnvironment } from '../../../harden/ansible.ts';

const credentials = { username: 'root', password: 'factory-pw-81', newPassword: 'rotated-pw-4471' };
const target = { host: 'srv-1', baseUri: '10.0.0.5:443', scheme: 'https' as const, validateCerts: true, credentialsFile: '/tmp/x/credentials.json' };
const desired = { bios_attributes: { BootMode: 'Uefi' }, network_protocols: { IPMI: false }, accounts: { rotate_username: 'root' } };

describe('inputs', () => {
  test('argv, inventory and vars never hold a secret; only the credentials file does', () => {
    const everything = JSON.stringify([
      ansibleArgv('/p/harden.yml', '/tmp/x/inventory.json', '/tmp/x/vars.json', true),
      inventoryOf(target),
      varsOf(desired, false),
    ]);
    for (const secret of [credentials.password, credentials.newPassword]) expect(everything).not.toContain(secret);
    expect(JSON.parse(credentialsFileOf(credentials))).toEqual({ username: 'root', password: 'factory-pw-81', new_password: 'rotated-pw-4471' });
  });

  test('argv: inventory, playbook, vars by file, --check on request', () => {
    expect(ansibleArgv('/p/harden.yml', '/i.json', '/v.json', false)).toEqual(['-i', '/i.json', '/p/harden.yml', '-e', '@/v.json']);
    expect(ansibleArgv('/p/harden.yml', '/i.json', '/v.json', true).at(-1)).toBe('--check');
  });

  test('the inventory follows the contract: one local host named after the device, bmc_* host vars', () => {
    expect(inventoryOf({ ...target, caPath: '/etc/ca.pem' })).toEqual({
      all: {
        hosts: {
          'srv-1': {
            ansible_connection: 'local',
            ansible_python_interpreter: '{{ ansible_playbook_python }}',
            bmc_baseuri: '10.0.0.5:443',
            bmc_scheme: 'https',
            bmc_validate_certs: true,
            bmc_ca_path: '/etc/ca.pem',
            bmc_credentials_file: '/tmp/x/credentials.json',
          },
        },
      },
    });
    expect(varsOf(desired, true)).toEqual({ desired, reboot_allowed: true });
  });
});

test("ansible-playbook's environment: minimal, with the ANSIBLE_* settings, without bm-harden's secrets", () => {
  const env = ansibleEnvironment(
    { command: 'ansible-playbook', playbook: 'p', timeoutMs: 1000, callback: 'ansible.posix.json', collectionsPath: '/c' },
    '/tmp/w',
    {
      PATH: '/bin',
      NETBOX_TOKEN: '0123456789abcdef0123456789abcdef01234567',
      NETBOX_URL: 'http://u:p@nb',
      BM_HARDEN_CREDENTIALS: '/x',
      HOME: '/root',
      SSH_AUTH_SOCK: '/s',
    },
  );
  expect(env).toEqual({
    PATH: '/bin',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    HOME: '/tmp/w',
    ANSIBLE_STDOUT_CALLBACK: 'ansible.posix.json',
    ANSIBLE_LOAD_CALLBACK_PLUGINS: '1',
    ANSIBLE_HOST_KEY_CHECKING: 'False',
    ANSIBLE_NOCOWS: '1',
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
    ANSIBLE_LOCAL_TEMP: '/tmp/w/tmp',
    ANSIBLE_FORCE_COLOR: '0',
    ANSIBLE_COLLECTIONS_PATH: '/c',
  });
});

describe('parseAnsibleJson', () => {
  const report = {
    custom_stats: {},
    plays: [
      {
        play: { name: 'Harden BMCs' },
        tasks: [
          { task: { name: 'Read BIOS' }, hosts: { 'srv-1': { changed: false, msg: 'ok' }, other: { changed: true } } },
          { task: { name: 'Set BIOS attributes' }, hosts: { 'srv-1': { changed: true, msg: 'Modified BIOS attributes' } } },
          { task: { name: 'Set protocols' }, hosts: { 'srv-1': { changed: false, failed: true, msg: 'HTTP Error 400' } } },
          { task: { name: 'Reboot' }, hosts: { 'srv-1': { changed: false, skipped: true } } },
        ],
      },
    ],
    stats: { 'srv-1': { changed: 1, failures: 1, ok: 2, skipped: 1, unreachable: 0 } },
  };

  test('one outcome per task for the host, the recap, warnings before the JSON ignored', () => {
    const stdout = `[WARNING]: something\n${JSON.stringify(report, null, 4)}\n`;
    expect(parseAnsibleJson(stdout, 'srv-1')).toEqual({
      tasks: [
        { task: 'Read BIOS', changed: false, failed: false, skipped: false, message: 'ok' },
        { task: 'Set BIOS attributes', changed: true, failed: false, skipped: false, message: 'Modified BIOS attributes' },
        { task: 'Set protocols', changed: false, failed: true, skipped: false, message: 'HTTP Error 400' },
        { task: 'Reboot', changed: false, failed: false, skipped: true },
      ],
      stats: { changed: 1, failures: 1, ok: 2, skipped: 1, unreachable: 0 },
    });
  });

  test('output that is not the JSON callback is undefined (the caller says so)', () => {
    expect(parseAnsibleJson('PLAY [all] ****\nok: [srv-1]\n', 'srv-1')).toBeUndefined();
    expect(parseAnsibleJson('{"truncated": ', 'srv-1')).toBeUndefined();
  });
});
