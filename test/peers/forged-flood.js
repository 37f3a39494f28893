// A keyless attacker on a LAN flooding a sealed bus, for test/network/sealed-forged-flood.test.ts. Modes:
//   forged  GROUP PORT IFACE RATE SECONDS KEYID    sealed-looking frames (MCS2, the bus's key id as read off the wire,
//                                                  a send time of now, random session, session tag, counter and body)
//   replay  GROUP PORT IFACE RATE SECONDS HEADERS  the 40-byte headers of real sessions, captured earlier (one hex string
//                                                  per line of the file HEADERS), taken in turn, each with a send time
//                                                  of now, a random counter and a random body
//   garbage GROUP PORT IFACE RATE SECONDS          random bytes of the same size
// Frames are 120 bytes (what a 64-byte message makes on a sealed raw bus), sent with TTL 1 from IFACE (an address),
// RATE per second for SECONDS. Prints one line of JSON with what it sent.
const dgram = require('node:dgram');
const { randomBytes } = require('node:crypto');
const { readFileSync } = require('node:fs');

const [mode, group, port, iface, rate, seconds, extra] = process.argv.slice(2);
const SIZE = 120;

function forged() {
  const frame = randomBytes(SIZE);
  frame.writeUInt32BE(0x4d435332, 0);
  frame.write(extra, 4, 'hex');
  frame.writeBigUInt64BE(BigInt(Date.now()), 32);
  return frame;
}

const headers =
  mode === 'replay'
    ? readFileSync(extra, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((hex) => Buffer.from(hex, 'hex'))
    : [];
let next = 0;
function replayed() {
  const frame = randomBytes(SIZE);
  headers[next++ % headers.length].copy(frame, 0, 0, 24); // magic, key id, session id, session tag
  frame.writeBigUInt64BE(BigInt(Date.now()), 32);
  return frame;
}

const make = { forged, replay: replayed, garbage: () => randomBytes(SIZE) }[mode];
const socket = dgram.createSocket('udp4');
socket.bind(0, iface, async () => {
  socket.setMulticastInterface(iface);
  socket.setMulticastTTL(1);
  const start = Date.now();
  let sent = 0;
  while (Date.now() - start < Number(seconds) * 1000) {
    const due = Math.floor(((Date.now() - start) / 1000) * Number(rate));
    const batch = [];
    while (sent < due) {
      batch.push(new Promise((resolve) => socket.send(make(), Number(port), group, resolve)));
      sent++;
    }
    await Promise.all(batch);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  console.log(JSON.stringify({ sent, seconds: (Date.now() - start) / 1000 }));
  socket.close();
});
