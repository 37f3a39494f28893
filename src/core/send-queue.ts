import type { Socket } from 'node:dgram';
import type { Framing } from './framing';
import type { OutgoingDatagram } from './lcm-codec';
import { BusError, type Problem } from './problem';
import { sendDatagram } from './send-socket';
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
  /** Why the send side is not open, when it says. */
  problem(): Problem | undefined;
}

/** How much may wait for the send side to open; past any bound a publish fails at once. */
export interface SendQueueLimits {
  messages: number;
  bytes: number;
  /** How long one message may wait before it fails with the reason the bus is not ready, in ms. */
  waitMs: number;
}

export const SEND_QUEUE_LIMITS: SendQueueLimits = { messages: 1000, bytes: 16 * 1024 * 1024, waitMs: 30_000 };

// Datagrams sent in one burst. Between bursts the sender waits for the sends to complete and for one turn of the
// event loop, so receivers in this process (and slower hosts) read before their receive buffers overflow.
const SEND_WINDOW = 32;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Sends messages in the order they were published. A message that fits one burst while nothing waits goes straight to
 * the socket; anything else (a message of many bursts, or any message while the send side is not open yet or briefly
 * away) waits its turn in a bounded queue, so a flow's first message is not lost to a socket still opening.
 */
export class SendQueue {
  readonly counts = { sent: 0, refused: 0, expired: 0 };
  private chain: Promise<void> = Promise.resolve();
  private waitingMessages = 0;
  private waitingBytes = 0;
  private readonly wakers = new Set<() => void>();
  private closed = false;
  // Messages waiting that are not encoded yet (published before the framing was made).
  private unencoded = 0;

  constructor(
    private readonly side: SendSide,
    private readonly limits: SendQueueLimits = SEND_QUEUE_LIMITS,
  ) {}

  /** Messages waiting to go out now. */
  get waiting(): number {
    return this.waitingMessages;
  }

  /** Sends one message; settles once the socket took all its datagrams, or rejects with a BusError saying why not. */
  publish(topic: string, payload: Buffer): Promise<void> {
    // Encoded now where possible, so a message the bus can never send fails at once; but never ahead of a message
    // still waiting to be encoded, since LCM framing numbers messages in the order it encodes them.
    const framing = this.unencoded === 0 ? this.side.framing() : undefined;
    let encoded: OutgoingDatagram[] | undefined;
    try {
      encoded = framing?.encode(topic, payload);
    } catch (error) {
      return Promise.reject(error);
    }
    const socket = this.waitingMessages === 0 ? this.side.socket() : undefined;
    if (encoded && socket && encoded.length <= SEND_WINDOW) return this.sendBurst(socket, encoded);
    if (this.waitingMessages >= this.limits.messages || this.waitingBytes + payload.length > this.limits.bytes) {
      this.counts.refused++;
      const params = { bus: this.side.label, messages: this.waitingMessages, bytes: this.waitingBytes };
      const full = new BusError({ code: 'send-queue-full', params }, this.side.problem());
      return Promise.reject(full);
    }
    this.waitingMessages++;
    this.waitingBytes += payload.length;
    if (!encoded) this.unencoded++;
    const deadline = performance.now() + this.limits.waitMs;
    const sent = this.chain
      .then(() => this.transmit(topic, payload, deadline, encoded))
      .finally(() => {
        this.waitingMessages--;
        this.waitingBytes -= payload.length;
      });
    this.chain = sent.catch(() => undefined);
    return sent;
  }

  /** The send side opened: messages waiting for it go out now. */
  wake(): void {
    for (const wake of this.wakers) wake();
  }

  /** The bus closed: every waiting message fails now with the reason, instead of at its deadline. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  /** Waits for the send side to open, at most until `deadline`. */
  private async untilOpen(deadline: number): Promise<{ socket: Socket; framing: Framing }> {
    for (;;) {
      const socket = this.side.socket();
      const framing = this.side.framing();
      if (socket && framing) return { socket, framing };
      const left = deadline - performance.now();
      if (this.closed) throw new BusError({ code: 'bus-closed', params: { bus: this.side.label } });
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
        this.wakers.add(done);
      });
    }
  }

  /** Sends one message's datagrams in bursts, waiting between bursts for the sends and one turn of the event loop. */
  private async transmit(topic: string, payload: Buffer, deadline: number, encoded?: OutgoingDatagram[]): Promise<void> {
    let open: { socket: Socket; framing: Framing };
    let datagrams: OutgoingDatagram[];
    try {
      open = await this.untilOpen(deadline);
      datagrams = encoded ?? open.framing.encode(topic, payload);
    } finally {
      if (!encoded) this.unencoded--;
    }
    let socket = open.socket;
    for (let start = 0; start < datagrams.length; start += SEND_WINDOW) {
      const last = start + SEND_WINDOW >= datagrams.length;
      await this.sendBurst(socket, datagrams.slice(start, start + SEND_WINDOW), last);
      if (last) break;
      await nextTurn();
      // Receivers put fragments together by their source: a message begun on one socket cannot finish on another.
      const now = this.side.socket();
      if (!now || now !== socket) throw new BusError({ code: 'send-interrupted', params: { bus: this.side.label } }, this.side.problem());
      socket = now;
    }
  }

  /** Hands datagrams to the socket in order; settles when the socket is done with all of them. */
  private sendBurst(socket: Socket, datagrams: OutgoingDatagram[], completesMessage = true): Promise<void> {
    const { port, group } = this.side;
    return new Promise((resolve, reject) => {
      let left = datagrams.length;
      let failure: Error | null = null;
      if (left === 0) return resolve();
      const sent = (error: Error | null) => {
        if (error && !failure) failure = error;
        if (--left > 0) return;
        if (failure) {
          const size = Math.max(...datagrams.map(([header, data]) => header.length + data.length));
          return reject(new BusError(socketProblem(failure, 'send', { group, port, size })));
        }
        if (completesMessage) this.counts.sent++;
        resolve();
      };
      for (const [header, data] of datagrams) sendDatagram(socket, header.length === 0 ? data : [header, data], port, group, sent);
    });
  }
}
