// Forged presence, for test/network/presence-flood.test.ts: COUNT valid `announce` control frames (MCB1 type 6, as
// src/core/control-frame.ts writes them), each from a source of its own, as if COUNT publishers came onto the bus.
//   GROUP PORT IFACE COUNT FIRST_PORT BURST EVERY_MS
// Announcement n comes from IFACE (an address) and UDP port FIRST_PORT + n, so every one is a new address:port to a
// listener; each names a random host, a random presence id and one to four topics with made-up rates. They go out in
// bursts of BURST every EVERY_MS ms (sockets bound, one frame each, closed), with TTL 1. Prints one line of JSON with
// what it sent.
const dgram = require('node:dgram');
const { randomBytes, randomInt } = require('node:crypto');

const [group, port, iface, count, firstPort, burst, everyMs] = process.argv.slice(2);

function announce() {
  const topics = Array.from({ length: randomInt(1, 5) }, () => [
    `plant/${randomBytes(3).toString('hex')}/temp`,
    randomInt(1, 50),
    randomInt(10, 5000),
  ]);
  const body = Buffer.from(
    JSON.stringify({
      v: 1,
      host: `forged-${randomBytes(6).toString('hex')}`,
      instance: 'Node-RED :1880',
      bus: 'plant',
      period: 5000,
      topics,
      more: 0,
    }),
  );
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x4d434231, 0); // MCB1
  header.writeUInt8(6, 4); // announce
  header.writeUInt16BE(body.length, 6);
  randomBytes(8).copy(header, 8); // presence id
  return Buffer.concat([header, body]);
}

/** Binds `from`, sends one announcement, closes; resolves with the send's error, if any. */
function sendFrom(from) {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', (error) => {
      socket.close();
      resolve(error);
    });
    socket.bind(from, iface, () => {
      socket.setMulticastInterface(iface);
      socket.setMulticastTTL(1);
      socket.send(announce(), Number(port), group, (error) => {
        socket.close();
        resolve(error);
      });
    });
  });
}

(async () => {
  const start = Date.now();
  let sent = 0;
  let failed = 0;
  for (let first = 0; first < Number(count); first += Number(burst)) {
    const due = start + (first / Number(burst)) * Number(everyMs);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
    const size = Math.min(Number(burst), Number(count) - first);
    const errors = await Promise.all(Array.from({ length: size }, (_, i) => sendFrom(Number(firstPort) + first + i)));
    failed += errors.filter(Boolean).length;
    sent += errors.filter((error) => !error).length;
  }
  console.log(JSON.stringify({ sent, failed, seconds: (Date.now() - start) / 1000 }));
})();
