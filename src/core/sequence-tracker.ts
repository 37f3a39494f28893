// Loss detection per sender from LCM sequence numbers, which count messages and wrap at 2^32. The last 64 sequence
// numbers of each sender are remembered: a repeat among them is a duplicate, a late one is out of order, and anything
// older is dropped as a duplicate, since a late message and a replayed one cannot be told apart.

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
}

const WINDOW = 64;
// A jump this large is a sender that restarted, not a loss of a billion messages.
const RESTART_GAP = 100_000;

interface SenderState extends SenderCounts {
  /** Bit i set: message lastSeq - i was seen; bits 0-31 in `low`, 32-63 in `high` (numbers, not a BigInt, to keep
   * the per-message path free of allocations). */
  low: number;
  high: number;
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
  private readonly senders = new Map<string, SenderState>();

  constructor(private readonly maxSenders = 1024) {}

  /** Records message `seq` from `sender`. Duplicates are not to be delivered. */
  record(sender: string, seq: number): SequenceVerdict {
    const state = this.senders.get(sender);
    if (!state) {
      if (this.senders.size >= this.maxSenders) this.senders.delete(this.senders.keys().next().value as string);
      this.senders.set(sender, { messages: 1, lost: 0, duplicates: 0, outOfOrder: 0, lastSeq: seq, low: 1, high: 0 });
      return { lostBefore: 0, deliver: true };
    }
    const ahead = (seq - state.lastSeq) >>> 0;
    if (ahead === 0) {
      state.duplicates++;
      return { lostBefore: 0, deliver: false };
    }
    if (ahead < 0x80000000) {
      const lostBefore = ahead >= RESTART_GAP ? 0 : ahead - 1;
      state.lost += lostBefore;
      state.messages++;
      state.lastSeq = seq;
      if (ahead >= WINDOW) {
        state.low = 1;
        state.high = 0;
      } else advance(state, ahead);
      return { lostBefore, deliver: true };
    }
    const behind = (state.lastSeq - seq) >>> 0;
    if (behind >= RESTART_GAP) {
      // Far behind: the sender restarted its count. Start over from here.
      this.senders.set(sender, { ...state, messages: state.messages + 1, lastSeq: seq, low: 1, high: 0 });
      return { lostBefore: 0, deliver: true };
    }
    // Older than the window: no way to tell a late message from a replayed one, so it is treated as a duplicate.
    if (behind >= WINDOW || seen(state, behind)) {
      state.duplicates++;
      return { lostBefore: 0, deliver: false };
    }
    // A late arrival was counted as lost when the gap appeared; it is not lost after all.
    markSeen(state, behind);
    state.outOfOrder++;
    state.messages++;
    if (state.lost > 0) state.lost--;
    return { lostBefore: 0, deliver: true };
  }

  /** A copy of every sender's counts, keyed by "address:port". */
  snapshot(): Record<string, SenderCounts> {
    const out: Record<string, SenderCounts> = {};
    for (const [sender, { messages, lost, duplicates, outOfOrder, lastSeq }] of this.senders) {
      out[sender] = { messages, lost, duplicates, outOfOrder, lastSeq };
    }
    return out;
  }

  /** Messages lost over all senders. */
  totalLost(): number {
    let lost = 0;
    for (const state of this.senders.values()) lost += state.lost;
    return lost;
  }
}
