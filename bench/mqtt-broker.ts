// The MQTT alternative's broker: aedes, the broker Node-RED's own tests use, on port 1883 of the broker host.
import { createServer } from 'node:net';

// aedes is CommonJS with a default-style export.
const { Aedes } = require('aedes') as { Aedes: { createBroker(): Promise<{ handle: (socket: unknown) => void }> } };

const [address] = process.argv.slice(2);
Aedes.createBroker().then((broker) => {
  createServer(broker.handle).listen(1883, address, () => process.stdout.write('ready\n'));
});
