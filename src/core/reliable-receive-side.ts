// The bus's receive side of reliable and retained topics (docs/reliability.md): control frames heard on the group
// (opened first on a sealed bus) go to a ReliableReceiver (heartbeats make a source's stream reliable, repairs are decoded and fed back as data), data of
// reliable streams passes its in-order hold, NAKs and retained requests leave from a unicast socket of its own (the
// receive socket is bound to the group). Retained values answer only the nonces this bus sent, and go only to the
// clients that asked. A stream is followed by its origin: the sealed session on a sealed bus, else the UDP source.
import type { RemoteInfo, Socket } from 'node:dgram';
import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import type { BusReceiver } from './bus-client';
import { decodeControlFrame, encodeControlFrame, type ControlFrame, type StreamId } from './control-frame';
import type { ControlSealing } from './control-sealing';
import { DeadlineTimer } from './deadline-timer';
import { NakBudget } from './nak-budget';
import type { BusMessage, Framing } from './framing';
import type { AddressFamily } from './multicast-address';
import { remember } from './recent-map';
import { ReliableReceiver } from './reliable-receiver';
import { seqAfter } from './sequence-number';
import { closeSocket } from './reopening-socket';
import { topicFilter } from './topic-filter';

/** What the receive side needs of its bus. */
export interface ReliableReceiveWiring {
  family: AddressFamily;
  framing(): Framing | undefined;
  /** How NAKs and retained requests are sealed; undefined while the keys of a sealed bus are being made. */
  sealing(): ControlSealing | undefined;
  /** Hands messages to the bus's clients, in order; to `only` alone when given (a retained value). */
  deliver(messages: BusMessage[], only?: BusReceiver): void;
}

/** How long after a client registers the bus asks each reliable stream it hears for retained values. */
export const RETAINED_ASK_MS = 3000;
// Answers to a request may come a little after the asking ends: an ask takes answers this much longer.
const RETAINED_ANSWER_MS = 2000;
// A sender answers a topic at most once per linger (500 ms), to the group: a listener that asked just after another
// one's answer went by hears none, so each stream is asked once more after the linger, at its next heartbeat.
const RETAINED_RETRY_MS = 600;
// Streams remembered for retained requests, and how long one counts as heard.
const MAX_KNOWN = 1024;
const KNOWN_MS = 5000;

interface Ask {
  client: BusReceiver;
  filter: string;
  matches: (topic: string) => boolean;
  nonce: number;
  until: number;
  /** Each stream asked, with when it was first asked and whether it was asked again (see RETAINED_RETRY_MS). */
  asked: Map<StreamId, { at: number; again: boolean }>;
  /** The first number each source delivered live to the client since it asked: a retained value at or after it was seen live. */
  firstLive: Map<string, number>;
  /** Source and topic of each value delivered, so one asked of twice arrives once. */
  delivered: Set<string>;
}

/** When a source last sent data, and the last number heard from it. */
interface Seen {
  at: number;
  seq: number | undefined;
}

type HeartbeatFrame = ControlFrame & { type: 'heartbeat' };

// A stream starts being followed at most this many numbers before its newest, so that a listener joining a busy
// stream asks for little; and a pending heartbeat counts only for data at most this far past what it announced.
const START_REACH = 64;
const PENDING_REACH = 64;

/**
 * The number after which a stream is followed when its first believed heartbeat comes: after the last message
 * delivered best effort (`delivered`), else just before the data that arrived (`arriving`), but never before what
 * the sender can still repair, nor more than START_REACH before the newest it announced.
 */
function startAfter(heartbeat: HeartbeatFrame, delivered: number | undefined, arriving?: number): number {
  const { oldest, newest } = heartbeat;
  let start = delivered ?? (arriving !== undefined && !seqAfter(arriving, newest) ? (arriving - 1) >>> 0 : (newest - 1) >>> 0);
  if (!seqAfter(newest, start)) return start;
  const floor = (newest - START_REACH) >>> 0;
  if (seqAfter(floor, start)) start = floor;
  const repairable = (oldest - 1) >>> 0;
  if (seqAfter(repairable, start)) start = repairable;
  return start;
}

