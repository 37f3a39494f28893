// A publishing bus says who it is every few seconds, and goodbye when its send side closes (docs/presence.md), as
// `announce` and `goodbye` control frames on the group, from the send socket: listeners key it by the same source as
// its data. Sealed on a sealed bus like every control frame.
import type { Socket } from 'node:dgram';
import { encodeControlFrame, newStreamId, type StreamId } from './control-frame';
import type { ControlSealing } from './control-sealing';
import { encodeAnnouncement, type AnnouncedTopic } from './presence-announcement';
import { sendDatagram } from './send-socket';

/** How a bus names itself in its announcements. */
export interface PresenceIdentity {
  host: string;
  instance: string;
  bus: string;
}

export interface PresenceAnnouncerOptions {
  group: string;
  port: number;
  socket: () => Socket | undefined;
  sealing: () => ControlSealing | undefined;
  identity: PresenceIdentity;
  topics: () => AnnouncedTopic[];
  periodMs?: number;
  random?: () => number;
}

export const ANNOUNCE_PERIOD_MS = 5000;
// An announcement brought forward (a new topic) comes this soon, and never sooner than this after the last one.
const SOON_MS = 50;
const MIN_GAP_MS = 1000;
// Past this a goodbye is given up: a close must not wait on a send the socket never confirms.
const GOODBYE_WAIT_MS = 250;

/** Announces a publishing bus while it runs; start() and stop() may be called any number of times. */
export class PresenceAnnouncer {
  private timer: NodeJS.Timeout | undefined;
  private id: StreamId | undefined;
  private lastAt = -Infinity;
  private nextAt = Infinity;
  private readonly periodMs: number;
  readonly counts = { announcements: 0, goodbyes: 0, failed: 0 };

  constructor(private readonly options: PresenceAnnouncerOptions) {
    this.periodMs = options.periodMs ?? ANNOUNCE_PERIOD_MS;
  }

  /** The send side is open: announce now, then every period (±10%, so that buses started together spread out). */
  start(): void {
    if (this.id) return;
    this.id = newStreamId();
    this.announce();
  }

  /**
   * The bus published a topic it had not lately: announce soon, so listeners learn it without waiting for the period
   * (a publisher's first announcement goes out as its send side opens, before its first message). At most one
   * announcement a second, however many topics come.
   */
  soon(): void {
    if (!this.id) return;
    const at = Math.max(performance.now() + SOON_MS, this.lastAt + MIN_GAP_MS);
    if (at >= this.nextAt) return;
    this.schedule(at - performance.now());
  }

  /** The send side closes: say goodbye on the socket while it is still open; resolves once sent (or given up). */
  stop(): Promise<void> {
    const id = this.id;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.id = undefined;
    this.nextAt = Infinity;
    if (!id) return Promise.resolve();
    return new Promise((done) => {
      const given = setTimeout(done, GOODBYE_WAIT_MS);
      const sent = this.send(encodeControlFrame({ type: 'goodbye', stream: id }), () => {
        clearTimeout(given);
        done();
      });
      if (sent) this.counts.goodbyes++;
      else {
        clearTimeout(given);
        done();
      }
    });
  }

  private announce(): void {
    const id = this.id;
    if (!id) return;
    const { identity, topics, random = Math.random } = { ...this.options };
    const text = encodeAnnouncement({ ...identity, periodMs: this.periodMs, topics: topics() });
    if (this.send(encodeControlFrame({ type: 'announce', stream: id, text }), () => undefined)) this.counts.announcements++;
    this.lastAt = performance.now();
    this.schedule(this.periodMs * (0.9 + 0.2 * random()));
  }

  private schedule(inMs: number): void {
    clearTimeout(this.timer);
    this.nextAt = performance.now() + inMs;
    this.timer = setTimeout(() => this.announce(), inMs);
    // Announcing never keeps the process alive: the send socket does, while it is open.
    this.timer.unref();
  }

  /** Sends one control frame to the group; false when there is no socket or no sealing yet. */
  private send(frame: Buffer, sent: () => void): boolean {
    const socket = this.options.socket();
    const sealing = this.options.sealing();
    if (!socket || !sealing) return false;
    try {
      sendDatagram(socket, sealing.seal(frame), this.options.port, this.options.group, (error) => {
        if (error) this.counts.failed++;
        sent();
      });
      return true;
    } catch {
      // A socket closing under us: the next period tries again.
      this.counts.failed++;
      return false;
    }
  }
}
