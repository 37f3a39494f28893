import type { InterfaceView } from './interface-view';

/** One side of the bus, as the watch sees it. */
export interface WatchedSide {
  readonly openSocket: unknown;
  readonly currentUsers: ReadonlySet<unknown>;
  restart(): Promise<void>;
}

/**
 * Looks at the bus's interface every few seconds and reopens a side whose interface changed since it opened: a link
 * that went down, an address that changed, a device deleted and created again (a USB adapter, a VPN tunnel).
 */
export class InterfaceWatch {
  private timer: NodeJS.Timeout | undefined;
  private readonly openedOn = new Map<WatchedSide, string>();

  constructor(
    private readonly look: () => InterfaceView,
    private readonly everyMs: number,
  ) {}

  /** Notes what the interface looked like when `side` opened. */
  opened(side: WatchedSide, fingerprint: string): void {
    this.openedOn.set(side, fingerprint);
  }

  /** Starts watching (once) for these sides. */
  start(sides: WatchedSide[]): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (sides.every((side) => side.currentUsers.size === 0)) return;
      const { fingerprint } = this.look();
      for (const side of sides) {
        const opened = this.openedOn.get(side);
        if (side.openSocket && opened !== undefined && opened !== fingerprint) void side.restart();
      }
    }, this.everyMs);
    // The watch matters only while a socket is open, and an open socket keeps the process alive; a side waiting for its
    // interface is kept alive by its retry timer (ReopeningSocket).
    this.timer.unref();
  }

  /** Stops watching. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
