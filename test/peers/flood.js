// A hostile or overeager sender on the LAN, for the flood and overload tests. Modes:
//   hostile GROUP PORT IFACE COUNT  random bytes, truncated and lying LCM headers, and first fragments of huge
//                                   messages that never complete, COUNT datagrams of each kind
//   steady  GROUP PORT IFACE RATE SECONDS  well-formed LC02 messages on channel LOAD at RATE per second
// Prints one line of JSON with what it sent.
const dgram = require('node:dgram');
const { randomBytes } = require('node:crypto');

const [mode, group, port, iface, a, b] = process.argv.slice(2);
const socket = dgram.createSocket('udp4');

function lc02(seq, channel, payload) {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(0x4c433032, 0);
  header.writeUInt32BE(seq >>> 0, 4);
  return Buffer.concat([header, Buffer.from(`${channel}\0`), payload]);
}

function firstFragmentOfHugeMessage(seq) {
  const header = Buffer.alloc(20);
  header.writeUInt32BE(0x4c433033, 0);
  header.writeUInt32BE(seq >>> 0, 4);
  header.writeUInt32BE(16 * 1024 * 1024, 8); // claims 16 MiB
  header.writeUInt32BE(0, 12);
  header.writeUInt16BE(0, 16);
  header.writeUInt16BE(65535, 18); // and the most fragments there can be
  return Buffer.concat([header, Buffer.from('HUGE\0'), randomBytes(1300)]);
}

function lyingHeader(i) {
  const kinds = [
    () => Buffer.from('LC02'), // truncated
    () => Buffer.concat([Buffer.from('4c433032', 'hex'), randomBytes(4), Buffer.alloc(100, 0x41)]), // no NUL after channel
    () => {
      const h = Buffer.alloc(40);
      h.writeUInt32BE(0x4c433033, 0);
      h.writeUInt32BE(i, 4);
      h.writeUInt32BE(100, 8);
      h.writeUInt32BE(0xfffffff0, 12); // offset past the end
      h.writeUInt16BE(1, 16);
      h.writeUInt16BE(2, 18);
      return h;
    },
    () => {
      const h = Buffer.alloc(24);
      h.writeUInt32BE(0x4c433033, 0);
      h.writeUInt16BE(5, 16);
      h.writeUInt16BE(3, 18); // fragment number beyond the count
      return h;
    },
  ];
  return kinds[i % kinds.length]();
}

async function sendAll(datagrams) {
  let inFlight = [];
  for (const datagram of datagrams) {
    inFlight.push(new Promise((resolve) => socket.send(datagram, Number(port), group, resolve)));
    if (inFlight.length >= 256) {
      await Promise.all(inFlight);
      inFlight = [];
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  await Promise.all(inFlight);
}

socket.bind(0, iface, async () => {
  socket.setMulticastInterface(iface);
  socket.setMulticastTTL(0);
  if (mode === 'hostile') {
    const count = Number(a);
    const kinds = [(i) => randomBytes(1 + (i % 1400)), lyingHeader, firstFragmentOfHugeMessage];
    let sent = 0;
    for (const make of kinds) {
      await sendAll(Array.from({ length: count }, (_, i) => make(i + 1)));
      sent += count;
    }
    console.log(JSON.stringify({ sent }));
  } else if (mode === 'steady') {
    const rate = Number(a);
    const seconds = Number(b);
    const payload = Buffer.alloc(64, 0x2e);
    const start = Date.now();
    let seq = 0;
    while (Date.now() - start < seconds * 1000) {
      const due = Math.floor(((Date.now() - start) / 1000) * rate);
      const batch = [];
      while (seq < due) batch.push(lc02(seq++, 'LOAD', payload));
      await sendAll(batch);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    console.log(JSON.stringify({ sent: seq, seconds: (Date.now() - start) / 1000 }));
  }
  socket.close();
});
