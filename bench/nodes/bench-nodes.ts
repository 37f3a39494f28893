// Two Node-RED nodes the benchmark deploys, as a user's flow would hold them: `bench-load` sends a stream of messages
// (each payload stamped with the send time and a sequence number) to whatever out node it is wired to, and
// `bench-count` counts what an in node delivers, with the latency of each message. The benchmark drives them through
// admin routes. Both hosts run on one machine, so the monotonic clock (process.hrtime) is shared by all of them.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';

interface LoadRequest {
  size: number;
  count: number;
  /** Messages per second; 0: as fast as the flow takes them. */
  rate: number;
  topic?: string;
}

const LATENCY_SAMPLES = 200_000;
const BURST = 64;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Counts what arrives: messages, bytes, the last arrival, and (while asked to) each message's latency in µs. */
class Tally {
  count = 0;
  bytes = 0;
  lastNs = 0n;
  sampling = false;
  latencies = new Float64Array(LATENCY_SAMPLES);
  samples = 0;

  add(payload: unknown): void {
    const now = process.hrtime.bigint();
    this.count++;
    this.lastNs = now;
    if (!Buffer.isBuffer(payload)) return;
    this.bytes += payload.length;
    if (this.sampling && payload.length >= 8 && this.samples < LATENCY_SAMPLES) {
      this.latencies[this.samples++] = Number(now - payload.readBigUInt64BE(0)) / 1000;
    }
  }

  reset(sampling: boolean): void {
    this.count = 0;
    this.bytes = 0;
    this.lastNs = 0n;
    this.samples = 0;
    this.sampling = sampling;
  }

  report() {
    const sorted = this.latencies.slice(0, this.samples).sort();
    const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null);
    return { count: this.count, bytes: this.bytes, lastNs: this.lastNs.toString(), p50us: at(0.5), p99us: at(0.99) };
  }
}

export = function benchNodes(RED: NodeAPI): void {
  const loads = new Map<string, Node>();
  const tallies = new Map<string, Tally>();

  function BenchLoad(this: Node, config: NodeDef) {
    RED.nodes.createNode(this, config);
    loads.set(this.id, this);
    this.on('close', (_removed: boolean, done: () => void) => {
      loads.delete(this.id);
      done();
    });
  }

  function BenchCount(this: Node, config: NodeDef) {
    RED.nodes.createNode(this, config);
    const tally = new Tally();
    tallies.set(this.id, tally);
    this.on('input', (msg: NodeMessage, _send: unknown, done: () => void) => {
      tally.add(msg.payload);
      done();
    });
    this.on('close', (_removed: boolean, done: () => void) => {
      tallies.delete(this.id);
      done();
    });
  }

  /** Sends `count` messages of `size` bytes, at `rate` per second or in bursts as fast as the event loop turns. */
  async function sendLoad(node: Node, request: LoadRequest) {
    const size = Math.max(16, request.size);
    const start = process.hrtime.bigint();
    let sent = 0;
    const sendOne = () => {
      // A new buffer per message: out nodes may still hold the previous one while it goes out.
      const payload = Buffer.allocUnsafe(size);
      payload.writeBigUInt64BE(process.hrtime.bigint(), 0);
      payload.writeUInt32BE(sent, 8);
      node.send({ topic: request.topic, payload } as NodeMessage);
      sent++;
    };
    while (sent < request.count) {
      if (request.rate > 0) {
        const due = Math.min(request.count, Math.floor((Number(process.hrtime.bigint() - start) / 1e9) * request.rate) + 1);
        while (sent < due) sendOne();
        await pause(1);
      } else {
        for (let i = 0; i < BURST && sent < request.count; i++) sendOne();
        await nextTurn();
      }
    }
    return { sent, startNs: start.toString(), endNs: process.hrtime.bigint().toString() };
  }

  RED.nodes.registerType('bench-load', BenchLoad as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
  RED.nodes.registerType('bench-count', BenchCount as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);

  RED.httpAdmin.post('/bench/load/:id', (req, res) => {
    const node = loads.get(String(req.params.id));
    if (!node) return void res.status(404).json({ error: `no bench-load ${req.params.id}` });
    sendLoad(node, req.body as LoadRequest).then(
      (result) => res.json(result),
      (error: unknown) => res.status(500).json({ error: String(error) }),
    );
  });
  RED.httpAdmin.post('/bench/reset', (req, res) => {
    for (const tally of tallies.values()) tally.reset(Boolean((req.body as { latency?: boolean }).latency));
    res.json({ ok: true });
  });
  RED.httpAdmin.get('/bench/counts', (_req, res) => {
    res.json(Object.fromEntries([...tallies].map(([id, tally]) => [id, tally.report()])));
  });
};
