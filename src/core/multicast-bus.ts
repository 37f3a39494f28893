import type { RemoteInfo } from 'node:dgram';
import { hostname, networkInterfaces } from 'node:os';
import { isReceiver, type BusClient, type BusReceiver, type BusSender } from './bus-client';
import type { BusOptions } from './bus-options';
import type { BusSettings } from './bus-settings';
import { PRESENCE_TOPIC, isBusTopic } from './bus-topics';
import { decodeControlFrame, isPresenceFrame } from './control-frame';
import { plainControl, type ControlSealing } from './control-sealing';
import type { BusMessage, Framing } from './framing';
import type { OutgoingDatagram } from './lcm-codec';
import { framingForBus } from './framing-for-bus';
import { viewInterface, type InterfaceView } from './interface-view';
import { InterfaceWatch } from './interface-watch';
import { canMulticast, interfaceIndex, linkState } from './link-state';
import { openReceiveSocket } from './receive-socket';
import { decodeAnnouncement } from './presence-announcement';
import { PresenceAnnouncer } from './presence-announcer';
import { PublishedTopics } from './published-topics';
import { BusError } from './problem';
import { ReliableReceiveSide } from './reliable-receive-side';
import { ReliablePublishing, reliableUnavailable } from './reliable-send-side';
import { ReopeningSocket, type OpenAttempt, type SocketState } from './reopening-socket';
import { SendQueue, type PublishOptions } from './send-queue';
import { openSendSocket } from './send-socket';
import { SenderDirectory, type DirectoryListing, type PresenceEvent } from './sender-directory';
import { TopicIndex } from './topic-index';

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
  sendQueue: { waiting: number; refused: number; expired: number };
  /** Reliable delivery: the send side's counters (null until a reliable publish), the receive side's (null without LCM). */
  reliable: { sender: Record<string, number> | null; receiver: Record<string, unknown> | null; malformed: number };
  /** Presence: announcements sent and heard, goodbyes, sends that failed, those that did not parse; senders in the directory. */
  presence: { announced: number; goodbyes: number; failed: number; heard: number; malformed: number; senders: number; evicted: number };
  [framingCounter: string]: unknown;
}

/** The directory route's answer: the bus and every sender it hears. */
export interface BusDirectory extends DirectoryListing {
  group: string;
  port: number;
  framing: string;
  /** Whether this bus announces itself while it sends, and hears announcements (LCM framing). */
  presence: boolean;
}

/**
 * A multicast group and port shared by any number of clients: one receive socket (joined only while a receiver
 * is registered) and one send socket (open only while a sender is registered), each reference counted, with the
 * framing that turns messages into datagrams and back.
 */
export class MulticastBus {
  private readonly receiver: ReopeningSocket<BusReceiver>;
  private readonly sender: ReopeningSocket<BusSender>;
  private readonly queue: SendQueue;
  private readonly look: () => InterfaceView;
  private readonly watch: InterfaceWatch;
  // Made once, when the keys of a sealed bus are there (at once otherwise); the sockets open only after.
  private framing: Framing | undefined;
  private readonly ready: Promise<Framing>;
  private readonly counts = { datagrams: 0, bytes: 0, messages: 0, clientErrors: 0 };
  private housekeeping: NodeJS.Timeout | undefined;
  // Reliable delivery (docs/reliability.md), on an LCM bus, sealed or not: the receive side always, the send side from
  // the first reliable or retained publish until the send side closes.
  private readonly reliableIn: ReliableReceiveSide | undefined;
  private readonly reliableOut: ReliablePublishing;
  // Every sender heard (the one per-sender table: sequence state, traffic per topic, presence), and what this bus
  // publishes and announces (LCM framing only: on raw framing an announcement would reach listeners as data).
  private readonly senders: SenderDirectory;
  private readonly published = new PublishedTopics();
  private readonly announcer: PresenceAnnouncer | undefined;
  private readonly presenceCounts = { heard: 0, malformed: 0 };
  // Which receivers a topic goes to (receiversFor); undefined once receivers or their filters change, made on use.
  private routes: { index: TopicIndex<BusReceiver>; everything: BusReceiver[] } | undefined;

