// The receiving side of reliable topics (docs/reliability.md): per sender stream, an in-order hold for what comes
// after a gap and a NAK scheduler for when to ask the sender for the gap, fed by the data and control frames the caller
// hears and drained by due() when nextDeadline() comes. Pure: no sockets, no timers, clock and random injected.
//   A source (its UDP "address:port", or its sealed session) is best-effort until its heartbeat is heard; from then on
//   its stream is reliable from the heartbeat's newest + 1. NAKs go to the sender, unicast; repairs come to the group.
import { MAX_NAK_ENTRIES, encodeControlFrame, type ControlFrame, type NakEntry, type StreamId } from './control-frame';
import { InOrderHold, MAX_JUMP, type HoldLimits } from './in-order-hold';
import { NakScheduler, type MissingRange, type NakTiming } from './nak-scheduler';
import { seqAfter } from './sequence-number';

export interface ReliableReceiverOptions {
  nak?: Partial<NakTiming>;
  hold?: Partial<HoldLimits>;
  /** Streams kept at most (default 1,024): a table bounded against forged sources, evicting the least recently heard. */
  maxStreams?: number;
}

const DEFAULT_MAX_STREAMS = 1024;
const LAST_FRAGMENT = 0xffff;
// The LCM magics of what a repair carries; the sequence number follows at offset 4 in both.
const LC02 = 0x4c433032;
const LC03 = 0x4c433033;

/**
 * What the hold keeps: a message with its number, or a placeholder for a number the NAK scheduler gave up before the
 * hold heard of it (tail loss: a heartbeat said it was sent, nothing after it arrived yet). The hold can only give up
 * a gap it knows, so such a number is offered as a placeholder: it keeps its place in the order and is counted lost
 * when the hold releases it.
 */
type Item<T> = { seq: number; given: false; message: T } | { seq: number; given: true };

/** One sender stream, as heard from one source; also a node of the table's least-recently-heard list. */
interface Stream<T> {
  source: string;
  /** Where its NAKs go: the source's address with the port its heartbeats announce (the source itself when 0). */
  nakTo: string;
  stream: StreamId;
  hold: InOrderHold<Item<T>>;
  nak: NakScheduler;
  /** The newest number offered to the hold (the hold's own newest): the heartbeat's newest at first. */
  offered: number;
  /** The newest number handed to the NAK scheduler; every number after `offered` up to it was a tail loss. */
  scheduled: number;
  /** The numbers handed to the NAK scheduler, in stream order, from `head` on: swept once the hold has passed them. */
  asked: number[];
  head: number;
  /** Placeholders held now, to keep them out of the held count. */
  placeholders: number;
  /** Set when the stream ends: its hold's clock then reads the end of time, so that expire() releases everything. */
  ended: boolean;
  /** What a restart released from the stream before, for the next data() or due(). */
  leftover: { deliver: T[]; lost: number } | undefined;
  naks: number;
  repairs: number;
  givenUp: number;
  older: Stream<T> | undefined;
  newer: Stream<T> | undefined;
}

/**
 * Where NAKs for a source "address:port" go: a sender's send socket may be connected to the group, and a connected
 * socket hears nothing else, so its heartbeats name the port of a socket that does (0: the source's own port).
 */
function nakDestination(source: string, nakPort: number): string {
  const colon = source.lastIndexOf(':');
  if (nakPort === 0 || colon < 0 || !/^\d+$/.test(source.slice(colon + 1))) return source;
  return `${source.slice(0, colon)}:${nakPort}`;
}

const whole = (seq: number): MissingRange => ({ seq, first: 0, last: LAST_FRAGMENT });

/** How far `a` is ahead of `b` on the u32 circle. */
function ahead(a: number, b: number): number {
  return (a - b) >>> 0;
}

/** Keeps reliable streams in order, asks their senders for gaps, and gives gaps up consistently in both its parts. */
export class ReliableReceiver<T> {
  private readonly nakTiming: Partial<NakTiming>;
  private readonly holdLimits: Partial<HoldLimits>;
  private readonly maxStreams: number;
  private readonly streams = new Map<string, Stream<T>>();
  // The table as a list, least recently heard first: O(1) to touch and to evict, whatever a flood of sources does.
  private oldest: Stream<T> | undefined;
  private newest: Stream<T> | undefined;
  // Streams with something pending (a loss, a held message, a leftover): the only ones due() and nextDeadline() visit.
  private readonly active = new Set<Stream<T>>();
  // Released from evicted streams, for the next due().
  private released: T[] = [];
  private releasedLost = 0;
  private evicted = 0;

