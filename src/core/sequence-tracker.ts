// Loss detection per sender from LCM sequence numbers, which count messages and wrap at 2^32. The last 64 sequence
// numbers of each sender are remembered: a repeat among them is a duplicate, a late one is out of order.
//
// Anyone can send a datagram with a sender's address and any number, and senders restart from 0 on the same port, so
// a number that does not fit the window is never believed on its own: it becomes a tentative stream, and only the
// next message continuing it makes the tracker resynchronise. A lone misfit costs at most itself, never the honest
// stream; the stream left at a resync is remembered for a while, so a forged pair is undone by the next honest message.

export interface SenderCounts {
  messages: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
  lastSeq: number;
}

/** What one message's sequence number says: how many were lost just before it, and whether to deliver it. */
export interface SequenceVerdict {
  lostBefore: number;
  deliver: boolean;
  /** The sender's numbering started over here (a restart, or a confirmed jump). */
  resynced?: true;
}

/** What the numbering said over all senders: streams taken up after a restart or a jump, and lone jumps ahead. */
export interface StreamCounts {
  resyncs: number;
  strays: number;
}

const WINDOW = 64;
// A confirmed jump this large is a sender that restarted its count, not a loss of so many messages.
const RESTART_GAP = 100_000;
// A run of numbers already seen is a restart only when it starts from the beginning of a count and goes on at once;
// elsewhere it is a second copy of the stream (two network paths), whose duplicates must not reach the flow.
export const FRESH_START = 8;
// The stream left at a resync is taken back when a message continues it, until the new one is this far along.
const PREV_SPAN = 1024;
const NONE = -1;

/** How a tentative stream's first message related to the window: ahead (delivered), too old, or already seen. */
const enum Misfit {
  Ahead,
  Old,
  Seen,
}

import { SenderDirectory } from './sender-directory';

/** One sender's numbering, kept in the bus's sender directory (sender-directory.ts), the one per-sender table. */
export type SequenceState = SenderState;

interface SenderState extends SenderCounts {
  /** Bit i set: message lastSeq - i was seen; bits 0-31 in `low`, 32-63 in `high` (numbers, not a BigInt, to keep
   * the per-message path free of allocations). */
  low: number;
  high: number;
  candidate: number;
  candidateKind: Misfit;
  prevSeq: number;
  prevLow: number;
  prevHigh: number;
  prevLost: number;
  switchedAt: number;
}

/** Whether bit `i` (0-63) of the window is set. */
function seen(state: SenderState, i: number): boolean {
  return ((i < 32 ? state.low >>> i : state.high >>> (i - 32)) & 1) === 1;
}

/** Sets bit `i` (0-63) of the window. */
function markSeen(state: SenderState, i: number): void {
  if (i < 32) state.low = (state.low | (1 << i)) >>> 0;
  else state.high = (state.high | (1 << (i - 32))) >>> 0;
}

/** Moves the window `by` (1-63) places towards newer sequence numbers, and marks the newest as seen. */
function advance(state: SenderState, by: number): void {
  if (by >= 32) {
    state.high = by === 32 ? state.low : (state.low << (by - 32)) >>> 0;
    state.low = 0;
  } else {
    state.high = ((state.high << by) | (state.low >>> (32 - by))) >>> 0;
    state.low = (state.low << by) >>> 0;
  }
  state.low = (state.low | 1) >>> 0;
}

/** Tracks every sender's sequence numbers: gaps count as lost, repeats as duplicates, late arrivals as out of order. */
export class SequenceTracker {
  readonly counts: StreamCounts = { resyncs: 0, strays: 0 };

  /** `senders` keeps each sender's state, bounded (by default a table of the tracker's own). */
  constructor(private readonly senders: SenderDirectory = new SenderDirectory()) {}

  /** Records message `seq` from the stream `sender`, listed as `label` (default: `sender`). Duplicates are not to be delivered. */
  record(sender: string, seq: number, label = sender): SequenceVerdict {
    const state = this.senders.sequence(sender);
    if (!state) {
      this.add(sender, seq, label);
      return { lostBefore: 0, deliver: true };
    }
    const ahead = (seq - state.lastSeq) >>> 0;
    if (ahead !== 0 && ahead < WINDOW) {
      this.dropCandidate(state);
      return this.inOrder(state, seq, ahead);
    }
    const behind = (state.lastSeq - seq) >>> 0;
    if (behind !== 0 && behind < WINDOW && !seen(state, behind)) {
      // A late arrival was counted as lost when the gap appeared; it is not lost after all.
      this.dropCandidate(state);
      markSeen(state, behind);
      state.outOfOrder++;
      state.messages++;
      if (state.lost > 0) state.lost--;
      return { lostBefore: 0, deliver: true };
    }
    return this.misfit(state, seq, ahead !== 0 && ahead < 0x80000000 ? Misfit.Ahead : behind < WINDOW ? Misfit.Seen : Misfit.Old);
  }

