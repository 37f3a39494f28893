// What is compared: the raw ceiling, this package with each framing, Node-RED's core udp nodes in multicast mode, and
// MQTT through a broker with Node-RED's core mqtt nodes. Each Node-RED candidate is a pair of flows: on the
// publisher a bench-load wired to the candidate's out node; on each subscriber the in node wired to a bench-count.
import { bus, type Flow, multicastIn, multicastOut, ON_A_HOST } from '../testnet/flow-nodes';

export interface Candidate {
  name: string;
  /** What the tables call it. */
  label: string;
  /** Largest message it can carry in one piece, in bytes (undefined: no limit the benchmark reaches). */
  maxSize?: number;
  /** The only message sizes it is measured at (undefined: every size up to maxSize). */
  sizes?: number[];
  /** Multicast group and port, for the raw ceiling and the bus candidates. */
  group?: string;
  port?: number;
  /** Measured flat out only: no paced latency rows (iperf paces by bandwidth, not by message). */
  flatOutOnly?: boolean;
  /** Measured with one subscriber only: what it shows is the receive side of one host. */
  oneSubscriber?: boolean;
  /** Sent by sender-swarm.ts instead of a flow: this many LCM senders at once, `rate` messages per second in all. */
  swarm?: { senders: number; rate: number };
  /** Whether its out node asks for reliable delivery (docs/reliability.md): the bench then reads the sender's repairs. */
  reliable?: boolean;
  publisher?(context: HostContext): Flow;
  subscriber?(context: HostContext): Flow;
}

export interface HostContext {
  /** The host's own address on the LAN. */
  address: string;
  /** The broker host's address. */
  broker: string;
}

/** A sealed bus's key: fixed, since the benchmark measures cost, not secrecy. */
const BENCH_KEY = Buffer.alloc(32, 7).toString('base64');
const ONE_DATAGRAM = 65_507;

/** A candidate's bus on a bench host: not looped back, since no flow on the publisher listens. */
function benchBus(id: string, group: string, port: number, fields: Record<string, unknown>) {
  return bus({
    id,
    ...ON_A_HOST,
    group,
    port,
    loopback: false,
    ...fields,
    ...(fields.security === 'sealed' ? { credentials: { key: BENCH_KEY } } : {}),
  });
}

function busCandidate(
  name: string,
  label: string,
  port: number,
  fields: Record<string, unknown>,
  maxSize?: number,
  outFields: Record<string, unknown> = {},
): Candidate {
  const group = `239.1.1.${port - 5000}`;
  return {
    name,
    label,
    maxSize,
    group,
    port,
    reliable: outFields.delivery === 'reliable',
    publisher: () => [
      benchBus(`bus-${name}`, group, port, fields),
      { id: `load-${name}`, type: 'bench-load', z: 'tab', wires: [[`out-${name}`]] },
      multicastOut(`bus-${name}`, { id: `out-${name}`, topic: 'bench', ...outFields }),
    ],
    subscriber: () => [
      benchBus(`bus-${name}`, group, port, fields),
      multicastIn(`bus-${name}`, `count-${name}`, { id: `in-${name}`, datatype: 'buffer' }),
      { id: `count-${name}`, type: 'bench-count', z: 'tab', wires: [] },
    ],
  };
}

/**
 * A batching bus whose subscriber has 50 multicast in nodes: with `sameFilter`, all on the topic sent, each wired to a
 * counting node of its own (the first one's count is the cell's); else on 50 distinct filters of which one matches the
 * topic sent. Batched, so that the publisher outruns one subscriber's receive side: what is measured is that side.
 */
function manyNodesCandidate(name: string, label: string, port: number, sameFilter: boolean): Candidate {
  const base = busCandidate(name, label, port, { framing: 'lcm', batch: true }, 64);
  return {
    ...base,
    oneSubscriber: true,
    subscriber: () => {
      const group = base.group!;
      const flow: Flow = [benchBus(`bus-${name}`, group, port, { framing: 'lcm', batch: true })];
      for (let i = 0; i < 50; i++) {
        const counter = i === 0 ? `count-${name}` : `count-${name}-${i}`;
        const topic = sameFilter || i === 0 ? 'bench' : `other/${i}/+`;
        flow.push(multicastIn(`bus-${name}`, counter, { id: `in-${name}-${i}`, datatype: 'buffer', topic }));
        if (i === 0 || sameFilter) flow.push({ id: counter, type: 'bench-count', z: 'tab', wires: [] });
      }
      return flow;
    },
  };
}

/** LCM senders outside Node-RED (sender-swarm.ts), `senders` of them at once, to a multicast in on each subscriber. */
function swarmCandidate(name: string, label: string, port: number, senders: number): Candidate {
  const base = busCandidate(name, label, port, { framing: 'lcm', announce: false });
  // The receive side's cost per message, at a rate it sustains, not its limit.
  return { ...base, publisher: undefined, maxSize: 64, flatOutOnly: true, oneSubscriber: true, swarm: { senders, rate: 30_000 } };
}

