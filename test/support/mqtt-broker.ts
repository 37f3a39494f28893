// An MQTT broker for tests of flows with Node-RED's mqtt nodes: aedes, the broker Node-RED's own tests use.
import { createServer } from 'node:net';

// aedes is CommonJS with a default-style export.
const { Aedes } = require('aedes') as {
  Aedes: { createBroker(): Promise<{ handle: (socket: unknown) => void; close(done: () => void): void }> };
};

/** Starts a broker on 127.0.0.1:`port` and resolves once it listens; close() ends it and its clients' connections. */
export async function startMqttBroker(port: number): Promise<{ close(): Promise<void> }> {
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
      }),
  };
}
