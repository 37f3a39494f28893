// Sealed frames: every datagram of a bus encrypted and authenticated with AES-256-GCM (docs/security.md).
//
//   offset size field
//    0     4   magic 0x4D435332 ("MCS2"): LCM tools and raw receivers ignore or show it, never misread it as LCM.
//              Version 1 frames ("MCS1", 48-byte overhead, not bound to a bus) are recognised only to be counted.
//    4     4   key id: the first 4 bytes of HMAC-SHA256(key, "multicast-bus key id"), for rotation
//    8     8   session id: random per sending bus, so (session key, counter) never repeats across restarts
//   16     8   session tag: the first 8 bytes of HMAC-SHA256(tag key, session id), made once per session; it lets a
//              receiver reject an unknown session with one HMAC, before any key derivation or decryption
//   24     8   counter: the nonce, one up per datagram of the session
//   32     8   sent at: milliseconds since 1970, for the replay time window
//   40     n   ciphertext of the inner datagram (an LCM or raw datagram)
//   40+n  16   GCM tag over the header (bytes 0–39, as additional data) and the ciphertext
//
// Both keys below the bus key are bound to the bus (group, port, framing, family): a frame sealed for one bus fails
// on every other bus with the same key.
//   tag key     = HKDF-SHA256(key, salt = "", info = "multicast-bus session tag v2" 0x00 binding)
//   session key = HKDF-SHA256(key, salt = session id, info = "multicast-bus session key v2" 0x00 binding)
//   binding     = family (1 byte: 4 or 6), group address (4 or 16 bytes), port (2 bytes), framing name ("lcm", "raw")
// Nonce = 4 zero bytes + counter. Integers are big-endian.
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, type KeyObject, randomBytes, timingSafeEqual } from 'node:crypto';
import type { BusSettings } from './bus-settings';

export const SEALED_MAGIC = 0x4d435332;
/** The magic of version 1 frames, which no longer open anywhere (their keys were not bound to a bus). */
export const SEALED_MAGIC_V1 = 0x4d435331;
export const SEALED_HEADER_BYTES = 40;
export const SEALED_TAG_BYTES = 16;
/** What sealing adds to every datagram. */
export const SEALED_OVERHEAD = SEALED_HEADER_BYTES + SEALED_TAG_BYTES;
const SESSION_TAG_BYTES = 8;

/** The bus a frame is sealed for: what is bound into its keys. */
export type BusBinding = Pick<BusSettings, 'family' | 'group' | 'port' | 'framing'>;

/** The bytes of a bus binding (see the table above); empty for no bus, which only tests of the frame itself use. */
export function bindingBytes(bus: BusBinding | undefined): Buffer {
  if (!bus) return Buffer.alloc(0);
  const port = Buffer.alloc(2);
  port.writeUInt16BE(bus.port);
  return Buffer.concat([Buffer.from([bus.family === 'IPv4' ? 4 : 6]), groupBytes(bus), port, Buffer.from(bus.framing)]);
}

// From the address bytes, not the text: "FF15:0::1" and "ff15::1" are one bus, so they must derive one key.
function groupBytes({ family, group }: BusBinding): Buffer {
  if (family === 'IPv4') return Buffer.from(group.split('.').map(Number));
  const words = (part: string | undefined) => (part ? part.split(':').map((word) => parseInt(word, 16)) : []);
  const [head, tail] = group.split('::');
  const front = words(head);
  const back = words(tail);
  const all = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  const bytes = Buffer.alloc(16);
  all.forEach((word, i) => bytes.writeUInt16BE(word, 2 * i));
  return bytes;
}

/** The 4-byte id of a key, as carried in every frame sealed with it. */
export function keyId(key: Buffer): number {
  return createHmac('sha256', key).update('multicast-bus key id').digest().readUInt32BE(0);
}

const hkdf = (key: Buffer, salt: Buffer, label: string, binding: Buffer) =>
  Buffer.from(hkdfSync('sha256', key, salt, Buffer.concat([Buffer.from(`${label}\0`), binding]), 32));

/** A bus key bound to one bus: what sealing and opening need, derived once per bus. */
export class BoundKey {
  readonly id: number;
  /** Session keys derived so far: the expensive step, which only a valid session tag may cause on receive. */
  derivations = 0;
  private readonly tagKey: Buffer;
  private readonly binding: Buffer;

  constructor(
    private readonly key: Buffer,
    bus: BusBinding | undefined,
  ) {
    this.id = keyId(key);
    this.binding = bindingBytes(bus);
    this.tagKey = hkdf(key, Buffer.alloc(0), 'multicast-bus session tag v2', this.binding);
  }

  /** The tag that proves a holder of this key made the session for this bus. */
  sessionTag(session: Buffer): Buffer {
    return createHmac('sha256', this.tagKey).update(session).digest().subarray(0, SESSION_TAG_BYTES);
  }

