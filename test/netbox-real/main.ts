/**
 * `make netbox` / `make netbox-stop`: a real NetBox for a person, with what they need
 * to use it printed once. Usage: bun test/netbox-real/main.ts start|stop [VERSION]
 */
import { NETBOX_SCRIPT, startRealNetbox } from './index.ts';

const [command, version] = process.argv.slice(2);
if (command === 'start') {
  const nb = startRealNetbox(version);
  console.log(`NetBox ${nb.version} is up (stop it with: make netbox-stop)

  URL          ${nb.url}/
  admin login  ${nb.admin.username} / ${nb.admin.password}
  tokens       v1 (Authorization: Token …)   ${nb.admin.tokens.v1}
               v2 (Authorization: Bearer …)  ${nb.admin.tokens.v2}
  least-privilege user ${nb.leastPrivilege.username} (exactly the permissions in docs/netbox.md):
               v1 ${nb.leastPrivilege.tokens.v1}
               v2 ${nb.leastPrivilege.tokens.v2}

  try: curl -H "Authorization: Bearer ${nb.admin.tokens.v2}" ${nb.url}/api/status/
  state (PIDs, logs): ${nb.stateFile}`);
} else if (command === 'stop') {
  const run = Bun.spawnSync(['bash', NETBOX_SCRIPT, 'stop', 'all', ...(version ? [version] : [])], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (run.exitCode === 0) console.log('every real NetBox started from this cache is stopped');
  process.exit(run.exitCode ?? 1);
} else {
  console.error('usage: bun test/netbox-real/main.ts start|stop [VERSION]');
  process.exit(2);
}
