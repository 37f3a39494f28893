// Control frames of reliable and retained topics (docs/reliability.md, "Frames"): heartbeats, NAKs, repairs, retained
// requests and values, beside the LCM data they serve; and presence (docs/presence.md): announcements and goodbyes. Their own magic keeps LCM's tools, which take only LC02/LC03,
// from misreading them. Big-endian throughout. Pure functions: no sockets, no Node-RED.
//   header: magic 0x4D434231 "MCB1" (4) · type (1) · flags (1, 0; unknown bits ignored) · length of the body (2) ·
//           stream id (8, random per sending bus; in a NAK, the sender asked)
import { randomBytes } from 'node:crypto';

export const CONTROL_MAGIC = 0x4d434231;
export const CONTROL_HEADER_BYTES = 16;
export const MAX_NAK_ENTRIES = 64;
const MAX_BODY_BYTES = 0xffff;
const HEARTBEAT_BODY_BYTES = 12;
const NAK_ENTRY_BYTES = 8;
const NONCE_BYTES = 4;

/** Fragments first…last of message seq; 0…0xFFFF means the whole message. */
export interface NakEntry {
  seq: number;
  first: number;
  last: number;
}

/** A stream id as 16 lowercase hex digits (8 bytes on the wire), so it can key a Map. */
export type StreamId = string;

/** One decoded control frame; the stream is the sender's, except in a NAK, where it is the sender asked. */
export type ControlFrame =
  | { type: 'heartbeat'; stream: StreamId; oldest: number; newest: number; intervalMs: number; nakPort: number }
  | { type: 'nak'; stream: StreamId; entries: NakEntry[] }
  | { type: 'repair'; stream: StreamId; datagram: Buffer }
  | { type: 'retained-request'; stream: StreamId; nonce: number; filter: string }
  | { type: 'retained-value'; stream: StreamId; nonce: number; datagram: Buffer }
  /** A publisher says who it is and what it publishes (JSON text, presence-announcement.ts); the stream is its presence id. */
  | { type: 'announce'; stream: StreamId; text: string }
  | { type: 'goodbye'; stream: StreamId };

/** Why a datagram with the control magic (or without it) is not a control frame. */
export type ControlMalformed = 'short' | 'magic' | 'length' | 'type' | 'body';

const TYPE_CODES: Record<ControlFrame['type'], number> = {
  heartbeat: 1,
  nak: 2,
  repair: 3,
  'retained-request': 4,
  'retained-value': 5,
  announce: 6,
  goodbye: 7,
};
const STREAM_ID = /^[0-9a-f]{16}$/;
// A lone surrogate would go out as U+FFFD and come back as another filter; in /u mode a pair never matches.
const LONE_SURROGATE = /\p{Cs}/u;
// fatal: bytes that are not UTF-8 make the frame malformed instead of turning into U+FFFD; ignoreBOM keeps a
// leading U+FEFF in the filter, where the sender put it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Whether a datagram carries the control magic: the receive path's cheap routing test, before any decoding. */
export function isControlFrame(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes.readUInt32BE(0) === CONTROL_MAGIC;
}

/** A new random stream id, for a bus that opens (or reopens: a restarted sender must not continue an old stream). */
export function newStreamId(): StreamId {
  return randomBytes(8).toString('hex');
}

function checked(value: number, max: number, name: string): number {
  // Buffer's writers let NaN and fractions through as 0 or truncated; a wrong number on the wire is worse than a throw.
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`${name} must be an integer in 0…${max}, not ${value}`);
  return value;
}

function nonceField(nonce: number): Buffer {
  const field = Buffer.alloc(NONCE_BYTES);
  field.writeUInt32BE(checked(nonce, 0xffffffff, 'nonce'));
  return field;
}

function nakBody(entries: NakEntry[]): Buffer {
  if (entries.length === 0 || entries.length > MAX_NAK_ENTRIES) throw new RangeError(`a NAK has 1…${MAX_NAK_ENTRIES} entries, not ${entries.length}`);
  const body = Buffer.alloc(2 + NAK_ENTRY_BYTES * entries.length);
  body.writeUInt16BE(entries.length, 0);
  entries.forEach(({ seq, first, last }, i) => {
    if (first > last) throw new RangeError(`NAK entry ${i} asks for fragments ${first}…${last}: first after last`);
    const at = 2 + NAK_ENTRY_BYTES * i;
    body.writeUInt32BE(checked(seq, 0xffffffff, 'seq'), at);
    body.writeUInt16BE(checked(first, 0xffff, 'first'), at + 4);
    body.writeUInt16BE(checked(last, 0xffff, 'last'), at + 6);
  });
  return body;
}

