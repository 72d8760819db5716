/**
 * Object permissions of the least-privilege user: exactly test/netbox-real/permissions.json
 * (what docs/netbox.md tells operators to grant), the file the real test NetBox seeds from.
 * NetBox's TokenPermissions: a request needs `<action>_<model>` for the endpoint's model
 * (GET → view, POST → add, PUT/PATCH → change, DELETE → delete); nested objects are shown regardless.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const PERMISSION_DENIED = 'You do not have permission to perform this action.';

interface Rule {
  actions: string[];
  object_types: string[];
}

let rulesCache: Rule[] | undefined;
export function leastPrivilegeRules(): Rule[] {
  rulesCache ??= (JSON.parse(readFileSync(join(import.meta.dir, '..', 'netbox-real', 'permissions.json'), 'utf8')) as { permissions: Rule[] }).permissions;
  return rulesCache;
}

const ACTIONS: Record<string, string> = { GET: 'view', HEAD: 'view', OPTIONS: 'view', POST: 'add', PUT: 'change', PATCH: 'change', DELETE: 'delete' };

/** True when the rules allow `method` on objects of `objectType` ("dcim.device"). */
export function permits(rules: Rule[], method: string, objectType: string): boolean {
  const action = ACTIONS[method.toUpperCase()];
  return action !== undefined && rules.some((r) => r.actions.includes(action) && r.object_types.includes(objectType));
}
