// The raw ceiling: plain Node.js dgram multicast with no Node-RED and no framing, the most one Node.js process can
// do, sending the way the bus does (a socket connected to the group, 32 datagrams in flight). `send` sends `count` messages of `size` bytes (a message larger than one datagram goes as datagrams of
// `chunk` bytes, as LCM framing would split it, with no header) and prints what it did as one JSON line.
// `receive` joins the group, says "ready", counts, prints its counts for each "report" on stdin, and ends with stdin.
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';

const [mode, group, portText, ifaceAddress, sizeText, countText, rateText, chunkText] = process.argv.slice(2);
const port = Number(portText);
const size = Number(sizeText);
const chunk = Math.min(size, Number(chunkText ?? size));
const perMessage = Math.ceil(size / chunk);
const RECEIVE_BUFFER = 8 * 1024 * 1024; // as the bus asks for by default
const WINDOW = 32; // datagrams in flight, as the bus sends them

if (mode === 'receive') {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  let datagrams = 0;
  let bytes = 0;
  let lastNs = 0n;
  let sampling = false;
  const latencies: number[] = [];
  socket.on('message', (data) => {
    const now = process.hrtime.bigint();
    datagrams++;
    bytes += data.length;
    lastNs = now;
    // The first datagram of each message carries the send time.
    if (sampling && data.length >= 8 && (datagrams - 1) % perMessage === 0) {
      latencies.push(Number(now - data.readBigUInt64BE(0)) / 1000);
    }
  });
  socket.bind(port, group, () => {
    socket.addMembership(group, ifaceAddress);
    socket.setRecvBufferSize(RECEIVE_BUFFER);
    process.stdout.write('ready\n');
  });
  const commands = createInterface({ input: process.stdin });
  commands.on('close', () => socket.close());
  commands.on('line', (line) => {
    if (line === 'latency') sampling = true;
    if (line !== 'report') return;
    latencies.sort((a, b) => a - b);
    const at = (q: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : null);
    process.stdout.write(JSON.stringify({ count: datagrams / perMessage, bytes, lastNs: lastNs.toString(), p50us: at(0.5), p99us: at(0.99) }) + '\n');
  });
} else if (mode === 'send') {
  const count = Number(countText);
  const rate = Number(rateText);
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  socket.bind(0, ifaceAddress, async () => {
    socket.setMulticastInterface(ifaceAddress);
    socket.setMulticastTTL(1);
    socket.setMulticastLoopback(false);
    // Connected to the group, as the bus's send socket is: no route or address lookup per datagram.
    await new Promise<void>((resolve) => socket.connect(port, group, () => resolve()));
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    let started = 0;
    const sendMessage = async () => {
      const payload = Buffer.allocUnsafe(size);
      payload.writeBigUInt64BE(process.hrtime.bigint(), 0);
      payload.writeUInt32BE(started++, 8);
      for (let offset = 0; offset < size; offset += chunk * WINDOW) {
        const burst: Promise<void>[] = [];
        for (let at = offset; at < Math.min(size, offset + chunk * WINDOW); at += chunk) {
          burst.push(new Promise((resolve) => socket.send(payload.subarray(at, Math.min(size, at + chunk)), () => resolve())));
        }
        await Promise.all(burst);
      }
    };
    while (started < count) {
      if (rate > 0) {
        const due = Math.min(count, Math.floor((Number(process.hrtime.bigint() - start) / 1e9) * rate) + 1);
        while (started < due) await sendMessage();
        await new Promise((resolve) => setTimeout(resolve, 1));
      } else if (perMessage === 1) {
        // Small messages: a window of datagrams in flight, like the bus's bursts.
        const burst: Promise<void>[] = [];
        for (let i = 0; i < WINDOW && started < count; i++) burst.push(sendMessage());
        await Promise.all(burst);
      } else {
        await sendMessage();
      }
    }
    const used = process.cpuUsage(cpu);
    process.stdout.write(
      JSON.stringify({
        sent: started,
        startNs: start.toString(),
        endNs: process.hrtime.bigint().toString(),
        userUs: used.user,
        systemUs: used.system,
      }) + '\n',
    );
    socket.close();
  });
}