  constructor(
    readonly settings: BusSettings,
    options: BusOptions = {},
  ) {
    const retryMs = options.retryMs ?? 3000;
    const interfaces = options.networkInterfaces ?? networkInterfaces;
    const readLink = options.linkState ?? linkState;
    this.look = () => viewInterface(settings.iface, settings.family, { table: interfaces(), linkState: readLink, canMulticast, interfaceIndex });
    this.watch = new InterfaceWatch(this.look, options.watchMs ?? 2000);
    this.senders = new SenderDirectory({}, (event) => this.presenceEvent(event));
    // Control frames, once opened (on a sealed bus), go to presence or the reliable receive side, with their stream.
    const control = (frame: Buffer, sender: RemoteInfo, origin: string | undefined) =>
      isPresenceFrame(frame) ? this.presence(frame, sender, origin) : this.reliableIn?.control(frame, sender, origin);
    // Without keys to wait for, the framing is there at once, so the first publish can be checked at once.
    if (settings.security !== 'sealed') this.framing = framingForBus(settings, { control, senders: this.senders });
    this.ready = this.framing
      ? Promise.resolve(this.framing)
      : (options.keys ?? Promise.reject(new Error('a sealed bus needs keys'))).then(
          (sealedKeys) => (this.framing = framingForBus(settings, { keys: sealedKeys, warn: options.warn, control, senders: this.senders })),
        );
    // A failed derivation shows when a socket tries to open; this only keeps it from being unhandled.
    this.ready.catch(() => undefined);
    this.receiver = new ReopeningSocket(
      () => this.openReceiver(),
      (users, state) => this.announce(users, state),
      retryMs,
    );
    this.sender = new ReopeningSocket(
      () => this.openSender(),
      (users, state) => {
        this.announce(users, state);
        if (state.phase === 'ready') {
          this.queue.wake();
          this.announcer?.start();
        }
      },
      retryMs,
    );
    this.queue = new SendQueue(
      {
        group: settings.group,
        port: settings.port,
        framing: () => this.framing,
        socket: () => this.sender.openSocket,
        label: this.label,
        batch: settings.batch,
        problem: () => this.sender.state.problem,
        encoded: (topic, datagrams, publishOptions) => {
          this.notePublished(topic, datagrams);
          this.reliableOut.encoded(topic, datagrams, publishOptions);
        },
      },
      options.sendQueue,
    );
    this.reliableOut = new ReliablePublishing(
      settings,
      () => this.sender.openSocket,
      () => this.sealing(),
    );
    if (settings.framing === 'lcm' && settings.announce) {
      this.announcer = new PresenceAnnouncer({
        group: settings.group,
        port: settings.port,
        socket: () => this.sender.openSocket,
        sealing: () => this.sealing(),
        identity: { host: hostname(), instance: '', bus: '', ...options.identity },
        topics: () => this.published.list(),
        periodMs: options.announceMs,
      });
    }
    if (reliableUnavailable(settings) === undefined) {
      this.reliableIn = new ReliableReceiveSide({
        family: settings.family,
        framing: () => this.framing,
        sealing: () => this.sealing(),
        deliver: (messages, only) => this.hand(messages, only),
      });
    }
  }

  /** `group:port`, with IPv6 groups in brackets, as shown in status text. */
  get label(): string {
    const { group, port } = this.settings;
    return this.settings.family === 'IPv6' ? `[${group}]:${port}` : `${group}:${port}`;
  }

  /** Adds a listening node; the first one joins the group. */
  addReceiver(receiver: BusReceiver): void {
    this.receiver.add(receiver);
    this.routes = undefined;
    if (receiver.retained !== undefined) this.reliableIn?.ask(receiver, receiver.retained);
    this.startWatching();
  }

  /** A receiver's filters changed (subscriptions set at runtime): messages are routed by its new ones from now on. */
  filtersChanged(): void {
    this.routes = undefined;
  }

  /** A registered receiver wants the retained values matching `filter` too (a subscription added at runtime). */
  askRetained(receiver: BusReceiver, filter: string): void {
    if (this.receiver.currentUsers.has(receiver)) this.reliableIn?.ask(receiver, filter);
  }

  /** Adds a sending node; the first one opens the send socket. */
  addSender(sender: BusSender): void {
    this.sender.add(sender);
    // A send side that stayed open (another sender) does not become ready again: it announces from here.
    if (this.sender.openSocket) this.announcer?.start();
    this.startWatching();
  }

