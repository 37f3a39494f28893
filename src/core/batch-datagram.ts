// Batches (docs/wire-format.md): several whole LC02 messages in one datagram, so that small messages published
// together cost one send system call instead of one each. Pure functions: no sockets, no Node-RED.
import { LC02_HEADER_BYTES, LC02_MAGIC, type OutgoingDatagram } from './lcm-codec';

/** "MCBP": multicast bus, packed. LCM's own tools drop a datagram with a magic they do not know. */
export const BATCH_MAGIC = 0x4d434250;
export const BATCH_HEADER_BYTES = 4;
/** Each message in a batch is preceded by its length, in 16 bits. */
export const BATCH_ENTRY_BYTES = 2;

const EMPTY = Buffer.alloc(0);

/** Whether a datagram is a batch (its magic; whether it is well formed is unpackBatch's to say). */
export function isBatch(bytes: Buffer): boolean {
  return bytes.length >= BATCH_HEADER_BYTES && bytes.readUInt32BE(0) === BATCH_MAGIC;
}

/**
 * Packs whole-message datagrams, in order, into as few datagrams of at most `maxDatagram` bytes as hold them. A
 * message alone in its datagram goes as it is (plain LC02, which every LCM peer reads): at a low rate nothing changes.
 */
export function packBatches(messages: OutgoingDatagram[], maxDatagram: number): OutgoingDatagram[] {
  const out: OutgoingDatagram[] = [];
  let start = 0;
  while (start < messages.length) {
    let end = start;
    let size = BATCH_HEADER_BYTES;
    while (end < messages.length) {
      const [header, data] = messages[end];
      const entry = BATCH_ENTRY_BYTES + header.length + data.length;
      if (size + entry > maxDatagram) break;
      size += entry;
      end++;
    }
    if (end - start <= 1) {
      // Alone: it does not fit beside the next one, or there is no next one.
      out.push(messages[start]);
      start++;
      continue;
    }
    const batch = Buffer.allocUnsafe(size);
    batch.writeUInt32BE(BATCH_MAGIC, 0);
    let at = BATCH_HEADER_BYTES;
    for (let i = start; i < end; i++) {
      const [header, data] = messages[i];
      batch.writeUInt16BE(header.length + data.length, at);
      at += BATCH_ENTRY_BYTES;
      at += header.copy(batch, at);
      at += data.copy(batch, at);
    }
    out.push([EMPTY, batch]);
    start = end;
  }
  return out;
}

/**
 * The messages of a batch, each a whole LC02 datagram, or undefined when the batch is malformed: an entry that runs
 * past the end, one that is not a whole LC02 message (a fragment, a control frame, another batch), or no entry at
 * all. Never throws, whatever the bytes; the entries are at most one per 11 bytes. Each entry is a copy: a message
 * kept (held in order behind a gap, or by a flow) keeps its own bytes alive, never the whole batch, as an unbatched
 * datagram would.
 */
export function unpackBatch(bytes: Buffer): Buffer[] | undefined {
  if (!isBatch(bytes)) return undefined;
  const entries: Buffer[] = [];
  let at = BATCH_HEADER_BYTES;
  while (at < bytes.length) {
    if (at + BATCH_ENTRY_BYTES > bytes.length) return undefined;
    const length = bytes.readUInt16BE(at);
    at += BATCH_ENTRY_BYTES;
    // The least LC02 message: its header and an empty channel's NUL.
    if (length < LC02_HEADER_BYTES + 1 || at + length > bytes.length) return undefined;
    if (bytes.readUInt32BE(at) !== LC02_MAGIC) return undefined;
    entries.push(Buffer.from(bytes.subarray(at, at + length)));
    at += length;
  }
  return entries.length > 0 ? entries : undefined;
}
