import { inRange, type NumericField } from '../core/bus-fields';
import { isSourceSpecificGroup, multicastFamily } from '../core/multicast-address';

/**
 * What a field's validator is to Node-RED 3.1 and later: declared with two parameters, (value, opt), it returns true or
 * the message to show, and the field, the node and the deploy warning all say why. (A one-parameter validator's
 * string would count as valid.)
 */
export type FieldCheck = (this: unknown, value: string, opt?: unknown) => true | string;

// @types/node-red__editor-client predates two-parameter validators and types one as returning a boolean.
type TypedValidator = (this: unknown, value: string) => boolean;

// Validators run outside the node definition, so messages name their catalog explicitly.
export const CATALOG = 'node-red-contrib-multicast-bus/multicast-bus';

/** A validator for the node definition: Node-RED calls it with (value, opt) and shows the message it returns. */
export function asValidator(check: FieldCheck): TypedValidator {
  return check as TypedValidator;
}

/** A validator that returns the message of `key` when `isValid` fails, so the editor shows why, not just a red border. */
export function validator(key: string, isValid: (value: string) => boolean): TypedValidator {
  // Both parameters are declared, so that Node-RED reads the returned string as the message.
  return asValidator((value, _opt) => (isValid(String(value ?? '').trim()) ? true : RED._(`${CATALOG}:${key}`)));
}

/** True for whole numbers in the field's range (bus-fields.ts), as typed into a field. */
export function fieldInRange(field: NumericField): (value: string) => boolean {
  return (value) => inRange(field, value);
}

/** True when a datagram size fits one UDP datagram of the group's family. */
export function datagramFitsGroup(value: string, group: string): boolean {
  return inRange('maxDatagram', value, multicastFamily(group) === 'IPv6');
}

/** True for an IPv4 group in 224.0.0.0/4 or an IPv6 group in ff00::/8. */
export function isMulticastGroup(value: string): boolean {
  return multicastFamily(value) !== undefined;
}

const IP_TEXT = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]+)$/i;

/** True when the Sources field is empty, or lists addresses and the group is a source-specific one. */
export function sourcesFitGroup(sources: string, group: string): boolean {
  const list = sources
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) return true;
  return list.every((s) => IP_TEXT.test(s)) && isSourceSpecificGroup(group);
}