  /** Removes a client; the last one of its side closes that side's socket before the promise settles. */
  remove(client: BusClient): Promise<void> {
    if (isReceiver(client)) {
      this.reliableIn?.forget(client);
      this.routes = undefined;
      return this.receiver.remove(client);
    }
    const users = this.sender.currentUsers;
    if (!(users.size === 1 && users.has(client))) return this.sender.remove(client);
    // The last sender: what it batched this turn goes out first, then goodbye while the socket is still open, so
    // listeners see it offline at once and hear nothing from it after.
    this.queue.flush();
    return (this.announcer?.stop() ?? Promise.resolve()).then(() => {
      const leaving = this.sender.remove(client);
      if (this.sender.currentUsers.size > 0) return leaving;
      // Messages of senders that have all gone fail now, rather than go out after them through a later sender.
      this.queue.abandon();
      return Promise.all([leaving, this.reliableOut.stop()]).then(() => undefined);
    });
  }

  /** Closes both sockets and forgets every client; messages still waiting to be sent fail. */
  async close(): Promise<void> {
    this.queue.flush();
    await this.announcer?.stop();
    this.stopHousekeeping();
    this.watch.stop();
    this.queue.close();
    await Promise.all([this.receiver.stop(), this.sender.stop(), this.reliableOut.stop(), this.reliableIn?.close()]);
  }

  /** Every counter of the bus and its framing, as plain JSON. */
  stats(): BusStats {
    const socket = this.receiver.openSocket;
    const { sent, refused, expired } = this.queue.counts;
    return {
      group: this.settings.group,
      port: this.settings.port,
      framing: this.settings.framing,
      ...this.counts,
      sent,
      receiveBuffer: socket ? socket.getRecvBufferSize() : null,
      sendQueue: { waiting: this.queue.waiting, refused, expired },
      ...this.framing?.stats(),
      reliable: {
        sender: this.reliableOut.counts(),
        receiver: this.reliableIn?.counts() ?? null,
        malformed: (this.reliableIn?.malformed ?? 0) + (this.reliableOut.counts()?.malformed ?? 0),
      },
      presence: {
        announced: this.announcer?.counts.announcements ?? 0,
        goodbyes: this.announcer?.counts.goodbyes ?? 0,
        failed: this.announcer?.counts.failed ?? 0,
        ...this.presenceCounts,
        senders: this.senders.size,
        evicted: this.senders.evicted,
      },
    };
  }

  /** Every sender heard on the bus, with its topics and presence: the directory route's answer. */
  directory(): BusDirectory {
    const { group, port, framing } = this.settings;
    return { group, port, framing, presence: this.announcer !== undefined, ...this.senders.listing() };
  }

  /** Keeps the last payload of `topic` from the sender `stream` (its `id` in the directory) for a minute. */
  watchTopic(stream: string, topic: string): void {
    this.senders.watch(stream, topic);
  }

  /** Messages received so far, lost over all senders, and datagrams dropped: what the status text shows. */
  summary(): { messages: number; lost: number; dropped: number } {
    return { messages: this.counts.messages, lost: this.framing?.lost() ?? 0, dropped: this.framing?.dropped() ?? 0 };
  }

  /**
   * Sends one message to the group as one or more datagrams, after every message published before it; while the send
   * side is opening or briefly away the message waits (bounded: SendQueue). Rejects with a BusError that says why
   * when it cannot be sent. A reliable or retained message turns the bus's stream reliable while its send side is open
   * (LCM framing only: on raw framing it rejects with `reliable-unavailable`).
   */
  publish(topic: string, payload: Buffer, options: PublishOptions = {}): Promise<void> {
    if (isBusTopic(topic)) return Promise.reject(new BusError({ code: 'topic-reserved', params: { topic } }));
    return this.reliableOut.publish(options, () => this.queue.publish(topic, payload, options));
  }

  /** Counts what this bus publishes, only to announce it (presence); a topic not published lately is announced soon. */
  private notePublished(topic: string, datagrams: OutgoingDatagram[]): void {
    if (!this.announcer) return;
    const payloadBytes = datagrams.reduce((sum, [, data]) => sum + data.length, 0);
    if (this.published.sent(topic, payloadBytes)) this.announcer.soon();
  }

  private announce(users: Iterable<BusClient>, state: SocketState): void {
    for (const user of users) user.onState(state);
  }

  private deliver(bytes: Buffer, sender: RemoteInfo): void {
    this.counts.datagrams++;
    this.counts.bytes += bytes.length;
    // Control frames go from the framing to the reliable receive side (`control` above), after a sealed bus opened them.
    const messages = this.framing?.decodeAll(bytes, sender);
    if (!messages) return;
    const reliableIn = this.reliableIn;
    for (const message of messages) this.hand(reliableIn ? reliableIn.data(message) : [message]);
  }

  /** How control frames travel: sealed with the framing of a sealed bus (once its keys are there), else as they are. */
  private sealing(): ControlSealing | undefined {
    return this.framing && (this.framing.control ?? plainControl);
  }

