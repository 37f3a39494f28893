// No Node.js import here: the editor bundles this file to check the group field as the user types.

export type AddressFamily = 'IPv4' | 'IPv6';

/** Largest UDP payload one datagram can carry: 65,535 minus the IP and UDP headers (IPv6 has no header in its length field). */
export const MAX_DATAGRAM_PAYLOAD: Record<AddressFamily, number> = { IPv4: 65_507, IPv6: 65_527 };

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isIPv6Text(text: string): boolean {
  if (!/^[0-9a-f:]+$/i.test(text) || text.split('::').length > 2 || text.includes(':::')) return false;
  // A lone colon may not start or end the address; '::' may.
  if (/^:[^:]/.test(text) || /[^:]:$/.test(text)) return false;
  const groups = text.split(':').filter((part) => part !== '');
  if (!groups.every((part) => part.length <= 4)) return false;
  return text.includes('::') ? groups.length <= 7 : groups.length === 8;
}

/** The address family of a multicast group (224.0.0.0/4 or ff00::/8), or undefined when it is not one. */
export function multicastFamily(group: string): AddressFamily | undefined {
  if (IPV4.test(group)) {
    const firstOctet = Number(group.split('.')[0]);
    return firstOctet >= 224 && firstOctet <= 239 ? 'IPv4' : undefined;
  }
  if (isIPv6Text(group)) return /^ff[0-9a-f]{2}:/i.test(group) ? 'IPv6' : undefined;
  return undefined;
}

/** True for IPv6 groups whose scope (interface-local or link-local) makes a bind need the interface as its zone. */
export function needsZone(group: string): boolean {
  return /^ff[0-9a-f][12]:/i.test(group);
}

/** True for source-specific multicast groups: IPv4 232.0.0.0/8, IPv6 ff3x::/32 (RFC 4607). */
export function isSourceSpecificGroup(group: string): boolean {
  const family = multicastFamily(group);
  if (family === 'IPv4') return group.startsWith('232.');
  if (family === 'IPv6') return /^ff3[0-9a-f]:(0{0,4}):/i.test(group) || /^ff3[0-9a-f]::/i.test(group);
  return false;
}
