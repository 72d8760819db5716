/** Cabling: where an interface's cable ends (the switch port for LLDP checks). Pure helpers. */
import type { Interface } from './types.ts';

export interface FarEnd {
  deviceId: number;
  deviceName: string;
  interfaceId: number;
  interfaceName: string;
}

interface EndpointLike {
  id?: unknown;
  name?: unknown;
  device?: { id?: unknown; name?: unknown; display?: unknown } | null;
}

/**
 * The interface at the far end of the cable path, through patch panels
 * (`connected_endpoints`); null when not cabled or not ending on an interface.
 */
export function farEndOf(iface: Pick<Interface, 'connected_endpoints' | 'connected_endpoints_type'>): FarEnd | null {
  if (iface.connected_endpoints_type !== 'dcim.interface') return null;
  const endpoint = iface.connected_endpoints?.[0] as EndpointLike | undefined;
  if (!endpoint || typeof endpoint.id !== 'number' || !endpoint.device || typeof endpoint.device.id !== 'number') return null;
  return {
    deviceId: endpoint.device.id,
    deviceName: String(endpoint.device.name ?? endpoint.device.display ?? endpoint.device.id),
    interfaceId: endpoint.id,
    interfaceName: String(endpoint.name ?? ''),
  };
}
