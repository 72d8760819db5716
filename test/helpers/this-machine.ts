/** This machine's first physical NIC (as the agent finds them), for seeding NetBox with it. */
import { readPhysicalNics } from '../../agent/inventory/nics.ts';

export function thisMachinesNic(): { name: string; mac: string } | null {
  const nic = readPhysicalNics('/sys')[0];
  return nic?.mac ? { name: nic.name, mac: nic.mac } : null;
}
