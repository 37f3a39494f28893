// `npm run bench`: builds a LAN of namespaces (a publisher, a broker, up to eight subscribers, one bridge), starts a
// real Node-RED on the publisher and on each subscriber, and measures every candidate side by side in the same run.
// `--ci`: a short run (lcm framing against the raw ceiling, 64 B, one subscriber) that fails below a floor ratio.
import { build } from 'esbuild';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { deployFlow, startRuntimes } from '../testnet/host-runtimes';
import type { NodeRedProcess } from '../testnet/node-red-process';
import { createTopology } from '../testnet/topology';
import { CANDIDATES, type Candidate } from './candidates';
import { type Bench, type Cell, measure } from './measure';
import { type CoreReceive, measureCoreReceive } from './core-receive';
import { median, writeReport } from './report';

const args = new Set(process.argv.slice(2));
const ci = args.has('--ci');
// --profile: each Node-RED writes a V8 CPU profile into bench/.profiles when it stops, for finding the hot path.
const profile = args.has('--profile');

/** Messages per measurement, by payload size: enough for a second or more of sending on the bus. */
const COUNTS: Record<number, number> = { 64: 50_000, 1024: 30_000, 64_000: 1_500, 1_000_000: 60 };
const option = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
// --sizes=64,1000000 and --only=ceiling,bus-lcm narrow a run down, e.g. to profile one case.
const SIZES = option('sizes')?.split(',').map(Number) ?? (ci ? [64] : [64, 1024, 64_000, 1_000_000]);
const FANOUT = option('fanout')?.split(',').map(Number) ?? (ci ? [1] : [1, 2, 4, 8]);
const RUNS = Number(option('runs') ?? (ci ? 5 : 3));
// One subscriber is where the targets are read (lcm against the ceiling as the median of five): more runs there.
const RUNS_ONE_SUBSCRIBER = Number(option('runs') ?? 5);
const LATENCY_RATE = 2000;
// Messages per latency measurement: with one subscriber 10,000 (five seconds, 100 beyond the p99), elsewhere 4,000.
const LATENCY_COUNT = { one: LATENCY_RATE * 5, more: LATENCY_RATE * 2 };
/** Paced lcm rows, as [size, share of the ceiling's rate]: the fastest without loss is the rate the receiver sustains. */
const SUSTAINED: [number, number][] = [
  [64, 0.5],
  [1_000_000, 0.5],
  [1_000_000, 0.9],
  [1_000_000, 1],
];
/** Independent loss for the reliable rows: this share of the datagrams to the bus port dropped at each subscriber. */
const LOSS_PERCENT = 5;
/** Sizes measured under loss: one datagram per message, where a datagram lost is a message lost without repair. */
const LOSS_SIZES = [64, 1024];
/** The CI floors: delivered rate at 64 B and N = 1 as a multiple of the raw ceiling's in the same run, for lcm
 * framing and for batched lcm framing (the full run's targets are 0.85× and 3×; a shared CI machine gets a margin). */
const CI_FLOORS: Record<string, number> = { 'bus-lcm': 0.5, 'bus-batch': 2 };

const root = join(__dirname, '..');
const buildDir = join(__dirname, '.build');
const log = (text: string) => process.stdout.write(`${text}\n`);

async function buildPeers(): Promise<void> {
  await build({
    entryPoints: [
      join(__dirname, 'nodes/bench-nodes.ts'),
      join(__dirname, 'raw-peer.ts'),
      join(__dirname, 'mqtt-broker.ts'),
      join(__dirname, 'sender-swarm.ts'),
    ],
    outdir: buildDir,
    entryNames: '[name]',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['node-red', 'aedes'],
    logLevel: 'warning',
  });
  copyFileSync(join(__dirname, 'nodes/bench-nodes.html'), join(buildDir, 'bench-nodes.html'));
}

