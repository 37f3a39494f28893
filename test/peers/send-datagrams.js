// Sends datagrams (one hex string per line of a file) to a group and port from an interface address, with TTL 1:
// the attacker on the LAN who replays what it captured.
const dgram = require('node:dgram');
const { readFileSync } = require('node:fs');

const [group, port, iface, file] = process.argv.slice(2);
const datagrams = readFileSync(file, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((hex) => Buffer.from(hex, 'hex'));
const socket = dgram.createSocket('udp4');
socket.bind(0, iface, async () => {
  socket.setMulticastInterface(iface);
  socket.setMulticastTTL(1);
  for (const datagram of datagrams) {
    await new Promise((resolve) => socket.send(datagram, Number(port), group, resolve));
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  socket.close();
  console.log(`sent ${datagrams.length}`);
});
