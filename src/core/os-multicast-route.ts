import { readFileSync } from 'node:fs';

// Which interface "OS default" means: with no interface set, the kernel sends a group's datagrams where its routing
// table sends 224.0.0.0/4 (a multicast route if there is one, else the default route). The editor shows it, so a user
// on a host whose default route leads elsewhere (a VPN, a second NIC) knows to pick the LAN's interface.

const IPV4_ROUTES = '/proc/net/route';
const SAMPLE_GROUP = 0xe0000000; // 224.0.0.0: every IPv4 group lies in the routes that contain it and 224.0.0.0/4

/** The interface of the longest-prefix route to 224.0.0.0 in a /proc/net/route table, or undefined when none matches. */
export function multicastRouteInterface(table: string): string | undefined {
  let best: { iface: string; prefix: number; metric: number } | undefined;
  for (const line of table.split('\n').slice(1)) {
    const [iface, destination, , , , , metricText, maskText] = line.trim().split(/\s+/);
    if (!iface || !destination || !maskText) continue;
    // The kernel writes addresses in host (little-endian) byte order.
    const dest = littleEndianAddress(destination);
    const mask = littleEndianAddress(maskText);
    if (dest === undefined || mask === undefined || (SAMPLE_GROUP & mask) >>> 0 !== dest) continue;
    const prefix = mask.toString(2).replace(/0/g, '').length;
    const metric = Number(metricText) || 0;
    if (!best || prefix > best.prefix || (prefix === best.prefix && metric < best.metric)) best = { iface, prefix, metric };
  }
  return best?.iface;
}

function littleEndianAddress(hex: string): number | undefined {
  if (!/^[0-9a-f]{8}$/i.test(hex)) return undefined;
  const bytes = hex.match(/../g)!.map((pair) => parseInt(pair, 16));
  return ((bytes[3] << 24) | (bytes[2] << 16) | (bytes[1] << 8) | bytes[0]) >>> 0;
}

/** The interface this host's kernel sends IPv4 multicast on when none is set, or undefined (no route, or not Linux). */
export function osMulticastInterface(): string | undefined {
  try {
    return multicastRouteInterface(readFileSync(IPV4_ROUTES, 'utf8'));
  } catch {
    return undefined;
  }
}
