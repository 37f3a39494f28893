// The sending side of reliable and retained topics (docs/reliability.md): keeps what it sent for repairs and the
// newest value of each retained topic, answers the NAKs and retained requests that reach it (unicast), and says when
// a heartbeat is due. Pure: no sockets and no timers of its own. The caller sends what it returns to the group, and
// sets one timer for nextDeadline(), calling heartbeat() when it fires.
import { encodeControlFrame, newStreamId, type ControlFrame, type NakEntry, type StreamId } from './control-frame';
import { HeartbeatSchedule, type HeartbeatTiming } from './heartbeat-schedule';
import { RepairLimiter, type RepairLimiterOptions } from './repair-limiter';
import { RepairWindow, DEFAULT_REPAIR_WINDOW, type RepairWindowLimits } from './repair-window';
import { topicFilter } from './topic-filter';

/** How many retained values a sender keeps, and how often it answers for one topic. */
export interface RetainedLimits {
  /** Topics kept at most; past it the least recently published goes. */
  maxTopics: number;
  /** Bytes of datagrams kept at most, all topics together; past it the least recently published go. */
  maxBytes: number;
  /** A topic is answered at most once per lingerMs: its answer goes to the group, where every asker hears it. */
  lingerMs: number;
}

/** 1,000 topics and 8 MiB; 500 ms, so listeners starting together (a deploy) cost one answer per topic. */
export const DEFAULT_RETAINED: RetainedLimits = { maxTopics: 1000, maxBytes: 8 * 1024 * 1024, lingerMs: 500 };

export interface ReliableSenderOptions {
  window?: Partial<RepairWindowLimits>;
  limiter?: Partial<RepairLimiterOptions>;
  heartbeat?: Partial<HeartbeatTiming>;
  /** The port NAKs and retained requests are to be sent to (the sender's control socket), announced in heartbeats; 0: the port heartbeats come from. */
  nakPort?: number;
  retained?: Partial<RetainedLimits>;
}

interface Retained {
  datagrams: Buffer[];
  bytes: number;
  /** When it was last answered for, or undefined when not since it was published. */
  answeredAt: number | undefined;
}

/**
 * One sending bus's stream. Everything it keeps is bounded: the repair window by its limits, the retained values by
 * maxTopics and maxBytes, the repair limiter's memory by MAX_LINGERING. What it answers is bounded too: repairs by the
 * RepairLimiter (a datagram once per linger; in a second at most the data sent in that second plus burst), retained
 * values by their linger (under a flood of requests, at most every retained value once per lingerMs).
 *
 * A retained value larger than one datagram (LC03 fragments) is answered with one retained-value frame per fragment,
 * in order, each echoing the nonce: simple, and a receiver reassembles them as it would the original fragments.
 */
export class ReliableSender {
  readonly stream: StreamId;
  private readonly window: RepairWindow;
  private readonly limiter: RepairLimiter;
  private readonly timing: Partial<HeartbeatTiming>;
  private readonly retainedLimits: RetainedLimits;
  /** Created by the first send: before it there is no stream to announce. */
  private schedule: HeartbeatSchedule | undefined;
  private newestSent = 0;
  // By topic, least recently published first (a Map iterates in insertion order; a new value is deleted and set again).
  private readonly retained = new Map<string, Retained>();
  private retainedBytes = 0;
  private readonly nakPort: number;
  private readonly tally = { naksHeard: 0, gone: 0, retainedAnswers: 0, retainedLingered: 0, retainedEvicted: 0, heartbeats: 0 };

  constructor(
    options: ReliableSenderOptions = {},
    // A monotonic clock, shared by the window, the limiter and the schedule.
    private readonly now: () => number = () => performance.now(),
    stream: StreamId = newStreamId(),
  ) {
    this.stream = stream;
    this.window = new RepairWindow({ ...DEFAULT_REPAIR_WINDOW, ...options.window }, now);
    this.limiter = new RepairLimiter(options.limiter, now);
    this.timing = options.heartbeat ?? {};
    this.nakPort = options.nakPort ?? 0;
    this.retainedLimits = { ...DEFAULT_RETAINED, ...options.retained };
  }

  /**
   * Message seq went out as these datagrams (kept as copies: callers may reuse their buffers; `owned`: the caller made
   * them for this call and never touches them again, so they are kept as they are). Also counts for the repair budget
   * and the heartbeat schedule. True when nextDeadline() may now be sooner than before (a timer set for it must be set
   * again); false when it only moved later (a timer set earlier fires, finds heartbeat() undefined, and is set again).
   */
  sent(seq: number, datagrams: Buffer[], owned = false): boolean {
    this.window.record(seq, owned ? datagrams : datagrams.map(copy));
    this.newestSent = seq >>> 0;
    this.limiter.noteSent(datagrams.length);
    if (this.schedule) return this.schedule.sent();
    // The stream's first message: its heartbeat is due at once, so receivers follow the stream from this message on
    // (one that lost it asks for it) instead of taking firstMs of messages best effort.
    this.schedule = new HeartbeatSchedule(this.timing, this.now, true);
    return true;
  }

