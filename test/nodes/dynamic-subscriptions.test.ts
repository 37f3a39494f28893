// A multicast in whose subscriptions are set at runtime by msg.action, as the core mqtt in takes them: in one Node-RED
// runtime (node-red-node-test-helper) on `lo`, with the group membership read from the kernel.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { bus, catcher, multicastIn, multicastOut, sink, tab } from '../support/flows';
import { catchNode, collect, currentStatus, helper, isReady, nextMessage, waitForStatus } from '../support/node-red';
import { nextPort } from '../support/ports';
import { requirePrivateNetwork } from '../support/private-network';
import { delay, until } from '../support/until';
import { wordedNodes } from './worded-nodes';

const GROUP = '239.255.76.67';

/** Whether this namespace's `lo` is a member of GROUP (the kernel's IGMP table lists groups in hex, byte-reversed). */
function joined(): boolean {
  const hex = GROUP.split('.')
    .map((part) => Number(part).toString(16).padStart(2, '0').toUpperCase())
    .reverse()
    .join('');
  const table = readFileSync('/proc/net/igmp', 'utf8');
  const lo = table.split(/\n(?=\d)/).find((block) => /\blo\b/.test(block.split('\n')[0])) ?? '';
  return lo.includes(hex);
}

describe('dynamic subscriptions of a multicast in (msg.action)', function () {
  this.timeout(15000);
  beforeEach(function () {
    requirePrivateNetwork(this);
  });
  afterEach(() => helper.unload());

  async function load() {
    const b = bus({ framing: 'lcm', port: nextPort() });
    const got = sink();
    const caught = sink('caught');
    const listener = { ...multicastIn(b.id, got.id, { dynamic: true }) };
    const out = multicastOut(b.id);
    await helper.load([...wordedNodes, catchNode], [tab, b, listener, out, got, caught, catcher(caught.id)]);
    await waitForStatus(helper.getNode(out.id), isReady);
    const node = helper.getNode(listener.id);
    const sender = helper.getNode(out.id);
    const seen = collect(helper.getNode(got.id));
    const errors = collect(helper.getNode(caught.id));
    /** Sends one message on each topic, then a marker on the last, and waits for what the node lets through up to it. */
    const sendEach = async (topics: string[]) => {
      seen.length = 0;
      for (const topic of topics) sender.receive({ topic, payload: topic });
      await delay(300);
      return seen.filter((msg) => msg.multicast).map((msg) => msg.topic);
    };
    return { node, sender, sink: helper.getNode(got.id), seen, errors, sendEach };
  }

  it('starts with no subscription and not joined; subscribe a/# passes only a/…; b/1 added; getSubscriptions lists both; unsubscribe all leaves the group', async () => {
    const { node, seen, sendEach } = await load();
    await until('the grey ring', () => currentStatus(node)?.text === 'no subscriptions' && currentStatus(node)?.fill === 'grey');
    assert.equal(joined(), false, 'no subscription: the bus has not joined');

    node.receive({ action: 'subscribe', topic: 'a/#' });
    await waitForStatus(node, isReady);
    assert.equal(joined(), true, 'subscribed: the bus joined the group');
    assert.deepEqual(await sendEach(['a/1', 'b/1', 'a/x/y', 'c']), ['a/1', 'a/x/y']);

    node.receive({ action: 'subscribe', topic: ['b/1', 'a/#'] });
    assert.deepEqual(await sendEach(['a/1', 'b/1', 'b/2']), ['a/1', 'b/1']);

    seen.length = 0;
    node.receive({ action: 'getSubscriptions', topic: 'whatever' });
    const listed = await until('the list', () => seen.find((msg) => Array.isArray(msg.payload)));
    assert.deepEqual(listed.payload, ['a/#', 'b/1']);

    node.receive({ action: 'unsubscribe', topic: 'a/#' });
    assert.deepEqual(await sendEach(['a/1', 'b/1']), ['b/1']);

    node.receive({ action: 'unsubscribe', topic: true });
    await until('the grey ring again', () => currentStatus(node)?.text === 'no subscriptions');
    await until('the bus to leave the group', () => !joined());
    assert.deepEqual(await sendEach(['a/1', 'b/1']), []);
  });

  it('reports a wrong action or filter to a Catch node, with what to do, and keeps its subscriptions', async () => {
    const { node, errors, sendEach } = await load();
    node.receive({ action: 'subscribe', topic: 'a/#' });
    await waitForStatus(node, isReady);
    node.receive({ action: 'subscribe', topic: 'a/#/b' });
    node.receive({ action: 'subscribe' });
    node.receive({ action: 'listen', topic: 'a/#' });
    await until('three errors', () => (errors.length >= 3 ? true : undefined));
    assert.match(errors[0].error.message, /"a\/#\/b" has # somewhere other than alone at the end — write e\.g\. sensors\/#/);
    assert.match(errors[1].error.message, /no topic filter to subscribe — set msg\.topic to a filter/);
    assert.match(errors[2].error.message, /msg\.action "listen" is not an action of this node — use subscribe, unsubscribe or getSubscriptions/);
    assert.deepEqual(await sendEach(['a/1']), ['a/1'], 'the subscription before the errors still holds');
  });

  it('gives a filter subscribed later the retained values it matches, with msg.retained', async () => {
    const { node, sender, sink: got } = await load();
    // A retained value, sent before anything subscribed.
    sender.receive({ topic: 'room/1', payload: '21.5', retain: true });
    await delay(200);
    node.receive({ action: 'subscribe', topic: 'room/+' });
    const value = await nextMessage(got, 3000);
    assert.deepEqual([value.topic, value.payload, value.retained], ['room/1', 21.5, true]);
  });
});