// The body in parts, so a repair's datagram is copied once, into the frame, and not first into a body of its own.
function bodyParts(frame: ControlFrame): Buffer[] {
  switch (frame.type) {
    case 'heartbeat': {
      const body = Buffer.alloc(HEARTBEAT_BODY_BYTES);
      body.writeUInt32BE(checked(frame.oldest, 0xffffffff, 'oldest'), 0);
      body.writeUInt32BE(checked(frame.newest, 0xffffffff, 'newest'), 4);
      body.writeUInt16BE(checked(frame.intervalMs, 0xffff, 'intervalMs'), 8);
      body.writeUInt16BE(checked(frame.nakPort, 0xffff, 'nakPort'), 10);
      return [body];
    }
    case 'nak':
      return [nakBody(frame.entries)];
    case 'retained-request':
      if (LONE_SURROGATE.test(frame.filter)) throw new RangeError('a filter with a lone surrogate has no UTF-8 form');
      return [nonceField(frame.nonce), Buffer.from(frame.filter, 'utf8')];
    case 'announce':
      if (LONE_SURROGATE.test(frame.text)) throw new RangeError('an announcement with a lone surrogate has no UTF-8 form');
      return [Buffer.from(frame.text, 'utf8')];
    case 'goodbye':
      return [];
    case 'repair':
    case 'retained-value': // an empty datagram would decode as malformed
      if (frame.datagram.length === 0) throw new RangeError(`a ${frame.type} needs a datagram of at least one byte`);
      return frame.type === 'repair' ? [frame.datagram] : [nonceField(frame.nonce), frame.datagram];
  }
}

/**
 * One control frame as it goes to the socket. Throws a RangeError on what the wire cannot carry: a bad stream id, a NAK
 * of 0 or over 64 entries or with first > last, a number out of its field's range, an empty datagram, a body over 65,535.
 */
export function encodeControlFrame(frame: ControlFrame): Buffer {
  if (!STREAM_ID.test(frame.stream)) throw new RangeError(`a stream id is 16 lowercase hex digits, not ${JSON.stringify(frame.stream)}`);
  const parts = bodyParts(frame);
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  if (length > MAX_BODY_BYTES) throw new RangeError(`a control frame body is at most ${MAX_BODY_BYTES} bytes, not ${length}`);
  const header = Buffer.alloc(CONTROL_HEADER_BYTES); // flags (byte 5) 0
  header.writeUInt32BE(CONTROL_MAGIC, 0);
  header.writeUInt8(TYPE_CODES[frame.type], 4);
  header.writeUInt16BE(length, 6);
  header.write(frame.stream, 8, 'hex');
  return Buffer.concat([header, ...parts]);
}

function decodeNak(stream: StreamId, body: Buffer): ControlFrame | 'body' {
  const count = body.length >= 2 ? body.readUInt16BE(0) : 0;
  if (count === 0 || count > MAX_NAK_ENTRIES || body.length !== 2 + NAK_ENTRY_BYTES * count) return 'body';
  const entries: NakEntry[] = [];
  for (let at = 2; at < body.length; at += NAK_ENTRY_BYTES) {
    const entry = { seq: body.readUInt32BE(at), first: body.readUInt16BE(at + 4), last: body.readUInt16BE(at + 6) };
    if (entry.first > entry.last) return 'body';
    entries.push(entry);
  }
  return { type: 'nak', stream, entries };
}

function decodeText(bytes: Buffer): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined; // not UTF-8
  }
}

function decodeBody(type: number, stream: StreamId, body: Buffer): ControlFrame | 'type' | 'body' {
  switch (type) {
    case 1:
      if (body.length !== HEARTBEAT_BODY_BYTES) return 'body';
      return {
        type: 'heartbeat',
        stream,
        oldest: body.readUInt32BE(0),
        newest: body.readUInt32BE(4),
        intervalMs: body.readUInt16BE(8),
        nakPort: body.readUInt16BE(10),
      };
    case 2:
      return decodeNak(stream, body);
    case 3:
      return body.length === 0 ? 'body' : { type: 'repair', stream, datagram: body };
    case 4: {
      const filter = body.length < NONCE_BYTES ? undefined : decodeText(body.subarray(NONCE_BYTES));
      return filter === undefined ? 'body' : { type: 'retained-request', stream, nonce: body.readUInt32BE(0), filter };
    }
    case 5:
      if (body.length <= NONCE_BYTES) return 'body';
      return { type: 'retained-value', stream, nonce: body.readUInt32BE(0), datagram: body.subarray(NONCE_BYTES) };
    case 6: {
      const text = body.length === 0 ? undefined : decodeText(body);
      return text === undefined ? 'body' : { type: 'announce', stream, text };
    }
    case 7:
      return body.length === 0 ? { type: 'goodbye', stream } : 'body';
    default:
      return 'type';
  }
}

/**
 * Reads one control frame; never throws, whatever the bytes. Flag bits are ignored. A repair's or retained value's
 * datagram is a view (subarray) of `bytes`, not a copy: copy it to keep it past a reuse of the buffer.
 */
export function decodeControlFrame(bytes: Buffer): { frame: ControlFrame } | { malformed: ControlMalformed } {
  if (bytes.length < CONTROL_HEADER_BYTES) return { malformed: 'short' };
  if (bytes.readUInt32BE(0) !== CONTROL_MAGIC) return { malformed: 'magic' };
  // Exactly: trailing bytes the length does not cover are as suspect as missing ones.
  if (bytes.readUInt16BE(6) !== bytes.length - CONTROL_HEADER_BYTES) return { malformed: 'length' };
  const frame = decodeBody(bytes[4], bytes.toString('hex', 8, 16), bytes.subarray(CONTROL_HEADER_BYTES));
  return typeof frame === 'string' ? { malformed: frame } : { frame };
}

/** Whether a control frame is an announcement or a goodbye (presence), by its type byte: the bus routes on it. */
export function isPresenceFrame(bytes: Buffer): boolean {
  return bytes.length > 4 && (bytes[4] === TYPE_CODES.announce || bytes[4] === TYPE_CODES.goodbye);
}
