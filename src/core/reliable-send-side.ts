// The bus's send side of reliable and retained topics (docs/reliability.md): a ReliableSender fed with every message
// the bus sends once its stream turned reliable, a unicast socket of its own for the NAKs and retained requests that
// reach it (its port goes in heartbeats), and one timer for heartbeats. Repairs, retained values and heartbeats go to
// the group through the bus's send socket, so they come from the same source as the data they serve. On a sealed bus
// every control frame is sealed, and the NAK socket takes only frames that open: an outsider's NAK causes nothing.
import type { RemoteInfo, Socket } from 'node:dgram';
import { bindSocket } from './bound-socket';
import { decodeControlFrame } from './control-frame';
import type { ControlSealing } from './control-sealing';
import { DeadlineTimer } from './deadline-timer';
import type { OutgoingDatagram } from './lcm-codec';
import type { BusSettings } from './bus-settings';
import type { AddressFamily } from './multicast-address';
import { BusError } from './problem';
import { ReliableSender } from './reliable-sender';
import { closeSocket } from './reopening-socket';
import type { PublishOptions } from './send-queue';
import { sendDatagrams } from './send-socket';
import { socketProblem } from './socket-problem';

/** What the send side needs of its bus. */
export interface ReliableSendWiring {
  family: AddressFamily;
  group: string;
  port: number;
  /** The bus's open send socket, or undefined while it is not open (frames due then are dropped). */
  socket(): Socket | undefined;
  /** How control frames are sealed and opened; undefined while the keys of a sealed bus are being made. */
  sealing(): ControlSealing | undefined;
}

const NO_HEADER = Buffer.alloc(0);

/** One reliable stream of a sending bus, from its first reliable or retained publish until its send side closes. */
export class ReliableSendSide {
  private sender: ReliableSender | undefined;
  private control: Socket | undefined;
  private opening: Promise<void> | undefined;
  private closed = false;
  private readonly timer = new DeadlineTimer(() => this.beat());
  // notOpened: datagrams on the NAK socket that did not open (a sealed bus: unsealed, forged or replayed).
  private readonly tally = { malformed: 0, notOpened: 0, sendErrors: 0 };

  constructor(private readonly wiring: ReliableSendWiring) {}

  /** Opens the control socket and starts the stream, once; rejects with a BusError when the socket cannot be bound. */
  start(): Promise<void> {
    this.opening ??= this.open();
    return this.opening;
  }

  /** A message's datagrams as the bus encoded them, before sealing: kept for repair, and as the topic's retained value when asked. */
  encoded(topic: string, datagrams: OutgoingDatagram[], options: PublishOptions): void {
    if (!this.sender || datagrams.length === 0) return;
    // One contiguous copy per datagram, as a repair carries it, made here once and handed over (the data may be the
    // caller's payload, which it may change after the send); LC02 and LC03 both have the sequence number at 4.
    const whole = datagrams.map(([header, data]) => (header.length === 0 ? Buffer.from(data) : Buffer.concat([header, data])));
    // Under steady traffic the heartbeat only moves later: the timer is set again once per heartbeat, not per message.
    const sooner = this.sender.sent(whole[0].readUInt32BE(4), whole, true);
    if (options.retain) this.sender.retain(topic, whole);
    // A heartbeat due now goes out now (the stream's first, right behind its first message), not on the next turn of
    // the event loop: a burst published in one go would otherwise be sent before receivers knew the stream was reliable.
    if (sooner) this.beat();
  }

  /** Counters for the stats route: the sender's, control frames malformed or not opened, sends that failed. */
  counts(): Record<string, number> {
    return { ...this.sender?.counts(), ...this.tally };
  }

  /** Stops heartbeats and closes the control socket; what was kept is gone (a new stream starts next time). */
  async close(): Promise<void> {
    this.closed = true;
    this.timer.stop();
    this.sender = undefined;
    const control = this.control;
    this.control = undefined;
    await closeSocket(control);
  }

