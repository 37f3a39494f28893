// Puts LC03 fragments back together. Completion is tracked per fragment number, so a repeated fragment cannot
// complete a message with a hole; memory is what was received (never what a header claims), capped in bytes and count.
// The bytes charged are what holding a fragment costs the process, measured (test/core/reassembly-memory.test.ts):
// the whole buffer its data lives in, plus the objects that hold it.
import { fragmentFits, LC03_HEADER_BYTES, MAX_CHANNEL_BYTES, MAX_FRAGMENTS } from './lcm-codec';
import { FRESH_START } from './sequence-tracker';

export interface FragmentIn {
  seq: number;
  size: number;
  offset: number;
  index: number;
  count: number;
  channel?: string;
  data: Buffer;
}

export interface ReassemblerLimits {
  /** Largest message accepted, in bytes. */
  maxMessage: number;
  /** Bytes all incomplete messages may hold together; the oldest is evicted beyond it. */
  maxBytes: number;
  /** Incomplete messages held at once; the oldest is evicted beyond it. */
  maxCount: number;
  /** An incomplete message is dropped this long after its first fragment. */
  timeoutMs: number;
}

export interface ReassemblyCounts {
  completed: number;
  duplicateFragments: number;
  expired: number;
  evicted: number;
  /** Messages discarded because a fragment lied (offset past the end, size over the limit, fragments that do not
   * tile the message, a fragment no real message has) or disagreed with the earlier fragments of its sequence number. */
  discarded: number;
}

export type FragmentResult =
  | { kind: 'complete'; seq: number; channel: string; payload: Buffer }
  | { kind: 'pending' }
  | { kind: 'duplicate' }
  | { kind: 'discarded'; reason: 'too-large' | 'offset' | 'gaps' | 'header' };

interface Part {
  offset: number;
  data: Buffer;
}

interface Partial {
  key: string;
  size: number;
  count: number;
  channel?: string;
  /** Fragments received, by fragment number: only what arrived takes memory, whatever the header's count. */
  parts: Map<number, Part>;
  bytes: number;
  startedAt: number;
}

// Measured on Node.js 20 (x64), test/core/reassembly-memory.test.ts: besides its buffer's bytes, a held fragment
// takes about 256 bytes of V8 heap (its Map entry, the part, the Buffer view, the ArrayBuffer object) and about 84
// outside it (the backing store's record and malloc header); an incomplete message about 480 bytes of heap besides
// its fragments (the object, its Map, its entry in the table of incomplete messages, the channel), and its key.
const FRAGMENT_OVERHEAD = 352;
const PARTIAL_OVERHEAD = 512;
// A fragment's data is a view of the datagram it came in; the view keeps that whole buffer alive. When the buffer is
// bigger than the data and its datagram's header and channel (a slice of Node's shared 8 KiB pool, as on a sealed bus),
// the data is copied into a buffer of its own, so what is charged is what is held, and never more than this over it.
const COPY_SLACK = LC03_HEADER_BYTES + MAX_CHANNEL_BYTES + 1;
// A key (sender and sequence number) is at most about 80 characters; what holding one message may cost allows this many.
const KEY_ALLOWANCE = 128;
// Recently completed messages, so a late copy of one of their fragments cannot start a new partial.
const RECENTLY_COMPLETED = 1024;
// A sender that restarts numbers its first messages again at once, and only the sequence tracker, seeing two of them
// (a run from below FRESH_START that goes on by at most 2), can tell a restart from a copy: a message numbered below
// this is put together again, even when one with its number, size and count completed, and the tracker judges it.
const RESTART_NUMBERS = FRESH_START + 2;

/** The data as it will be held: the same view, or a copy when the view would keep a bigger buffer alive. */
function heldBytes(data: Buffer): Buffer {
  if (data.buffer.byteLength <= data.length + COPY_SLACK) return data;
  const copy = Buffer.allocUnsafeSlow(data.length);
  data.copy(copy);
  return copy;
}

/** What a completed message is remembered by besides its key: a fragment that disagrees belongs to another message. */
function signature(size: number, count: number): number {
  return size * 0x10000 + count;
}

/** The most holding one message of `size` bytes can be charged, however it is split (at most 65,535 fragments, each
 * with a byte at least): a reassembly budget below this for the largest message would have it evict itself. */
export function maxHoldingCost(size: number): number {
  const fragments = Math.max(1, Math.min(MAX_FRAGMENTS, size));
  return size + fragments * (COPY_SLACK + FRAGMENT_OVERHEAD) + PARTIAL_OVERHEAD + 2 * KEY_ALLOWANCE;
}

/** Reassembles fragmented messages from any number of senders, keyed by sender and sequence number. */
export class Reassembler {
  // A Map iterates in insertion order, so its first entry is always the oldest message.
  private readonly partials = new Map<string, Partial>();
  /** Keys of recently completed messages, oldest first, with their size and count. */
  private readonly completed = new Map<string, number>();
  private heldTotal = 0;
  readonly counts: ReassemblyCounts = { completed: 0, duplicateFragments: 0, expired: 0, evicted: 0, discarded: 0 };

