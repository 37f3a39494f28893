/** How far apart the meter keeps its marks: called more often, it still holds at most one mark a second. */
const MARK_EVERY_MS = 1000;

/**
 * Counts events and tells their rate per second over a sliding window (since the meter started, while that is
 * shorter), so a status refreshed every few seconds neither jumps with each refresh nor shows a rate long gone.
 */
export class RateMeter {
  private total = 0;
  // Counts at past moments, oldest first; the first is where the window starts.
  private readonly marks: { at: number; total: number }[];

  constructor(
    private readonly windowMs = 10_000,
    // A monotonic clock: a wall clock stepped back by NTP would show a rate of 0.
    private readonly now: () => number = () => performance.now(),
  ) {
    this.marks = [{ at: now(), total: 0 }];
  }

  /** Counts `n` events now. */
  add(n = 1): void {
    this.total += n;
  }

  /** Events per second over the last `windowMs`, or since the meter started when that is sooner; 0 when none came. */
  rate(): number {
    const at = this.now();
    if (at - this.marks[this.marks.length - 1].at >= MARK_EVERY_MS) this.marks.push({ at, total: this.total });
    // The window starts at the newest mark that is at least a window old.
    while (this.marks.length > 1 && at - this.marks[1].at >= this.windowMs) this.marks.shift();
    const start = this.marks[0];
    const events = this.total - start.total;
    return events > 0 && at > start.at ? (events * 1000) / (at - start.at) : 0;
  }
}
