/** When heartbeats come: firstMs after the last data message, then each interval twice the last, up to maxMs. */
export interface HeartbeatTiming {
  firstMs: number;
  maxMs: number;
}

/** Tail loss is noticed within about 50 ms when traffic stops; an idle sender costs one frame a second (docs/reliability.md). */
export const DEFAULT_HEARTBEAT_TIMING: HeartbeatTiming = { firstMs: 50, maxMs: 1000 };

/**
 * When a sender's next heartbeat is due. A heartbeat announces the interval to the one after it "at the latest", and
 * data never pushes a heartbeat past what the last one announced: under steady traffic heartbeats still come, every
 * 2 × firstMs, so receivers keep hearing which messages can still be repaired.
 */
export class HeartbeatSchedule {
  private readonly timing: HeartbeatTiming;
  /** The interval from the last data message or heartbeat to the next heartbeat, while nothing else is sent. */
  private interval: number;
  private last: number;
  /** When the last heartbeat said the next would come at the latest. */
  private deadline: number;

  constructor(
    timing: Partial<HeartbeatTiming> = {},
    // A monotonic clock: a wall clock stepped back would hold heartbeats back for that long.
    private readonly now: () => number = () => performance.now(),
    // A stream's first heartbeat is due at once: receivers follow the stream from its first message, not firstMs later.
    dueAtOnce = false,
  ) {
    this.timing = { ...DEFAULT_HEARTBEAT_TIMING, ...timing };
    // A sender that just opened announces itself within firstMs, whether it sends data or not.
    this.interval = this.timing.firstMs;
    this.last = now();
    this.deadline = dueAtOnce ? this.last : this.last + this.interval;
  }

  /**
   * A data message went out now: the next heartbeat comes firstMs after it, or at the deadline the last heartbeat
   * announced when that is sooner. True when that may be sooner than before (the interval was longer than firstMs);
   * otherwise the heartbeat only moved later, and a timer set for the earlier time may stay.
   */
  sent(): boolean {
    const sooner = this.interval > this.timing.firstMs;
    this.last = this.now();
    this.interval = this.timing.firstMs;
    return sooner;
  }

  /** A heartbeat went out now: the next one comes after twice the last interval, at most maxMs. */
  beat(): void {
    this.last = this.now();
    this.interval = this.following();
    this.deadline = this.last + this.interval;
  }

  /** Milliseconds from now until the next heartbeat is due (0 when overdue), and the interval to announce in it. */
  due(): { inMs: number; intervalMs: number } {
    const at = Math.min(this.last + this.interval, this.deadline);
    return { inMs: Math.max(0, at - this.now()), intervalMs: this.following() };
  }

  /** The interval after the next heartbeat: twice the current one, at most maxMs. */
  private following(): number {
    return Math.min(this.timing.maxMs, 2 * this.interval);
  }
}
