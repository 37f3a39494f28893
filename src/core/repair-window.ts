import { seqAfter } from './sequence-number';

/** How much a sender keeps for repairs: whichever limit is reached first evicts its oldest messages. */
export interface RepairWindowLimits {
  maxAgeMs: number;
  maxBytes: number;
  maxMessages: number;
}

/** Longer than a receiver's whole repair cycle (its asks, about 500 ms, and the hold's 1.5 s backstop); bounded in bytes so a
 * burst of large messages cannot hold memory (docs/reliability.md). */
export const DEFAULT_REPAIR_WINDOW: RepairWindowLimits = { maxAgeMs: 2000, maxBytes: 8 * 1024 * 1024, maxMessages: 10_000 };

// Compacting the queue only once this many entries are dead keeps each eviction O(1) amortised.
const COMPACT_AFTER = 1024;

/**
 * The datagrams a sender sent lately, by sequence number, so a NAK can be answered with the originals byte for byte.
 *
 * Memory is the sum of the datagrams' lengths, and what is kept is evicted from the oldest. The newest message is
 * always kept until it is too old, even when it alone is larger than maxBytes: the message just sent is the one most
 * likely to be asked for, and the caller already holds it for the send anyway. The buffers are kept by reference:
 * the caller must not change them afterwards.
 *
 * Kept as parallel queues (sequence number, time, bytes, datagrams), oldest first from `head`, with no object and no
 * map entry per message: at 100,000 messages a second every message is kept, and what is kept lives long enough to be
 * copied by every young-generation collection, so each object per message costs more than its allocation. A number is
 * found from its distance to the oldest, since numbers are kept in increasing order and mostly one apart.
 */
export class RepairWindow {
  private seqs: number[] = [];
  private ats: number[] = [];
  private sizes: number[] = [];
  // One datagram (the common case: a small message) is kept as itself, not in an array of one.
  private kept: (Buffer | Buffer[] | undefined)[] = [];
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
    // A number not after the newest means the numbering started over: the old messages would be found under the new
    // numbers and the eviction order would break, so they go.
    if (this.count() > 0 && !seqAfter(seq, this.seqs[this.seqs.length - 1])) this.clear();
    let bytes = 0;
    for (const datagram of datagrams) bytes += datagram.length;
    const at = this.now();
    this.seqs.push(seq);
    this.ats.push(at);
    this.sizes.push(bytes);
    this.kept.push(datagrams.length === 1 ? datagrams[0] : datagrams);
    this.bytes += bytes;
    this.expire(at);
    while (this.count() > 1 && (this.count() > this.limits.maxMessages || this.bytes > this.limits.maxBytes)) this.evictOldest();
  }

  /** The oldest sequence number still kept, or undefined when empty (evicts by age first). */
  oldest(): number | undefined {
    this.expire(this.now());
    return this.count() > 0 ? this.seqs[this.head] : undefined;
  }

  /** The newest sequence number still kept, or undefined when empty (evicts by age first). */
  newest(): number | undefined {
    this.expire(this.now());
    return this.count() > 0 ? this.seqs[this.seqs.length - 1] : undefined;
  }

  /** The datagrams of fragments first…last of message seq still kept (0…0xFFFF: all of them; a range past the message's fragment count is clipped, to none when it starts past it), or undefined when that message is gone or never was. */
  lookup(seq: number, first: number, last: number): Buffer[] | undefined {
    this.expire(this.now());
    const index = this.indexOf(seq >>> 0);
    if (index === undefined) return undefined;
    const kept = this.kept[index] as Buffer | Buffer[];
    // A new array, so the caller cannot change what is kept; slice clips a range past the end by itself.
    return (Array.isArray(kept) ? kept : [kept]).slice(first, Math.max(first, last + 1));
  }

  /** Bytes and messages held, for stats and tests (evicts by age first). */
  size(): { messages: number; bytes: number } {
    this.expire(this.now());
    return { messages: this.count(), bytes: this.bytes };
  }

  private count(): number {
    return this.seqs.length - this.head;
  }

  /** Where message `seq` is in the queues, or undefined when it is not kept. */
  private indexOf(seq: number): number | undefined {
    if (this.count() === 0) return undefined;
    const oldest = this.seqs[this.head];
    const distance = (seq - oldest) >>> 0;
    // Numbers one apart: the message is exactly `distance` after the oldest.
    const guess = this.head + distance;
    if (guess < this.seqs.length && this.seqs[guess] === seq) return guess;
    // Gaps in the numbering: a binary search by distance from the oldest, which increases along the queue.
    let low = this.head;
    let high = this.seqs.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const at = (this.seqs[middle] - oldest) >>> 0;
      if (at === distance) return middle;
      if (at < distance) low = middle + 1;
      else high = middle - 1;
    }
    return undefined;
  }

  /** Evicts the messages sent maxAgeMs ago or longer, the newest too: a receiver that asks so late is given up. */
  private expire(at: number): void {
    while (this.count() > 0 && at - this.ats[this.head] >= this.limits.maxAgeMs) this.evictOldest();
  }

  private evictOldest(): void {
    this.bytes -= this.sizes[this.head];
    // Cleared, so an evicted message does not hold its buffers until the next compaction.
    this.kept[this.head++] = undefined;
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.seqs.length) {
      this.seqs = this.seqs.slice(this.head);
      this.ats = this.ats.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.kept = this.kept.slice(this.head);
      this.head = 0;
    }
  }

  private clear(): void {
    this.seqs = [];
    this.ats = [];
    this.sizes = [];
    this.kept = [];
    this.head = 0;
    this.bytes = 0;
  }
}
