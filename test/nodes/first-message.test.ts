import assert from 'node:assert/strict';
import { bus, catcher, multicastIn, multicastOut, sink, tab } from '../support/flows';
import { catchNode, collect, helper, injectNode, isReady, ourNodes, waitForStatus } from '../support/node-red';
import { requireCapture, startCapture } from '../support/packet-capture';
import { nextPort } from '../support/ports';
import { addVethPair, ip, requirePrivateNetwork } from '../support/private-network';
import { until } from '../support/until';

describe("a flow's first message", function () {
  beforeEach(function () {
    requirePrivateNetwork(this);
  });
  afterEach(() => helper.unload());

  it('is delivered when an inject fires 10 ms after each of 30 deploys of a sealed bus keyed by a passphrase (scrypt takes ~70 ms here)', async function () {
    this.timeout(120000);
    const passphrase = 'correct horse battery staple';
    // Two config nodes for one bus: the listener's stays deployed, the sender's is redeployed every time, so each
    // deploy opens the sending side afresh while the scrypt derivation of its passphrase is still running.
    const port = nextPort();
    const listening = bus({ port, security: 'sealed' });
    const sending = bus({ port, security: 'sealed' });
    const received = sink();
    const inNode = multicastIn(listening.id, received.id);
    const outNode = multicastOut(sending.id, { topic: 'first' });
    const inject = (n: number) => ({
      id: 'inject1',
      type: 'inject',
      z: tab.id,
      once: true,
      onceDelay: 0.01,
      repeat: '',
      topic: '',
      payload: String(n),
      payloadType: 'num',
      props: [{ p: 'payload' }],
      wires: [[outNode.id]],
    });
    const credentials = { [listening.id]: { key: passphrase }, [sending.id]: { key: passphrase } };
    const flow = (n: number) => [tab, listening, { ...sending, name: `deploy ${n}` }, inNode, outNode, received, inject(n)];

    await helper.load([...ourNodes, injectNode], flow(0), credentials);
    await waitForStatus(helper.getNode(inNode.id), isReady);
    const seen = collect(helper.getNode(received.id));
    for (let n = 1; n <= 30; n++) {
      await helper.setFlows(flow(n), 'nodes', credentials);
      await until(`the message of deploy ${n}`, () => seen.some((msg) => msg.payload === n), 5000);
    }
    const payloads = seen.map((msg) => msg.payload).filter((p) => p !== 0);
    assert.deepEqual(
      payloads,
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
  });

  it('is held while its interface is down and goes out on the wire once the link comes up, with no error', async function () {
    requireCapture(this);
    this.timeout(20000);
    const port = nextPort();
    const b = bus({ port, iface: 'mcbq0', framing: 'lcm' });
    const caught = sink('caught');
    const outNode = multicastOut(b.id, { topic: 'held' });
    const remove = addVethPair('mcbq0', '198.51.100.7/24');
    try {
      ip('link', 'set', 'mcbq0', 'down');
      await helper.load([...ourNodes, catchNode], [tab, b, outNode, caught, catcher(caught.id)]);
      const sender = helper.getNode(outNode.id);
      // Where sysfs belongs to another namespace the bus cannot tell down from missing; either way it waits.
      await waitForStatus(sender, (s) => s.fill === 'yellow' && /iface-(down|missing)/.test(s.text ?? ''));
      const errors = collect(helper.getNode(caught.id));
      sender.receive({ payload: 'sent while down' });
      const capture = await startCapture('mcbq0p', `udp and dst port ${port}`, 1, 10000);
      ip('link', 'set', 'mcbq0', 'up');
      const packets = await capture.packets;
      assert.match(packets, new RegExp(`198\\.51\\.100\\.7\\.\\d+ > 239\\.255\\.76\\.67\\.${port}`));
      await waitForStatus(sender, isReady);
      assert.deepEqual(errors, []);
    } finally {
      remove();
    }
  });
});
