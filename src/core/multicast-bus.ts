import type { RemoteInfo } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import type { BusSettings } from './bus-settings';
import { resolveInterface, type InterfaceTable } from './interface-resolver';
import { MAX_DATAGRAM_PAYLOAD } from './multicast-address';
import { BusError } from './problem';
import { openReceiveSocket } from './receive-socket';
import { ReopeningSocket, type OpenAttempt, type SocketState } from './reopening-socket';
import { openSendSocket } from './send-socket';
import { socketProblem } from './socket-problem';

/** One datagram as heard on the bus, with its sender. */
export interface Datagram {
  payload: Buffer;
  address: string;
  port: number;
}

/** A node using the bus. Receivers have `onDatagram`; senders do not, and never cause a join. */
export interface BusClient {
  onState(state: SocketState): void;
  onDatagram?(datagram: Datagram): void;
}

export interface BusOptions {
  /** How often to retry opening a socket that could not open, in ms. */
  retryMs?: number;
  /** Where interfaces are looked up; replaced in tests. */
  networkInterfaces?: () => InterfaceTable;
}

/**
 * A multicast group and port shared by any number of clients: one receive socket (joined only while a receiver
 * is registered) and one send socket (open only while a sender is registered), each reference counted.
 */
export class MulticastBus {
  private readonly receiver: ReopeningSocket<BusClient>;
  private readonly sender: ReopeningSocket<BusClient>;
  private readonly interfaces: () => InterfaceTable;

  constructor(readonly settings: BusSettings, options: BusOptions = {}) {
    const retryMs = options.retryMs ?? 3000;
    this.interfaces = options.networkInterfaces ?? networkInterfaces;
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
    (client.onDatagram ? this.receiver : this.sender).add(client);
  }

  /** Removes a client; the last one of its side closes that side's socket before the promise settles. */
  deregister(client: BusClient): Promise<void> {
    return (client.onDatagram ? this.receiver : this.sender).remove(client);
  }

  /** Closes both sockets and forgets every client. */
  async close(): Promise<void> {
    await Promise.all([this.receiver.stop(), this.sender.stop()]);
  }

  /** Sends one datagram to the group; rejects with a BusError that says why when it cannot. */
  send(payload: Buffer): Promise<void> {
    const limit = MAX_DATAGRAM_PAYLOAD[this.settings.family];
    if (payload.length > limit) {
      return Promise.reject(new BusError({ code: 'too-large', params: { size: payload.length, limit, family: this.settings.family } }));
    }
    const socket = this.sender.openSocket;
    if (!socket) {
      const state = this.sender.state;
      return Promise.reject(new BusError({ code: 'not-ready', params: { bus: this.label } }, state.problem));
    }
    return new Promise((resolve, reject) => {
      socket.send(payload, this.settings.port, this.settings.group, (error) => {
        if (error) reject(new BusError(socketProblem(error, 'send', { group: this.settings.group, port: this.settings.port, size: payload.length })));
        else resolve();
      });
    });
  }

  private deliver(payload: Buffer, sender: RemoteInfo): void {
    const datagram: Datagram = { payload, address: sender.address, port: sender.port };
    for (const client of this.receiver.currentUsers) client.onDatagram?.(datagram);
  }

  private async openReceiver(): Promise<OpenAttempt> {
    const where = resolveInterface(this.settings.iface, this.settings.family, this.interfaces());
    if ('problem' in where) return { problem: where.problem, phase: 'waiting' };
    return openReceiveSocket(this.settings, where.resolved, (payload, sender) => this.deliver(payload, sender));
  }

  private async openSender(): Promise<OpenAttempt> {
    const where = resolveInterface(this.settings.iface, this.settings.family, this.interfaces());
    if ('problem' in where) return { problem: where.problem, phase: 'waiting' };
    return openSendSocket(this.settings, where.resolved);
  }
}
