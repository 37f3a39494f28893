import type { Socket } from 'node:dgram';
import type { Batching, Framing } from './framing';
import type { OutgoingDatagram } from './lcm-codec';
import { BusError, type Problem } from './problem';
import { sendDatagrams } from './send-socket';
import { socketProblem } from './socket-problem';

/** The bus's send side as the queue sees it. */
export interface SendSide {
  group: string;
  port: number;
  /** The framing to encode with; undefined while the keys of a sealed bus are being made. */
  framing(): Framing | undefined;
  /** The open socket; undefined while the send side opens or waits. */
  socket(): Socket | undefined;
  /** `group:port`, as messages name the bus. */
  label: string;
  /** Pack messages published in one turn of the event loop into as few datagrams as fit (where the framing can). */
  batch?: boolean;
  /** Why the send side is not open, when it says. */
  problem(): Problem | undefined;
  /** Called with each message's datagrams as it is encoded, before sealing and before they go out: reliable delivery keeps them. */
  encoded?(topic: string, datagrams: OutgoingDatagram[], options: PublishOptions): void;
}

/** How one message is to be delivered (docs/reliability.md). */
export interface PublishOptions {
  /** Kept for repair: receivers that miss it ask for it again. */
  reliable?: boolean;
  /** Kept as the topic's retained value (also reliable), for listeners that ask when they start. */
  retain?: boolean;
}

/** How much may wait behind the message going out now; past either bound a publish fails at once. */
export interface SendQueueLimits {
  messages: number;
  bytes: number;
  /** How long one message may wait for the send side to open before it fails with the reason, in ms. */
  waitMs: number;
}

export const SEND_QUEUE_LIMITS: SendQueueLimits = { messages: 1000, bytes: 16 * 1024 * 1024, waitMs: 30_000 };

// Datagrams sent in one burst. Between bursts the sender waits for the sends to complete and for one turn of the
// event loop, so receivers in this process (and slower hosts) read before their receive buffers overflow.
const SEND_WINDOW = 32;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
// Messages one batch collects before it goes out without waiting for the end of the turn: about a burst of full
// datagrams of small messages, so a flow that publishes thousands in one turn still sends as it goes.
const BATCH_MESSAGES = 512;

interface Settlers {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Sends messages in the order they were published. A message that fits one burst while nothing waits goes straight to
 * the socket; anything else (a message of many bursts, or any message while the send side is not open yet or briefly
 * away) waits its turn in a bounded queue, so a flow's first message is not lost to a socket still opening. A waiting
 * message is encoded only when its turn comes: LCM numbers messages as it encodes them, so a message that never goes
 * out takes no number (receivers would count it lost), and a sealed frame is stamped when it is sent.
 */
export class SendQueue {
  readonly counts = { sent: 0, refused: 0, expired: 0 };
  private chain: Promise<void> = Promise.resolve();
  private waitingMessages = 0;
  private waitingBytes = 0;
  private readonly wakers = new Set<() => void>();
  // Tickets number waiting messages; every one below `abandonedBelow` fails instead of waiting on.
  private nextTicket = 0;
  private abandonedBelow = 0;
  private closed = false;
  // Batching: the one-datagram messages of this turn, not yet sent, each with its promise's settlers.
  private batch: { socket: Socket; batching: Batching; messages: OutgoingDatagram[]; settlers: Settlers[] } | undefined;

  constructor(
    private readonly side: SendSide,
    private readonly limits: SendQueueLimits = SEND_QUEUE_LIMITS,
  ) {}

  /** Messages waiting to go out now. */
  get waiting(): number {
    return this.waitingMessages;
  }

  /** Sends one message; settles once the socket took all its datagrams, or rejects with a BusError saying why not. */
  publish(topic: string, payload: Buffer, options: PublishOptions = {}): Promise<void> {
    const framing = this.side.framing();
    const socket = this.side.socket();
    if (this.waitingMessages === 0 && framing && socket) {
      if (this.side.batch && framing.batching) return this.batched(framing.batching, socket, topic, payload, options);
      // Nothing waits and the bus can send: the message goes out now, so it may take its number now.
      let datagrams: OutgoingDatagram[];
      try {
        datagrams = framing.encode(topic, payload, this.keeper(topic, options));
      } catch (error) {
        return Promise.reject(error);
      }
      if (datagrams.length <= SEND_WINDOW) return this.sendBurst(socket, datagrams);
      return this.enqueue(topic, payload, options, datagrams);
    }
    // What this turn packed goes before anything that waits.
    this.flush();
    try {
      // A message this bus can never send fails now, not when its turn comes.
      framing?.check(topic, payload);
    } catch (error) {
      return Promise.reject(error);
    }
    // The message at the head of the queue is always taken, whatever its size (Largest message bounds it).
    if (this.waitingMessages > 0 && (this.waitingMessages >= this.limits.messages || this.waitingBytes + payload.length > this.limits.bytes)) {
      this.counts.refused++;
      const params = { bus: this.side.label, messages: this.waitingMessages, bytes: this.waitingBytes };
      return Promise.reject(new BusError({ code: 'send-queue-full', params }, this.side.problem()));
    }
    return this.enqueue(topic, payload, options);
  }

  /** The send side opened: messages waiting for it go out now. */
  wake(): void {
    for (const wake of this.wakers) wake();
  }

  /** The last sending node left: what still waits fails now rather than go out after it, or at its deadline. */
  abandon(): void {
    // Published before the sender left: it goes out now, if a socket is still open.
    this.flush();
    this.abandonedBelow = this.nextTicket;
    this.wake();
  }

  /** The bus closed: every waiting message fails now, instead of at its deadline. */
  close(): void {
    this.closed = true;
    this.abandon();
  }

