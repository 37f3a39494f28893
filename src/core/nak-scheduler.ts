// When a receiver asks a sender for what it missed (docs/reliability.md): a loss waits a random back-off before its
// NAK, so that of many receivers that lost the same datagram one usually asks and the others hear it and keep quiet;
// then it is asked again every retryMs until it arrives, and given up after maxRetries asks.

/** Fragments first…last of message seq; 0…0xFFFF = the whole message (the shape of control-frame.ts's NakEntry). */
export interface MissingRange {
  seq: number;
  first: number;
  last: number;
}

/** How long a loss waits before it is asked for, between asks, and how many asks it gets; and how many losses are kept. */
export interface NakTiming {
  backoffMs: number;
  retryMs: number;
  maxRetries: number;
  /** Ranges pending at most; past it the oldest losses are given up at once, so a flood cannot grow memory. */
  maxPending: number;
}

// Twelve asks 40 ms apart: at 20% loss a datagram whose repair is lost every time is 0.2^12 (about 1 in 240 million).
// With eight (0.2^8, 1 in 400,000), the network test's 20% run (about 13,000 lost datagrams) gave one up about once
// in 30 runs, and CI saw it. The last ask (back-off + 440 ms) still comes well before the in-order hold's backstop
// (1.5 s) and the sender's 2 s window.
const DEFAULT_TIMING: NakTiming = { backoffMs: 20, retryMs: 40, maxRetries: 12, maxPending: 10_000 };
const LAST_FRAGMENT = 0xffff;

/** One message's missing ranges: disjoint, sorted by `first`. */
interface Loss {
  seq: number;
  waits: Wait[];
}

/** One range of fragments waiting: when it is next due and how often it was asked for. */
interface Wait {
  first: number;
  last: number;
  due: number;
  asks: number;
}

/** Decides, per sender stream, when to NAK which missing ranges, holding back when others asked first. */
export class NakScheduler {
  private readonly timing: NakTiming;
  private readonly losses = new Map<number, Loss>();
  // The losses oldest first, to give up the oldest when there are too many. (Not the Map's first key: V8 finds that
  // by skipping every entry deleted since the table was last rebuilt, which a flood turns into seconds.) Entries
  // from `head` on; one no longer in `losses` is skipped.
  private queue: Loss[] = [];
  private head = 0;
  private count = 0;
  // Ranges given up to stay within maxPending, for the next due(). Kept to at most twice maxPending (the newest):
  // the in-order hold gives up by its own limits whatever this forgets.
  private overflow: MissingRange[] = [];
  private forgotten = 0;
  // The earliest `due` of all waits; recomputed by nextDeadline() only after something may have moved it later.
  private earliest = Infinity;
  private stale = false;

  constructor(
    timing: Partial<NakTiming> = {},
    // A monotonic clock: a wall clock stepped back by NTP would hold a NAK back for as long.
    private readonly now: () => number = () => performance.now(),
    private readonly random: () => number = Math.random,
  ) {
    this.timing = { ...DEFAULT_TIMING, ...timing };
  }

  /** These ranges are missing now: each waits a random back-off in [0, backoffMs) before it is asked for. Already-known ranges keep their timers. */
  missing(ranges: MissingRange[]): void {
    const now = this.now();
    for (const range of ranges) {
      const seq = range.seq >>> 0;
      const [first, last] = fragments(range.first, range.last);
      if (first > last) continue;
      const loss = this.losses.get(seq) ?? { seq, waits: [] };
      const list = loss.waits;
      // Only the parts not already waiting are new: a known part keeps its timer and its count of asks.
      let from = first;
      const added: Wait[] = [];
      for (const wait of list) {
        if (wait.last < from) continue;
        if (wait.first > last) break;
        if (wait.first > from) added.push(this.fresh(from, wait.first - 1, now));
        from = wait.last + 1;
        if (from > last) break;
      }
      if (from <= last) added.push(this.fresh(from, last, now));
      if (added.length === 0) continue;
      list.push(...added);
      list.sort((a, b) => a.first - b.first);
      if (!this.losses.has(seq)) {
        this.losses.set(seq, loss);
        this.queue.push(loss);
      }
      this.count += added.length;
    }
    this.bound();
  }

  /** Message seq (or some of its fragments) arrived, as data or repair: no need to ask for it any more. */
  arrived(seq: number, first = 0, last = LAST_FRAGMENT): void {
    seq >>>= 0;
    const loss = this.losses.get(seq);
    if (!loss) return;
    [first, last] = fragments(first, last);
    const kept: Wait[] = [];
    for (const wait of loss.waits) {
      if (wait.last < first || wait.first > last) kept.push(wait);
      else {
        // What is left of a range on either side of what arrived still waits, on the same timer.
        if (wait.first < first) kept.push({ ...wait, last: first - 1 });
        if (wait.last > last) kept.push({ ...wait, first: last + 1 });
      }
    }
    this.replace(loss, kept);
  }

  /** Someone else's NAK, or a repair, for these ranges was heard from the group: hold ours back (restart the wait: a NAK heard → wait retryMs for the repair; it does not count as one of our retries). */
  heard(ranges: MissingRange[]): void {
    const held = this.now() + this.timing.retryMs;
    for (const range of ranges) {
      const seq = range.seq >>> 0;
      const loss = this.losses.get(seq);
      if (!loss) continue;
      const [first, last] = fragments(range.first, range.last);
      const kept: Wait[] = [];
      for (const wait of loss.waits) {
        if (wait.last < first || wait.first > last) kept.push(wait);
        else {
          // Only the part someone else asked for is held back; the rest of our range is still ours to ask for.
          if (wait.first < first) kept.push({ ...wait, last: first - 1 });
          kept.push({ ...wait, first: Math.max(wait.first, first), last: Math.min(wait.last, last), due: Math.max(wait.due, held) });
          if (wait.last > last) kept.push({ ...wait, first: last + 1 });
        }
      }
      this.replace(loss, kept);
    }
    this.bound();
  }

