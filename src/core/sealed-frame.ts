// Sealed frames: every datagram of a bus encrypted and authenticated with AES-256-GCM (docs/security.md).
//
//   offset size field
//    0     4   magic 0x4D435331 ("MCS1"): LCM tools and raw receivers ignore or show it, never misread it as LCM
//    4     4   key id: the first 4 bytes of HMAC-SHA256(key, "multicast-bus key id"), for rotation
//    8     8   session id: random per sending bus, so (session key, counter) never repeats across restarts
//   16     8   counter: the nonce, one up per datagram of the session
//   24     8   sent at: milliseconds since 1970, for the replay time window
//   32     n   ciphertext of the inner datagram (an LCM or raw datagram)
//   32+n  16   GCM tag over the header (bytes 0–31, as additional data) and the ciphertext
//
// Session key = HKDF-SHA256(key, salt = session id, info = "multicast-bus sealed v1"); nonce = 4 zero bytes + counter.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

export const SEALED_MAGIC = 0x4d435331;
export const SEALED_HEADER_BYTES = 32;
export const SEALED_TAG_BYTES = 16;
/** What sealing adds to every datagram. */
export const SEALED_OVERHEAD = SEALED_HEADER_BYTES + SEALED_TAG_BYTES;

const HKDF_INFO = Buffer.from('multicast-bus sealed v1');

/** The 4-byte id of a key, as carried in every frame sealed with it. */
export function keyId(key: Buffer): number {
  return createHmac('sha256', key).update('multicast-bus key id').digest().readUInt32BE(0);
}

function sessionKey(key: Buffer, session: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', key, session, HKDF_INFO, 32));
}

function nonceFor(counter: bigint): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(counter, 4);
  return nonce;
}

/** Seals the datagrams of one sending session; never reuses a nonce, since the counter only goes up. */
export class Sealer {
  private readonly session = randomBytes(8);
  private readonly key: Buffer;
  private readonly id: number;
  private counter = 0n;

  constructor(key: Buffer, private readonly now: () => number = Date.now) {
    this.key = sessionKey(key, this.session);
    this.id = keyId(key);
  }

  /** Seals one datagram (given as its parts, e.g. an LCM header and a payload view). */
  seal(parts: Buffer[]): Buffer {
    const header = Buffer.allocUnsafe(SEALED_HEADER_BYTES);
    header.writeUInt32BE(SEALED_MAGIC, 0);
    header.writeUInt32BE(this.id, 4);
    this.session.copy(header, 8);
    const counter = this.counter++;
    header.writeBigUInt64BE(counter, 16);
    header.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(this.now()))), 24);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonceFor(counter));
    cipher.setAAD(header);
    const body = parts.map((part) => cipher.update(part));
    body.push(cipher.final());
    return Buffer.concat([header, ...body, cipher.getAuthTag()]);
  }
}

/** A sealed frame's header, read without any key. */
export interface SealedHeader {
  keyId: number;
  session: Buffer;
  counter: bigint;
  sentAt: number;
}

/** Reads the header of a sealed frame; undefined when the bytes are not one (wrong magic or too short). */
export function readSealedHeader(bytes: Buffer): SealedHeader | undefined {
  if (bytes.length < SEALED_OVERHEAD || bytes.readUInt32BE(0) !== SEALED_MAGIC) return undefined;
  return {
    keyId: bytes.readUInt32BE(4),
    session: bytes.subarray(8, 16),
    counter: bytes.readBigUInt64BE(16),
    sentAt: Number(bytes.readBigUInt64BE(24)),
  };
}

/** Opens a sealed frame with `key`; undefined when it fails authentication. Never throws. */
export function unseal(bytes: Buffer, header: SealedHeader, key: Buffer, keyCache?: Map<string, Buffer>): Buffer | undefined {
  const cacheKey = header.session.toString('hex');
  let derived = keyCache?.get(cacheKey);
  if (!derived) {
    derived = sessionKey(key, header.session);
    keyCache?.set(cacheKey, derived);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', derived, nonceFor(header.counter));
    decipher.setAAD(bytes.subarray(0, SEALED_HEADER_BYTES));
    decipher.setAuthTag(bytes.subarray(bytes.length - SEALED_TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(SEALED_HEADER_BYTES, bytes.length - SEALED_TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}