  /** An announcement or goodbye heard (opened, on a sealed bus): the directory takes it. */
  private presence(bytes: Buffer, sender: RemoteInfo, origin: string | undefined): void {
    const decoded = decodeControlFrame(bytes);
    const frame = 'frame' in decoded ? decoded.frame : undefined;
    const label = `${sender.address}:${sender.port}`;
    if (frame?.type === 'goodbye') {
      this.presenceCounts.heard++;
      this.senders.goodbye(origin ?? label, frame.stream);
      return;
    }
    const announcement = frame?.type === 'announce' ? decodeAnnouncement(frame.text) : undefined;
    if (!frame || !announcement) {
      this.presenceCounts.malformed++;
      return;
    }
    this.presenceCounts.heard++;
    this.senders.announced(origin ?? label, label, frame.stream, announcement);
  }

  /** A publisher came or went: a message on `$bus/presence` for the receivers whose filter names it. */
  private presenceEvent(event: PresenceEvent): void {
    const payload = Buffer.from(JSON.stringify(event));
    this.hand([{ topic: PRESENCE_TOPIC, payload, address: event.address, port: event.port, event }]);
  }

  /**
   * The receivers a message with `topic` goes to: those without filters, and those whose filters match it, looked up
   * in an index made again whenever receivers or their filters change. A message without a topic goes to all.
   */
  private receiversFor(topic: string | undefined): Iterable<BusReceiver> {
    if (topic === undefined) return this.receiver.currentUsers;
    if (!this.routes) {
      const index = new TopicIndex<BusReceiver>();
      const everything: BusReceiver[] = [];
      for (const client of this.receiver.currentUsers) {
        if (!client.filters) everything.push(client);
        else for (const filter of client.filters()) index.add(filter, client);
      }
      this.routes = { index, everything };
    }
    const matched = this.routes.index.match(topic);
    return this.routes.everything.length === 0 ? matched : [...this.routes.everything, ...matched];
  }

  /** Hands messages to every receiver that wants them, or to `only` (while it is registered). */
  private hand(messages: BusMessage[], only?: BusReceiver): void {
    for (const message of messages) {
      if (!message.event) this.counts.messages++;
      // Traffic in the directory: what the senders sent now, not a retained value asked for nor the bus's own event.
      if (!message.retained && !message.event) {
        const label = `${message.address}:${message.port}`;
        this.senders.heard(message.origin ?? label, label, message.topic ?? '', message.payload, message.lostBefore ?? 0);
      }
      const clients = only ? (this.receiver.currentUsers.has(only) ? [only] : []) : this.receiversFor(message.topic);
      for (const client of clients) {
        if (message.event && !client.presence) continue;
        // One client's failure must neither starve the others nor escape into the socket's event, which would end
        // the process.
        try {
          client.onMessage(message);
        } catch {
          this.counts.clientErrors++;
        }
      }
    }
  }

  private startHousekeeping(): void {
    if (this.housekeeping) return;
    this.housekeeping = setInterval(() => {
      this.framing?.tick();
      this.senders.expire();
    }, 1000);
    // Housekeeping runs only while the receive socket is open, and that socket keeps the process alive.
    this.housekeeping.unref();
  }

  private stopHousekeeping(): void {
    clearInterval(this.housekeeping);
    this.housekeeping = undefined;
  }

  private startWatching(): void {
    // The OS default follows the routing table: there is no one interface to watch.
    if (this.settings.iface !== '') this.watch.start([this.receiver, this.sender]);
  }

  /** Waits for the framing (the keys of a sealed bus); a problem to show when it could not be made. */
  private async framingProblem(): Promise<OpenAttempt | undefined> {
    try {
      await this.ready;
      return undefined;
    } catch (error) {
      return { problem: { code: 'key-failed', params: { detail: String((error as Error).message ?? error) } }, phase: 'error' };
    }
  }

  private async openReceiver(): Promise<OpenAttempt> {
    const failed = await this.framingProblem();
    if (failed) return failed;
    const { where, fingerprint } = this.look();
    if ('problem' in where) return { problem: where.problem, phase: 'waiting' };
    this.watch.opened(this.receiver, fingerprint);
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
    const failed = await this.framingProblem();
    if (failed) return failed;
    const { where, fingerprint } = this.look();
    if ('problem' in where) return { problem: where.problem, phase: 'waiting' };
    this.watch.opened(this.sender, fingerprint);
    return openSendSocket(this.settings, where.resolved);
  }
}