  /** What is due now: ranges to put in a NAK (each counts one retry; its next ask comes retryMs later) and ranges given up after maxRetries asks without a repair. Merge adjacent/overlapping fragment ranges of the same seq. */
  due(): { ask: MissingRange[]; givenUp: MissingRange[] } {
    const now = this.now();
    const ask: MissingRange[] = [];
    const givenUp = this.overflow;
    this.overflow = [];
    this.earliest = Infinity;
    for (const loss of this.losses.values()) {
      const { seq } = loss;
      const kept: Wait[] = [];
      for (const wait of loss.waits) {
        if (wait.due > now) kept.push(wait);
        else if (wait.asks >= this.timing.maxRetries) append(givenUp, seq, wait);
        else {
          wait.asks++;
          wait.due = now + this.timing.retryMs;
          append(ask, seq, wait);
          kept.push(wait);
        }
      }
      this.replace(loss, coalesce(kept));
      for (const wait of loss.waits) this.earliest = Math.min(this.earliest, wait.due);
    }
    this.stale = false;
    return { ask, givenUp };
  }

  /** When due() next has something (absolute time on the injected clock), or undefined when nothing is pending: the caller sets one timer. */
  nextDeadline(): number | undefined {
    if (this.overflow.length > 0) return this.now();
    if (this.count === 0) return undefined;
    if (this.stale) {
      this.earliest = Infinity;
      for (const loss of this.losses.values()) for (const wait of loss.waits) this.earliest = Math.min(this.earliest, wait.due);
      this.stale = false;
    }
    return this.earliest;
  }

  /** Ranges pending (not counting those given up and not yet returned by due()), for stats and tests. */
  pending(): number {
    return this.count;
  }

  /** Ranges given up past maxPending that due() never returned, as its overflow is bounded too (since the last clear). */
  unreported(): number {
    return this.forgotten;
  }

  /** Forgets everything (the sender restarted or went away). */
  clear(): void {
    this.losses.clear();
    this.queue = [];
    this.head = 0;
    this.count = 0;
    this.overflow = [];
    this.forgotten = 0;
    this.earliest = Infinity;
    this.stale = false;
  }

  private fresh(first: number, last: number, now: number): Wait {
    const due = now + this.random() * this.timing.backoffMs;
    this.earliest = Math.min(this.earliest, due);
    return { first, last, due, asks: 0 };
  }

  /** Puts `kept` in place of a loss's ranges, keeping the count, and marks the earliest deadline as stale. */
  private replace(loss: Loss, kept: Wait[]): void {
    this.count += kept.length - loss.waits.length;
    loss.waits = kept;
    if (kept.length === 0) this.losses.delete(loss.seq);
    this.stale = true;
  }

  /** Gives up the oldest losses until at most maxPending ranges wait. */
  private bound(): void {
    const max = this.timing.maxPending;
    while (this.count > max) {
      const loss = this.queue[this.head++];
      if (this.losses.get(loss.seq) !== loss) continue;
      this.losses.delete(loss.seq);
      this.count -= loss.waits.length;
      for (const wait of loss.waits) append(this.overflow, loss.seq, wait);
      this.stale = true;
    }
    // The queue is cut down once half of it is behind `head`, or most of it is no longer pending: a constant time per
    // loss, and the queue stays within a few times the losses pending.
    if ((this.head > 1024 && this.head > this.queue.length / 2) || this.queue.length - this.head > 2 * this.losses.size + 1024) {
      this.queue = this.queue.slice(this.head).filter((loss) => this.losses.get(loss.seq) === loss);
      this.head = 0;
    }
    // Trimmed in halves, so that a flood costs a constant time per range, not a copy of the list per range.
    if (this.overflow.length > 2 * max) {
      this.forgotten += this.overflow.length - max;
      this.overflow = this.overflow.slice(-max);
    }
  }
}

/** A range's fragments as integers within 0…0xFFFF (first > last when there are none). */
function fragments(first: number, last: number): [number, number] {
  return [Math.max(0, Math.trunc(first)), Math.min(LAST_FRAGMENT, Math.trunc(last))];
}

/** Adds fragments of message seq to `out`, joined to its last entry when that is the same message and they touch. */
function append(out: MissingRange[], seq: number, { first, last }: { first: number; last: number }): void {
  const prev = out.at(-1);
  if (prev && prev.seq === seq && first <= prev.last + 1 && last >= prev.first - 1) {
    prev.first = Math.min(prev.first, first);
    prev.last = Math.max(prev.last, last);
  } else out.push({ seq, first, last });
}

/** Joins neighbouring waits of one message that are due together with as many asks, so that splits do not pile up. */
function coalesce(list: Wait[]): Wait[] {
  const out: Wait[] = [];
  for (const wait of list) {
    const prev = out.at(-1);
    if (prev && prev.last + 1 === wait.first && prev.due === wait.due && prev.asks === wait.asks) prev.last = wait.last;
    else out.push(wait);
  }
  return out;
}