  constructor(
    options: ReliableReceiverOptions = {},
    // A monotonic clock, as the NAK scheduler's and the hold's.
    private readonly now: () => number = () => performance.now(),
    private readonly random: () => number = Math.random,
  ) {
    this.nakTiming = { ...options.nak };
    this.holdLimits = { ...options.hold };
    this.maxStreams = Math.max(1, Math.trunc(options.maxStreams ?? DEFAULT_MAX_STREAMS));
  }

  /** A data message (seq) from `source`: what to deliver now, in order, and how many were given up just before them. Best-effort (delivered at once, untouched) until the source's heartbeat was heard. */
  /** Whether `source`'s stream is reliable (its heartbeat was heard): the bus's fast path skips data() for the rest. */
  follows(source: string): boolean {
    return this.streams.has(source);
  }

  data(source: string, seq: number, message: T, bytes: number): { deliver: T[]; lost: number } {
    const state = this.streams.get(source);
    if (!state) return { deliver: [message], lost: 0 };
    this.touch(state);
    seq >>>= 0;
    state.nak.arrived(seq);
    // A jump past MAX_JUMP makes the hold give up everything before its last MAX_JUMP numbers.
    const jump = seqAfter(seq, state.offered) && ahead(seq, state.offered) - 1 > MAX_JUMP;
    const out = this.offer(state, seq, { seq, given: false, message }, bytes);
    if (jump) this.sweep(state, (seq - MAX_JUMP) >>> 0);
    this.prependLeftover(state, out);
    this.update(state);
    return out;
  }

  /**
   * A control frame from `source`. A heartbeat starts (or, with a new stream id, restarts) its reliable stream and
   * reveals tail loss; a new stream is followed from after `startAfter` (default: its newest), and the numbers from
   * there to its newest are asked for when missing. Its NAKs go to `nakTo` ("address:port"; by default the source with
   * the heartbeat's nakPort, which a source that is a sealed session must give). A repair of its current stream returns
   * the datagram inside for the caller to decode and hand to data().
   */
  control(source: string, frame: ControlFrame, heartbeat: { startAfter?: number; nakTo?: string } = {}): { redecode?: Buffer } {
    if (frame.type === 'heartbeat') {
      const newest = frame.newest >>> 0;
      const nakTo = heartbeat.nakTo ?? nakDestination(source, frame.nakPort);
      this.heartbeat(source, frame.stream, newest, nakTo, (heartbeat.startAfter ?? newest) >>> 0);
      return {};
    }
    if (frame.type !== 'repair') return {};
    const state = this.streams.get(source);
    // A repair of a stream we do not follow (not heard, or before a restart) would only be a late duplicate.
    if (!state || state.stream !== frame.stream) return {};
    this.touch(state);
    state.repairs++;
    // Someone's NAK made it: hold ours back for the whole message, even if this is one fragment of it (the rest are on
    // their way); data() marks it arrived once the caller decoded it.
    const datagram = frame.datagram;
    if (datagram.length >= 8) {
      const magic = datagram.readUInt32BE(0);
      if (magic === LC02 || magic === LC03) state.nak.heard([whole(datagram.readUInt32BE(4))]);
    }
    this.update(state);
    return { redecode: datagram };
  }

  /** What is due now: NAK frames (to the source asked, ≤ 64 entries each) and messages released by gaps given up, with how many were lost. */
  due(): { naks: { to: string; frame: Buffer }[]; deliver: T[]; lost: number } {
    const naks: { to: string; frame: Buffer }[] = [];
    const deliver = this.released;
    let lost = this.releasedLost;
    this.released = [];
    this.releasedLost = 0;
    for (const state of [...this.active]) {
      const out = { deliver: [] as T[], lost: 0 };
      this.prependLeftover(state, out);
      const { ask, givenUp } = state.nak.due();
      for (const range of givenUp) {
        const seq = range.seq >>> 0;
        // A tail loss the hold has not heard of gets a placeholder; a gap it knows is given up in it.
        if (seqAfter(seq, state.offered)) this.add(out, this.offer(state, seq, { seq, given: true }, 0, true));
        else this.add(out, this.unwrap(state, state.hold.giveUp(seq)));
      }
      // What the hold gives up on its own (held too long, or over its limits) the scheduler must stop asking for.
      this.add(out, this.unwrap(state, state.hold.expire()));
      for (let i = 0; i < ask.length; i += MAX_NAK_ENTRIES) {
        const entries: NakEntry[] = ask.slice(i, i + MAX_NAK_ENTRIES).map(({ seq, first, last }) => ({ seq, first, last }));
        naks.push({ to: state.nakTo, frame: encodeControlFrame({ type: 'nak', stream: state.stream, entries }) });
        state.naks++;
      }
      deliver.push(...out.deliver);
      lost += out.lost;
      this.update(state);
    }
    return { naks, deliver, lost };
  }

