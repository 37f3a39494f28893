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
  return { socket };
}
