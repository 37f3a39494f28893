import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { bus, catcher, multicastIn, multicastOut, sink, tab } from '../support/flows';
import { catchNode, collect, currentStatus, helper, injectNode, isReady, nextMessage, waitForStatus } from '../support/node-red';
import { nextPort } from '../support/ports';
import { requirePrivateNetwork } from '../support/private-network';
import { delay, until } from '../support/until';
import { wordedNodes } from './worded-nodes';

/** An inject node as dropped from the palette: msg.payload a timestamp, msg.topic empty. */
function paletteInject(wiredTo: string) {
  return {
    id: 'inject-from-palette',
    type: 'inject',
    z: tab.id,
    props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }],
    repeat: '',
    crontab: '',
    once: false,
    onceDelay: 0.1,
    topic: '',
    payload: '',
    payloadType: 'date',
    wires: [[wiredTo]],
  };
}

/** Sends LCM datagrams (LC02) to the group from a plain socket: a peer whose sequence numbers the test chooses. */
async function sendLcm(port: number, messages: [seq: number, topic: string, payload: string][]): Promise<void> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  socket.setMulticastInterface('127.0.0.1');
  socket.setMulticastTTL(0);
  for (const [seq, topic, payload] of messages) {
    const header = Buffer.alloc(8);
    header.writeUInt32BE(0x4c433032, 0);
    header.writeUInt32BE(seq, 4);
    const datagram = Buffer.concat([header, Buffer.from(`${topic}\0${payload}`)]);
    await new Promise<void>((resolve) => socket.send(datagram, port, '239.255.76.67', () => resolve()));
  }
  socket.close();
}

const statusText = (node: unknown) => currentStatus(node)?.text ?? '';

