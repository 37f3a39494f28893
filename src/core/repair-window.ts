import { seqAfter } from './sequence-number';

/** How much a sender keeps for repairs: whichever limit is reached first evicts its oldest messages. */
export interface RepairWindowLimits {
  maxAgeMs: number;
  maxBytes: number;
  maxMessages: number;
}

/** Longer than a receiver's whole repair cycle (400 ms of hold) with room for a slow host; bounded in bytes so a
 * burst of large messages cannot hold memory (docs/reliability.md). */
export const DEFAULT_REPAIR_WINDOW: RepairWindowLimits = { maxAgeMs: 2000, maxBytes: 8 * 1024 * 1024, maxMessages: 10_000 };

interface Kept {
  seq: number;
  at: number;
  datagrams: Buffer[];
  bytes: number;
}

// Compacting the eviction queue only once this many entries are dead keeps each eviction O(1) amortised.
const COMPACT_AFTER = 1024;

/**
 * The datagrams a sender sent lately, by sequence number, so a NAK can be answered with the originals byte for byte.
 *
 * Memory is the sum of the datagrams' lengths, and what is kept is evicted from the oldest. The newest message is
 * always kept until it is too old, even when it alone is larger than maxBytes: the message just sent is the one most
 * likely to be asked for, and the caller already holds it for the send anyway. The buffers are kept by reference:
 * the caller must not change them afterwards.
 */
export class RepairWindow {
  private readonly bySeq = new Map<number, Kept>();
  // Oldest first from `head`: sequence numbers arrive in order, so sending order is eviction order.
  // Evicted entries are cleared to undefined, so they do not hold their buffers until the next compaction.
  private queue: (Kept | undefined)[] = [];
  private head = 0;
  private bytes = 0;

  constructor(
    private readonly limits: RepairWindowLimits = DEFAULT_REPAIR_WINDOW,
    // A monotonic clock: a wall clock stepped back would keep messages far past their age.
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Keeps the datagrams of message `seq` (one LC02, or its LC03 fragments in order), sent now; evicts what is past the limits. Sequence numbers arrive in increasing (wrapping) order. */
  record(seq: number, datagrams: Buffer[]): void {
    seq >>>= 0;
    const newest = this.newestKept();
    // A number not after the newest means the numbering started over: the old messages would be found under the new
    // numbers and the eviction order would break, so they go.
    if (newest !== undefined && !seqAfter(seq, newest.seq)) this.clear();
    let bytes = 0;
    for (const datagram of datagrams) bytes += datagram.length;
    const kept: Kept = { seq, at: this.now(), datagrams, bytes };
    this.bySeq.set(seq, kept);
    this.queue.push(kept);
    this.bytes += bytes;
    this.expire();
    while (this.count() > 1 && (this.count() > this.limits.maxMessages || this.bytes > this.limits.maxBytes)) this.evictOldest();
  }

  /** The oldest sequence number still kept, or undefined when empty (evicts by age first). */
  oldest(): number | undefined {
    this.expire();
    return this.queue[this.head]?.seq;
  }

  /** The newest sequence number still kept, or undefined when empty (evicts by age first). */
  newest(): number | undefined {
    this.expire();
    return this.newestKept()?.seq;
  }

  /** The datagrams of fragments first…last of message seq still kept (0…0xFFFF: all of them; a range past the message's fragment count is clipped, to none when it starts past it), or undefined when that message is gone or never was. */
  lookup(seq: number, first: number, last: number): Buffer[] | undefined {
    this.expire();
    const kept = this.bySeq.get(seq >>> 0);
    if (!kept) return undefined;
    // A copy, so the caller cannot change what is kept; slice clips a range past the end by itself.
    return kept.datagrams.slice(first, Math.max(first, last + 1));
  }

  /** Bytes and messages held, for stats and tests (evicts by age first). */
  size(): { messages: number; bytes: number } {
    this.expire();
    return { messages: this.count(), bytes: this.bytes };
  }

  private count(): number {
    return this.queue.length - this.head;
  }

  private newestKept(): Kept | undefined {
    return this.count() > 0 ? this.queue[this.queue.length - 1] : undefined;
  }

  /** Evicts the messages sent maxAgeMs ago or longer, the newest too: a receiver that asks so late is given up. */
  private expire(): void {
    const at = this.now();
    for (let kept = this.queue[this.head]; kept && at - kept.at >= this.limits.maxAgeMs; kept = this.queue[this.head]) this.evictOldest();
  }

  private evictOldest(): void {
    const kept = this.queue[this.head] as Kept;
    this.queue[this.head++] = undefined;
    this.bySeq.delete(kept.seq);
    this.bytes -= kept.bytes;
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private clear(): void {
    this.bySeq.clear();
    this.queue = [];
    this.head = 0;
    this.bytes = 0;
  }
}
