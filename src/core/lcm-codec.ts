// LCM's UDP multicast wire format (docs/wire-format.md): LC02 for a message that fits one datagram, LC03 fragments
// otherwise. Big-endian throughout. Pure functions: no sockets, no Node-RED.

export const LC02_MAGIC = 0x4c433032;
export const LC03_MAGIC = 0x4c433033;
export const LC02_HEADER_BYTES = 8;
export const LC03_HEADER_BYTES = 20;
/** LCM allows channel names of at most 63 bytes. */
export const MAX_CHANNEL_BYTES = 63;
/** LC03 numbers fragments in 16 bits. */
export const MAX_FRAGMENTS = 0xffff;

/** One datagram of a message as it goes to the socket: a header and a view of the payload, sent without a copy. */
export type OutgoingDatagram = [header: Buffer, data: Buffer];

/** A decoded datagram: a whole small message, one fragment of a large one, or the reason it is not LCM. */
export type DecodedDatagram =
  | { kind: 'message'; seq: number; channel: string; payload: Buffer }
  | { kind: 'fragment'; seq: number; size: number; offset: number; index: number; count: number; channel?: string; data: Buffer }
  | { kind: 'malformed'; reason: MalformedReason };

export type MalformedReason = 'short' | 'magic' | 'channel' | 'fragment-header';

const utf8 = new TextEncoder();

/**
 * Why a channel cannot be sent, or undefined when it can. Free of Node.js's Buffer, so the editor checks a topic with
 * this very function; the bus calls it only when a sender's topic changes.
 */
export function channelProblem(channel: string): 'empty' | 'too-long' | 'nul' | undefined {
  if (channel.length === 0) return 'empty';
  if (channel.includes('\0')) return 'nul';
  if (utf8.encode(channel).length > MAX_CHANNEL_BYTES) return 'too-long';
  return undefined;
}

/** The channel as it goes in a datagram: UTF-8, NUL-terminated. */
export function channelField(channel: string): Buffer {
  return Buffer.from(`${channel}\0`, 'utf8');
}

/**
 * How many datagrams encodeMessage makes of a payload of `length` bytes: 1 (LC02) or its LC03 fragments. Throws a
 * RangeError when it would need more than 65,535 fragments (raise maxDatagram) or a datagram has no room for data.
 */
export function datagramCount(length: number, maxDatagram: number, channelLength: number): number {
  if (LC02_HEADER_BYTES + channelLength + length <= maxDatagram) return 1;
  const firstRoom = maxDatagram - LC03_HEADER_BYTES - channelLength;
  if (firstRoom <= 0) throw new RangeError(`a datagram of ${maxDatagram} bytes cannot hold a fragment header and the channel`);
  const count = 1 + Math.ceil(Math.max(0, length - firstRoom) / (maxDatagram - LC03_HEADER_BYTES));
  if (count > MAX_FRAGMENTS) throw new RangeError(`${length} bytes would need ${count} fragments; LCM allows ${MAX_FRAGMENTS}`);
  return count;
}

/**
 * Splits one message into LCM datagrams of at most `maxDatagram` bytes: one LC02 when it fits, else LC03 fragments.
 * The payload is never copied: each datagram's data is a view of it. Throws a RangeError when it would need more
 * than 65,535 fragments (raise maxDatagram) or the datagram size leaves no room for data.
 */