  /**
   * Keeps `datagrams` (one message: an LC02, or its LC03 fragments in order) as the retained value of `topic`, as
   * copies. The newest replaces the last, and may be answered for at once, even within the linger of the last one's
   * answer. Bounded by maxTopics and maxBytes, evicting the least recently published; a value larger than maxBytes
   * alone is not kept (nor the value it replaces). An empty list forgets the topic's value.
   */
  retain(topic: string, datagrams: Buffer[]): void {
    this.forgetRetained(topic);
    if (datagrams.length === 0) return;
    const kept = datagrams.map(copy);
    const bytes = kept.reduce((sum, datagram) => sum + datagram.length, 0);
    this.retained.set(topic, { datagrams: kept, bytes, answeredAt: undefined });
    this.retainedBytes += bytes;
    const { maxTopics, maxBytes } = this.retainedLimits;
    while (this.retained.size > 0 && (this.retained.size > maxTopics || this.retainedBytes > maxBytes)) {
      this.forgetRetained(this.retained.keys().next().value as string);
      this.tally.retainedEvicted++;
    }
  }

  /**
   * Answers a control frame that reached this sender (unicast): a NAK naming this stream with repair frames (one per
   * original datagram still in the window that the RepairLimiter allows, key `${seq}:${fragmentIndex}`); a retained
   * request naming this stream with retained-value frames (nonce echoed) for every retained topic matching its filter
   * that was not answered for within retained.lingerMs. All of them go to the group. Anything else gives [].
   */
  answer(frame: ControlFrame): Buffer[] {
    if (frame.stream !== this.stream) return [];
    if (frame.type === 'nak') {
      this.tally.naksHeard++;
      return this.repairs(frame.entries);
    }
    if (frame.type === 'retained-request') return this.retainedValues(frame.nonce, frame.filter);
    return [];
  }

  /** The encoded heartbeat when one is due now (and marks it sent), else undefined; none before the first send. */
  heartbeat(): Buffer | undefined {
    if (!this.schedule) return undefined;
    const { inMs, intervalMs } = this.schedule.due();
    if (inMs > 0) return undefined;
    // The window is empty once all of it is older than its age limit: then nothing can be repaired, which the
    // empty range newest + 1…newest says.
    const newest = this.newestSent;
    const oldest = this.window.oldest() ?? (newest + 1) >>> 0;
    this.schedule.beat();
    this.tally.heartbeats++;
    return encodeControlFrame({ type: 'heartbeat', stream: this.stream, oldest, newest, intervalMs, nakPort: this.nakPort });
  }

  /** When heartbeat() next has something (absolute time on the injected clock), or undefined before anything was sent. */
  nextDeadline(): number | undefined {
    return this.schedule ? this.now() + this.schedule.due().inMs : undefined;
  }

  /**
   * Counters for the stats route: naksHeard (NAK frames for this stream), repairs (sent), lingered (datagrams asked again within the repair linger),
   * rateLimited (over the repair budget), gone (NAK entries for messages no longer in the window), retainedAnswers
   * (topics answered), retainedLingered (topics asked again within their linger), retainedEvicted (values dropped for
   * maxTopics/maxBytes), heartbeats; windowMessages and windowBytes: what the repair window holds now.
   */
  counts(): Record<string, number> {
    const { repaired, lingered, rateLimited } = this.limiter.counts();
    const { messages, bytes } = this.window.size();
    return { repairs: repaired, lingered, rateLimited, ...this.tally, windowMessages: messages, windowBytes: bytes };
  }

  private repairs(entries: NakEntry[]): Buffer[] {
    const frames: Buffer[] = [];
    for (const { seq, first, last } of entries) {
      const datagrams = this.window.lookup(seq, first, last);
      if (!datagrams) {
        this.tally.gone++;
        continue;
      }
      datagrams.forEach((datagram, i) => {
        if (this.limiter.allow(`${seq >>> 0}:${first + i}`)) frames.push(encodeControlFrame({ type: 'repair', stream: this.stream, datagram }));
      });
    }
    return frames;
  }

  private retainedValues(nonce: number, filter: string): Buffer[] {
    const matches = topicFilter(filter);
    const at = this.now();
    const frames: Buffer[] = [];
    for (const [topic, value] of this.retained) {
      if (!matches(topic)) continue;
      if (value.answeredAt !== undefined && at - value.answeredAt < this.retainedLimits.lingerMs) {
        this.tally.retainedLingered++;
        continue;
      }
      value.answeredAt = at;
      this.tally.retainedAnswers++;
      for (const datagram of value.datagrams) frames.push(encodeControlFrame({ type: 'retained-value', stream: this.stream, nonce, datagram }));
    }
    return frames;
  }

  private forgetRetained(topic: string): void {
    const value = this.retained.get(topic);
    if (!value) return;
    this.retained.delete(topic);
    this.retainedBytes -= value.bytes;
  }
}

/** A copy that shares no memory with the caller's buffer (Buffer.from of a Buffer copies its bytes). */
function copy(datagram: Buffer): Buffer {
  return Buffer.from(datagram);
}
