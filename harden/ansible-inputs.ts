/**
 * What ansible-playbook is given (the contract in docs/harden.md, "Ansible"): an
 * inventory with one host per BMC (local connection: the Redfish modules run on
 * this controller), the non-secret desired state as vars.json, and the credentials
 * as a separate JSON file the playbook reads with `lookup('file', …) | from_json`.
 * No secret is in the inventory, vars or argv. Pure: ansible.ts writes the files.
 */
import type { AnsibleDesired } from './compliance.ts';
import type { BmcCredentials } from './credentials.ts';

export interface AnsibleHostTarget {
  /** The NetBox device name (the inventory host name). */
  host: string;
  /** `10.0.0.5`, `127.0.0.1:8000`, `[2001:db8::5]:443`: what the Redfish modules call baseuri. */
  baseUri: string;
  scheme: 'http' | 'https';
  validateCerts: boolean;
  caPath?: string;
  /** Where ansible.ts wrote the credentials file (0600, in the run's private directory). */
  credentialsFile: string;
}

/** The inventory (JSON, which Ansible reads as YAML). Pure. */
export function inventoryOf(target: AnsibleHostTarget): Record<string, unknown> {
  const vars: Record<string, unknown> = {
    ansible_connection: 'local',
    ansible_python_interpreter: '{{ ansible_playbook_python }}',
    bmc_baseuri: target.baseUri,
    bmc_scheme: target.scheme,
    bmc_validate_certs: target.validateCerts,
    bmc_credentials_file: target.credentialsFile,
  };
  if (target.caPath) vars.bmc_ca_path = target.caPath;
  return { all: { hosts: { [target.host]: vars } } };
}

/** vars.json: the desired changes and whether a reboot is allowed. Pure. */
export function varsOf(desired: AnsibleDesired, rebootAllowed: boolean): Record<string, unknown> {
  return { desired, reboot_allowed: rebootAllowed };
}

/** The credentials file's content (the only place secrets go). Pure. */
export function credentialsFileOf(credentials: BmcCredentials): string {
  return `${JSON.stringify({
    username: credentials.username,
    password: credentials.password,
    ...(credentials.newPassword ? { new_password: credentials.newPassword } : {}),
  })}\n`;
}

/** The command line: never a secret on it, only file paths. Pure. */
export function ansibleArgv(playbook: string, inventoryPath: string, varsPath: string, check: boolean): string[] {
  return ['-i', inventoryPath, playbook, '-e', `@${varsPath}`, ...(check ? ['--check'] : [])];
}
