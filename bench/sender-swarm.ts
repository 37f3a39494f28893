// Many LCM senders at once, for the receive side's cost per sender: `senders` sockets on the publisher host, each
// with a source port and a sequence of its own, sending 64-byte-payload LC02 messages on channel `bench` in turn, at
// `rate` messages per second in all, numbered from `firstSeq`. Each payload starts with the send time and a counter, as
// bench-load's do.
// Prints one JSON line, as raw-peer.ts's sender does.
import { createSocket, type Socket } from 'node:dgram';

const [group, portText, ifaceAddress, sendersText, countText, rateText, firstSeqText] = process.argv.slice(2);
const port = Number(portText);
const senders = Number(sendersText);
const count = Number(countText);
const rate = Number(rateText);
const SIZE = 64;
const CHANNEL = Buffer.from('bench\0');
const FIRST_PORT = 41000;

/** The i-th sender's socket: on a port of its own, the same in every run, so that runs meet the senders they left. */
function open(i: number): Promise<Socket> {
  const socket = createSocket({ type: 'udp4' });
  return new Promise((resolve) =>
    socket.bind(FIRST_PORT + i, ifaceAddress, () => {
      socket.setMulticastInterface(ifaceAddress);
      socket.setMulticastTTL(1);
      socket.setMulticastLoopback(false);
      socket.connect(port, group, () => resolve(socket));
    }),
  );
}

async function main(): Promise<void> {
  const sockets: Socket[] = [];
  for (let i = 0; i < senders; i++) sockets.push(await open(i));
  // Each run goes on numbering where the last left off, as a running sender would: a receiver takes a sender whose
  // numbers start over for one that restarted, and that is not what is measured here.
  const seqs = new Uint32Array(senders).fill(Number(firstSeqText ?? 0));
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  let sent = 0;
  const sendOne = () =>
    new Promise<void>((resolve) => {
      const which = sent % senders;
      const datagram = Buffer.allocUnsafe(8 + CHANNEL.length + SIZE);
      datagram.writeUInt32BE(0x4c433032, 0);
      datagram.writeUInt32BE(seqs[which]++, 4);
      CHANNEL.copy(datagram, 8);
      datagram.writeBigUInt64BE(process.hrtime.bigint(), 8 + CHANNEL.length);
      datagram.writeUInt32BE(sent, 16 + CHANNEL.length);
      sent++;
      sockets[which].send(datagram, () => resolve());
    });
  while (sent < count) {
    const due = Math.min(count, Math.floor((Number(process.hrtime.bigint() - start) / 1e9) * rate) + 1);
    const burst: Promise<void>[] = [];
    while (sent < due) burst.push(sendOne());
    await Promise.all(burst);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const used = process.cpuUsage(cpu);
  process.stdout.write(
    JSON.stringify({ sent, startNs: start.toString(), endNs: process.hrtime.bigint().toString(), userUs: used.user, systemUs: used.system }) + '\n',
  );
  for (const socket of sockets) socket.close();
}

void main();
