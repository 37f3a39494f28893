import type { RemoteInfo, Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import type { BusSettings } from './bus-settings';
import type { BusMessage, Framing } from './framing';
import { resolveInterface, type InterfaceTable } from './interface-resolver';
import { canMulticast, linkState } from './link-state';
import type { OutgoingDatagram } from './lcm-codec';
import { LcmFraming, type LcmFramingOptions } from './lcm-framing';
import { BusError, type Problem } from './problem';
import { SEALED_OVERHEAD } from './sealed-frame';
import { SealedFraming, type SealedKeys } from './sealed-framing';
import { RawFraming } from './raw-framing';
import { openReceiveSocket } from './receive-socket';
import { ReopeningSocket, type OpenAttempt, type SocketState } from './reopening-socket';
import { openSendSocket, sendDatagram } from './send-socket';
import { socketProblem } from './socket-problem';

/** A node using the bus. Receivers have `onMessage`; senders do not, and never cause a join. */
export interface BusClient {
  onState(state: SocketState): void;
  onMessage?(message: BusMessage): void;
}

export interface BusOptions {
  /** How often to retry opening a socket that could not open, in ms. */
  retryMs?: number;
  /** Where interfaces are looked up; replaced in tests. */
  networkInterfaces?: () => InterfaceTable;
  /** Reassembly caps for LCM framing; replaced in tests. */
  reassembly?: LcmFramingOptions['reassembly'];
  /** How often to look for interface changes (link down, address gone or changed), in ms. */
  watchMs?: number;
  /** Where link state is read; replaced in tests. */
  linkState?: (name: string) => 'up' | 'down' | 'unknown';
  /** The keys of a sealed bus; derivation may take a moment, so the sockets open once they are there. */
  keys?: Promise<SealedKeys>;
  /** Where rate-limited warnings about dropped frames go. */
  warn?: (problem: Problem) => void;
}

/** Counters of one bus, as the stats route returns them. */
export interface BusStats {
  group: string;
  port: number;
  framing: string;
  datagrams: number;
  bytes: number;
  messages: number;
  sent: number;
  clientErrors: number;
  receiveBuffer: number | null;
  [framingCounter: string]: unknown;
}

// Datagrams sent in one burst. Between bursts the sender waits for the sends to complete and for one turn of the
// event loop, so receivers in this process (and slower hosts) read before their receive buffers overflow.
const SEND_WINDOW = 32;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A multicast group and port shared by any number of clients: one receive socket (joined only while a receiver
 * is registered) and one send socket (open only while a sender is registered), each reference counted, with the
 * framing that turns messages into datagrams and back.
 */
export class MulticastBus {
  private readonly receiver: ReopeningSocket<BusClient>;
  private readonly sender: ReopeningSocket<BusClient>;
  private readonly interfaces: () => InterfaceTable;
  private readonly linkState: (name: string) => 'up' | 'down' | 'unknown';
  private readonly watchMs: number;
  private watcher: NodeJS.Timeout | undefined;
  // What the interface looked like when each side opened; a difference later means close and open again.
  private readonly openedOn = new Map<ReopeningSocket<BusClient>, string>();
  private framing: Framing;
  // Resolves once the framing can seal and open (at once, unless keys are being derived).
  private readonly ready: Promise<void>;
  private readonly counts = { datagrams: 0, bytes: 0, messages: 0, sent: 0, clientErrors: 0 };
  private housekeeping: NodeJS.Timeout | undefined;
  // Messages leave in the order they were published, even when a large one is still going out in bursts.
  private sending: Promise<void> = Promise.resolve();
  private queued = 0;

  constructor(readonly settings: BusSettings, options: BusOptions = {}) {
    const retryMs = options.retryMs ?? 3000;
    this.interfaces = options.networkInterfaces ?? networkInterfaces;
    this.linkState = options.linkState ?? linkState;
    this.watchMs = options.watchMs ?? 2000;
    const overhead = settings.security === 'sealed' ? SEALED_OVERHEAD : 0;
    const inner: Framing =
      settings.framing === 'lcm'
        ? new LcmFraming({ maxDatagram: settings.maxDatagram - overhead, maxMessage: settings.maxMessage, reassembly: options.reassembly })
        : new RawFraming(settings.family, overhead);
    this.framing = inner;
    this.ready =
      settings.security === 'sealed'
        ? (options.keys ?? Promise.reject(new Error('a sealed bus needs keys'))).then((keys) => {
            this.framing = new SealedFraming(inner, keys, settings.replayWindow * 1000, options.warn);
          })
        : Promise.resolve();
    // A failed derivation shows when a socket tries to open; this only keeps it from being unhandled.
    this.ready.catch(() => undefined);
    const announce = (users: Iterable<BusClient>, state: SocketState) => {
      for (const user of users) user.onState(state);
    };
    this.receiver = new ReopeningSocket(() => this.openReceiver(), announce, retryMs);
    this.sender = new ReopeningSocket(() => this.openSender(), announce, retryMs);
  }

  /** `group:port`, with IPv6 groups in brackets, as shown in status text. */
  get label(): string {
    const { group, port } = this.settings;
    return this.settings.family === 'IPv6' ? `[${group}]:${port}` : `${group}:${port}`;
  }

  /** State of the receive side (what multicast-in nodes show). */
  get receiveState(): SocketState {
    return this.receiver.state;
  }

  /** State of the send side (what multicast-out nodes show). */
  get sendState(): SocketState {
    return this.sender.state;
  }

  /** Adds a client; the first receiver joins the group, the first sender opens the send socket. */
  register(client: BusClient): void {
    (client.onMessage ? this.receiver : this.sender).add(client);
    this.startWatching();
  }

  /** Removes a client; the last one of its side closes that side's socket before the promise settles. */
  deregister(client: BusClient): Promise<void> {
    return (client.onMessage ? this.receiver : this.sender).remove(client);
  }

  /** Closes both sockets and forgets every client. */
  async close(): Promise<void> {
    this.stopHousekeeping();
    clearInterval(this.watcher);
    this.watcher = undefined;
    await Promise.all([this.receiver.stop(), this.sender.stop()]);
  }

  /** Every counter of the bus and its framing, as plain JSON. */
  stats(): BusStats {
    const socket = this.receiver.openSocket;
    return {
      group: this.settings.group,
      port: this.settings.port,
      framing: this.settings.framing,
      ...this.counts,
      receiveBuffer: socket ? socket.getRecvBufferSize() : null,
      ...this.framing.stats(),
    };
  }

  /** Messages received so far, lost over all senders, and datagrams dropped: what the status text shows. */
  summary(): { messages: number; lost: number; dropped: number } {
    return { messages: this.counts.messages, lost: this.framing.lost(), dropped: this.framing.dropped() };
  }

  /**
   * Sends one message to the group as one or more datagrams, after every message published before it;
   * rejects with a BusError that says why when it cannot.
   */
  publish(topic: string, payload: Buffer): Promise<void> {
    // The common case, nothing queued and a message that fits one burst, goes out at once: the socket keeps the order
    // of its sends, so only messages behind a large one still going out need the queue.
    if (this.queued === 0) {
      try {
        const datagrams = this.framing.encode(topic, payload);
        if (datagrams.length <= SEND_WINDOW) return this.sendBurst(this.sendSocketOrThrow(), datagrams, payload.length);
        return this.enqueue(() => this.transmit(datagrams, payload.length));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.enqueue(() => this.transmit(this.framing.encode(topic, payload), payload.length));
  }

  private enqueue(send: () => Promise<void>): Promise<void> {
    this.queued++;
    const sent = this.sending.then(send).finally(() => this.queued--);
    this.sending = sent.catch(() => undefined);
    return sent;
  }

  /** The send socket, or a BusError saying why the bus cannot send yet. */
  private sendSocketOrThrow(): Socket {
    const socket = this.sender.openSocket;
    if (!socket) throw new BusError({ code: 'not-ready', params: { bus: this.label } }, this.sender.state.problem);
    return socket;
  }

  /** Sends one message's datagrams in bursts, waiting between bursts for the sends and one turn of the event loop. */
  private async transmit(datagrams: OutgoingDatagram[], size: number): Promise<void> {
    for (let start = 0; start < datagrams.length; start += SEND_WINDOW) {
      // Looked up for every burst: between bursts the socket may have been reopened on a changed interface.
      const last = start + SEND_WINDOW >= datagrams.length;
      await this.sendBurst(this.sendSocketOrThrow(), datagrams.slice(start, start + SEND_WINDOW), size, last);
      if (!last) await nextTurn();
    }
  }

  /** Hands datagrams to the socket in order; settles when the socket is done with all of them. */
  private sendBurst(socket: Socket, datagrams: OutgoingDatagram[], size: number, completesMessage = true): Promise<void> {
    const { port, group } = this.settings;
    return new Promise((resolve, reject) => {
      let left = datagrams.length;
      let failure: Error | null = null;
      if (left === 0) return resolve();
      const sent = (error: Error | null) => {
        if (error && !failure) failure = error;
        if (--left > 0) return;
        if (failure) return reject(new BusError(socketProblem(failure, 'send', { group, port, size })));
        if (completesMessage) this.counts.sent++;
        resolve();
      };
      for (const [header, data] of datagrams) sendDatagram(socket, header.length === 0 ? data : [header, data], port, group, sent);
    });
  }

  private deliver(bytes: Buffer, sender: RemoteInfo): void {
    this.counts.datagrams++;
    this.counts.bytes += bytes.length;
    const message = this.framing.decode(bytes, sender);
    if (!message) return;
    this.counts.messages++;
    for (const client of this.receiver.currentUsers) {
      // One client's failure must neither starve the others nor escape into the socket's event, which would end
      // the process.
      try {
        client.onMessage?.(message);
      } catch {
        this.counts.clientErrors++;
      }
    }
  }

  private startHousekeeping(): void {
    if (this.housekeeping) return;
    this.housekeeping = setInterval(() => this.framing.tick(), 1000);
    this.housekeeping.unref();
  }

  private stopHousekeeping(): void {
    clearInterval(this.housekeeping);
    this.housekeeping = undefined;
  }

  /**
   * Resolves the interface setting now and describes it: the socket arguments, the addresses of the interfaces
   * involved and their link state. A link that is down is a problem like a missing interface: wait for it.
   */
  private lookUpInterface(): { where: ReturnType<typeof resolveInterface>; fingerprint: string } {
    const table = this.interfaces();
    let where = resolveInterface(this.settings.iface, this.settings.family, table, canMulticast);
    // The OS lists only interfaces that are up, so a missing one may just be down: say so.
    if ('problem' in where && where.problem.code === 'iface-missing' && this.linkState(this.settings.iface) === 'down') {
      where = { problem: { code: 'iface-down', params: { iface: this.settings.iface } } };
    }
    if ('problem' in where) return { where, fingerprint: JSON.stringify(where) };
    const names = where.resolved.everyInterface?.map((each) => each.name) ?? (where.resolved.name ? [where.resolved.name] : []);
    const down = names.find((name) => this.linkState(name) === 'down');
    if (down && !where.resolved.everyInterface) {
      const problem = { problem: { code: 'iface-down', params: { iface: down } } };
      return { where: problem, fingerprint: JSON.stringify(problem) };
    }
    // Only this family's addresses: an IPv6 privacy address coming and going must not make an IPv4 bus rejoin.
    const addresses = names.map((name) => [
      name,
      this.linkState(name),
      (table[name] ?? []).filter((info) => info.family === this.settings.family).map((info) => info.address),
    ]);
    return { where, fingerprint: JSON.stringify([where.resolved, addresses]) };
  }

  private startWatching(): void {
    if (this.watcher || this.settings.iface === '') return;
    this.watcher = setInterval(() => {
      if (this.receiver.currentUsers.size === 0 && this.sender.currentUsers.size === 0) return;
      const { fingerprint } = this.lookUpInterface();
      for (const side of [this.receiver, this.sender]) {
        const opened = this.openedOn.get(side);
        if (side.openSocket && opened !== undefined && opened !== fingerprint) void side.restart();
      }
    }, this.watchMs);
    this.watcher.unref();
  }

  /** Waits for the keys of a sealed bus; a problem to show when they could not be made. */
  private async keysProblem(): Promise<OpenAttempt | undefined> {
    try {
      await this.ready;
      return undefined;
    } catch (error) {
      return { problem: { code: 'key-failed', params: { detail: String((error as Error).message ?? error) } }, phase: 'error' };
    }
  }

  private async openReceiver(): Promise<OpenAttempt> {
    const failed = await this.keysProblem();
    if (failed) return failed;
    const { where, fingerprint } = this.lookUpInterface();
    if ('problem' in where) return { problem: where.problem, phase: 'waiting' };
    this.openedOn.set(this.receiver, fingerprint);
    const attempt = await openReceiveSocket(this.settings, where.resolved, (bytes, sender) => this.deliver(bytes, sender));
    if ('socket' in attempt) {
      this.startHousekeeping();
      // A socket replaced by a newer one closes late; only the close of the last one stops housekeeping.
      attempt.socket.once('close', () => {
        if (!this.receiver.openSocket || this.receiver.openSocket === attempt.socket) this.stopHousekeeping();
      });
    }
    return attempt;
  }

  private async openSender(): Promise<OpenAttempt> {
    const failed = await this.keysProblem();
    if (failed) return failed;
    const { where, fingerprint } = this.lookUpInterface();
    if ('problem' in where) return { problem: where.problem, phase: 'waiting' };
    this.openedOn.set(this.sender, fingerprint);
    return openSendSocket(this.settings, where.resolved);
  }
}
