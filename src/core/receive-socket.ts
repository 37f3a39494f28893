import type { RemoteInfo, Socket } from 'node:dgram';
import { needsZone } from './multicast-address';
import type { BusSettings } from './bus-settings';
import type { ResolvedInterface } from './interface-resolver';
import { bindSocket } from './bound-socket';
import { closeSocket, type OpenAttempt } from './reopening-socket';
import { socketProblem } from './socket-problem';
import type { Problem } from './problem';

/**
 * The address to bind to. On Linux, binding to the group itself keeps two buses on one port with different
 * groups from hearing each other (the kernel delivers by destination address); elsewhere the wildcard.
 */
export function receiveBindAddress(settings: BusSettings, resolved: ResolvedInterface): string {
  if (process.platform !== 'linux') return settings.family === 'IPv4' ? '0.0.0.0' : '::';
  if (settings.family === 'IPv6' && needsZone(settings.group) && resolved.name) return `${settings.group}%${resolved.name}`;
  return settings.group;
}

/** Opens the bus's receive socket: shared port, bound to the group, member of the group on the chosen interface. */
export async function openReceiveSocket(
  settings: BusSettings,
  resolved: ResolvedInterface,
  onMessage: (payload: Buffer, sender: RemoteInfo) => void,
): Promise<OpenAttempt> {
  const where = { group: settings.group, port: settings.port, iface: resolved.name ?? 'default' };
  let socket: Socket;
  try {
    socket = await bindSocket(settings.family, true, { port: settings.port, address: receiveBindAddress(settings, resolved), exclusive: false });
  } catch (error) {
    return { problem: socketProblem(error, 'bind', where), phase: 'error' };
  }
  // One membership per interface (several with iface '*'), and per source with source-specific multicast.
  const interfaces = resolved.everyInterface?.map((each) => each.socketInterface) ?? [resolved.socketInterface];
  const join = (leaveFirst: boolean) => {
    for (const socketInterface of interfaces) {
      if (settings.sources.length === 0) {
        if (leaveFirst) socket.dropMembership(settings.group, socketInterface);
        socket.addMembership(settings.group, socketInterface);
      }
      for (const source of settings.sources) {
        if (leaveFirst) socket.dropSourceSpecificMembership(source, settings.group, socketInterface);
        socket.addSourceSpecificMembership(source, settings.group, socketInterface);
      }
    }
  };
  try {
    join(false);
  } catch (error) {
    await closeSocket(socket);
    return { problem: socketProblem(error, 'join', where), phase: 'error' };
  }
  if (settings.rejoin > 0) {
    // Leaving and joining again makes the kernel send a fresh report, which keeps a snooping switch without a
    // querier from forgetting this host.
    const timer = setInterval(() => {
      try {
        join(true);
      } catch (error) {
        socket.emit('error', error);
      }
    }, settings.rejoin * 1000);
    timer.unref();
    socket.once('close', () => clearInterval(timer));
  }
  let note: Problem | undefined;
  if (settings.rcvbuf > 0) {
    // Linux caps the request at net.core.rmem_max and reports back double what it granted.
    try {
      socket.setRecvBufferSize(settings.rcvbuf);
    } catch {
      // Refused outright: what getRecvBufferSize reports below tells the user the same story.
    }
    const granted = socket.getRecvBufferSize();
    if (granted < settings.rcvbuf) {
      note = { code: 'rcvbuf-small', params: { requested: settings.rcvbuf, granted, sysctl: `sysctl -w net.core.rmem_max=${settings.rcvbuf}` } };
    }
  }
  socket.on('message', onMessage);
  return { socket, note };
}
