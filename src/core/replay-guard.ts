// Replay protection for sealed frames: per sending session a sliding window over the counters (a counter seen, or
// older than the window, is a replay), and a time window around the sender's clock (a frame from too long ago, or
// from the future, is stale).

const WINDOW = 1024n;

interface SessionWindow {
  highest: bigint;
  /** Bit i set: counter highest - i was seen. */
  seen: bigint;
}

export type ReplayVerdict = 'fresh' | 'replayed' | 'stale';

/** Remembers what each sending session has sent, for a bounded number of sessions. */
export class ReplayGuard {
  private readonly sessions = new Map<string, SessionWindow>();

  constructor(
    /** How far the sender's clock may be from ours, in ms, either way. */
    private readonly toleranceMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxSessions = 4096,
  ) {}

  /**
   * What check() would say, without recording anything or refreshing the session: cheap, so it may run before
   * authentication, and a forged frame cannot change what is remembered.
   */
  peek(session: string, counter: bigint, sentAt: number): ReplayVerdict {
    if (Math.abs(this.now() - sentAt) > this.toleranceMs) return 'stale';
    const state = this.sessions.get(session);
    if (!state || counter > state.highest) return 'fresh';
    const behind = state.highest - counter;
    return behind >= WINDOW || state.seen & (1n << behind) ? 'replayed' : 'fresh';
  }

  /** Checks one authenticated frame and records it when fresh. Call only after authentication succeeded. */
  check(session: string, counter: bigint, sentAt: number): ReplayVerdict {
    if (Math.abs(this.now() - sentAt) > this.toleranceMs) return 'stale';
    const state = this.sessions.get(session);
    if (!state) {
      // A session forgotten (evicted as the idlest) and seen again within the time window is accepted: the window bounds that risk.
      if (this.sessions.size >= this.maxSessions) this.sessions.delete(this.sessions.keys().next().value as string);
      this.sessions.set(session, { highest: counter, seen: 1n });
      return 'fresh';
    }
    // Map order is recency order: the first entry is the session heard from least recently, the one to evict.
    this.sessions.delete(session);
    this.sessions.set(session, state);
    if (counter > state.highest) {
      const ahead = counter - state.highest;
      state.seen = ahead >= WINDOW ? 1n : ((state.seen << ahead) | 1n) & ((1n << WINDOW) - 1n);
      state.highest = counter;
      return 'fresh';
    }
    const behind = state.highest - counter;
    if (behind >= WINDOW || state.seen & (1n << behind)) return 'replayed';
    state.seen |= 1n << behind;
    return 'fresh';
  }
}
