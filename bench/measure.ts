// One measurement: one candidate, one payload size, N subscribers, one run. Drives the load on the publisher, waits
// until every subscriber has settled, and reads rates, loss, CPU time and latency.
import { type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { NodeRedProcess } from '../testnet/node-red-process';
import type { Host, Topology } from '../testnet/topology';
import type { Candidate } from './candidates';
import { measureIperf } from './iperf-anchor';
import { addLoss, droppedSoFar, removeLoss } from './loss-rule';

export interface Cell {
  candidate: string;
  size: number;
  subscribers: number;
  /** Messages per second asked for; 0: as fast as it goes. */
  rate: number;
  run: number;
  /** Loss injected at each subscriber's input, on the candidate's port, in % (absent: none). */
  lossPercent?: number;
  /** Datagrams the injected loss dropped, all subscribers together. */
  dropped?: number;
  /** For reliable delivery: repairs the publisher sent, and NAKs it could not answer (the message was gone). */
  repairs?: number;
  repairsGone?: number;
  sent: number;
  /** Messages per second the publisher sent (for Node-RED: that its flow took). */
  publisherRate: number;
  /** Per subscriber: messages delivered per second, from the first send to its last arrival. */
  delivered: number[];
  /** Fraction of the messages sent that did not arrive, over all subscribers. */
  loss: number;
  /** CPU time (user + system) of the publishing process per message sent, in µs. */
  publisherCpuUs: number;
  /** Of that, user time: Node.js, Node-RED and the nodes, without the kernel's share (see docs/benchmarks.md). */
  publisherUserUs: number;
  /** For MQTT: CPU time (user + system) of the broker per message published, in µs. */
  brokerCpuUs?: number;
  p50us?: number;
  p99us?: number;
  /** For many senders: CPU time (user + system) of the first subscriber per message it delivered, in µs; user alone. */
  subscriberCpuUs?: number;
  subscriberUserUs?: number;
  /** For many senders: the senders the first subscriber's bus lists, and those it evicted to stay within its bound. */
  sendersKnown?: number;
  sendersEvicted?: number;
}

export interface Bench {
  net: Topology;
  publisher: Host;
  subscribers: Host[];
  red: Record<string, NodeRedProcess>;
  brokerPid?: number;
  buildDir: string;
}

interface Tally {
  count: number;
  bytes: number;
  lastNs: string;
  p50us: number | null;
  p99us: number | null;
}

const CLOCK_TICK_US = 10_000; // USER_HZ is 100 on Linux

interface CpuTime {
  user: number;
  system: number;
}

/** CPU time a process has used so far, user and system, in µs, from /proc. */
export function cpuTime(pid: number): CpuTime {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) * CLOCK_TICK_US, system: Number(fields[12]) * CLOCK_TICK_US };
}

const since = (before: CpuTime, after: CpuTime): CpuTime => ({ user: after.user - before.user, system: after.system - before.system });

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until every tally has `sent` messages, or none has moved for `quietMs`. */
async function settle(read: () => Promise<Tally[]>, sent: number, quietMs: number, capMs = 60_000): Promise<Tally[]> {
  let last = await read();
  let lastChange = Date.now();
  const started = Date.now();
  while (Date.now() - started < capMs) {
    if (last.every((tally) => tally.count >= sent)) return last;
    await pause(100);
    const now = await read();
    if (now.some((tally, i) => tally.count !== last[i].count)) lastChange = Date.now();
    last = now;
    if (Date.now() - lastChange > quietMs) return last;
  }
  return last;
}

/** A raw-ceiling process (raw-peer.ts) in a namespace, read line by line: a receiver answers "report" with its counts. */
class RawPeer {
  private readonly lines: AsyncIterator<string>;
  constructor(private readonly child: ChildProcess) {
    this.lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  }
  async next(): Promise<string> {
    const line = await this.lines.next();
    if (line.done) throw new Error('raw peer ended');
    return line.value;
  }
  async report(): Promise<Tally> {
    this.child.stdin!.write('report\n');
    return JSON.parse(await this.next());
  }
  sampleLatency(): void {
    this.child.stdin!.write('latency\n');
  }
  quit(): void {
    this.child.stdin!.end();
    this.child.kill();
  }
}