  /** Duplicates the hold of `source`'s stream dropped so far (0 when not followed): a caller learns whether data() took a message as new. */
  duplicates(source: string): number {
    return this.streams.get(source)?.hold.counts().duplicates ?? 0;
  }

  /** When due() next has something (absolute time on the injected clock), or undefined: the caller sets one timer. */
  nextDeadline(): number | undefined {
    if (this.released.length > 0 || this.releasedLost > 0) return this.now();
    let earliest: number | undefined;
    for (const state of this.active) {
      const at = state.leftover ? this.now() : Math.min(state.nak.nextDeadline() ?? Infinity, state.hold.nextDeadline() ?? Infinity);
      if (at !== Infinity && (earliest === undefined || at < earliest)) earliest = at;
    }
    return earliest;
  }

  /** Counters for stats: streams followed, streams evicted from the table, and per source its stream id, NAK frames sent, repairs heard, messages given up and held now. */
  counts(): Record<string, unknown> {
    const sources: Record<string, { stream: StreamId; naks: number; repairs: number; givenUp: number; held: number }> = {};
    for (const [source, state] of this.streams) {
      sources[source] = {
        stream: state.stream,
        naks: state.naks,
        repairs: state.repairs,
        givenUp: state.givenUp,
        held: state.hold.counts().held - state.placeholders,
      };
    }
    return { streams: this.streams.size, evicted: this.evicted, sources };
  }

  private heartbeat(source: string, stream: StreamId, newest: number, nakTo: string, startAfter: number): void {
    const known = this.streams.get(source);
    if (known && known.stream === stream) {
      this.touch(known);
      known.nakTo = nakTo;
      // Sent but not heard, and not yet asked for: a tail loss. Only the last MAX_JUMP, as the hold would keep.
      if (seqAfter(newest, known.scheduled)) {
        let from = (known.scheduled + 1) >>> 0;
        if (ahead(newest, known.scheduled) > MAX_JUMP) from = (newest - MAX_JUMP + 1) >>> 0;
        this.schedule(known, from, newest);
      }
      this.update(known);
      return;
    }
    const state: Stream<T> = {
      source,
      nakTo,
      stream,
      hold: new InOrderHold<Item<T>>(this.holdLimits, () => (state.ended ? Infinity : this.now())),
      nak: new NakScheduler(this.nakTiming, this.now, this.random),
      offered: startAfter,
      scheduled: startAfter,
      asked: [],
      head: 0,
      placeholders: 0,
      ended: false,
      leftover: undefined,
      naks: 0,
      repairs: 0,
      givenUp: 0,
      older: undefined,
      newer: undefined,
    };
    state.hold.start((startAfter + 1) >>> 0);
    if (known) {
      // A restart: the old stream's gaps can no longer be repaired, so what it held goes out now, after its losses.
      state.leftover = this.flush(known);
      state.naks = known.naks;
      state.repairs = known.repairs;
      state.givenUp = known.givenUp;
      this.remove(known);
    }
    this.streams.set(source, state);
    this.append(state);
    // Announced, not heard: asked for as a tail loss would be.
    if (seqAfter(newest, startAfter)) this.schedule(state, (startAfter + 1) >>> 0, newest);
    while (this.streams.size > this.maxStreams && this.oldest) {
      const evict = this.oldest;
      const out = this.flush(evict);
      this.released.push(...out.deliver);
      this.releasedLost += out.lost;
      this.remove(evict);
      this.streams.delete(evict.source);
      this.evicted++;
    }
    this.update(state);
  }

