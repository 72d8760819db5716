/** `ipmitool lan print` as data: the BMC's address. Pure. */
import { parseMac } from '../../shared/mac.ts';

export interface BmcLan {
  /** Null when the BMC has no address (0.0.0.0) or the line is absent. */
  ip: string | null;
  mac: string | null;
  /** `DHCP Address`, `Static Address`… */
  ipSource: string | null;
  subnetMask: string | null;
}

/** `Key   : value` lines; continuation lines (starting with spaces and `:`) are ignored. */
export function parseIpmitoolFields(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^(\S[^:]*?)\s*: ?(.*)$/.exec(line.replace(/\r$/, ''));
    if (!match) continue;
    const key = match[1]!.trim();
    if (!(key in fields)) fields[key] = match[2]!.trim();
  }
  return fields;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIpmitoolLanPrint(text: string): BmcLan {
  const f = parseIpmitoolFields(text);
  const ipText = f['IP Address'] ?? '';
  const ip = IPV4.test(ipText) && ipText !== '0.0.0.0' ? ipText : null;
  const mac = parseMac(f['MAC Address'] ?? '');
  return {
    ip,
    mac: mac && mac !== '00:00:00:00:00:00' ? mac : null,
    ipSource: f['IP Address Source'] || null,
    subnetMask: f['Subnet Mask'] && IPV4.test(f['Subnet Mask']) ? f['Subnet Mask'] : null,
  };
}