function summarize(
  candidate: Candidate,
  size: number,
  rate: number,
  run: number,
  subscribers: number,
  load: { sent: number; startNs: string; endNs: string },
  tallies: Tally[],
  publisherCpu: CpuTime,
  brokerCpu?: CpuTime,
): Cell {
  const start = BigInt(load.startNs);
  const seconds = (ns: bigint) => Number(ns) / 1e9;
  const delivered = tallies.map((tally) => (tally.count > 0 ? tally.count / seconds(BigInt(tally.lastNs) - start) : 0));
  const arrived = tallies.reduce((sum, tally) => sum + Math.min(tally.count, load.sent), 0);
  const p50 = tallies.map((t) => t.p50us).filter((v): v is number => v !== null);
  const p99 = tallies.map((t) => t.p99us).filter((v): v is number => v !== null);
  return {
    candidate: candidate.name,
    size,
    subscribers,
    rate,
    run,
    sent: load.sent,
    publisherRate: load.sent / seconds(BigInt(load.endNs) - start),
    delivered,
    loss: 1 - arrived / (load.sent * tallies.length),
    publisherCpuUs: (publisherCpu.user + publisherCpu.system) / load.sent,
    publisherUserUs: publisherCpu.user / load.sent,
    brokerCpuUs: brokerCpu === undefined ? undefined : (brokerCpu.user + brokerCpu.system) / load.sent,
    p50us: p50.length ? Math.max(...p50) : undefined,
    p99us: p99.length ? Math.max(...p99) : undefined,
  };
}

/** How long one cell may take: seconds at most when it works. */
const CELL_DEADLINE_MS = 180_000;

/**
 * Measures one cell. `count` messages of `size` bytes at `rate` per second (0: flat out), to the first `n` subscribers,
 * with `lossPercent` % of the datagrams to the candidate's port dropped at each subscriber's input.
 */
