/**
 * One timer for an engine that says when it next has something due (an absolute performance.now() time): set for the
 * earliest deadline asked for, never pushed later, unref'd (the bus's sockets are what hold the process).
 */
export class DeadlineTimer {
  private timer: NodeJS.Timeout | undefined;
  private at = Infinity;

  constructor(private readonly fire: () => void) {}

  /** Fires at `at`, unless it is already set to fire sooner; undefined: nothing is due. */
  setFor(at: number | undefined): void {
    if (at === undefined || (this.timer && this.at <= at)) return;
    clearTimeout(this.timer);
    this.at = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.at = Infinity;
        this.fire();
      },
      Math.max(0, at - performance.now()),
    );
    this.timer.unref();
  }

  /** Cancels what is set. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Infinity;
  }
}
