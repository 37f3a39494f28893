import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { bus, catcher, multicastIn, multicastOut, sink, tab } from '../support/flows';
import { catchNode, collect, currentStatus, helper, isReady, nextMessage, ourNodes, waitForStatus } from '../support/node-red';
import { nextPort } from '../support/ports';
import { requirePrivateNetwork } from '../support/private-network';
import { until } from '../support/until';
import { wordedNodes } from './worded-nodes';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Sends raw bytes to the group from a plain socket: a hand-made LCM peer, or a hostile one. */
async function sendRaw(port: number, datagrams: Buffer[]): Promise<void> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  socket.setMulticastInterface('127.0.0.1');
  socket.setMulticastTTL(0);
  for (const datagram of datagrams) await new Promise<void>((resolve) => socket.send(datagram, port, '239.255.76.67', () => resolve()));
  socket.close();
}

function lc02(seq: number, channel: string, payload: string): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(0x4c433032, 0);
  header.writeUInt32BE(seq, 4);
  return Buffer.concat([header, Buffer.from(`${channel}\0${payload}`)]);
}

describe('LCM framing between nodes', function () {
  beforeEach(function () {
    requirePrivateNetwork(this);
  });
  afterEach(() => helper.unload());

  /** A bus with LCM framing on a port of its own, an out node, and an in node with a sink per filter. */
  async function loadBus(busFields: Record<string, unknown>, filters: string[], withCatch = false, nodes = ourNodes) {
    const port = nextPort();
    const b = bus({ framing: 'lcm', port, ...busFields });
    const sinks = filters.map(() => sink());
    const ins = filters.map((topic, i) => multicastIn(b.id, sinks[i].id, { topic }));
    const outNode = multicastOut(b.id);
    const caught = sink('caught');
    await helper.load(withCatch ? [...nodes, catchNode] : nodes, [
      tab,
      b,
      outNode,
      ...ins,
      ...sinks,
      ...(withCatch ? [caught, catcher(caught.id)] : []),
    ]);
    for (const n of [...ins, outNode]) await waitForStatus(helper.getNode(n.id), isReady);
    return {
      busId: b.id,
      port,
      sender: helper.getNode(outNode.id),
      ins: ins.map((n) => helper.getNode(n.id)),
      sinks: sinks.map((s) => helper.getNode(s.id)),
      caught: withCatch ? helper.getNode(caught.id) : undefined,
    };
  }

  it('carries msg.topic as the channel and routes it through exact and wildcard filters', async () => {
    const { sender, sinks } = await loadBus({}, ['', 'sensors/kitchen/temp', 'sensors/+/temp', 'sensors/#', 'other']);
    const seen = sinks.map(collect);
    sender.receive({ topic: 'sensors/kitchen/temp', payload: 21.5 });
    sender.receive({ topic: 'sensors/hall/temp', payload: 19 });
    sender.receive({ topic: 'sensors/hall/humidity', payload: 40 });
    // Every in node of the bus gets each message as it comes, so a message a filter let through by mistake would be
    // there before the last one a filter lets through rightly.
    await until('every message each filter lets through', () => [3, 1, 2, 3].every((count, i) => seen[i].length >= count));
    const topics = seen.map((messages) => messages.map((m) => m.topic));
    assert.deepEqual(topics, [
      ['sensors/kitchen/temp', 'sensors/hall/temp', 'sensors/hall/humidity'],
      ['sensors/kitchen/temp'],
      ['sensors/kitchen/temp', 'sensors/hall/temp'],
      ['sensors/kitchen/temp', 'sensors/hall/temp', 'sensors/hall/humidity'],
      [],
    ]);
    assert.equal(seen[0][0].payload, 21.5);
  });

  it('gives each message its sender, sequence number and losses in msg.multicast', async () => {
    const { sender, sinks } = await loadBus({}, ['']);
    const seen = collect(sinks[0]);
    sender.receive({ topic: 'A', payload: 'one' });
    sender.receive({ topic: 'A', payload: 'two' });
    await until('two messages', () => seen.length === 2);
    assert.equal(seen[0].multicast.sender, `127.0.0.1:${seen[0].port}`);
    assert.deepEqual([seen[0].multicast.seq, seen[1].multicast.seq], [0, 1]);
    assert.deepEqual([seen[0].multicast.lost, seen[1].multicast.lost], [0, 0]);
  });

  it("uses the out node's own topic over msg.topic", async () => {
    const b = bus({ framing: 'lcm', port: nextPort() });
    const received = sink();
    const inNode = multicastIn(b.id, received.id);
    const outNode = multicastOut(b.id, { topic: 'FIXED' });
    await helper.load(ourNodes, [tab, b, inNode, outNode, received]);
    await waitForStatus(helper.getNode(inNode.id), isReady);
    await waitForStatus(helper.getNode(outNode.id), isReady);
    const arrived = nextMessage(helper.getNode(received.id));
    helper.getNode(outNode.id).receive({ topic: 'ignored', payload: 'x' });
    assert.equal((await arrived).topic, 'FIXED');
  });

  it('with Batch on, packs a burst of 500 messages into few datagrams, every one delivered in order; with Batch off, one datagram each', async () => {
    for (const batch of [true, false]) {
      const { busId, sender, sinks } = await loadBus({ batch, announce: false }, ['burst/#']);
      const seen = collect(sinks[0]);
      // As a function node that sends in a loop: 500 messages in one turn of the event loop.
      for (let n = 0; n < 500; n++) sender.receive({ topic: `burst/${n % 3}`, payload: n });
      await until(
        () => `500 messages (${seen.length})`,
        () => seen.length === 500,
      );
      assert.deepEqual(
        seen.map((m) => [m.topic, m.payload]),
        Array.from({ length: 500 }, (_, n) => [`burst/${n % 3}`, n]),
      );
      assert.ok(seen.every((m) => m.multicast.lost === 0));
      const stats = (await helper.request().get(`/multicast-bus/${busId}/stats`).expect(200)).body;
      if (batch) {
        assert.ok(stats.datagrams <= 25, `${stats.datagrams} datagrams for 500 messages`);
        assert.equal(stats.batches.messagesUnpacked, 500 - (stats.datagrams - stats.batches.batchesHeard));
      } else {
        assert.equal(stats.datagrams, 500);
        assert.equal(stats.batches.batchesHeard, 0);
      }
      await helper.unload();
    }
  });

  it('carries a 5 MB message intact in fragments of the bus datagram size', async function () {
    this.timeout(30000);
    const { sender, sinks } = await loadBus({}, ['big/#']);
    const payload = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += 4) payload.writeUInt32BE(i, i);
    const arrived = nextMessage(sinks[0], 20000);
    sender.receive({ topic: 'big/blob', payload });
    const msg = await arrived;
    assert.ok(Buffer.isBuffer(msg.payload));
    assert.equal(msg.payload.length, payload.length);
    assert.equal(sha(msg.payload), sha(payload));
  });

  it('reports topics LCM cannot carry and messages over the limit through a Catch node', async () => {
    const { sender, caught } = await loadBus({ maxMessage: 1000 }, [''], true);
    const errors = collect(caught!);
    sender.receive({ topic: 'nul\0inside', payload: 'NUL in the topic' });
    sender.receive({ topic: 'x'.repeat(64), payload: 'long topic' });
    sender.receive({ topic: 'fine', payload: Buffer.alloc(1001) });
    await until('three errors', () => errors.length === 3);
    assert.deepEqual(
      errors.map((m) => m.error.message),
      ['multicast-bus.problems.topic-nul', 'multicast-bus.problems.topic-too-long', 'multicast-bus.problems.message-too-large'],
    );
  });

  it('counts gaps as lost, shows them in the status, and drops duplicates and malformed datagrams', async function () {
    this.timeout(10000);
    // Presence off: the bus would count its own announcements among the datagrams it read.
    const { busId, port, ins, sinks } = await loadBus({ announce: false }, [''], false, wordedNodes);
    const seen = collect(sinks[0]);
    await sendRaw(port, [
      lc02(1, 'T', '"a"'),
      lc02(2, 'T', '"b"'),
      lc02(2, 'T', '"b again"'),
      lc02(5, 'T', '"e"'),
      Buffer.from('garbage!'),
      Buffer.from('LC0'),
    ]);
    await until('three messages', () => seen.length === 3);
    assert.deepEqual(
      seen.map((m) => [m.payload, m.multicast.seq, m.multicast.lost]),
      [
        ['a', 1, 0],
        ['b', 2, 0],
        ['e', 5, 2],
      ],
    );
    const status = await waitForStatus(ins[0], (s) => /lost 2/.test(s.text ?? ''), 5000);
    // The two malformed datagrams the bus refused: no multicast in dropped anything itself.
    assert.match(status.text!, new RegExp(`^239\\.255\\.76\\.67:${port} · [\\d.]+/s · lost 2 · rejected 2$`));

    const stats = (await helper.request().get(`/multicast-bus/${busId}/stats`).expect(200)).body;
    assert.equal(stats.framing, 'lcm');
    assert.equal(stats.datagrams, 6);
    assert.equal(stats.messages, 3);
    assert.deepEqual(stats.malformed, { short: 1, magic: 1, channel: 0, 'fragment-header': 0, batch: 0 });
    const [senderKey] = Object.keys(stats.senders);
    assert.match(senderKey, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(stats.senders[senderKey], { messages: 3, lost: 2, duplicates: 1, outOfOrder: 0, lastSeq: 5 });
    assert.equal(typeof stats.receiveBuffer, 'number');
    await helper.request().get('/multicast-bus/nope/stats').expect(404);
  });

  it('ignores LCM_SELF_TEST unless a filter names it', async () => {
    const { port, sinks } = await loadBus({}, ['', 'LCM_SELF_TEST']);
    const [all, selfTest] = sinks.map(collect);
    await sendRaw(port, [lc02(1, 'LCM_SELF_TEST', 'lcm self test'), lc02(2, 'REAL', '1')]);
    // The self test goes first: had the catch-all taken it, it would be there before the real message.
    await until('the real message, and the self test where it is named', () => all.length >= 1 && selfTest.length >= 1);
    assert.deepEqual(
      all.map((m) => m.topic),
      ['REAL'],
    );
    assert.deepEqual(
      selfTest.map((m) => m.topic),
      ['LCM_SELF_TEST'],
    );
  });

  it('asks for the receive buffer it was configured with, and warns once with the sysctl when it gets less', async () => {
    const { busId, ins } = await loadBus({ rcvbuf: 1024 * 1024 * 1024 }, ['']);
    const stats = (await helper.request().get(`/multicast-bus/${busId}/stats`).expect(200)).body;
    assert.ok(stats.receiveBuffer < 1024 * 1024 * 1024);
    const warnings = helper
      .log()
      .args.filter((call: any[]) => call[0].level === helper.log().WARN && call[0].type === 'multicast-bus')
      .map((call: any[]) => call[0].msg);
    assert.deepEqual(warnings, ['multicast-bus.problems.rcvbuf-small'], 'once, though two sides of the bus opened');
    assert.equal(currentStatus(ins[0])?.fill, 'green', 'a small buffer is a warning, not a failure');
  });

  it('shows a red status on a multicast-in whose filter is malformed, and takes any topic text on a raw bus', async () => {
    const b = bus({ framing: 'lcm', port: nextPort() });
    const raw = bus({ framing: 'raw', port: nextPort() });
    const inNode = multicastIn(b.id, 'nowhere', { topic: 'a/#/b' });
    const rawIn = multicastIn(raw.id, 'nowhere', { topic: 'a/#/b' });
    await helper.load(ourNodes, [tab, b, raw, inNode, rawIn]);
    assert.deepEqual(currentStatus(helper.getNode(inNode.id)), { fill: 'red', shape: 'ring', text: 'multicast-in.errors.filter-hash' });
    await waitForStatus(helper.getNode(rawIn.id), isReady);
  });
});