  private async open(): Promise<void> {
    let socket: Socket;
    try {
      socket = await bindSocket(this.wiring.family, false, { port: 0 });
    } catch (error) {
      const { group, port } = this.wiring;
      throw new BusError(socketProblem(error, 'bind', { group, port, iface: 'nak' }));
    }
    if (this.closed) return closeSocket(socket);
    // The bus's send socket holds the process while it is open; this one must not hold it longer.
    socket.unref();
    socket.on('message', (bytes: Buffer, sender: RemoteInfo) => this.heard(bytes, sender));
    socket.on('error', () => this.tally.sendErrors++);
    this.control = socket;
    this.sender = new ReliableSender({ nakPort: socket.address().port });
  }

  /** A NAK or retained request unicast to this stream: its answers go to the group. */
  private heard(bytes: Buffer, from: RemoteInfo): void {
    if (!this.sender) return;
    const frame = this.wiring.sealing()?.open(bytes, from);
    if (!frame) {
      this.tally.notOpened++;
      return;
    }
    const decoded = decodeControlFrame(frame);
    if ('malformed' in decoded) {
      this.tally.malformed++;
      return;
    }
    this.toGroup(this.sender.answer(decoded.frame));
  }

  /** Sets the one timer for the next heartbeat, earlier when a message brought it forward. */
  private arm(): void {
    this.timer.setFor(this.sender?.nextDeadline());
  }

  private beat(): void {
    const heartbeat = this.sender?.heartbeat();
    if (heartbeat) this.toGroup([heartbeat]);
    this.arm();
  }

  private toGroup(frames: Buffer[]): void {
    const socket = this.wiring.socket();
    const sealing = this.wiring.sealing();
    if (!socket || !sealing || frames.length === 0) return;
    // A repair is sealed as a whole: the datagram inside was kept unsealed (encoded), so it is sealed once.
    const datagrams: OutgoingDatagram[] = frames.map((frame) => [NO_HEADER, sealing.seal(frame)]);
    sendDatagrams(socket, datagrams, this.wiring.port, this.wiring.group).catch(() => this.tally.sendErrors++);
  }
}

/** Why a bus cannot carry reliable delivery, or undefined when it can (LCM framing, sealed or not). */
export function reliableUnavailable(settings: BusSettings): 'raw' | undefined {
  return settings.framing === 'lcm' ? undefined : 'raw';
}

/**
 * A bus's publishing as reliable delivery sees it: the first reliable or retained publish starts a ReliableSendSide,
 * which stays until the bus's send side closes (stop()). Publishes wait while it starts, so they keep their order.
 */
export class ReliablePublishing {
  private side: ReliableSendSide | undefined;
  private starting: Promise<void> | undefined;

  constructor(
    private readonly settings: BusSettings,
    private readonly socket: () => Socket | undefined,
    private readonly sealing: () => ControlSealing | undefined,
  ) {}

  /** Sends one message through `send`, after starting the reliable stream when the message asks for it. */
  publish(options: PublishOptions, send: () => Promise<void>): Promise<void> {
    const wanted = options.reliable === true || options.retain === true;
    if (wanted && !this.side) {
      const reason = reliableUnavailable(this.settings);
      if (reason) return Promise.reject(new BusError({ code: 'reliable-unavailable', params: { reason } }));
      const side = (this.side = new ReliableSendSide({ ...this.settings, socket: this.socket, sealing: this.sealing }));
      const starting = side.start().finally(() => {
        if (this.starting === starting) this.starting = undefined;
      });
      this.starting = starting;
      // A side that could not start is forgotten, so the next reliable publish tries again.
      starting.catch(() => {
        if (this.side === side) this.side = undefined;
      });
    }
    if (!this.starting) return send();
    return this.starting.then(send, (error: unknown) => (wanted ? Promise.reject(error) : send()));
  }

  /** A message's datagrams as the bus encoded them, before sealing (SendQueue): kept while the stream is reliable. */
  encoded(topic: string, datagrams: OutgoingDatagram[], options: PublishOptions): void {
    this.side?.encoded(topic, datagrams, options);
  }

  /** The stream's counters, or null while it is not reliable. */
  counts(): Record<string, number> | null {
    return this.side?.counts() ?? null;
  }

  /** The send side closed: the stream ends (the next reliable publish starts a new one). */
  stop(): Promise<void> {
    const side = this.side;
    this.side = undefined;
    this.starting = undefined;
    return side ? side.close() : Promise.resolve();
  }
}