  /**
   * Message `seq` of `sender` came as a repair, past record() (which takes a late message only within 64 numbers of the
   * newest): the loss counted for it when its gap appeared is taken back. Ahead of the window it is recorded as usual
   * (a tail loss repaired before anything after it came); within the window it is marked seen, once; further back the
   * tracker cannot tell, so the caller says whether it was `fresh` (new to the caller's own dedupe).
   */
  repaired(sender: string, seq: number, fresh: boolean): void {
    const state = this.senders.sequence(sender);
    if (!state) return;
    const ahead = (seq - state.lastSeq) >>> 0;
    if (ahead !== 0 && ahead < WINDOW) {
      this.record(sender, seq);
      return;
    }
    const behind = (state.lastSeq - seq) >>> 0;
    if (behind === 0 || behind >= 0x80000000) return;
    if (behind < WINDOW) {
      if (seen(state, behind)) return;
      markSeen(state, behind);
    } else if (!fresh) return;
    state.messages++;
    if (state.lost > 0) state.lost--;
  }

  /** A copy of every sender's counts, keyed by "address:port" (with the stream's key too when two share one). */
  snapshot(): Record<string, SenderCounts> {
    const out: Record<string, SenderCounts> = {};
    for (const [sender, label, { messages, lost, duplicates, outOfOrder, lastSeq }] of this.senders.sequences()) {
      out[Object.hasOwn(out, label) ? `${label} (${sender})` : label] = { messages, lost, duplicates, outOfOrder, lastSeq };
    }
    return out;
  }

  /** Messages lost over all senders. */
  totalLost(): number {
    let lost = 0;
    for (const [, , state] of this.senders.sequences()) lost += state.lost;
    return lost;
  }

  private add(sender: string, seq: number, label: string): void {
    this.senders.keepSequence(sender, label, {
      messages: 1,
      lost: 0,
      duplicates: 0,
      outOfOrder: 0,
      lastSeq: seq,
      low: 1,
      high: 0,
      candidate: NONE,
      candidateKind: Misfit.Ahead,
      prevSeq: NONE,
      prevLow: 0,
      prevHigh: 0,
      prevLost: 0,
      switchedAt: 0,
    });
  }

  private inOrder(state: SenderState, seq: number, ahead: number): SequenceVerdict {
    const lostBefore = ahead - 1;
    state.lost += lostBefore;
    state.messages++;
    state.lastSeq = seq;
    advance(state, ahead);
    return { lostBefore, deliver: true };
  }

  /** A message that fits neither the window nor a small step ahead: the old stream again, a new one, or a stray. */
  private misfit(state: SenderState, seq: number, kind: Misfit): SequenceVerdict {
    const resumes = (seq - state.prevSeq) >>> 0;
    const recent = state.prevSeq !== NONE && (state.lastSeq - state.switchedAt) >>> 0 < PREV_SPAN;
    if (recent && kind !== Misfit.Seen && resumes !== 0 && resumes < WINDOW) {
      // The stream left at the last resync goes on: that resync was a stray pair. Take the old stream back, and the
      // losses the resync counted with it. (A copy of a message of the new stream is no sign of the old one.)
      this.dropCandidate(state);
      state.lost = Math.max(0, state.lost - state.prevLost);
      state.lastSeq = state.prevSeq;
      state.low = state.prevLow;
      state.high = state.prevHigh;
      state.prevSeq = NONE;
      return this.inOrder(state, seq, resumes);
    }
    if (state.candidate !== NONE) {
      const run = (seq - state.candidate) >>> 0;
      if (run === 0) {
        state.duplicates++;
        return { lostBefore: 0, deliver: false };
      }
      const fresh = state.candidate < FRESH_START && run <= 2;
      if (run < WINDOW && (state.candidateKind !== Misfit.Seen || fresh)) return this.resync(state, seq, run);
      // Far ahead, the tentative stream's next message may overtake its first, as any message may overtake another.
      if (kind === Misfit.Ahead && state.candidateKind === Misfit.Ahead && (state.candidate - seq) >>> 0 < WINDOW)
        return this.resync(state, seq, run);
    }
    this.dropCandidate(state);
    state.candidate = seq;
    state.candidateKind = kind;
    if (kind === Misfit.Ahead) {
      // Far ahead of anything seen, so not a duplicate: delivered, as LCM would, but the window stays where it is.
      state.messages++;
      return { lostBefore: 0, deliver: true };
    }
    // A late message and a replayed one cannot be told apart, so it is held back as a duplicate.
    state.duplicates++;
    return { lostBefore: 0, deliver: false };
  }

  /** The tentative stream went on, `seq` after its first message or just before: it is the sender's stream now; the old one is kept a while. */
  private resync(state: SenderState, seq: number, run: number): SequenceVerdict {
    const [first, last] = run < WINDOW ? [state.candidate, seq] : [seq, state.candidate];
    const span = (last - first) >>> 0;
    let lostBefore = span - 1;
    if (state.candidateKind === Misfit.Ahead) {
      const jump = (first - state.lastSeq) >>> 0;
      if (jump < RESTART_GAP) lostBefore += jump - 1;
    } else {
      // The held-back first message of the new stream was no duplicate: it is lost to the flow.
      state.duplicates--;
      lostBefore++;
    }
    state.prevSeq = state.lastSeq;
    state.prevLow = state.low;
    state.prevHigh = state.high;
    state.prevLost = lostBefore;
    state.switchedAt = last;
    state.lastSeq = last;
    state.low = 1;
    state.high = 0;
    markSeen(state, span);
    state.candidate = NONE;
    state.lost += lostBefore;
    state.messages++;
    this.counts.resyncs++;
    return { lostBefore, deliver: true, resynced: true };
  }

  private dropCandidate(state: SenderState): void {
    if (state.candidate !== NONE && state.candidateKind === Misfit.Ahead) this.counts.strays++;
    state.candidate = NONE;
  }
}