export function measure(...args: Parameters<typeof measureCell>): Promise<Cell> {
  const [, candidate, size, , , n, run] = args;
  // A cell takes seconds; one that has not finished in minutes is stuck (a peer that never answers), and the run
  // fails naming it rather than waiting for ever: the caller's finally takes the network and its processes down.
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    const what = `${candidate.name}, ${size} B, N = ${n}, run ${run}`;
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${CELL_DEADLINE_MS / 1000} s`)), CELL_DEADLINE_MS);
  });
  return Promise.race([measureCell(...args), stuck]).finally(() => clearTimeout(timer));
}

async function measureCell(
  bench: Bench,
  candidate: Candidate,
  size: number,
  count: number,
  rate: number,
  n: number,
  run: number,
  lossPercent = 0,
): Promise<Cell> {
  const subscribers = bench.subscribers.slice(0, n);
  const quietMs = size >= 1_000_000 ? 2000 : 800;
  if (candidate.name === 'ceiling') return measureCeiling(bench, candidate, size, count, rate, subscribers, run, quietMs);
  if (candidate.name === 'iperf') return measureIperf(bench, candidate, size, subscribers, run);
  if (candidate.swarm) return measureSwarm(bench, candidate, count, subscribers, run, quietMs);
  if (lossPercent === 0) return measureNodeRed(bench, candidate, size, count, rate, subscribers, run, quietMs);
  if (candidate.port === undefined) throw new Error(`${candidate.name}: loss is injected on a bus port, and it has none`);
  try {
    for (const host of subscribers) addLoss(bench.net, host, candidate.port, lossPercent);
    const cell = await measureNodeRed(bench, candidate, size, count, rate, subscribers, run, quietMs);
    const dropped = subscribers.reduce((sum, host) => sum + droppedSoFar(bench.net, host), 0);
    return { ...cell, lossPercent, dropped };
  } finally {
    for (const host of subscribers) removeLoss(bench.net, host);
  }
}

/** Zeroes the bench-count nodes on the subscribers; with `latency`, they sample each message's latency. */
function resetTallies(bench: Bench, subscribers: Host[], latency: boolean): Promise<unknown> {
  return Promise.all(subscribers.map((host) => bench.red[host.name].api('/bench/reset', { method: 'POST', body: { latency } })));
}

/** What each subscriber's counting node for `candidate` has counted so far. */
function readTallies(bench: Bench, subscribers: Host[], candidate: Candidate): Promise<Tally[]> {
  return Promise.all(subscribers.map(async (host) => (await bench.red[host.name].api('/bench/counts'))[`count-${candidate.name}`] as Tally));
}

/** The reliable sender's counters on the publisher's bus (docs/reliability.md), or none before its first reliable publish. */
async function senderCounts(bench: Bench, candidate: Candidate): Promise<Record<string, number> | null> {
  const stats = await bench.red[bench.publisher.name].api(`/multicast-bus/bus-${candidate.name}/stats`);
  return (stats as { reliable: { sender: Record<string, number> | null } }).reliable.sender;
}

async function measureNodeRed(
  bench: Bench,
  candidate: Candidate,
  size: number,
  count: number,
  rate: number,
  subscribers: Host[],
  run: number,
  quietMs: number,
): Promise<Cell> {
  const n = subscribers.length;

  const pub = bench.red[bench.publisher.name];
  await resetTallies(bench, subscribers, rate > 0);
  const repairsBefore = candidate.reliable ? await senderCounts(bench, candidate) : null;
  const cpuBefore = cpuTime(pub.pid);
  const brokerBefore = candidate.name === 'mqtt' && bench.brokerPid ? cpuTime(bench.brokerPid) : undefined;
  const load = await pub.api(`/bench/load/load-${candidate.name}`, { method: 'POST', body: { size, count, rate, topic: 'bench' } });
  const read = () => readTallies(bench, subscribers, candidate);
  const tallies = await settle(read, load.sent, quietMs);
  const publisherCpu = since(cpuBefore, cpuTime(pub.pid));
  const brokerCpu = brokerBefore === undefined ? undefined : since(brokerBefore, cpuTime(bench.brokerPid!));
  const cell = summarize(candidate, size, rate, run, n, load, tallies, publisherCpu, brokerCpu);
  if (!candidate.reliable) return cell;
  // Read after the CPU time, so that reading costs the publisher nothing it is charged for.
  const after = await senderCounts(bench, candidate);
  return { ...cell, repairs: (after?.repairs ?? 0) - (repairsBefore?.repairs ?? 0), repairsGone: (after?.gone ?? 0) - (repairsBefore?.gone ?? 0) };
}

async function measureCeiling(
  bench: Bench,
  candidate: Candidate,
  size: number,
  count: number,
  rate: number,
  subscribers: Host[],
  run: number,
  quietMs: number,
): Promise<Cell> {
  const peer = `${bench.buildDir}/raw-peer.js`;
  const chunk = size > 65_000 ? 1400 : size;
  const args = (host: Host, mode: string) => [
    peer,
    mode,
    candidate.group!,
    String(candidate.port),
    host.address,
    String(size),
    String(count),
    String(rate),
    String(chunk),
  ];
  const receivers = subscribers.map((host) => {
    const child = bench.net.spawn(host, process.execPath, args(host, 'receive'));
    return new RawPeer(child);
  });
  try {
    for (const receiver of receivers) if ((await receiver.next()) !== 'ready') throw new Error('raw receiver did not start');
    if (rate > 0) for (const receiver of receivers) receiver.sampleLatency();
    const sender = bench.net.spawn(bench.publisher, process.execPath, args(bench.publisher, 'send'));
    const line = await new RawPeer(sender).next();
    const load = JSON.parse(line) as { sent: number; startNs: string; endNs: string; userUs: number; systemUs: number };
    const tallies = await settle(() => Promise.all(receivers.map((r) => r.report())), load.sent, quietMs);
    return summarize(candidate, size, rate, run, subscribers.length, load, tallies, { user: load.userUs, system: load.systemUs });
  } finally {
    for (const receiver of receivers) receiver.quit();
  }
}

/** Where each many-senders candidate's senders go on numbering, from one measurement to the next. */
const swarmSeqs = new Map<string, number>();

/**
 * Many senders (sender-swarm.ts) to a multicast in on each subscriber, paced at a rate the receive side sustains:
 * what the first subscriber's Node-RED spends per message delivered, and what its bus's table of senders holds.
 */
async function measureSwarm(bench: Bench, candidate: Candidate, count: number, subscribers: Host[], run: number, quietMs: number): Promise<Cell> {
  const { senders, rate } = candidate.swarm!;
  const first = bench.red[subscribers[0].name];
  // Each measurement goes on numbering where the last of this candidate left off, warm-up included.
  const firstSeq = swarmSeqs.get(candidate.name) ?? 0;
  swarmSeqs.set(candidate.name, firstSeq + Math.ceil(count / senders));
  await resetTallies(bench, subscribers, false);
  const before = cpuTime(first.pid);
  const swarm = bench.net.spawn(bench.publisher, process.execPath, [
    `${bench.buildDir}/sender-swarm.js`,
    candidate.group!,
    String(candidate.port),
    bench.publisher.address,
    String(senders),
    String(count),
    String(rate),
    String(firstSeq),
  ]);
  const load = JSON.parse(await new RawPeer(swarm).next()) as { sent: number; startNs: string; endNs: string; userUs: number; systemUs: number };
  const read = () => readTallies(bench, subscribers, candidate);
  const tallies = await settle(read, load.sent, quietMs);
  const used = since(before, cpuTime(first.pid));
  const stats = (await first.api(`/multicast-bus/bus-${candidate.name}/stats`)) as { presence: { senders: number; evicted: number } };
  const cell = summarize(candidate, 64, rate, run, subscribers.length, load, tallies, { user: load.userUs, system: load.systemUs });
  return {
    ...cell,
    subscriberCpuUs: (used.user + used.system) / Math.max(1, tallies[0].count),
    subscriberUserUs: used.user / Math.max(1, tallies[0].count),
    sendersKnown: stats.presence.senders,
    sendersEvicted: stats.presence.evicted,
  };
}
