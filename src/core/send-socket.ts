import type { Socket } from 'node:dgram';
import type { BusSettings } from './bus-settings';
import type { ResolvedInterface } from './interface-resolver';
import type { OutgoingDatagram } from './lcm-codec';
import { bindSocket } from './bound-socket';
import { closeSocket, type OpenAttempt } from './reopening-socket';
import { socketProblem } from './socket-problem';

/** Opens the bus's send socket on an ephemeral port, with the interface, TTL and loopback of the settings. */
export async function openSendSocket(settings: BusSettings, resolved: ResolvedInterface): Promise<OpenAttempt> {
  const where = { group: settings.group, port: settings.port, iface: resolved.name ?? 'default', ttl: settings.ttl };
  let socket: Socket;
  try {
    socket = await bindSocket(settings.family, false, { port: 0 });
  } catch (error) {
    return { problem: socketProblem(error, 'bind', where), phase: 'error' };
  }
  let step = 'interface';
  try {
    if (resolved.socketInterface) socket.setMulticastInterface(resolved.socketInterface);
    step = 'ttl';
    socket.setMulticastTTL(settings.ttl);
    step = 'loopback';
    socket.setMulticastLoopback(settings.loopback);
  } catch (error) {
    await closeSocket(socket);
    return { problem: socketProblem(error, step, where), phase: 'error' };
  }
  // Connected to the group, the socket sends without a route lookup (and Node.js without an address lookup) per
  // datagram. Connecting fixes the outgoing interface and source address, so only a socket on one chosen interface
  // is connected: the bus watches that interface and reopens the socket when it changes. With the OS default or `*`,
  // and where the OS will not connect (some scoped IPv6 groups), each send looks the route up as before.
  if (resolved.socketInterface) {
    await new Promise<void>((resolve) => {
      try {
        socket.connect(settings.port, settings.group, (error?: Error) => {
          if (!error) connectedToGroup.add(socket);
          resolve();
        });
      } catch {
        resolve();
      }
    });
  }
  return { socket };
}

const connectedToGroup = new WeakSet<Socket>();

/** Sends one datagram to the group on a socket from openSendSocket, connected or not. */
export function sendDatagram(socket: Socket, data: Buffer | Buffer[], port: number, group: string, sent: (error: Error | null) => void): void {
  if (connectedToGroup.has(socket)) socket.send(data, sent);
  else socket.send(data, port, group, sent);
}

// Sends not yet confirmed, per socket. Node.js drops a send on an unconnected socket that closes while it looks the
// address up, without calling back: the close must fail them, or a message would wait for ever.
const unconfirmed = new WeakMap<Socket, Set<(error: Error) => void>>();

function unconfirmedOn(socket: Socket): Set<(error: Error) => void> {
  let pending = unconfirmed.get(socket);
  if (!pending) {
    const set = new Set<(error: Error) => void>();
    socket.once('close', () => {
      for (const fail of set) fail(new Error('the socket closed before the send completed'));
    });
    unconfirmed.set(socket, (pending = set));
  }
  return pending;
}

/**
 * Hands datagrams to the socket in order and settles when the socket is done with all of them: with the first error
 * any of them met (and the size of that datagram), or with an error when the socket closes first.
 */
export function sendDatagrams(socket: Socket, datagrams: OutgoingDatagram[], port: number, group: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let left = datagrams.length;
    if (left === 0) return resolve();
    const pending = unconfirmedOn(socket);
    let failure: { error: Error; size: number } | undefined;
    const settle = (error?: Error) => {
      pending.delete(fail);
      if (error ?? failure) reject(Object.assign(failure?.error ?? error!, { size: failure?.size }));
      else resolve();
    };
    const fail = (error: Error) => settle(error);
    pending.add(fail);
    for (const [header, data] of datagrams) {
      const size = header.length + data.length;
      sendDatagram(socket, header.length === 0 ? data : [header, data], port, group, (error) => {
        if (error && !failure) failure = { error, size };
        if (--left === 0 && pending.has(fail)) settle();
      });
    }
  });
}
