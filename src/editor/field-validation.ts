import { inRange, type NumericField } from '../core/bus-fields';
import { channelProblem } from '../core/lcm-codec';
import { isSourceSpecificGroup, multicastFamily } from '../core/multicast-address';

/**
 * What a field's validator is to Node-RED 3.1 and later: declared with two parameters, (value, opt), it returns true or
 * the message to show, and the field, the node's red triangle and the deploy warning all say why. (A one-parameter
 * validator's string would count as valid.)
 */
export type FieldCheck = (this: unknown, value: string, opt?: unknown) => true | string;

// @types/node-red__editor-client predates two-parameter validators and types one as returning a boolean.
type TypedValidator = (this: unknown, value: string) => boolean;

/** The catalog of the bus's messages; validators run outside the node definition, so they name it explicitly. */
export const CATALOG = 'node-red-contrib-multicast-bus/multicast-bus';

/** A validator for the node definition: Node-RED calls it with (value, opt) and shows the message it returns. */
export function asValidator(check: FieldCheck): TypedValidator {
  return check as TypedValidator;
}

/**
 * A validator from a check that gives the catalog key of what is wrong, or undefined. The check gets the trimmed value
 * and the node being validated (`this`), so it can read the node's other fields.
 */
export function validator(catalog: string, check: (value: string, node: unknown) => string | undefined): TypedValidator {
  // Both parameters are declared, so that Node-RED reads the returned string as the message.
  return asValidator(function (this: unknown, value, _opt) {
    const problem = check(String(value ?? '').trim(), this);
    return problem === undefined ? true : RED._(`${catalog}:${problem}`);
  });
}

/**
 * A check for a numeric field: `key` when the value is not a whole number (or size) in the field's range. Empty means
 * the default, as at runtime (the placeholder shows it; Node-RED also leaves a default of 0 empty in the dialog).
 */
export function rangeCheck(field: NumericField, key: string): (value: string) => string | undefined {
  return (value) => (value === '' || inRange(field, value) ? undefined : key);
}

/** True when a datagram size fits one UDP datagram of the group's family. */
export function datagramFitsGroup(value: string, group: string): boolean {
  return inRange('maxDatagram', value, multicastFamily(group) === 'IPv6');
}

/** True for an IPv4 group in 224.0.0.0/4 or an IPv6 group in ff00::/8. */
export function isMulticastGroup(value: string): boolean {
  return multicastFamily(value) !== undefined;
}

/** True when the Sources field is empty, or lists addresses of the group's family and the group is source-specific. */
export function sourcesFitGroup(sources: string, group: string): boolean {
  const list = sources
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) return true;
  const family = multicastFamily(group);
  const sameFamily = (source: string) => (source.includes(':') ? family === 'IPv6' : family === 'IPv4');
  return list.every((s) => isAddress(s) && sameFamily(s)) && isSourceSpecificGroup(group);
}

/** True for text that is an IPv4 address (four numbers of 0–255) or an IPv6 address (with an optional %zone), as the runtime's isIP takes them. */
export function isAddress(text: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) return v4.slice(1).every((part) => Number(part) <= 255);
  if (!text.includes(':')) return false;
  try {
    // The URL parser knows IPv6's forms (::, embedded IPv4); a zone is not part of the address.
    new URL(`http://[${text.replace(/%[^%]*$/, '')}]/`);
    return true;
  } catch {
    return false;
  }
}

/**
 * The node whose dialog is open, remembered on the dialog itself (`container`), so it is forgotten whenever the dialog
 * closes, however it closes (Done, Cancel, Delete).
 */
export function isEditing(node: unknown, container: string): boolean {
  return $(container).data('multicast-bus-editing') === node;
}

/** Remembers `node` as the one whose dialog, `container`, is open. */
export function beginEditing(node: unknown, container: string): void {
  $(container).data('multicast-bus-editing', node as object);
}

/**
 * What is wrong with a topic a multicast out sends on an LCM bus ('topic-nul', 'topic-too-long'), or undefined: the
 * runtime's own check, except that an empty topic is fine (the node then sends msg.topic, or the default topic).
 */
export function lcmTopicProblem(topic: string): 'topic-nul' | 'topic-too-long' | undefined {
  const problem = channelProblem(topic);
  return problem === undefined || problem === 'empty' ? undefined : `topic-${problem}`;
}