  /**
   * A message on a batching bus, while nothing waits: numbered now; one that fits a datagram joins this turn's batch,
   * which goes out when the turn ends, or as soon as it fills a burst. A larger one goes at once, after the batch.
   */
  private batched(batching: Batching, socket: Socket, topic: string, payload: Buffer, options: PublishOptions): Promise<void> {
    let datagrams: OutgoingDatagram[];
    try {
      datagrams = batching.encodePlain(topic, payload, this.keeper(topic, options));
    } catch (error) {
      return Promise.reject(error);
    }
    if (datagrams.length > 1) {
      this.flush();
      const sealed = batching.seal(datagrams);
      if (sealed.length <= SEND_WINDOW) return this.sendBurst(socket, sealed);
      return this.enqueue(topic, payload, options, sealed);
    }
    if (this.batch && this.batch.socket !== socket) this.flush();
    if (!this.batch) {
      this.batch = { socket, batching, messages: [], settlers: [] };
      setImmediate(() => this.flush());
    }
    const batch = this.batch;
    const sent = new Promise<void>((resolve, reject) => batch.settlers.push({ resolve, reject }));
    batch.messages.push(datagrams[0]);
    if (batch.messages.length >= BATCH_MESSAGES) this.flush();
    return sent;
  }

  /**
   * Sends this turn's batch now, if there is one; each of its messages settles when the socket took its datagram. The
   * bus calls it before its last sender leaves, so that nothing batched goes out after its goodbye, or not at all.
   */
  flush(): void {
    const batch = this.batch;
    if (!batch) return;
    this.batch = undefined;
    // A send side that reopened since (an interface change) sends on its new socket: the messages are numbered
    // already, and a receiver takes the new port for a new stream. Closed and not open again: they fail below.
    const socket = this.side.socket() ?? batch.socket;
    this.sendBurst(socket, batch.batching.pack(batch.messages), batch.messages.length).then(
      () => batch.settlers.forEach(({ resolve }) => resolve()),
      (error: unknown) => batch.settlers.forEach(({ reject }) => reject(error)),
    );
  }

  private enqueue(topic: string, payload: Buffer, options: PublishOptions, encoded?: OutgoingDatagram[]): Promise<void> {
    this.waitingMessages++;
    this.waitingBytes += payload.length;
    const ticket = this.nextTicket++;
    const deadline = performance.now() + this.limits.waitMs;
    const sent = this.chain
      .then(() => this.transmit(ticket, deadline, topic, payload, options, encoded))
      .finally(() => {
        this.waitingMessages--;
        this.waitingBytes -= payload.length;
      });
    this.chain = sent.catch(() => undefined);
    return sent;
  }

  /** Waits for the send side to open, at most until `deadline`. */
  private async untilOpen(ticket: number, deadline: number): Promise<{ socket: Socket; framing: Framing }> {
    for (;;) {
      if (ticket < this.abandonedBelow) {
        const code = this.closed ? 'bus-closed' : 'sender-left';
        throw new BusError({ code, params: { bus: this.side.label } });
      }
      const socket = this.side.socket();
      const framing = this.side.framing();
      if (socket && framing) return { socket, framing };
      const left = deadline - performance.now();
      if (left <= 0) {
        this.counts.expired++;
        throw new BusError({ code: 'not-ready', params: { bus: this.side.label, seconds: this.limits.waitMs / 1000 } }, this.side.problem());
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.wakers.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        // A side that waits for its interface holds the process with its retry timer; a message alone must not.
        timer.unref();
        this.wakers.add(done);
      });
    }
  }

  /** Sends one message's datagrams in bursts, waiting between bursts for the sends and one turn of the event loop. */
  private async transmit(
    ticket: number,
    deadline: number,
    topic: string,
    payload: Buffer,
    options: PublishOptions,
    encoded?: OutgoingDatagram[],
  ): Promise<void> {
    const open = await this.untilOpen(ticket, deadline);
    let datagrams = encoded;
    datagrams ??= open.framing.encode(topic, payload, this.keeper(topic, options));
    let socket = open.socket;
    for (let start = 0; start < datagrams.length; start += SEND_WINDOW) {
      const last = start + SEND_WINDOW >= datagrams.length;
      await this.sendBurst(socket, datagrams.slice(start, start + SEND_WINDOW), last ? 1 : 0);
      if (last) break;
      await nextTurn();
      // Receivers put fragments together by their source: a message begun on one socket cannot finish on another.
      const now = this.side.socket();
      if (!now || now !== socket) throw new BusError({ code: 'send-interrupted', params: { bus: this.side.label } }, this.side.problem());
      socket = now;
    }
  }

  /** What sees a message's datagrams before sealing: the side's `encoded`, for this message. */
  private keeper(topic: string, options: PublishOptions): ((datagrams: OutgoingDatagram[]) => void) | undefined {
    const encoded = this.side.encoded;
    return encoded && ((datagrams) => encoded.call(this.side, topic, datagrams, options));
  }

  /**
   * Hands datagrams to the socket in order; settles when the socket is done with all of them, counting the messages
   * they complete as sent (a burst of a larger message's first fragments completes none, a batch many).
   */
  private sendBurst(socket: Socket, datagrams: OutgoingDatagram[], messagesCompleted = 1): Promise<void> {
    const { port, group } = this.side;
    return sendDatagrams(socket, datagrams, port, group).then(
      () => {
        this.counts.sent += messagesCompleted;
      },
      (error: Error & { size?: number }) => {
        throw new BusError(socketProblem(error, 'send', { group, port, size: error.size ?? 0 }));
      },
    );
  }
}
