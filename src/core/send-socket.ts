import type { Socket } from 'node:dgram';
import type { BusSettings } from './bus-settings';
import type { ResolvedInterface } from './interface-resolver';
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
