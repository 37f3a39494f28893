import assert from 'node:assert/strict';
import { bus, catcher, multicastIn, multicastOut, sink, tab } from '../support/flows';
import { catchNode, collect, helper, isReady, nextMessage, ourNodes, waitForStatus } from '../support/node-red';
import { nextPort } from '../support/ports';
import { addVethPair, requirePrivateNetwork } from '../support/private-network';
import { delay, until } from '../support/until';
import { wordedNodes } from './worded-nodes';

describe('multicast-out to multicast-in on one host', function () {
  beforeEach(function () {
    requirePrivateNetwork(this);
  });
  afterEach(() => helper.unload());

  async function loadPair(busFields: Record<string, unknown>, inFields: Record<string, unknown> = {}, nodes = ourNodes) {
    const b = bus(busFields);
    const out = sink();
    const inNode = multicastIn(b.id, out.id, inFields);
    const outNode = multicastOut(b.id);
    await helper.load(nodes, [tab, b, inNode, outNode, out]);
    const sender = helper.getNode(outNode.id);
    await waitForStatus(helper.getNode(inNode.id), isReady);
    await waitForStatus(sender, isReady);
    return { sender, receiver: helper.getNode(out.id), inNode: helper.getNode(inNode.id) };
  }

  it('delivers a JSON object with the sender, topic and group', async () => {
    const port = nextPort();
    const { sender, receiver } = await loadPair({ port }, { topic: 'sensors/kitchen' });
    const arrived = nextMessage(receiver);
    sender.receive({ payload: { celsius: 21.5 } });
    const msg = await arrived;
    assert.deepEqual(msg.payload, { celsius: 21.5 });
    assert.equal(msg.topic, 'sensors/kitchen');
    assert.equal(msg.ip, '127.0.0.1');
    assert.equal(typeof msg.port, 'number');
    assert.notEqual(msg.port, port, 'the send socket has a port of its own');
    assert.equal(msg.group, '239.255.76.67');
  });

  const datatypeCases: [string, unknown, unknown][] = [
    ['auto', 'plain text', 'plain text'],
    ['auto', Buffer.from([0xff, 0x00, 0x80]), Buffer.from([0xff, 0x00, 0x80])],
    ['utf8', { a: 1 }, '{"a":1}'],
    ['buffer', 'abc', Buffer.from('abc')],
    ['json', [1, 2, 3], [1, 2, 3]],
    ['base64', Buffer.from([0xde, 0xad, 0xbe, 0xef]), '3q2+7w=='],
  ];
  for (const [datatype, sent, expected] of datatypeCases) {
    it(`gives datatype ${datatype} the payload ${JSON.stringify(expected)}`, async () => {
      const { sender, receiver } = await loadPair({ port: nextPort() }, { datatype });
      const arrived = nextMessage(receiver);
      sender.receive({ payload: sent });
      assert.deepEqual((await arrived).payload, expected);
    });
  }

  it('reports bytes that are not JSON to a Catch node when the datatype is json, with the raw bytes', async () => {
    const b = bus({ port: nextPort() });
    const caught = sink('caught');
    const outNode = multicastOut(b.id);
    const inNode = multicastIn(b.id, 'nowhere', { datatype: 'json' });
    await helper.load([...ourNodes, catchNode], [tab, b, inNode, outNode, caught, catcher(caught.id)]);
    await waitForStatus(helper.getNode(inNode.id), isReady);
    await waitForStatus(helper.getNode(outNode.id), isReady);
    const arrived = nextMessage(helper.getNode(caught.id));
    helper.getNode(outNode.id).receive({ payload: 'not json' });
    const msg = await arrived;
    assert.equal(msg.error.message, 'multicast-in.errors.not-json');
    assert.deepEqual(msg.payload, Buffer.from('not json'));
  });

  it('feeds every multicast-in on the bus from one socket', async () => {
    const b = bus({ port: nextPort() });
    const sinks = [sink(), sink(), sink()];
    const ins = sinks.map((s) => multicastIn(b.id, s.id));
    const outNode = multicastOut(b.id);
    await helper.load(ourNodes, [tab, b, outNode, ...ins, ...sinks]);
    for (const n of ins) await waitForStatus(helper.getNode(n.id), isReady);
    await waitForStatus(helper.getNode(outNode.id), isReady);
    const arrivals = sinks.map((s) => nextMessage(helper.getNode(s.id)));
    helper.getNode(outNode.id).receive({ payload: 'to all' });
    for (const msg of await Promise.all(arrivals)) assert.equal(msg.payload, 'to all');
  });

  it('keeps two buses on one port with different groups apart', async () => {
    const port = nextPort();
    const a = bus({ port, group: '239.1.1.1' });
    const b = bus({ port, group: '239.1.1.2' });
    const sinkA = sink('a');
    const sinkB = sink('b');
    const inA = multicastIn(a.id, sinkA.id);
    const inB = multicastIn(b.id, sinkB.id);
    const outA = multicastOut(a.id);
    const outB = multicastOut(b.id);
    await helper.load(ourNodes, [tab, a, b, inA, inB, outA, outB, sinkA, sinkB]);
    for (const n of [inA, inB, outA, outB]) await waitForStatus(helper.getNode(n.id), isReady);
    const seenA = collect(helper.getNode(sinkA.id));
    const seenB = collect(helper.getNode(sinkB.id));
    helper.getNode(outA.id).receive({ payload: 'for A' });
    helper.getNode(outB.id).receive({ payload: 'for B' });
    helper.getNode(outA.id).receive({ payload: 'for A again' });
    await until('both buses to deliver their own', () => seenA.length >= 2 && seenB.length >= 1);
    // A message that crossed to the other bus would come with its own, sent at the same time: give it that long.
    await delay(100);
    assert.deepEqual(
      seenA.map((m) => m.payload),
      ['for A', 'for A again'],
    );
    assert.deepEqual(
      seenB.map((m) => m.payload),
      ['for B'],
    );
  });

  describe('loopback, on an interface that does not loop by itself', () => {
    let removeVeth: () => void;
    beforeEach(function () {
      requirePrivateNetwork(this);
      removeVeth = addVethPair('mcbloop0', '198.51.100.1/24');
    });
    afterEach(() => removeVeth?.());

    it('off: flows on the sending host do not hear it', async () => {
      const { sender, receiver } = await loadPair({ port: nextPort(), iface: 'mcbloop0', loopback: false });
      const seen = collect(receiver);
      sender.receive({ payload: 'unheard' });
      // Proving that nothing arrives: with loopback on, it arrives within a few ms (the next test).
      await delay(300);
      assert.deepEqual(seen, []);
    });

    it('on: flows on the sending host hear it', async () => {
      const { sender, receiver } = await loadPair({ port: nextPort(), iface: 'mcbloop0', loopback: true });
      const arrived = nextMessage(receiver);
      sender.receive({ payload: 'heard' });
      const msg = await arrived;
      assert.equal(msg.payload, 'heard');
      assert.equal(msg.ip, '198.51.100.1');
    });
  });

  it('shows the group and port in a green status when ready, idle until a message passes', async () => {
    const port = nextPort();
    const { sender, inNode } = await loadPair({ port }, {}, wordedNodes);
    assert.deepEqual(await waitForStatus(inNode, isReady), { fill: 'green', shape: 'dot', text: `239.255.76.67:${port} · idle` });
    assert.equal((await waitForStatus(sender, isReady)).text, `239.255.76.67:${port} · idle`);
  });
});
