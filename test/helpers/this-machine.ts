/** This machine's first physical NIC (as the agent finds them), for seeding NetBox with it. */
import { readFileSync } from 'node:fs';
import { physicalNicsFromSysfs } from '../../agent/steps/04-lldp.ts';

export function thisMachinesNic(): { name: string; mac: string } | null {
  const name = physicalNicsFromSysfs('/sys')[0];
  return name ? { name, mac: readFileSync(`/sys/class/net/${name}/address`, 'utf8').trim() } : null;
}
