// Delivers one sender stream's messages in sequence order (docs/reliability.md): a message after a gap waits for the
// gap to be repaired or given up, never longer than maxHoldMs, and the messages waiting are bounded in count and bytes,
// beyond which the oldest gap is given up early. Sequence numbers are u32 and wrap at 2^32.
import { seqAfter } from './sequence-number';

/** How long a message may wait behind a gap, and how much may wait, per stream. */
export interface HoldLimits {
  maxHoldMs: number;
  maxBytes: number;
  maxMessages: number;
}

// The NAK scheduler gives a gap up after its twelve asks (about 500 ms of asking); this is only the backstop. It is longer
// than those asks by far because the asks count attempts and this counts time: a process that stalls (a long garbage
// collection, a starved CPU) must not wake to find every held gap expired before it could ask again. It stays under
// the sender's 2 s repair window, past which nothing could be repaired anyway.
const DEFAULT_LIMITS: HoldLimits = { maxHoldMs: 1500, maxBytes: 8 * 1024 * 1024, maxMessages: 10_000 };

/**
 * The most sequence numbers one message reports missing. A message further ahead of the newest than this gives up at
 * once everything before its last MAX_JUMP numbers: the sender's repair window keeps its newest messages, so those
 * are the ones worth asking for, and a jump of a million (a forged number, or a loss longer than any repair window)
 * costs neither a million entries nor a wait.
 */
export const MAX_JUMP = 1024;

/** A number waiting behind the next to deliver: a message, or a gap already given up (and counted lost). */
type Slot<T> = { gap: false; message: T; bytes: number; at: number } | { gap: true; at: number };

/** How far `a` is ahead of `b` on the u32 circle (0 to 2^32 - 1). */
function ahead(a: number, b: number): number {
  return (a - b) >>> 0;
}

/** Holds a stream's messages that came after a gap, and releases them in order once the gap is filled or given up. */
export class InOrderHold<T> {
  private readonly limits: HoldLimits;
  private started = false;
  // The next number to deliver, and the newest number heard (next - 1 when nothing waits ahead of next).
  private next = 0;
  private newest = 0;
  // Map order is arrival order, so the first slot is the one waiting longest.
  private readonly slots = new Map<number, Slot<T>>();
  // The slots' numbers as a min-heap in stream order, to skip a given-up gap at once to the next slot.
  private readonly order: number[] = [];
  private messages = 0;
  private bytes = 0;
  private duplicates = 0;
  private lost = 0;