export function encodeMessage(
  channel: string,
  payload: Buffer,
  seq: number,
  maxDatagram: number,
  channelBytes = channelField(channel),
): OutgoingDatagram[] {
  const count = datagramCount(payload.length, maxDatagram, channelBytes.length);
  if (count === 1) {
    const header = Buffer.allocUnsafe(LC02_HEADER_BYTES + channelBytes.length);
    header.writeUInt32BE(LC02_MAGIC, 0);
    header.writeUInt32BE(seq >>> 0, 4);
    channelBytes.copy(header, LC02_HEADER_BYTES);
    return [[header, payload]];
  }
  const firstRoom = maxDatagram - LC03_HEADER_BYTES - channelBytes.length;
  const room = maxDatagram - LC03_HEADER_BYTES;

  const datagrams: OutgoingDatagram[] = [];
  let offset = 0;
  for (let index = 0; index < count; index++) {
    const first = index === 0;
    const take = Math.min(first ? firstRoom : room, payload.length - offset);
    const header = Buffer.allocUnsafe(LC03_HEADER_BYTES + (first ? channelBytes.length : 0));
    header.writeUInt32BE(LC03_MAGIC, 0);
    header.writeUInt32BE(seq >>> 0, 4);
    header.writeUInt32BE(payload.length, 8);
    header.writeUInt32BE(offset, 12);
    header.writeUInt16BE(index, 16);
    header.writeUInt16BE(count, 18);
    if (first) channelBytes.copy(header, LC03_HEADER_BYTES);
    datagrams.push([header, payload.subarray(offset, offset + take)]);
    offset += take;
  }
  return datagrams;
}

/**
 * Whether a fragment can be part of a message a real sender splits: LCM and this bus put at least one byte in every
 * fragment (an empty message goes as LC02), so fragment `index` starts at or after byte `index`, fragment 0 at byte 0,
 * and it leaves at least one byte for each fragment after it. Fragments of any length pass, short or long.
 */
export function fragmentFits(size: number, offset: number, index: number, count: number, length: number): boolean {
  if (count === 0 || index >= count) return false;
  if (size === 0) return count === 1 && offset === 0 && length === 0;
  if (length === 0 || (index === 0) !== (offset === 0) || offset < index) return false;
  return offset + length <= size && size - offset - length >= count - 1 - index;
}

function readChannel(bytes: Buffer, start: number): { channel: string; end: number } | undefined {
  const nul = bytes.indexOf(0, start);
  if (nul === -1 || nul - start > MAX_CHANNEL_BYTES) return undefined;
  return { channel: bytes.toString('utf8', start, nul), end: nul + 1 };
}

/** Reads one datagram; never throws, whatever the bytes. A fragment no real sender makes is malformed; whether it agrees with the rest of its message is for the reassembler to judge. */
export function decodeDatagram(bytes: Buffer): DecodedDatagram {
  if (bytes.length < LC02_HEADER_BYTES) return { kind: 'malformed', reason: 'short' };
  const magic = bytes.readUInt32BE(0);
  const seq = bytes.readUInt32BE(4);
  if (magic === LC02_MAGIC) {
    const channel = readChannel(bytes, LC02_HEADER_BYTES);
    if (!channel) return { kind: 'malformed', reason: 'channel' };
    return { kind: 'message', seq, channel: channel.channel, payload: bytes.subarray(channel.end) };
  }
  if (magic !== LC03_MAGIC) return { kind: 'malformed', reason: 'magic' };
  if (bytes.length < LC03_HEADER_BYTES) return { kind: 'malformed', reason: 'short' };
  const size = bytes.readUInt32BE(8);
  const offset = bytes.readUInt32BE(12);
  const index = bytes.readUInt16BE(16);
  const count = bytes.readUInt16BE(18);
  if (count === 0 || index >= count) return { kind: 'malformed', reason: 'fragment-header' };
  let channel: string | undefined;
  let start = LC03_HEADER_BYTES;
  if (index === 0) {
    const field = readChannel(bytes, LC03_HEADER_BYTES);
    if (!field) return { kind: 'malformed', reason: 'channel' };
    ({ channel, end: start } = field);
  }
  // A fragment no real message has (no data, more fragments than bytes, data past the end) would only take memory.
  if (!fragmentFits(size, offset, index, count, bytes.length - start)) return { kind: 'malformed', reason: 'fragment-header' };
  const data = bytes.subarray(start);
  return channel === undefined
    ? { kind: 'fragment', seq, size, offset, index, count, data }
    : { kind: 'fragment', seq, size, offset, index, count, channel, data };
}
