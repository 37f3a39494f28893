/** How often one datagram may be repaired, and how many repairs a sender may send beyond its own data rate. */
export interface RepairLimiterOptions {
  lingerMs: number;
  burst: number;
  /** Repairs a second may reach this multiple of the data datagrams sent in that second (plus burst). */
  rateFactor: number;
}

/**
 * A range is repaired at most once per 10 ms (longer than a LAN's round trip, so NAKs already on their way when the
 * repair left cost nothing; short, so a repair lost for everyone is sent again at the next NAK and suppresses the NAKs
 * of the others); repairs reach at most twice the sender's own rate plus 64 a second
 * (docs/reliability.md): at 20% loss to 8 receivers about 83% of datagrams need a repair, and some repairs are lost
 * and repaired again, so once the data rate is not enough.
 */
export const DEFAULT_REPAIR_LIMITS: RepairLimiterOptions = { lingerMs: 10, burst: 64, rateFactor: 2 };

/** At most this many repaired datagrams are remembered for the linger, so a NAK flood cannot grow memory. */
export const MAX_LINGERING = 4096;

// Data datagrams sent and repairs are both counted in buckets of 100 ms: sums of a few numbers, not lists of sends.
// Each count errs on the safe side of "the last second": a send counts while all of its bucket is within the last
// second (the current bucket and the nine before: the last 0.9 to 1 s), a repair while any of its bucket is (the
// current and the ten before: the last 1 to 1.1 s). So in any second, repairs never exceed rateFactor times the sends
// of that second plus burst.
const BUCKET_MS = 100;
const REPAIR_BUCKETS = 11;
const SENT_BUCKETS = 10;

/**
 * Decides whether a NAKed datagram may be repaired now. NAKs for the same datagram from many receivers within one
 * linger cost one repair; and repairs in the last second stay within `rateFactor` (2) times the data datagrams sent in
 * the last second plus `burst`. A NAK flood therefore makes a sender send at most three times its data rate (plus
 * burst); a burst loss is
 * repaired at once as long as it is within that budget (300 lost at 10,000 datagrams/s: at once); and an idle sender
 * may still repair up to `burst` datagrams a second.
 */
export class RepairLimiter {
  private readonly options: RepairLimiterOptions;
  // Repaired keys and when, oldest first (a Map iterates in insertion order, and a key is only set when absent).
  private readonly lingering = new Map<string, number>();
  // Ring buffers indexed by bucket number modulo REPAIR_BUCKETS; both move together.
  private readonly sentIn = new Array<number>(REPAIR_BUCKETS).fill(0);
  private readonly repairedIn = new Array<number>(REPAIR_BUCKETS).fill(0);
  // The current bucket: floor(time / BUCKET_MS).
  private bucket: number;
  private readonly decided = { repaired: 0, lingered: 0, rateLimited: 0 };

  constructor(
    options: Partial<RepairLimiterOptions> = {},
    // A monotonic clock: a wall clock stepped back would hold repaired datagrams in the linger for that long.
    private readonly now: () => number = () => performance.now(),
  ) {
    this.options = { ...DEFAULT_REPAIR_LIMITS, ...options };
    this.bucket = Math.floor(now() / BUCKET_MS);
  }

  /** The sender sent `count` data datagrams now: its data rate over the last second sets the repair budget. */
  noteSent(count: number): void {
    this.advance(this.now());
    this.sentIn[slot(this.bucket)] += count;
  }

  /** Whether the datagram `key` (e.g. `${seq}:${fragment}`) may be repaired now: not repaired within the linger, and within the budget; a true answer spends it. */
  allow(key: string): boolean {
    const at = this.now();
    this.forget(at);
    if (this.lingering.has(key)) {
      this.decided.lingered++;
      return false;
    }
    this.advance(at);
    if (this.sum(this.repairedIn, REPAIR_BUCKETS) >= this.options.rateFactor * this.sum(this.sentIn, SENT_BUCKETS) + this.options.burst) {
      // Not remembered: it was not repaired, so the receiver's retry deserves a chance once the budget is back.
      this.decided.rateLimited++;
      return false;
    }
    this.repairedIn[slot(this.bucket)]++;
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

  /** The sum of the current bucket and the `count - 1` before it. */
  private sum(buckets: number[], count: number): number {
    let total = 0;
    for (let i = 0; i < count; i++) total += buckets[slot(this.bucket - i)];
    return total;
  }

  /** Moves both counts to the bucket of `at`, emptying the buckets they leave behind (a clock that went back moves nothing). */
  private advance(at: number): void {
    const bucket = Math.floor(at / BUCKET_MS);
    for (let steps = Math.min(bucket - this.bucket, REPAIR_BUCKETS); steps > 0; steps--) {
      const next = slot(bucket - steps + 1);
      this.sentIn[next] = 0;
      this.repairedIn[next] = 0;
    }
    if (bucket > this.bucket) this.bucket = bucket;
  }
}

/** The ring index of a bucket number (which a clock starting below 0 may make negative). */
function slot(bucket: number): number {
  return ((bucket % REPAIR_BUCKETS) + REPAIR_BUCKETS) % REPAIR_BUCKETS;
}