  constructor(
    limits: Partial<HoldLimits> = {},
    // A monotonic clock: a wall clock stepped forward would release held messages early.
    private readonly now: () => number = () => performance.now(),
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** The first message heard from a stream sets where it starts (or the first offer does, delivered at once); ignored once started, as a restarted sender is a new stream and gets a new hold. */
  start(seq: number): void {
    if (this.started) return;
    this.started = true;
    this.next = seq >>> 0;
    this.newest = (this.next - 1) >>> 0;
  }

  /** Offers message seq (bytes: its size): returns what can be delivered now, in order (possibly several), the sequence numbers newly found missing (so the caller tells the NakScheduler; at most MAX_JUMP), and how many were given up to make room (a jump past MAX_JUMP, or the limits). A duplicate or a message older than what was delivered (also a repair that came after its gap was given up) is dropped and counted as a duplicate. */
  offer(seq: number, message: T, bytes: number): { deliver: T[]; missing: number[]; lost: number } {
    seq >>>= 0;
    this.start(seq);
    const deliver: T[] = [];
    const missing: number[] = [];
    if (!this.isAhead(seq) || this.slots.has(seq)) {
      this.duplicates++;
      return { deliver, missing, lost: 0 };
    }
    let lost = 0;
    if (seqAfter(seq, this.newest)) {
      let gap = ahead(seq, this.newest) - 1;
      if (gap > MAX_JUMP) {
        lost += this.release((seq - MAX_JUMP) >>> 0, deliver);
        gap = MAX_JUMP;
      }
      for (let i = gap; i > 0; i--) missing.push((seq - i) >>> 0);
      this.newest = seq;
    }
    if (seq === this.next) {
      deliver.push(message);
      this.next = (this.next + 1) >>> 0;
      this.drain(deliver);
    } else {
      this.hold(seq, { gap: false, message, bytes, at: this.now() });
      this.messages++;
      this.bytes += bytes;
    }
    lost += this.bound(deliver);
    return { deliver, missing, lost };
  }

  /** Gives up message seq (repair failed): the messages held behind it that are now next are delivered; returns them and how many were lost (0 when seq was no gap). */
  giveUp(seq: number): { deliver: T[]; lost: number } {
    seq >>>= 0;
    const deliver: T[] = [];
    // Only a gap can be given up: not a number delivered, held, or not yet heard of.
    if (!this.started || !this.isAhead(seq) || seqAfter(seq, this.newest) || this.slots.has(seq)) return { deliver, lost: 0 };
    this.lost++;
    if (seq === this.next) {
      this.next = (this.next + 1) >>> 0;
      this.drain(deliver);
    } else this.hold(seq, { gap: true, at: this.now() });
    return { deliver, lost: 1 + this.bound(deliver) };
  }

  /** Messages held longer than maxHoldMs, or past maxBytes/maxMessages: gives up the gaps before them, oldest first; returns what is delivered now and how many were lost. */
  expire(): { deliver: T[]; lost: number } {
    const deadline = this.now() - this.limits.maxHoldMs;
    const deliver: T[] = [];
    // Arrival order is not stream order (a repair comes late), so every gap before the furthest message held too
    // long goes.
    let furthest: number | undefined;
    for (const [seq, slot] of this.slots) {
      if (slot.at > deadline) break;
      if (furthest === undefined || seqAfter(seq, furthest)) furthest = seq;
    }
    let lost = furthest === undefined ? 0 : this.release(furthest, deliver);
    lost += this.bound(deliver);
    return { deliver, lost };
  }

  /** When expire() next has something to do (absolute time), or undefined. */
  nextDeadline(): number | undefined {
    if (this.over()) return this.now();
    const oldest = this.slots.values().next();
    return oldest.done ? undefined : oldest.value.at + this.limits.maxHoldMs;
  }

  /** Counts for stats: held now (messages, bytes), duplicates dropped, lost (given up). */
  counts(): { held: number; bytes: number; duplicates: number; lost: number } {
    return { held: this.messages, bytes: this.bytes, duplicates: this.duplicates, lost: this.lost };
  }

  /** Whether seq is still to come: at or after the next to deliver (by less than half the number space). */
  private isAhead(seq: number): boolean {
    return seq === this.next || seqAfter(seq, this.next);
  }

  /** Gives up every number before `target` not yet delivered, delivering what was held among them in order, then whatever follows from `target` on; returns how many were lost. */
  private release(target: number, deliver: T[]): number {
    let lost = 0;
    while (this.order.length > 0 && seqAfter(target, this.order[0])) {
      const seq = this.order[0];
      // The numbers between the next to deliver and this slot were gaps; a slot without a message was counted when given up.
      lost += ahead(seq, this.next);
      this.next = seq;
      this.drain(deliver);
    }
    // Draining may have gone past the target already.
    if (seqAfter(target, this.next)) {
      lost += ahead(target, this.next);
      this.next = target;
    }
    if (seqAfter(this.next, (this.newest + 1) >>> 0)) this.newest = (this.next - 1) >>> 0;
    this.lost += lost;
    this.drain(deliver);
    return lost;
  }

  /** Delivers the slots from the next to deliver on while there is no gap. */
  private drain(deliver: T[]): void {
    for (let slot = this.slots.get(this.next); slot; slot = this.slots.get(this.next)) {
      this.slots.delete(this.next);
      this.pop();
      if (!slot.gap) {
        deliver.push(slot.message);
        this.messages--;
        this.bytes -= slot.bytes;
      }
      this.next = (this.next + 1) >>> 0;
    }
  }

  /** Gives up the oldest gap while more is held than the limits allow; returns how many were lost. */
  private bound(deliver: T[]): number {
    let lost = 0;
    while (this.over() && this.order.length > 0) lost += this.release(this.order[0], deliver);
    return lost;
  }

  private over(): boolean {
    // A given-up number waiting behind the oldest gap takes memory too, so it counts as a message here.
    return this.slots.size > this.limits.maxMessages || this.bytes > this.limits.maxBytes;
  }

  private hold(seq: number, slot: Slot<T>): void {
    this.slots.set(seq, slot);
    // Sift up. All slots are less than half the number space ahead of `next`, so stream order is their order ahead of it.
    const order = this.order;
    let i = order.push(seq) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!seqAfter(order[parent], seq)) break;
      order[i] = order[parent];
      i = parent;
    }
    order[i] = seq;
  }

  /** Removes the first slot in stream order from the heap. */
  private pop(): void {
    const order = this.order;
    const last = order.pop() as number;
    if (order.length === 0) return;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= order.length) break;
      if (child + 1 < order.length && seqAfter(order[child], order[child + 1])) child++;
      if (!seqAfter(last, order[child])) break;
      order[i] = order[child];
      i = child;
    }
    order[i] = last;
  }
}