/** Whether two numbers are at most PENDING_REACH apart, either way round the u32 circle. */
function near(a: number, b: number): boolean {
  return (a - b) >>> 0 <= PENDING_REACH || (b - a) >>> 0 <= PENDING_REACH;
}

/** Where a control frame came from: its UDP sender, its origin when that is a session, and the stream key of both. */
interface From {
  sender: RemoteInfo;
  origin: string | undefined;
  source: string;
}

interface Known {
  stream: StreamId;
  address: string;
  port: number;
  heardAt: number;
}

/** Reliable delivery as one bus receives it. */
export class ReliableReceiveSide {
  private readonly receiver = new ReliableReceiver<BusMessage>();
  private socket: Socket | undefined;
  private readonly timer = new DeadlineTimer(() => this.fire());
  private asks: Ask[] = [];
  private readonly known = new Map<string, Known>();
  // Sources that sent data lately: only their heartbeats are believed, so a heartbeat from nowhere starts nothing.
  private readonly senders = new Map<string, Seen>();
  // The last heartbeat of each source not heard sending yet, believed once its data comes (bounded as `known`).
  private readonly pending = new Map<string, { frame: HeartbeatFrame; nakTo: string }>();
  private readonly budget = new NakBudget();
  private readonly tally = {
    malformed: 0,
    heartbeats: 0,
    heartbeatsIgnored: 0,
    repairs: 0,
    retainedValues: 0,
    retainedDelivered: 0,
    retainedRequests: 0,
    naksSent: 0,
  };

  constructor(private readonly wiring: ReliableReceiveWiring) {}

  /** A data message the framing decoded: what to deliver now, in order (held back behind a gap of a reliable stream). */
  data(message: BusMessage): BusMessage[] {
    if (message.seq === undefined) return [message];
    const source = message.origin ?? `${message.address}:${message.port}`;
    const seen = this.sawData(source, message.address);
    const previous = seen.seq;
    seen.seq = message.seq;
    if (!this.receiver.follows(source)) {
      // A stream's first heartbeat goes out with its first message, often just before it, from a source not heard
      // yet: the stream is followed from this message on, and the newest it announced is asked for if missing.
      const pending = this.pending.get(source);
      this.pending.delete(source);
      if (pending && near(message.seq, pending.frame.newest)) {
        this.receiver.control(source, pending.frame, { startAfter: startAfter(pending.frame, previous, message.seq), nakTo: pending.nakTo });
      } else {
        // Best effort (no heartbeat heard): delivered as it is, with nothing allocated on the way.
        return [message];
      }
    }
    const out = this.receiver.data(source, message.seq, message, message.payload.length);
    this.arm();
    if (this.asks.length > 0) this.noteLive(out.deliver);
    if (out.lost === 0 && out.deliver.length === 1 && out.deliver[0] === message) return [message];
    return numbered(out);
  }

  /**
   * A datagram with the control magic heard on the group (opened, on a sealed bus), from `origin`: the authenticated
   * session, or undefined for the UDP source.
   */
  control(bytes: Buffer, sender: RemoteInfo, origin?: string): void {
    const decoded = decodeControlFrame(bytes);
    if ('malformed' in decoded) {
      this.tally.malformed++;
      return;
    }
    const frame = decoded.frame;
    const from: From = { sender, origin, source: origin ?? `${sender.address}:${sender.port}` };
    if (frame.type === 'heartbeat') this.heartbeat(from, frame);
    else if (frame.type === 'repair') this.repair(from, frame);
    else if (frame.type === 'retained-value') this.retainedValue(from, frame.datagram);
    this.arm();
  }