  /** Offers an item to the hold, schedules what it reports missing (numbers past those already asked for), unwraps what comes out. */
  private offer(state: Stream<T>, seq: number, item: Item<T>, bytes: number, placeholder = false): { deliver: T[]; lost: number } {
    const before = placeholder ? state.hold.counts().duplicates : 0;
    const { deliver, missing, lost } = state.hold.offer(seq, item, bytes);
    if (placeholder && state.hold.counts().duplicates === before) state.placeholders++;
    if (seqAfter(seq, state.offered)) state.offered = seq;
    if (seqAfter(state.offered, state.scheduled)) {
      const fresh = missing.filter((n) => seqAfter(n, state.scheduled));
      if (fresh.length > 0) this.schedule(state, fresh[0], fresh[fresh.length - 1]);
      state.scheduled = state.offered;
    }
    return this.unwrap(state, { deliver, lost });
  }

  /** Hands numbers from…to to the NAK scheduler as whole messages missing. */
  private schedule(state: Stream<T>, from: number, to: number): void {
    const ranges: MissingRange[] = [];
    for (let seq = from; ; seq = (seq + 1) >>> 0) {
      ranges.push(whole(seq));
      state.asked.push(seq);
      if (seq === to) break;
    }
    state.scheduled = to;
    state.nak.missing(ranges);
    // The scheduler keeps at most maxPending ranges and gives the oldest up itself; older numbers need no sweep.
    const keep = 2 * (this.nakTiming.maxPending ?? 10_000);
    if (state.asked.length - state.head > keep) state.head = state.asked.length - keep;
    this.compact(state);
  }

  /** Messages out of the hold: placeholders become losses; whatever the hold passed, the scheduler stops asking for. */
  private unwrap(state: Stream<T>, out: { deliver: Item<T>[]; lost: number }): { deliver: T[]; lost: number } {
    const deliver: T[] = [];
    let lost = out.lost;
    for (const item of out.deliver) {
      if (item.given) {
        lost++;
        state.placeholders--;
      } else deliver.push(item.message);
    }
    const last = out.deliver.at(-1);
    if (last) this.sweep(state, (last.seq + 1) >>> 0);
    state.givenUp += lost;
    return { deliver, lost };
  }

  /** Everything before `next` was delivered or given up by the hold: the scheduler stops asking for it. */
  private sweep(state: Stream<T>, next: number): void {
    const asked = state.asked;
    while (state.head < asked.length && seqAfter(next, asked[state.head])) state.nak.arrived(asked[state.head++]);
    this.compact(state);
  }

  private compact(state: Stream<T>): void {
    if (state.head > 1024 && state.head > state.asked.length / 2) {
      state.asked = state.asked.slice(state.head);
      state.head = 0;
    }
  }

  /** Gives up every gap of a stream that ends (restart or eviction): what it held, in order, and how many were lost. */
  private flush(state: Stream<T>): { deliver: T[]; lost: number } {
    const out = { deliver: [] as T[], lost: 0 };
    this.prependLeftover(state, out);
    // The hold's clock jumps to the end of time: its expiry gives every gap up and releases what it held, in order.
    state.ended = true;
    this.add(out, this.unwrap(state, state.hold.expire()));
    state.nak.clear();
    this.active.delete(state);
    return out;
  }

  private prependLeftover(state: Stream<T>, out: { deliver: T[]; lost: number }): void {
    if (!state.leftover) return;
    out.deliver.unshift(...state.leftover.deliver);
    out.lost += state.leftover.lost;
    state.leftover = undefined;
  }

  private add(out: { deliver: T[]; lost: number }, more: { deliver: T[]; lost: number }): void {
    out.deliver.push(...more.deliver);
    out.lost += more.lost;
  }

  /** Keeps `active` to the streams with something pending. */
  private update(state: Stream<T>): void {
    if (this.streams.get(state.source) !== state) return;
    const pending = state.leftover !== undefined || state.nak.nextDeadline() !== undefined || state.hold.nextDeadline() !== undefined;
    if (pending) this.active.add(state);
    else this.active.delete(state);
  }

  /** Moves a stream to the most recently heard end of the list. */
  private touch(state: Stream<T>): void {
    if (this.newest === state) return;
    this.remove(state);
    this.append(state);
  }

  private append(state: Stream<T>): void {
    state.older = this.newest;
    state.newer = undefined;
    if (this.newest) this.newest.newer = state;
    else this.oldest = state;
    this.newest = state;
  }

  private remove(state: Stream<T>): void {
    if (state.older) state.older.newer = state.newer;
    else if (this.oldest === state) this.oldest = state.newer;
    if (state.newer) state.newer.older = state.older;
    else if (this.newest === state) this.newest = state.older;
    state.older = state.newer = undefined;
    this.active.delete(state);
  }
}
