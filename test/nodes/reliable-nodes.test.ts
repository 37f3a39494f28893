// Delivery and Retain as a flow meets them, in one Node-RED runtime (node-red-node-test-helper) on `lo`: retained
// values for a multicast in deployed later, repairs under loss made by nftables, and the error on a raw bus.
import assert from 'node:assert/strict';
import { bus, catcher, multicastIn, multicastOut, sink, tab } from '../support/flows';
import { catchNode, collect, helper, isReady, nextMessage, ourNodes, waitForStatus } from '../support/node-red';
import { wordedNodes } from './worded-nodes';
import { dropOnInput, dropped, hasNft, NO_NFT, stopDropping } from '../support/nft-loss';
import { nextPort } from '../support/ports';
import { requirePrivateNetwork, skipWithReason } from '../support/private-network';
import { until } from '../support/until';

describe('Delivery and Retain in a flow', function () {
  this.timeout(20000);
  beforeEach(function () {
    requirePrivateNetwork(this);
  });
  afterEach(async () => {
    stopDropping();
    await helper.unload();
  });

  it('a multicast in deployed later gets the last value of each retained topic with msg.retained, then live values', async () => {
    const b = bus({ framing: 'lcm', port: nextPort() });
    const out = multicastOut(b.id, { retain: true });
    const flow = [tab, b, out];
    await helper.load(ourNodes, flow);
    const sender = helper.getNode(out.id);
    await waitForStatus(sender, isReady);
    for (const value of [1, 2, 3]) {
      for (const topic of ['kitchen/temp', 'hall/temp', 'garage/door']) sender.receive({ topic, payload: `${topic}=${value}` });
    }
    // A value nobody retained: the topic must not come back when the listener starts.
    helper.getNode(out.id).receive({ topic: 'kitchen/temp', payload: 'kitchen/temp=3' });

    // Deploying only the new nodes keeps the bus and the sender as they are, as a user's "modified nodes" deploy does.
    const got = sink();
    const listener = multicastIn(b.id, got.id, { topic: '+/temp' });
    const deployedAt = Date.now();
    await helper.setFlows([...flow, listener, got], 'nodes');
    const seen = collect(helper.getNode(got.id));
    await until('both retained temperatures', () => (seen.filter((m) => m.retained).length >= 2 ? true : undefined), { ms: 3000 });
    const within = Date.now() - deployedAt;
    const retained = seen.filter((m) => m.retained === true);
    assert.deepEqual(
      retained.map((m) => m.payload).sort(),
      ['hall/temp=3', 'kitchen/temp=3'],
      'the last values, and garage/door is not matched by +/temp',
    );
    assert.ok(within < 2000, `retained values within 2 s of the deploy (took ${within} ms)`);

    sender.receive({ topic: 'hall/temp', payload: 'hall/temp=4' });
    const live = await until('the live value', () => seen.find((m) => m.payload === 'hall/temp=4'));
    assert.equal(live.retained, undefined, 'a live message has no msg.retained');
  });

  it('msg.retain retains one message on a node without Retain', async () => {
    const b = bus({ framing: 'lcm', port: nextPort() });
    const out = multicastOut(b.id, { delivery: 'reliable' });
    const flow = [tab, b, out];
    await helper.load(ourNodes, flow);
    const sender = helper.getNode(out.id);
    await waitForStatus(sender, isReady);
    sender.receive({ topic: 'mode', payload: 'auto', retain: true });
    sender.receive({ topic: 'alarm', payload: 'armed' });
    const got = sink();
    await helper.setFlows([...flow, multicastIn(b.id, got.id), got], 'nodes');
    const first = await nextMessage(helper.getNode(got.id), 3000);
    assert.deepEqual([first.topic, first.payload, first.retained], ['mode', 'auto', true]);
  });

  it('delivers every message of a reliable multicast out in order despite 10% loss, with msg.multicast.lost 0', async function () {
    if (!hasNft()) skipWithReason(this, NO_NFT);
    const port = nextPort();
    const b = bus({ framing: 'lcm', port });
    const got = sink();
    const listener = multicastIn(b.id, got.id, { datatype: 'utf8' });
    const out = multicastOut(b.id, { delivery: 'reliable', topic: 'commands' });
    await helper.load(ourNodes, [tab, b, out, listener, got]);
    for (const id of [out.id, listener.id]) await waitForStatus(helper.getNode(id), isReady);
    const seen = collect(helper.getNode(got.id));
    dropOnInput(port, 10);
    const sender = helper.getNode(out.id);
    const count = 1000;
    for (let i = 0; i < count; i++) {
      sender.receive({ payload: String(i) });
      // About 1,000 a second, as a busy flow sends: a burst of thousands in one go would starve the timers of this
      // one process that both sends and repairs.
      if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await until(
      () => `all ${count} messages (have ${seen.length})`,
      () => (seen.length >= count ? true : undefined),
      { ms: 10000 },
    );
    assert.ok(dropped() > 50, `the rule dropped datagrams (${dropped()})`);
    assert.deepEqual(
      seen.map((m) => Number(m.payload)),
      Array.from({ length: count }, (_, i) => i),
      'every message, once, in order',
    );
    assert.equal(
      seen.reduce((sum, m) => sum + m.multicast.lost, 0),
      0,
      'no message counted as lost',
    );
  });

  it('sends a message with msg.retain on a raw bus as it is (an mqtt in sets msg.retain): raw framing cannot retain', async () => {
    const b = bus({ framing: 'raw', port: nextPort() });
    const out = multicastOut(b.id);
    const got = sink();
    const caught = sink('caught');
    await helper.load([...wordedNodes, catchNode], [tab, b, out, multicastIn(b.id, got.id), got, caught, catcher(caught.id)]);
    await waitForStatus(helper.getNode(out.id), isReady);
    const errors = collect(helper.getNode(caught.id));
    helper.getNode(out.id).receive({ payload: 'from mqtt', retain: true });
    const msg = await nextMessage(helper.getNode(got.id));
    assert.equal(msg.payload, 'from mqtt');
    assert.deepEqual(errors, []);
  });

  it('a reliable multicast out on a raw bus reports why to a Catch node, with what to change', async () => {
    const b = bus({ framing: 'raw', port: nextPort() });
    const out = multicastOut(b.id, { delivery: 'reliable' });
    const caught = sink('caught');
    await helper.load([...wordedNodes, catchNode], [tab, b, out, caught, catcher(caught.id)]);
    await waitForStatus(helper.getNode(out.id), isReady);
    helper.getNode(out.id).receive({ payload: 'open the gate' });
    const msg = await nextMessage(helper.getNode(caught.id));
    assert.equal(msg.payload, 'open the gate', 'the message goes with the error');
    assert.match(msg.error.message, /reliable delivery and Retain need LCM framing — set Framing to LCM/);
  });
});