  /** A client that wants the retained values matching `filter`: every reliable stream heard within RETAINED_ASK_MS is asked. */
  ask(client: BusReceiver, filter: string): void {
    const now = performance.now();
    const ask: Ask = {
      client,
      filter,
      matches: topicFilter(filter),
      nonce: randomInt(1, 0xffffffff),
      until: now + RETAINED_ASK_MS,
      asked: new Map(),
      firstLive: new Map(),
      delivered: new Set(),
    };
    // Asks that ended go here too, not only when a heartbeat comes: on a bus with no reliable sender none ever does,
    // and a node that subscribes again and again must not grow the list.
    this.dropEndedAsks(now);
    this.asks.push(ask);
    for (const known of this.known.values()) if (now - known.heardAt < KNOWN_MS) this.request(ask, known);
  }

  /** A client left: it asks no more. */
  forget(client: BusReceiver): void {
    this.asks = this.asks.filter((ask) => ask.client !== client);
  }

  /** Counters for the stats route. */
  counts(): Record<string, unknown> {
    return { ...this.tally, naksRefused: this.budget.refused, ...this.receiver.counts() };
  }

  /** Control frames dropped as malformed. */
  get malformed(): number {
    return this.tally.malformed;
  }

  /** Stops the timer and closes the NAK socket. */
  async close(): Promise<void> {
    this.timer.stop();
    this.asks = [];
    const socket = this.socket;
    this.socket = undefined;
    await closeSocket(socket);
  }

  private heartbeat({ source, sender }: From, frame: ControlFrame & { type: 'heartbeat' }): void {
    this.tally.heartbeats++;
    // NAKs go to the address the heartbeat came from, at the port it names: a session is no address.
    const port = frame.nakPort || sender.port;
    // Only a source that sent data lately gets NAKs: a heartbeat from nowhere starts no repair traffic. It may still be
    // asked for retained values (one request per listener starting, answered to the group, never a flood).
    const seen = this.senders.get(source);
    const nakTo = `${sender.address}:${port}`;
    if (seen !== undefined && performance.now() - seen.at <= KNOWN_MS) {
      // A stream followed already (or restarting with a new id) takes no start: a restart starts after its newest.
      const start = this.receiver.follows(source) ? undefined : startAfter(frame, seen.seq);
      this.receiver.control(source, frame, { startAfter: start, nakTo });
    } else {
      // Kept until the source's first data: a stream announces itself right with its first message.
      this.tally.heartbeatsIgnored++;
      remember(this.pending, source, { frame, nakTo }, MAX_KNOWN);
    }
    const known: Known = { stream: frame.stream, address: sender.address, port, heardAt: performance.now() };
    remember(this.known, source, known, MAX_KNOWN);
    const now = known.heardAt;
    this.dropEndedAsks(now);
    for (const ask of this.asks) {
      if (now >= ask.until) continue;
      const asked = ask.asked.get(known.stream);
      if (!asked) this.request(ask, known);
      else if (!asked.again && now - asked.at >= RETAINED_RETRY_MS) {
        asked.again = true;
        this.request(ask, known);
      }
    }
  }

  private repair({ source, sender, origin }: From, frame: ControlFrame & { type: 'repair' }): void {
    this.tally.repairs++;
    const { redecode } = this.receiver.control(source, frame);
    const framing = this.wiring.framing();
    if (!redecode || !framing?.decodeAside) return;
    const message = framing.decodeAside(redecode, sender, origin);
    if (!message || message.seq === undefined) return;
    // Past the sequence tracker, which would drop a repair more than 64 numbers late: the hold dedupes it instead.
    const before = this.receiver.duplicates(source);
    const out = this.receiver.data(source, message.seq, message, message.payload.length);
    framing.repaired?.(sender, message.seq, this.receiver.duplicates(source) === before, origin);
    if (this.asks.length > 0) this.noteLive(out.deliver);
    if (out.deliver.length > 0 || out.lost > 0) this.wiring.deliver(numbered(out));
  }