export const CANDIDATES: Candidate[] = [
  // The kernel's own limit (bench/iperf-anchor.ts), flat out only; up to 1,024 B, where iperf's datagrams are not fragmented.
  { name: 'iperf', label: 'iperf 2, UDP multicast (the kernel, no Node.js)', group: '239.1.1.9', port: 5009, maxSize: 1024, flatOutOnly: true },
  { name: 'ceiling', label: 'raw dgram (ceiling, no Node-RED)', group: '239.1.1.0', port: 5000 },
  busCandidate('bus-raw', 'multicast-bus, raw framing', 5001, { framing: 'raw' }, ONE_DATAGRAM),
  busCandidate('bus-lcm', 'multicast-bus, lcm framing', 5002, { framing: 'lcm' }),
  // What presence costs (docs/presence.md): the same bus with its announcements and their per-topic counting off.
  busCandidate('bus-quiet', 'multicast-bus, lcm framing, presence off', 5006, { framing: 'lcm', announce: false }),
  busCandidate('bus-reliable', 'multicast-bus, lcm framing, reliable delivery', 5005, { framing: 'lcm' }, undefined, { delivery: 'reliable' }),
  busCandidate('bus-sealed', 'multicast-bus, lcm + sealed', 5003, { framing: 'lcm', security: 'sealed' }),
  // LCM framing with a datagram as large as UDP allows: a 64 kB message goes as one datagram that the kernel splits
  // into IP fragments, as the ceiling's and raw framing's do, instead of 47 datagrams of 1,400 bytes.
  {
    ...busCandidate('bus-lcm-wide', 'multicast-bus, lcm framing, 65,000-byte datagrams', 5014, { framing: 'lcm', maxDatagram: 65_000 }),
    sizes: [64_000],
    oneSubscriber: true,
    flatOutOnly: true,
  },
  // Batching (docs/wire-format.md): the messages of one turn packed into few datagrams, open and sealed.
  // (Up to 1 kB: a message of many datagrams goes out as it would without batching.)
  busCandidate('bus-batch', 'multicast-bus, lcm framing, batched', 5007, { framing: 'lcm', batch: true }, 1024),
  busCandidate('bus-sealed-batch', 'multicast-bus, lcm + sealed, batched', 5008, { framing: 'lcm', security: 'sealed', batch: true }, 1024),
  // The receive side with many nodes (against bus-batch's one): 50 multicast in nodes on distinct filters (one
  // matches), or all on the same one.
  manyNodesCandidate('bus-50-filters', 'multicast-bus, lcm, batched, 50 multicast in on distinct filters', 5010, false),
  manyNodesCandidate('bus-50-same', 'multicast-bus, lcm, batched, 50 multicast in on the same filter', 5011, true),
  // The receive side with many senders: one LCM sender, and 1,000 at once, at the same rate in all.
  swarmCandidate('swarm-1', '1 LCM sender (a generator) to a multicast in', 5012, 1),
  swarmCandidate('swarm-1000', '1,000 LCM senders at once (a generator) to a multicast in', 5013, 1000),
  {
    name: 'udp',
    label: 'core udp out / udp in (multicast)',
    maxSize: ONE_DATAGRAM,
    publisher: (context) => [
      { id: 'load-udp', type: 'bench-load', z: 'tab', wires: [['out-udp']] },
      {
        id: 'out-udp',
        type: 'udp out',
        z: 'tab',
        addr: '239.1.1.4',
        iface: context.address,
        port: '5004',
        ipv: 'udp4',
        outport: '',
        base64: false,
        multicast: 'multi',
        wires: [],
      },
    ],
    subscriber: (context) => [
      {
        id: 'in-udp',
        type: 'udp in',
        z: 'tab',
        iface: context.address,
        port: '5004',
        ipv: 'udp4',
        multicast: 'true',
        group: '239.1.1.4',
        datatype: 'buffer',
        wires: [['count-udp']],
      },
      { id: 'count-udp', type: 'bench-count', z: 'tab', wires: [] },
    ],
  },
  {
    name: 'mqtt',
    label: 'MQTT: core mqtt out / mqtt in, aedes broker',
    publisher: (context) => [
      mqttBroker(context),
      { id: 'load-mqtt', type: 'bench-load', z: 'tab', wires: [['out-mqtt']] },
      { id: 'out-mqtt', type: 'mqtt out', z: 'tab', topic: 'bench/mqtt', qos: '0', retain: 'false', broker: 'broker-mqtt', wires: [] },
    ],
    subscriber: (context) => [
      mqttBroker(context),
      {
        id: 'in-mqtt',
        type: 'mqtt in',
        z: 'tab',
        topic: 'bench/mqtt',
        qos: '0',
        datatype: 'buffer',
        broker: 'broker-mqtt',
        nl: false,
        rap: false,
        inputs: 0,
        wires: [['count-mqtt']],
      },
      { id: 'count-mqtt', type: 'bench-count', z: 'tab', wires: [] },
    ],
  },
];

function mqttBroker(context: HostContext) {
  return {
    id: 'broker-mqtt',
    type: 'mqtt-broker',
    broker: context.broker,
    port: '1883',
    clientid: '',
    autoConnect: true,
    usetls: false,
    protocolVersion: '4',
    keepalive: '60',
    cleansession: true,
  };
}
