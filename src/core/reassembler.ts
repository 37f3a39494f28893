// Puts LC03 fragments back together. Completion is tracked per fragment in a bitmap, so a repeated fragment cannot
// complete a message with a hole; memory is what was received (never what a header claims), capped in bytes and count.

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
  /** Messages discarded because a fragment lied: offset past the end, size over the limit, count or size mismatch. */
  discarded: number;
}

export type FragmentResult =
  | { kind: 'complete'; seq: number; channel: string; payload: Buffer }
  | { kind: 'pending' }
  | { kind: 'duplicate' }
  | { kind: 'discarded'; reason: 'too-large' | 'offset' | 'mismatch' | 'gaps' };

interface Partial {
  key: string;
  size: number;
  count: number;
  channel?: string;
  parts: (Buffer | undefined)[];
  offsets: number[];
  seen: Uint8Array;
  received: number;
  bytes: number;
  startedAt: number;
}

/** Reassembles fragmented messages from any number of senders, keyed by sender and sequence number. */
export class Reassembler {
  // A Map iterates in insertion order, so its first entry is always the oldest message.
  private readonly partials = new Map<string, Partial>();
  private heldBytes = 0;
  readonly counts: ReassemblyCounts = { completed: 0, duplicateFragments: 0, expired: 0, evicted: 0, discarded: 0 };

  constructor(
    private readonly limits: ReassemblerLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Incomplete messages held now. */
  get pending(): number {
    return this.partials.size;
  }

  /** Bytes held by incomplete messages now. */
  get bytesHeld(): number {
    return this.heldBytes;
  }

  /** Takes one fragment from `sender`; returns the whole message when this fragment completed it. */
  accept(sender: string, fragment: FragmentIn): FragmentResult {
    const key = `${sender}#${fragment.seq}`;
    if (fragment.size > this.limits.maxMessage) return this.discard(key, 'too-large');
    if (fragment.offset + fragment.data.length > fragment.size) return this.discard(key, 'offset');

    let partial = this.partials.get(key);
    if (!partial) {
      partial = {
        key,
        size: fragment.size,
        count: fragment.count,
        parts: new Array(fragment.count),
        offsets: new Array(fragment.count),
        seen: new Uint8Array(Math.ceil(fragment.count / 8)),
        received: 0,
        bytes: 0,
        startedAt: this.now(),
      };
      this.partials.set(key, partial);
    } else if (partial.size !== fragment.size || partial.count !== fragment.count) {
      return this.discard(key, 'mismatch');
    }

    const bit = 1 << (fragment.index & 7);
    const slot = fragment.index >> 3;
    if (partial.seen[slot] & bit) {
      this.counts.duplicateFragments++;
      return { kind: 'duplicate' };
    }
    partial.seen[slot] |= bit;
    partial.parts[fragment.index] = fragment.data;
    partial.offsets[fragment.index] = fragment.offset;
    if (fragment.index === 0) partial.channel = fragment.channel;
    partial.received++;
    partial.bytes += fragment.data.length;
    this.heldBytes += fragment.data.length;

    if (partial.received === partial.count) return this.complete(partial, fragment.seq);
    this.enforceCaps();
    return { kind: 'pending' };
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

  /** Forgets everything held. */
  clear(): void {
    this.partials.clear();
    this.heldBytes = 0;
  }

  private complete(partial: Partial, seq: number): FragmentResult {
    this.remove(partial);
    // Every fragment is here; they must also tile the message exactly, in order, with no gap or overlap.
    let expected = 0;
    for (let i = 0; i < partial.count; i++) {
      if (partial.offsets[i] !== expected) return this.countDiscard('gaps');
      expected += partial.parts[i]!.length;
    }
    if (expected !== partial.size || partial.channel === undefined) return this.countDiscard('gaps');
    this.counts.completed++;
    const payload = partial.count === 1 ? partial.parts[0]! : Buffer.concat(partial.parts as Buffer[], partial.size);
    return { kind: 'complete', seq, channel: partial.channel, payload };
  }

  private discard(key: string, reason: 'too-large' | 'offset' | 'mismatch'): FragmentResult {
    const partial = this.partials.get(key);
    if (partial) this.remove(partial);
    return this.countDiscard(reason);
  }

  private countDiscard(reason: 'too-large' | 'offset' | 'mismatch' | 'gaps'): FragmentResult {
    this.counts.discarded++;
    return { kind: 'discarded', reason };
  }

  private remove(partial: Partial): void {
    this.partials.delete(partial.key);
    this.heldBytes -= partial.bytes;
  }

  private enforceCaps(): void {
    while (this.partials.size > this.limits.maxCount || this.heldBytes > this.limits.maxBytes) {
      const oldest = this.partials.values().next().value as Partial;
      this.remove(oldest);
      this.counts.evicted++;
    }
  }
}