  private retainedValue({ source, sender, origin }: From, datagram: Buffer): void {
    this.tally.retainedValues++;
    const now = performance.now();
    // Any asker whose filter matches takes it, whichever request it answers (its nonce): a sender answers a topic
    // once per linger, whoever asked.
    if (!this.asks.some((ask) => now < ask.until + RETAINED_ANSWER_MS)) return;
    const message = this.wiring.framing()?.decodeAside?.(datagram, sender, origin);
    if (!message) return;
    const value: BusMessage = { ...message, lostBefore: 0, retained: true };
    const key = `${source} ${message.topic ?? ''}`;
    for (const ask of this.asks) {
      if (now >= ask.until + RETAINED_ANSWER_MS || !ask.matches(message.topic ?? '') || ask.delivered.has(key)) continue;
      // The value went out after the client started listening: it had it live, in its place.
      const firstLive = ask.firstLive.get(source);
      if (firstLive !== undefined && message.seq !== undefined && !seqAfter(firstLive, message.seq)) continue;
      ask.delivered.add(key);
      this.tally.retainedDelivered++;
      this.wiring.deliver([value], ask.client);
    }
  }

  /** Forgets the asks whose answers can no longer come. */
  private dropEndedAsks(now: number): void {
    this.asks = this.asks.filter((ask) => now < ask.until + RETAINED_ANSWER_MS);
  }

  /** Messages of reliable streams delivered live while clients ask: the first number per source, for each ask. */
  private noteLive(messages: BusMessage[]): void {
    for (const message of messages) {
      if (message.seq === undefined) continue;
      const source = message.origin ?? `${message.address}:${message.port}`;
      for (const ask of this.asks) if (!ask.firstLive.has(source)) ask.firstLive.set(source, message.seq);
    }
  }

  private request(ask: Ask, known: Known): void {
    if (!ask.asked.has(known.stream)) ask.asked.set(known.stream, { at: performance.now(), again: false });
    this.tally.retainedRequests++;
    this.unicast(
      encodeControlFrame({ type: 'retained-request', stream: known.stream, nonce: ask.nonce, filter: ask.filter }),
      known.address,
      known.port,
    );
  }

  private unicast(frame: Buffer, address: string, port: number): void {
    const sealing = this.wiring.sealing();
    if (!sealing) return;
    if (!this.socket) {
      this.socket = createSocket(this.wiring.family === 'IPv4' ? 'udp4' : 'udp6');
      this.socket.on('error', () => undefined);
      this.socket.unref();
    }
    this.socket.send(sealing.seal(frame), port, address);
  }

  /** A data message from `source` (at `address`): its heartbeats are believed for a while, and NAKs to it budgeted. */
  private sawData(source: string, address: string): Seen {
    this.budget.heard(address);
    // Refreshed at most every second, so the hot path seldom touches the map's order.
    const now = performance.now();
    const last = this.senders.get(source);
    if (last !== undefined && now - last.at < 1000) return last;
    const seen: Seen = { at: now, seq: last?.seq };
    remember(this.senders, source, seen, MAX_KNOWN);
    return seen;
  }

  /** Sets the one timer for what the receiver has due next. */
  private arm(): void {
    this.timer.setFor(this.receiver.nextDeadline());
  }

  private fire(): void {
    const { naks, deliver, lost } = this.receiver.due();
    for (const { to, frame } of naks) {
      const colon = to.lastIndexOf(':');
      const address = to.slice(0, colon);
      // A refused NAK is as good as lost: the scheduler asks again later, within the budget.
      if (!this.budget.allow(address)) {
        continue;
      }
      this.tally.naksSent++;
      this.unicast(frame, address, Number(to.slice(colon + 1)));
    }
    if (this.asks.length > 0) this.noteLive(deliver);
    if (deliver.length > 0 || lost > 0) this.wiring.deliver(numbered({ deliver, lost }));
    this.arm();
  }
}

/** Messages out of a hold: the first carries the losses given up just before it, the others none. */
function numbered(out: { deliver: BusMessage[]; lost: number }): BusMessage[] {
  return out.deliver.map((message, i) => ({ ...message, lostBefore: i === 0 ? out.lost : 0 }));
}