  constructor(
    private readonly limits: ReassemblerLimits,
    // A monotonic clock: a step of the wall clock must not expire everything, or nothing.
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Incomplete messages held now. */
  get pending(): number {
    return this.partials.size;
  }

  /** Bytes held by incomplete messages now, bookkeeping included. */
  get bytesHeld(): number {
    return this.heldTotal;
  }

  /** Takes one fragment from `sender`; returns the whole message when this fragment completed it. */
  accept(sender: string, fragment: FragmentIn): FragmentResult {
    const key = `${sender}#${fragment.seq}`;
    // Only a fragment that agrees with the completed message is a late copy of one of its fragments: one that does not
    // belongs to another message with that number (the sender restarted, or a forged one came first).
    if (fragment.seq >= RESTART_NUMBERS && this.completed.get(key) === signature(fragment.size, fragment.count)) {
      this.counts.duplicateFragments++;
      return { kind: 'duplicate' };
    }
    if (fragment.size > this.limits.maxMessage) return this.discard(key, 'too-large');
    if (fragment.offset + fragment.data.length > fragment.size) return this.discard(key, 'offset');
    // A fragment no real sender makes (decodeDatagram refuses these already) is dropped alone.
    if (!fragmentFits(fragment.size, fragment.offset, fragment.index, fragment.count, fragment.data.length)) return this.countDiscard('header');

    let partial = this.partials.get(key);
    if (partial && (partial.size !== fragment.size || partial.count !== fragment.count)) {
      // The sequence number was reused (a restarted sender) or a fragment lies: the old message cannot complete.
      this.remove(partial);
      this.counts.discarded++;
      partial = undefined;
    }
    if (!partial) {
      partial = {
        key,
        size: fragment.size,
        count: fragment.count,
        parts: new Map(),
        bytes: PARTIAL_OVERHEAD + 2 * key.length,
        startedAt: this.now(),
      };
      this.partials.set(key, partial);
      this.heldTotal += partial.bytes;
    }

    if (partial.parts.has(fragment.index)) {
      this.counts.duplicateFragments++;
      return { kind: 'duplicate' };
    }
    const data = heldBytes(fragment.data);
    partial.parts.set(fragment.index, { offset: fragment.offset, data });
    if (fragment.index === 0) partial.channel = fragment.channel;
    const cost = data.buffer.byteLength + FRAGMENT_OVERHEAD;
    partial.bytes += cost;
    this.heldTotal += cost;

    if (partial.parts.size === partial.count) return this.complete(partial, fragment.seq);
    this.enforceCaps();
    return { kind: 'pending' };
  }

  /** Forgets the messages `sender` completed; call it when its numbering starts over, so they do not block the new ones. */
  forget(sender: string): void {
    const prefix = `${sender}#`;
    for (const key of this.completed.keys()) if (key.startsWith(prefix)) this.completed.delete(key);
  }

  /** Drops incomplete messages older than the timeout; call it now and then. Returns how many expired. */
  expire(): number {
    const cutoff = this.now() - this.limits.timeoutMs;
    let expired = 0;
    for (const partial of this.partials.values()) {
      if (partial.startedAt > cutoff) break;
      this.remove(partial);
      expired++;
    }
    this.counts.expired += expired;
    return expired;
  }

  private complete(partial: Partial, seq: number): FragmentResult {
    this.remove(partial);
    this.completed.delete(partial.key);
    this.completed.set(partial.key, signature(partial.size, partial.count));
    if (this.completed.size > RECENTLY_COMPLETED) this.completed.delete(this.completed.keys().next().value as string);
    // Every fragment is here; they must also tile the message exactly, in order, with no gap or overlap.
    const ordered: Buffer[] = [];
    let expected = 0;
    for (let i = 0; i < partial.count; i++) {
      const part = partial.parts.get(i)!;
      if (part.offset !== expected) return this.countDiscard('gaps');
      ordered.push(part.data);
      expected += part.data.length;
    }
    if (expected !== partial.size || partial.channel === undefined) return this.countDiscard('gaps');
    this.counts.completed++;
    const payload = ordered.length === 1 ? ordered[0] : Buffer.concat(ordered, partial.size);
    return { kind: 'complete', seq, channel: partial.channel, payload };
  }

  private discard(key: string, reason: 'too-large' | 'offset'): FragmentResult {
    const partial = this.partials.get(key);
    if (partial) this.remove(partial);
    return this.countDiscard(reason);
  }

  private countDiscard(reason: 'too-large' | 'offset' | 'gaps' | 'header'): FragmentResult {
    this.counts.discarded++;
    return { kind: 'discarded', reason };
  }

  private remove(partial: Partial): void {
    this.partials.delete(partial.key);
    this.heldTotal -= partial.bytes;
  }

  private enforceCaps(): void {
    while (this.partials.size > this.limits.maxCount || this.heldTotal > this.limits.maxBytes) {
      const oldest = this.partials.values().next().value as Partial;
      this.remove(oldest);
      this.counts.evicted++;
    }
  }
}
