/**
 * The firmware LLDP agent of Intel i40e NICs (X710/XL710) answers LLDP in the
 * NIC itself and swallows the frames, so lldpd on the host never hears the
 * switch. 04-lldp stops it before listening: `lldp stop` into
 * `<sysRoot>/kernel/debug/i40e/<pci address>/command` where that file exists
 * (older kernels), otherwise `ethtool --set-priv-flags <nic> disable-fw-lldp on`.
 */
import { join } from 'node:path';
import { existsSync, writeFileSync } from 'node:fs';
import type { Logger } from '../../shared/log.ts';
import type { PhysicalNic } from '../inventory/nics.ts';
import { setPrivFlag } from '../tools/ethtool.ts';
import type { ToolRunner } from '../tools/run-tool.ts';

export interface FirmwareLldpAction {
  nic: string;
  pciAddress: string | null;
  /** `debugfs`: wrote `lldp stop`; `ethtool`: set disable-fw-lldp; `none`: neither was possible. */
  method: 'debugfs' | 'ethtool' | 'none';
  ok: boolean;
  detail: string;
}

/** Of the NICs to check (by name, in that order), the physical ones with a firmware LLDP agent to stop (driver i40e). Pure. */
export function nicsWithFirmwareLldp(names: readonly string[], physical: readonly PhysicalNic[]): PhysicalNic[] {
  return names.map((name) => physical.find((nic) => nic.name === name)).filter((nic): nic is PhysicalNic => nic?.driver === 'i40e');
}

/** Stops the firmware LLDP agent of an i40e NIC; never throws: the action says whether it worked. */
export async function stopFirmwareLldp(
  deps: { run: ToolRunner; log: Logger; signal?: AbortSignal; sysRoot: string },
  nic: Pick<PhysicalNic, 'name' | 'busAddress'>,
): Promise<FirmwareLldpAction> {
  const pciAddress = nic.busAddress;
  const command = pciAddress ? join(deps.sysRoot, 'kernel/debug/i40e', pciAddress, 'command') : null;
  if (command && existsSync(command)) {
    try {
      writeFileSync(command, 'lldp stop');
      deps.log.info('stopped the i40e firmware LLDP agent', { nic: nic.name, file: command });
      return { nic: nic.name, pciAddress, method: 'debugfs', ok: true, detail: `wrote "lldp stop" to ${command}` };
    } catch (error) {
      deps.log.warning('could not stop the i40e firmware LLDP agent through debugfs', { nic: nic.name, file: command, error });
    }
  }
  const problem = await setPrivFlag(deps.run, nic.name, 'disable-fw-lldp', true, { ...(deps.signal ? { signal: deps.signal } : {}) });
  if (problem === null) {
    deps.log.info('stopped the i40e firmware LLDP agent', { nic: nic.name, via: 'ethtool disable-fw-lldp' });
    return { nic: nic.name, pciAddress, method: 'ethtool', ok: true, detail: 'ethtool --set-priv-flags disable-fw-lldp on' };
  }
  const detail = `no ${command ?? 'i40e debugfs command file'}; ${problem}`;
  deps.log.warning('i40e firmware LLDP agent left running: neighbours may stay invisible', { nic: nic.name, detail });
  return { nic: nic.name, pciAddress, method: 'none', ok: false, detail };
}