  /** True when the frame's session tag is the one this key makes for its session on this bus; one HMAC. */
  vouchesFor(header: SealedHeader): boolean {
    return timingSafeEqual(this.sessionTag(header.session), header.sessionTag);
  }

  /** The AES key of one session; a KeyObject, so each frame of the session reuses it without copying it to OpenSSL. */
  sessionKey(session: Buffer): KeyObject {
    this.derivations++;
    return createSecretKey(hkdf(this.key, session, 'multicast-bus session key v2', this.binding));
  }
}

// The nonce of the frame being sealed or opened now: createCipheriv and createDecipheriv copy it, so one will do.
const nonce = Buffer.alloc(12);

function nonceFor(counter: bigint): Buffer {
  nonce.writeBigUInt64BE(counter, 4);
  return nonce;
}

/** Seals the datagrams of one sending session; never reuses a nonce, since the counter only goes up. */
export class Sealer {
  readonly session = randomBytes(8);
  private readonly tag: Buffer;
  private readonly key: KeyObject;
  private readonly id: number;
  // A number, not a bigint: exact up to 2^53 frames, more than a million a second for 285 years.
  private counter = 0;

  constructor(
    bound: BoundKey,
    private readonly now: () => number = Date.now,
  ) {
    this.tag = bound.sessionTag(this.session);
    this.key = bound.sessionKey(this.session);
    this.id = bound.id;
  }

  /**
   * Seals one datagram (given as its parts, e.g. an LCM header and a payload view). One cipher per frame is what
   * Node's crypto allows for GCM with a new nonce; around it, the frame is written into one buffer, with one update.
   */
  seal(parts: Buffer[]): Buffer {
    // A batch or a raw datagram comes as one buffer behind an empty header: no copy for it.
    const plain = parts.length === 1 ? parts[0] : parts.length === 2 && parts[0].length === 0 ? parts[1] : Buffer.concat(parts);
    const frame = Buffer.allocUnsafe(SEALED_HEADER_BYTES + plain.length + SEALED_TAG_BYTES);
    frame.writeUInt32BE(SEALED_MAGIC, 0);
    frame.writeUInt32BE(this.id, 4);
    this.session.copy(frame, 8);
    this.tag.copy(frame, 16);
    const counter = this.counter++;
    writeUInt64(frame, counter, 24);
    writeUInt64(frame, Math.max(0, Math.floor(this.now())), 32);
    writeUInt64(nonce, counter, 4);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(frame.subarray(0, SEALED_HEADER_BYTES));
    const written = cipher.update(plain).copy(frame, SEALED_HEADER_BYTES);
    cipher.final();
    cipher.getAuthTag().copy(frame, SEALED_HEADER_BYTES + written);
    return frame;
  }
}

/** Writes a whole number below 2^53 as 8 bytes, big-endian, without a bigint. */
function writeUInt64(bytes: Buffer, value: number, offset: number): void {
  bytes.writeUInt32BE(Math.floor(value / 2 ** 32), offset);
  bytes.writeUInt32BE(value >>> 0, offset + 4);
}

/** A sealed frame's header, read without any key. */
export interface SealedHeader {
  keyId: number;
  session: Buffer;
  sessionTag: Buffer;
  counter: bigint;
  sentAt: number;
}

/** Reads the header of a sealed frame; undefined when the bytes are not one (wrong magic or too short). */
export function readSealedHeader(bytes: Buffer): SealedHeader | undefined {
  if (bytes.length < SEALED_OVERHEAD || bytes.readUInt32BE(0) !== SEALED_MAGIC) return undefined;
  return {
    keyId: bytes.readUInt32BE(4),
    session: bytes.subarray(8, 16),
    sessionTag: bytes.subarray(16, 24),
    counter: bytes.readBigUInt64BE(24),
    sentAt: Number(bytes.readBigUInt64BE(32)),
  };
}

/** True for a frame of the first sealed format, which this version cannot open. */
export function isVersion1Frame(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes.readUInt32BE(0) === SEALED_MAGIC_V1;
}

/** Opens a sealed frame with its session's key; undefined when it fails authentication. Never throws. */
export function unseal(bytes: Buffer, header: SealedHeader, sessionKey: KeyObject): Buffer | undefined {
  const decipher = createDecipheriv('aes-256-gcm', sessionKey, nonceFor(header.counter));
  decipher.setAAD(bytes.subarray(0, SEALED_HEADER_BYTES));
  decipher.setAuthTag(bytes.subarray(bytes.length - SEALED_TAG_BYTES));
  const plain = decipher.update(bytes.subarray(SEALED_HEADER_BYTES, bytes.length - SEALED_TAG_BYTES));
  // A failed tag can only be learnt from the error final() throws; its stack trace is the larger part of what a forged
  // frame costs, and nobody reads it.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    // GCM gives everything in update(); final() only checks the tag.
    const rest = decipher.final();
    return rest.length === 0 ? plain : Buffer.concat([plain, rest]);
  } catch {
    return undefined;
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}
