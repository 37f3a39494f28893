/** How often one datagram may be repaired, and how many repairs an idle sender may still send at once. */
export interface RepairLimiterOptions {
  lingerMs: number;
  burst: number;
}

/** A range is repaired at most once per 30 ms; 64 repairs on top of the sender's own rate (docs/reliability.md). */
export const DEFAULT_REPAIR_LIMITS: RepairLimiterOptions = { lingerMs: 30, burst: 64 };

/** At most this many repaired datagrams are remembered for the linger, so a NAK flood cannot grow memory. */
export const MAX_LINGERING = 4096;

// The data rate is counted in buckets of 100 ms: a sum of eleven numbers, not a list of sends. Ten full buckets and
// the current one span 1 to 1.1 s; the oldest counts only for its part still within the last second.
const BUCKET_MS = 100;
const BUCKETS = 11;

/**
 * Decides whether a NAKed datagram may be repaired now. NAKs for the same datagram from many receivers within one
 * linger cost one repair; and repairs come out of a token bucket holding at most `burst`, refilled at the sender's
 * own data rate over the last second, so a NAK flood makes a sender send at most about its data rate plus `burst`
 * in repairs, and an idle sender no more than `burst` in all until it sends again.
 */
export class RepairLimiter {
  private readonly options: RepairLimiterOptions;
  // Repaired keys and when, oldest first (a Map iterates in insertion order, and a key is only set when absent).
  private readonly lingering = new Map<string, number>();
  private readonly buckets = new Array<number>(BUCKETS).fill(0);
  // Index of the current bucket: floor(time / BUCKET_MS).
  private bucket: number;
  // The sum of all the buckets.
  private sentInBuckets = 0;
  private tokens: number;
  private refilledAt: number;
  private readonly decided = { repaired: 0, lingered: 0, rateLimited: 0 };

  constructor(
    options: Partial<RepairLimiterOptions> = {},
    // A monotonic clock: a wall clock stepped back would hold repaired datagrams in the linger for that long.
    private readonly now: () => number = () => performance.now(),
  ) {
    this.options = { ...DEFAULT_REPAIR_LIMITS, ...options };
    const at = now();
    this.bucket = Math.floor(at / BUCKET_MS);
    this.tokens = this.options.burst;
    this.refilledAt = at;
  }

  /** The sender sent `count` data datagrams now: its data rate over the last second sets the repair budget. */
  noteSent(count: number): void {
    // Tokens earned so far are earned at the rate before these sends.
    this.refill(this.now());
    this.buckets[this.bucket % BUCKETS] += count;
    this.sentInBuckets += count;
  }

  /** Whether the datagram `key` (e.g. `${seq}:${fragment}`) may be repaired now: not repaired within the linger, and within the budget; a true answer spends it. */
  allow(key: string): boolean {
    const at = this.now();
    this.forget(at);
    if (this.lingering.has(key)) {
      this.decided.lingered++;
      return false;
    }
    this.refill(at);
    if (this.tokens < 1) {
      // Not remembered: it was not repaired, so the receiver's retry deserves a chance once tokens come back.
      this.decided.rateLimited++;
      return false;
    }
    this.tokens--;
    if (this.lingering.size >= MAX_LINGERING) this.lingering.delete(this.lingering.keys().next().value as string);
    this.lingering.set(key, at);
    this.decided.repaired++;
    return true;
  }

  /** What it decided so far: repaired, lingered (asked again within the linger), rateLimited. */
  counts(): { repaired: number; lingered: number; rateLimited: number } {
    return { ...this.decided };
  }

  /** How many repaired datagrams it remembers for the linger: at most MAX_LINGERING (for stats and tests). */
  remembered(): number {
    this.forget(this.now());
    return this.lingering.size;
  }

  /** Forgets the datagrams repaired a linger ago or longer: they may be repaired again. */
  private forget(at: number): void {
    for (const [key, repairedAt] of this.lingering) {
      if (at - repairedAt < this.options.lingerMs) break;
      this.lingering.delete(key);
    }
  }

  /** Adds the tokens earned since the last refill at the data rate of the last second, up to `burst`. */
  private refill(at: number): void {
    // A bucket at a time, so sends that leave the last second on the way stop earning tokens there.
    while (this.refilledAt < at) {
      const until = Math.min(at, (this.bucket + 1) * BUCKET_MS);
      // The oldest bucket leaves the window linearly: its rate halfway through the step is the step's average.
      const rate = this.sentLastSecond((this.refilledAt + until) / 2);
      this.tokens = Math.min(this.options.burst, this.tokens + (rate * (until - this.refilledAt)) / 1000);
      this.refilledAt = until;
      if (until < at) this.advance(until);
      // Nothing sent in the last second, or the bucket is full: no more to earn until `at`.
      if (this.sentInBuckets === 0 || this.tokens >= this.options.burst) this.refilledAt = at;
    }
    this.advance(at);
  }

  /** Data datagrams sent in the second before `at` (within the current bucket). */
  private sentLastSecond(at: number): number {
    const passed = (at - this.bucket * BUCKET_MS) / BUCKET_MS;
    return this.sentInBuckets - this.buckets[(this.bucket + 1) % BUCKETS] * passed;
  }

  /** Moves the window of sends to `at`, emptying the buckets it leaves behind. */
  private advance(at: number): void {
    const bucket = Math.floor(at / BUCKET_MS);
    for (let steps = Math.min(bucket - this.bucket, BUCKETS); steps > 0; steps--) {
      const next = (bucket - steps + 1) % BUCKETS;
      this.sentInBuckets -= this.buckets[next];
      this.buckets[next] = 0;
    }
    if (bucket > this.bucket) this.bucket = bucket;
  }
}
