/** A quick "can we work with this NetBox?" check shared by both binaries' `netbox-check`. */
import type { NetboxClient } from './client.ts';
import type { Page } from './types.ts';
import type { NetboxCapabilities, NetboxVersion } from './version.ts';

export interface NetboxProbe {
  url: string;
  authScheme: 'Token' | 'Bearer';
  version: NetboxVersion;
  capabilities: NetboxCapabilities;
  /** Devices the token can see (proves it may read `dcim.device`). */
  visibleDevices: number;
}

export async function probeNetbox(client: NetboxClient): Promise<NetboxProbe> {
  const version = await client.version();
  const devices = await client.get<Page<unknown>>('/api/dcim/devices/', { limit: 1, brief: 1 });
  return { url: client.baseUrl, authScheme: client.authScheme, version, capabilities: await client.capabilities(), visibleDevices: devices.count };
}
