// The one place where a bus's defaults, ranges and choices are written. No Node.js import: the editor bundles this
// file too, and build.mjs fills {{field.min}}-style tokens in the dialog, help and messages from it.
import { formatByteSize, parseByteSize } from './byte-size';
import { MAX_DATAGRAM_PAYLOAD } from './multicast-address';

const MIB = 1024 * 1024;

export const FRAMINGS = ['lcm', 'raw'] as const;
export type FramingName = (typeof FRAMINGS)[number];
export const SECURITIES = ['none', 'sealed'] as const;
export type Security = (typeof SECURITIES)[number];

/** Every field of a bus config node: its default and, for numbers, the whole numbers it accepts. */
export const BUS_FIELDS = {
  group: { default: '239.255.76.67' },
  port: { default: 7667, min: 1, max: 65535 },
  // 1 keeps traffic on the local link; 0 on this host.
  ttl: { default: 1, min: 0, max: 255 },
  // '' = OS default, '*' = every interface, else a name (Linux allows 15 characters) or one of its addresses.
  iface: { default: '', namePattern: /^[^\s/:*]{1,15}$/ },
  loopback: { default: true },
  // LCM framing: while it sends, the bus announces itself (host, Node-RED, topics) every 5 s (docs/presence.md).
  announce: { default: true },
  // LCM framing: pack messages published together into one datagram (docs/wire-format.md); only this package reads it.
  batch: { default: false },
  framing: { default: 'lcm' as FramingName, choices: FRAMINGS },
  // 1400 is LCM's own choice: it fits a 1500-byte MTU with room for tunnel headers, so IP never fragments. The least
  // leaves room for a fragment header, the longest channel and, on a sealed bus, the seal; the most is one datagram.
  maxDatagram: { default: 1400, min: 160, max: MAX_DATAGRAM_PAYLOAD.IPv4, maxIPv6: MAX_DATAGRAM_PAYLOAD.IPv6 },
  // Sizes: typed as "16 MiB", "512 KiB" or a number of bytes.
  maxMessage: { default: 16 * MIB, min: 1, max: 1024 * MIB, size: true },
  // 0 keeps the OS default.
  rcvbuf: { default: 8 * MIB, min: 0, max: 1024 * MIB, size: true },
  source: { default: '' },
  // Seconds between fresh membership reports; 0 = off.
  rejoin: { default: 0, min: 0, max: 3600 },
  security: { default: 'none' as Security, choices: SECURITIES },
  // Seconds a sealed frame's send time may be off this host's clock.
  replayWindow: { default: 120, min: 1, max: 86_400 },
} as const;

type Fields = typeof BUS_FIELDS;
/** The fields that hold whole numbers. */
export type NumericField = { [K in keyof Fields]: Fields[K] extends { min: number } ? K : never }[keyof Fields];

/** The whole numbers a field accepts (for maxDatagram, those of an IPv4 group unless `ipv6`). */
export function rangeOf(field: NumericField, ipv6 = false): { min: number; max: number } {
  const { min, max } = BUS_FIELDS[field];
  return { min, max: field === 'maxDatagram' && ipv6 ? BUS_FIELDS.maxDatagram.maxIPv6 : max };
}

/** Whether a field is a size in bytes, which may be written with a unit ("16 MiB"). */
export function isSizeField(field: NumericField): boolean {
  return 'size' in BUS_FIELDS[field];
}

/** The number `text` gives for a field (a size may carry a unit), or undefined when it is not a whole number. */
export function fieldNumber(field: NumericField, text: string): number | undefined {
  if (isSizeField(field)) return parseByteSize(text);
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

/** Whether `text` is a whole number within the field's range (for maxDatagram, the range of IPv4 unless `ipv6`). */
export function inRange(field: NumericField, text: string, ipv6 = false): boolean {
  const { min, max } = rangeOf(field, ipv6);
  const value = fieldNumber(field, text);
  return value !== undefined && value >= min && value <= max;
}

/** How a field's value reads in the dialog and in messages: sizes with their unit ("16 MiB"), others as the number. */
export function fieldText(field: NumericField, value: number): string {
  return isSizeField(field) ? formatByteSize(value) : String(value);
}

/** The tokens build.mjs replaces in templates, help and messages: {{port.default}}, {{port.min}}, {{maxMessage.defaultMiB}}, … */
export function fieldTokens(): Record<string, string> {
  const tokens: Record<string, string> = {};
  for (const [name, spec] of Object.entries(BUS_FIELDS)) {
    for (const [key, value] of Object.entries(spec)) {
      if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') tokens[`${name}.${key}`] = String(value);
      if (typeof value === 'number' && value >= MIB && value % MIB === 0) tokens[`${name}.${key}MiB`] = String(value / MIB);
      if (typeof value === 'number' && 'size' in spec) tokens[`${name}.${key}Size`] = formatByteSize(value);
      else if (Array.isArray(value)) tokens[`${name}.${key}`] = value.join(', ');
    }
  }
  return tokens;
}
