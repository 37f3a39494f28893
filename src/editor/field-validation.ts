import { isSourceSpecificGroup, MAX_DATAGRAM_PAYLOAD, multicastFamily } from '../core/multicast-address';

// Node-RED (3.1+) shows a string returned by a validator as the field's message; its types still say boolean.
type Validator = (value: string) => boolean;

// Validators run outside the node definition, so messages name their catalog explicitly.
export const CATALOG = 'node-red-contrib-multicast-bus/multicast-bus';

/** A validator that returns the message of `key` when `isValid` fails, so the editor shows why, not just a red border. */
export function validator(key: string, isValid: (value: string) => boolean): Validator {
  return (value) => (isValid(String(value ?? '').trim()) ? true : (RED._(`${CATALOG}:${key}`) as unknown as boolean));
}

/** True for whole numbers from low to high, as typed into a field. */
export function integerBetween(low: number, high: number): (value: string) => boolean {
  return (value) => /^\d+$/.test(value) && Number(value) >= low && Number(value) <= high;
}

/** True when a datagram size fits one UDP datagram of the group's family (65,507 bytes for IPv4, 65,527 for IPv6). */
export function datagramFitsGroup(value: string, group: string): boolean {
  const family = multicastFamily(group) ?? 'IPv4';
  return integerBetween(160, MAX_DATAGRAM_PAYLOAD[family])(value);
}

/** True for an IPv4 group in 224.0.0.0/4 or an IPv6 group in ff00::/8. */
export function isMulticastGroup(value: string): boolean {
  return multicastFamily(value) !== undefined;
}

const IP_TEXT = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]+)$/i;

/** True when the Sources field is empty, or lists addresses and the group is a source-specific one. */
export function sourcesFitGroup(sources: string, group: string): boolean {
  const list = sources.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) return true;
  return list.every((s) => IP_TEXT.test(s)) && isSourceSpecificGroup(group);
}
