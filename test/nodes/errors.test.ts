import assert from 'node:assert/strict';
import { bus, catcher, multicastIn, multicastOut, sink, tab } from '../support/flows';
import { catchNode, currentStatus, helper, isReady, nextMessage, ourNodes, waitForStatus } from '../support/node-red';
import { nextPort } from '../support/ports';
import { addVethPair, requirePrivateNetwork } from '../support/private-network';
import { wordedNodes } from './worded-nodes';

describe('errors a user can cause', function () {
  beforeEach(function () {
    requirePrivateNetwork(this);
  });
  afterEach(() => helper.unload());

  /** An out node on the bus, with a Catch node feeding a sink; returns the out node and the sink. */
  async function outWithCatch(busFields: Record<string, unknown>) {
    const b = bus(busFields);
    const caught = sink('caught');
    const outNode = multicastOut(b.id);
    await helper.load([...ourNodes, catchNode], [tab, b, outNode, caught, catcher(caught.id)]);
    return { sender: helper.getNode(outNode.id), caught: helper.getNode(caught.id) };
  }

  it('sends the largest IPv4 datagram, 65,507 bytes, and refuses one byte more through a Catch node', async () => {
    const b = bus({ port: nextPort() });
    const caught = sink('caught');
    const received = sink('received');
    const outNode = multicastOut(b.id);
    const inNode = multicastIn(b.id, received.id, { datatype: 'buffer' });
    await helper.load([...ourNodes, catchNode], [tab, b, outNode, inNode, caught, received, catcher(caught.id)]);
    const sender = helper.getNode(outNode.id);
    await waitForStatus(sender, isReady);
    await waitForStatus(helper.getNode(inNode.id), isReady);

    const arrived = nextMessage(helper.getNode(received.id));
    sender.receive({ payload: Buffer.alloc(65_507, 7) });
    assert.equal((await arrived).payload.length, 65_507);

    const error = nextMessage(helper.getNode(caught.id));
    sender.receive({ payload: Buffer.alloc(65_508, 7), marker: 'too big' });
    const msg = await error;
    assert.equal(msg.error.message, 'multicast-bus.problems.too-large');
    assert.equal(msg.marker, 'too big', 'the Catch node gets the message that failed');
  });

  it('refuses a message without a payload through a Catch node', async () => {
    const { sender, caught } = await outWithCatch({ port: nextPort() });
    await waitForStatus(sender, isReady);
    const error = nextMessage(caught);
    sender.receive({ topic: 'no payload' });
    assert.equal((await error).error.message, 'multicast-bus.problems.payload-missing');
  });

  it('shows a red status on every node of a misconfigured bus, the first problem and how many more, and other buses keep working', async () => {
    const broken = bus({ group: '192.0.2.1', port: 99999 });
    const good = bus({ port: nextPort() });
    const brokenIn = multicastIn(broken.id, 'nowhere');
    const brokenOut = multicastOut(broken.id);
    const received = sink();
    const goodIn = multicastIn(good.id, received.id);
    const goodOut = multicastOut(good.id);
    await helper.load(wordedNodes, [tab, broken, good, brokenIn, brokenOut, goodIn, goodOut, received]);

    for (const id of [brokenIn.id, brokenOut.id]) {
      assert.deepEqual(currentStatus(helper.getNode(id)), { fill: 'red', shape: 'ring', text: '192.0.2.1 is not a multicast group (+1 more)' });
    }
    const logged = helper
      .log()
      .args.filter((call: any[]) => call[0].level === helper.log().ERROR)
      .map((call: any[]) => call[0].msg);
    assert.ok(
      logged.some((text: string) => /^192\.0\.2\.1 is not a multicast group — .*; port 99999 is out of range — .*$/.test(text)),
      JSON.stringify(logged),
    );

    await waitForStatus(helper.getNode(goodIn.id), isReady);
    await waitForStatus(helper.getNode(goodOut.id), isReady);
    const arrived = nextMessage(helper.getNode(received.id));
    helper.getNode(goodOut.id).receive({ payload: 'still here' });
    assert.equal((await arrived).payload, 'still here');
  });

  it('checks the previous key of a sealed bus like the key, and says how to fix it', async () => {
    const sealed = bus({ port: nextPort(), framing: 'lcm', security: 'sealed' });
    const inNode = multicastIn(sealed.id, 'nowhere');
    await helper.load(ourNodes, [tab, sealed, inNode], { [sealed.id]: { key: 'a long enough passphrase', previousKey: ' short ' } });
    assert.deepEqual(currentStatus(helper.getNode(inNode.id)), { fill: 'red', shape: 'ring', text: 'multicast-bus.problems.previous-key-too-short' });
  });

  it('shows a red status on a node that has no bus', async () => {
    const lonely = multicastIn('', 'nowhere');
    await helper.load(ourNodes, [tab, lonely]);
    assert.deepEqual(currentStatus(helper.getNode(lonely.id)), { fill: 'red', shape: 'ring', text: 'multicast-in.errors.no-bus' });
  });

  describe('an interface that appears after deploy', () => {
    let removeVeth: (() => void) | undefined;
    afterEach(() => removeVeth?.());

    it('waits for it, then joins and delivers without a redeploy', async function () {
      this.timeout(15000);
      const b = bus({ port: nextPort(), iface: 'mcblate0' });
      const received = sink();
      const inNode = multicastIn(b.id, received.id);
      const outNode = multicastOut(b.id);
      await helper.load(ourNodes, [tab, b, inNode, outNode, received]);
      const waiting = await waitForStatus(helper.getNode(inNode.id), (s) => s.text === 'multicast-bus.problems.iface-missing');
      assert.equal(waiting.fill, 'yellow');

      removeVeth = addVethPair('mcblate0', '198.51.100.20/24');
      await waitForStatus(helper.getNode(inNode.id), isReady, 8000);
      await waitForStatus(helper.getNode(outNode.id), isReady, 8000);
      const arrived = nextMessage(helper.getNode(received.id));
      helper.getNode(outNode.id).receive({ payload: 'late but here' });
      const msg = await arrived;
      assert.equal(msg.payload, 'late but here');
      assert.equal(msg.ip, '198.51.100.20');
    });
  });
});
