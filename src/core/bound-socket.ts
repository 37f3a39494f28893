import { createSocket, type BindOptions, type Socket } from 'node:dgram';
import type { AddressFamily } from './multicast-address';

/** Creates a UDP socket of the family and binds it; rejects with the bind error (EADDRINUSE, EADDRNOTAVAIL, …) instead of emitting it. */
export function bindSocket(family: AddressFamily, reuseAddr: boolean, options: BindOptions): Promise<Socket> {
  const socket = createSocket({ type: family === 'IPv4' ? 'udp4' : 'udp6', reuseAddr });
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      socket.removeListener('listening', onListening);
      try {
        socket.close();
      } catch {
        // A socket whose bind failed may already be closed; nothing else holds it.
      }
      reject(error);
    };
    const onListening = () => {
      socket.removeListener('error', onError);
      resolve(socket);
    };
    socket.once('error', onError);
    socket.once('listening', onListening);
    socket.bind(options);
  });
}