async function main(): Promise<void> {
  if (args.has('--report-only')) {
    // Writes the docs again from the last run's figures, without measuring.
    const last = JSON.parse(readFileSync(join(buildDir, 'last-run.json'), 'utf8')) as {
      machine: string;
      date: string;
      cells: Cell[];
      coreReceive?: CoreReceive[];
    };
    writeReport(root, last.cells, {
      machine: last.machine,
      date: last.date,
      counts: COUNTS,
      latencyRate: LATENCY_RATE,
      lossPercent: LOSS_PERCENT,
      coreReceive: last.coreReceive,
    });
    return;
  }
  await buildPeers();
  const only = option('only')?.split(',') ?? (ci ? ['ceiling', ...Object.keys(CI_FLOORS)] : undefined);
  const candidates = only ? CANDIDATES.filter((c) => only.includes(c.name)) : CANDIDATES;
  const cells: Cell[] = [];
  const record = (cell: Cell) => {
    cells.push(cell);
    log(
      `${cell.candidate.padEnd(10)} ${String(cell.size).padStart(7)} B  N=${cell.subscribers}  run ${cell.run}  ` +
        `${cell.rate ? `paced ${cell.rate}/s` : 'flat out'}${cell.lossPercent ? ` at ${cell.lossPercent}% loss (${cell.dropped} dropped)` : ''}: pub ${cell.publisherRate.toFixed(0)}/s, delivered ${median(cell.delivered).toFixed(0)}/s each, ` +
        `loss ${(cell.loss * 100).toFixed(2)}%, pub CPU ${cell.publisherCpuUs.toFixed(1)} µs/msg (user ${cell.publisherUserUs.toFixed(1)})` +
        (cell.brokerCpuUs !== undefined ? `, broker ${cell.brokerCpuUs.toFixed(1)} µs/msg` : '') +
        (cell.p99us !== undefined ? `, p50 ${(cell.p50us! / 1000).toFixed(2)} ms, p99 ${(cell.p99us / 1000).toFixed(2)} ms` : '') +
        (cell.repairs !== undefined ? `, ${cell.repairs} repairs (${cell.repairsGone} gone)` : '') +
        (cell.subscriberCpuUs !== undefined
          ? `, subscriber CPU ${cell.subscriberCpuUs.toFixed(1)} µs/msg (user ${cell.subscriberUserUs!.toFixed(1)}), senders listed ${cell.sendersKnown} (evicted ${cell.sendersEvicted})`
          : ''),
    );
  };
  const fits = (c: Candidate, size: number) => (c.maxSize === undefined || size <= c.maxSize) && (!c.sizes || c.sizes.includes(size));
  const lossCandidates = candidates.some((c) => c.reliable) ? candidates.filter((c) => c.name === 'bus-lcm' || c.reliable) : [];

  // A network per fanout: the publisher, the broker and exactly n subscribers on one bridge. The bridge floods
  // multicast to every port, so a host that is there but not listening would still cost the sender a copy; with only
  // listeners on it, it forwards as a snooping switch would.
  for (const n of FANOUT) {
    const here = n === 1 ? candidates : candidates.filter((c) => !c.oneSubscriber);
    const subscriberNames = Array.from({ length: n }, (_, i) => `s${i + 1}`);
    const net = createTopology('mcbb', ['pub', 'broker', ...subscriberNames], [], { multicastRouting: false, routerAndMultiHomed: false });
    let red: Record<string, NodeRedProcess> = {};
    try {
      const started = Date.now();
      red = await startRuntimes(
        net,
        ['pub', ...subscriberNames],
        { nodesDir: [buildDir] },
        profile ? ['--cpu-prof', `--cpu-prof-dir=${join(__dirname, '.profiles')}`] : [],
      );
      const broker = candidates.some((c) => c.name === 'mqtt')
        ? net.spawn(net.hosts.broker, process.execPath, [join(buildDir, 'mqtt-broker.js'), net.hosts.broker.address])
        : undefined;
      if (broker) await new Promise((ready) => broker.stdout!.once('data', ready));
      const bench: Bench = {
        net,
        publisher: net.hosts.pub,
        subscribers: subscriberNames.map((name) => net.hosts[name]),
        red,
        brokerPid: broker?.pid,
        buildDir,
      };
      const context = (address: string) => ({ address, broker: net.hosts.broker.address });
      await deployFlow(
        red.pub,
        here.filter((c) => c.publisher).flatMap((c) => c.publisher!(context(net.hosts.pub.address))),
      );
      await Promise.all(
        subscriberNames.map((name) =>
          deployFlow(
            red[name],
            here.filter((c) => c.subscriber).flatMap((c) => c.subscriber!(context(net.hosts[name].address))),
          ),
        ),
      );
      log(`N=${n}: ${n + 1} Node-RED runtimes up in ${((Date.now() - started) / 1000).toFixed(1)} s`);

      // Warm up: connects MQTT, lets the JIT settle, and checks every candidate delivers before measuring.
      // (iperf has no JIT to warm.)
      for (const candidate of here.filter((c) => c.name !== 'iperf')) {
        const warm = await measure(bench, candidate, 64, 2000, 0, n, 0);
        if (warm.loss > 0.5) log(`warning: ${candidate.name} lost ${(warm.loss * 100).toFixed(0)}% while warming up`);
      }
      const runs = n === 1 ? RUNS_ONE_SUBSCRIBER : RUNS;
      const latencyCount = n === 1 ? LATENCY_COUNT.one : LATENCY_COUNT.more;
      for (let run = 1; run <= runs; run++) {
        for (const size of SIZES)
          for (const candidate of here) if (fits(candidate, size)) record(await measure(bench, candidate, size, COUNTS[size], 0, n, run));
        if (!ci)
          for (const candidate of here.filter((c) => !c.flatOutOnly)) record(await measure(bench, candidate, 64, latencyCount, LATENCY_RATE, n, run));
        // The reliable rows: best-effort and reliable lcm under the same independent loss, flat out and at the
        // latency rate; best-effort shows what the loss costs when nothing repairs it.
        if (!ci && lossCandidates.length) {
          for (const size of SIZES.filter((s) => LOSS_SIZES.includes(s)))
            for (const candidate of lossCandidates) record(await measure(bench, candidate, size, COUNTS[size], 0, n, run, LOSS_PERCENT));
          for (const candidate of lossCandidates) record(await measure(bench, candidate, 64, latencyCount, LATENCY_RATE, n, run, LOSS_PERCENT));
        }
      }
      if (!ci && n === 1 && ['ceiling', 'bus-lcm'].every((name) => candidates.some((c) => c.name === name))) {
        // Zero loss at a share of the ceiling's rate: lcm framing at half of it, 64 B and 1 MB; and 1 MB at 0.9 of it
        // and at all of it, the rates a flow that sends large messages as fast as the bus takes them holds to (flat
        // out, a flow that hands over 60 MB at once meets the send queue's 16 MiB bound).
        const lcm = candidates.find((c) => c.name === 'bus-lcm')!;
        for (const [size, share] of SUSTAINED.filter(([size]) => SIZES.includes(size))) {
          const ceiling = median(
            cells.filter((c) => c.candidate === 'ceiling' && c.size === size && c.subscribers === 1 && c.rate === 0).map((c) => c.delivered[0]),
          );
          const paced = Math.max(1, Math.round(ceiling * share));
          for (let run = 1; run <= runs; run++) record(await measure(bench, lcm, size, Math.max(COUNTS[size], paced * 2), paced, 1, run));
        }
      }
      broker?.kill();
    } catch (error) {
      // What the runtimes said last is usually why.
      for (const [name, runtime] of Object.entries(red)) log(`--- ${name} ---\n${runtime.output().split('\n').slice(-15).join('\n')}`);
      throw error;
    } finally {
      // Failed or not, the runtimes stop (they are not the network's children), then the network goes.
      await Promise.all(Object.values(red).map((r) => r.stop()));
      net.destroy();
    }
  }

  // With the many-senders rows: the bus core's own share of their cost per message, without sockets or Node-RED.
  let coreReceive: CoreReceive[] | undefined;
  if (!ci && candidates.some((c) => c.name === 'swarm-1000')) {
    coreReceive = measureCoreReceive([1, 1000]);
    log(`bus core, receive path alone: ${coreReceive.map((c) => `${c.senders} sender(s) ${c.nsPerMessage.toFixed(0)} ns/msg`).join(', ')}`);
  }

  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}, Node.js ${process.version}, Node-RED ${require('node-red/package.json').version}`;
  if (ci) {
    for (const [name, floor] of Object.entries(CI_FLOORS)) {
      const ratios = Array.from({ length: RUNS }, (_, i) => {
        const of = (candidate: string) => cells.find((c) => c.candidate === candidate && c.run === i + 1)!.delivered[0];
        return of(name) / of('ceiling');
      });
      const ratio = median(ratios);
      log(
        `${name} delivered ${(ratio * 100).toFixed(0)}% of the raw ceiling (runs: ${ratios.map((r) => (r * 100).toFixed(0) + '%').join(', ')}); floor ${floor * 100}%`,
      );
      if (!(ratio >= floor)) {
        log(`FAIL: ${name} below its floor of ${floor * 100}% of the raw ceiling`);
        process.exitCode = 1;
      }
    }
  } else if (option('only') || option('sizes') || option('fanout')) {
    // Kept for a look (e.g. writeReport into a scratch copy of docs/), never written to the docs themselves.
    writeFileSync(join(buildDir, 'narrowed-run.json'), JSON.stringify({ machine, date: new Date().toISOString().slice(0, 10), cells, coreReceive }));
    log('a narrowed run: docs/benchmarks.md left as it is (figures in bench/.build/narrowed-run.json)');
  } else {
    const date = new Date().toISOString().slice(0, 10);
    writeFileSync(join(buildDir, 'last-run.json'), JSON.stringify({ machine, date, cells, coreReceive }));
    writeReport(root, cells, {
      machine,
      date,
      counts: COUNTS,
      latencyRate: LATENCY_RATE,
      lossPercent: LOSS_PERCENT,
      coreReceive,
    });
    log('wrote docs/benchmarks.md, docs/benchmarks.json, docs/images/bench-*.svg');
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