describe('what each node says in its status', function () {
  this.timeout(15000);
  beforeEach(function () {
    requirePrivateNetwork(this);
  });
  afterEach(() => helper.unload());

  it('an inject from the palette (no topic) → multicast out → a bus of defaults (LCM framing) → multicast in delivers on the topic "messages"', async () => {
    const b = bus({ framing: 'lcm', port: nextPort() });
    const received = sink('received');
    const caught = sink('caught');
    const outNode = multicastOut(b.id);
    const inNode = multicastIn(b.id, received.id);
    const inject = paletteInject(outNode.id);
    await helper.load([...wordedNodes, injectNode, catchNode], [tab, b, inject, outNode, inNode, received, caught, catcher(caught.id)]);
    await waitForStatus(helper.getNode(inNode.id), isReady);
    const errors = collect(helper.getNode(caught.id));
    const arrived = nextMessage(helper.getNode(received.id));
    helper.getNode(inject.id).receive({});
    const msg = await arrived;
    assert.equal(msg.topic, 'messages');
    assert.equal(typeof msg.payload, 'number', 'the timestamp');
    assert.deepEqual(errors, []);
    await waitForStatus(helper.getNode(outNode.id), (s) => s.fill === 'green' && / · sent [\d.]+\/s$/.test(s.text ?? ''));
  });

  it('shows on each multicast in the rate its own filter passes, and on the multicast out the rate it sent', async () => {
    const port = nextPort();
    const b = bus({ framing: 'lcm', port });
    const sinks = [sink('a'), sink('b')];
    const passing = multicastIn(b.id, sinks[0].id, { topic: 'sensors/#' });
    const filtering = multicastIn(b.id, sinks[1].id, { topic: 'other' });
    const outNode = multicastOut(b.id, { topic: 'sensors/hall' });
    await helper.load(wordedNodes, [tab, b, passing, filtering, outNode, ...sinks]);
    const [inA, inB, sender] = [passing, filtering, outNode].map((n) => helper.getNode(n.id));
    for (const node of [inA, inB, sender]) await waitForStatus(node, isReady);
    assert.equal(statusText(inB), `239.255.76.67:${port} · idle`, 'ready, before any message');
    assert.equal(statusText(sender), `239.255.76.67:${port} · idle`);

    // 20 messages a second, all through the first filter and none through the second, while the statuses refresh.
    const sending = setInterval(() => sender.receive({ payload: 'reading' }), 50);
    try {
      const a = await waitForStatus(inA, (s) => /· [\d.]+\/s$/.test(s.text ?? ''));
      assert.match(a.text!, new RegExp(`^239\\.255\\.76\\.67:${port} · [\\d.]+/s$`));
      const rate = Number(/· ([\d.]+)\/s$/.exec(a.text!)![1]);
      assert.ok(rate > 2 && rate <= 25, `about 20/s, not ${rate}/s`);
      const out = await waitForStatus(sender, (s) => / · sent [\d.]+\/s$/.test(s.text ?? ''));
      assert.match(out.text!, new RegExp(`^239\\.255\\.76\\.67:${port} · sent [\\d.]+/s$`));
      // A status refreshes every 2 s: past one more refresh, the filter that passed nothing still says so.
      await delay(2500);
      assert.equal(statusText(inB), `239.255.76.67:${port} · idle`);
      assert.match(statusText(inA), /· [\d.]+\/s$/);
    } finally {
      clearInterval(sending);
    }
  });

  it('counts on each multicast in the losses before the messages it passes, and what it dropped itself', async () => {
    const port = nextPort();
    const b = bus({ framing: 'lcm', port });
    const sinks = [sink('all'), sink('a'), sink('b')];
    const ins = [
      multicastIn(b.id, sinks[0].id),
      multicastIn(b.id, sinks[1].id, { topic: 'A' }),
      multicastIn(b.id, sinks[2].id, { topic: 'B', datatype: 'json' }),
    ];
    await helper.load(wordedNodes, [tab, b, ...ins, ...sinks]);
    const nodes = ins.map((n) => helper.getNode(n.id));
    for (const node of nodes) await waitForStatus(node, isReady);
    const seen = sinks.map((s) => collect(helper.getNode(s.id)));
    // Two messages go missing before the one on B, none before those on A; the one on B is not JSON.
    await sendLcm(port, [
      [1, 'A', '1'],
      [4, 'B', 'not json'],
      [5, 'A', '5'],
    ]);
    await until('the messages on A', () => seen[0].length === 3 && seen[1].length === 2);
    const label = `239.255.76.67:${port}`;
    const rated = (suffix: string) => new RegExp(`^${label.replace(/\./g, '\\.')} · [\\d.]+/s${suffix}$`);
    await waitForStatus(nodes[0], (s) => rated(' · lost 2').test(s.text ?? ''));
    await waitForStatus(nodes[1], (s) => rated('').test(s.text ?? ''));
    await waitForStatus(nodes[2], (s) => s.text === `${label} · idle · lost 2 · dropped 1`);
    assert.equal(seen[2].length, 0);
  });

  it('turns a multicast out red with the reason when a send fails, keeps it red, and green again after a good send', async () => {
    const port = nextPort();
    const b = bus({ port });
    const caught = sink('caught');
    const outNode = multicastOut(b.id);
    await helper.load([...wordedNodes, catchNode], [tab, b, outNode, caught, catcher(caught.id)]);
    const sender = helper.getNode(outNode.id);
    await waitForStatus(sender, isReady);
    const errors = collect(helper.getNode(caught.id));

    sender.receive({ payload: () => 'a function' });
    await until('the error at the Catch node', () => errors.length === 1);
    assert.equal(errors[0].error.message, 'cannot send a function payload — convert it to a string, Buffer or JSON value');
    assert.deepEqual(currentStatus(sender), { fill: 'red', shape: 'ring', text: 'cannot send a function payload' });

    sender.receive({ payload: Buffer.alloc(65_508) });
    await until('the second error', () => errors.length === 2);
    assert.equal(
      errors[1].error.message,
      'message too large: 65508 bytes — one IPv4 datagram holds at most 65507 bytes: send smaller messages, or use LCM framing (on every host), which splits them',
    );
    assert.deepEqual(currentStatus(sender), { fill: 'red', shape: 'ring', text: 'message too large: 65508 bytes' });
    // The traffic refreshes every 2 s; the failure stays until a send succeeds.
    await delay(2500);
    assert.equal(currentStatus(sender)?.fill, 'red');

    sender.receive({ payload: 'fine' });
    const green = await waitForStatus(sender, isReady);
    assert.match(green.text!, new RegExp(`^239\\.255\\.76\\.67:${port} · sent [\\d.]+/s$`));
    assert.equal(errors.length, 2);
  });

  it('names the first of several bad bus settings and how many more on every node, and all of them in the log and in a failed send', async () => {
    const broken = bus({ group: '192.168.1.1', port: 70000, ttl: 300 });
    const caught = sink('caught');
    const inNode = multicastIn(broken.id, 'nowhere');
    const outNode = multicastOut(broken.id);
    await helper.load([...wordedNodes, catchNode], [tab, broken, inNode, outNode, caught, catcher(caught.id)]);
    const expected = { fill: 'red', shape: 'ring', text: '192.168.1.1 is not a multicast group (+2 more)' };
    assert.deepEqual(currentStatus(helper.getNode(inNode.id)), expected);
    assert.deepEqual(currentStatus(helper.getNode(outNode.id)), expected);

    const briefs = [
      /192\.168\.1\.1 is not a multicast group — use 224\.0\.0\.0/,
      /port 70000 is out of range — use /,
      /TTL 300 is out of range — use /,
    ];
    const logged = helper
      .log()
      .args.filter((call: any[]) => call[0].level === helper.log().ERROR && call[0].type === 'multicast-bus')
      .map((call: any[]) => String(call[0].msg));
    assert.equal(logged.length, 1, JSON.stringify(logged));
    assert.equal(logged[0].split('; ').length, 3, logged[0]);
    for (const brief of briefs) assert.match(logged[0], brief);

    const error = nextMessage(helper.getNode(caught.id));
    helper.getNode(outNode.id).receive({ payload: 'into a broken bus' });
    const message: string = (await error).error.message;
    assert.equal(message, logged[0]);
    assert.deepEqual(currentStatus(helper.getNode(outNode.id)), expected, 'still the first problem and how many more');
  });
});
