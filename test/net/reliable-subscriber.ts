// A subscriber on the bus core alone, for multi-host tests that need more subscribers than Node-RED runtimes: bundled
// by the test with esbuild and run inside a host's namespace (`ip netns exec <ns> node reliable-subscriber.js`).
//
// argv[2] is JSON: { group, iface, ports: number[], topic }. One bus per port listens for `topic`, whose payloads are
// the numbers 0, 1, 2, … as text. Each line on stdin asks for a report: one JSON line on stdout with, per port, what
// was delivered (count, whether in order, the losses messages reported), the bus's own loss count and its reliable
// receive side's counters. "close" closes the buses and ends the process.
import { createInterface } from 'node:readline';
import type { BusMessage } from '../../src/core/framing';
import { parseBusSettings } from '../../src/core/bus-settings';
import { MulticastBus } from '../../src/core/multicast-bus';

interface Tally {
  count: number;
  next: number;
  disorder: number;
  lost: number;
}

const { group, iface, ports, topic } = JSON.parse(process.argv[2]) as { group: string; iface: string; ports: number[]; topic: string };

const buses = ports.map((port) => {
  const parsed = parseBusSettings({ group, port, iface, ttl: 1, framing: 'lcm' });
  if (!('settings' in parsed)) throw new Error(`bad settings for port ${port}: ${JSON.stringify(parsed)}`);
  const bus = new MulticastBus(parsed.settings);
  const tally: Tally = { count: 0, next: 0, disorder: 0, lost: 0 };
  let ready = false;
  bus.addReceiver({
    onState: (state) => (ready = state.phase === 'ready'),
    onMessage: (message: BusMessage) => {
      tally.lost += message.lostBefore ?? 0;
      if (message.topic !== topic) return;
      const n = Number(message.payload.toString());
      if (n !== tally.next) tally.disorder++;
      tally.next = n + 1;
      tally.count++;
    },
  });
  return { port, bus, tally, ready: () => ready };
});

function report(): string {
  const byPort: Record<string, unknown> = {};
  for (const { port, bus, tally, ready } of buses) {
    const receiver = bus.stats().reliable.receiver ?? {};
    byPort[port] = {
      ready: ready(),
      count: tally.count,
      inOrder: tally.disorder === 0,
      lost: tally.lost,
      busLost: bus.summary().lost,
      naksSent: receiver.naksSent,
      heartbeats: receiver.heartbeats,
    };
  }
  return JSON.stringify(byPort);
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'close') {
    process.stdout.write(`${report()}\n`);
    return;
  }
  void Promise.all(buses.map(({ bus }) => bus.close())).then(() => process.exit(0));
});
