// Presence as a flow meets it, in one Node-RED runtime (node-red-node-test-helper) on `lo`, where a bus hears its own
// announcements: online and offline events on `$bus/presence`, kept from catch-all filters; the directory route; and
// the topic a flow may not publish on.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { bus, catcher, multicastIn, multicastOut, sink, tab } from '../support/flows';
import { catchNode, collect, helper, isReady, nextMessage, waitForStatus } from '../support/node-red';
import { nextPort } from '../support/ports';
import { requirePrivateNetwork } from '../support/private-network';
import { delay, until } from '../support/until';
import { wordedNodes } from './worded-nodes';

describe('presence and the directory in a flow', function () {
  this.timeout(15000);
  beforeEach(function () {
    requirePrivateNetwork(this);
  });
  afterEach(() => helper.unload());

  it('a multicast in on $bus/presence gets online when a multicast out starts and offline (goodbye) within 2 s of its removal; # sees neither', async () => {
    const b = { ...bus({ framing: 'lcm', port: nextPort() }), name: 'plant bus' };
    const presence = sink('presence');
    const everything = sink('everything');
    const presenceIn = multicastIn(b.id, presence.id, { topic: '$bus/presence' });
    const allIn = multicastIn(b.id, everything.id, { topic: '#' });
    const plusIn = multicastIn(b.id, everything.id, { topic: '+/presence' });
    const listeners = [tab, b, presenceIn, allIn, plusIn, presence, everything];
    await helper.load(wordedNodes, listeners);
    await waitForStatus(helper.getNode(presenceIn.id), isReady);
    const events = collect(helper.getNode(presence.id));
    const all = collect(helper.getNode(everything.id));

    const out = multicastOut(b.id, { topic: 'line/1/speed' });
    await helper.setFlows([...listeners, out], 'nodes');
    await waitForStatus(helper.getNode(out.id), isReady);
    const online = await until('the online event', () => events.find((m) => m.payload.event === 'online'));
    assert.equal(online.topic, '$bus/presence');
    assert.equal(online.payload.host, hostname());
    assert.match(online.payload.instance, /^Node-RED :\d+$/);
    assert.equal(online.payload.bus, 'plant bus');
    assert.equal(online.payload.address, online.ip);

    helper.getNode(out.id).receive({ payload: 42 });
    await until('the data on #', () => all.find((m) => m.topic === 'line/1/speed'));
    const removedAt = Date.now();
    await helper.setFlows(listeners, 'nodes');
    const offline = await until('the offline event', () => events.find((m) => m.payload.event === 'offline'), { ms: 2000 });
    assert.ok(Date.now() - removedAt < 2000, `offline within 2 s (${Date.now() - removedAt} ms)`);
    assert.equal(offline.payload.reason, 'goodbye');
    await delay(200);
    assert.deepEqual(
      all.map((m) => m.topic),
      ['line/1/speed'],
      'catch-all filters (# and +/presence) see no presence events',
    );
  });

  it('GET /multicast-bus/<id>/directory lists the publisher with its host, topics and rates', async () => {
    const b = bus({ framing: 'lcm', port: nextPort() });
    const out = multicastOut(b.id);
    const got = sink();
    const listener = multicastIn(b.id, got.id, { topic: '#' });
    await helper.load(wordedNodes, [tab, b, out, listener, got]);
    await waitForStatus(helper.getNode(out.id), isReady);
    await waitForStatus(helper.getNode(listener.id), isReady);
    const seen = collect(helper.getNode(got.id));
    for (let i = 0; i < 20; i++) {
      helper.getNode(out.id).receive({ topic: i % 2 ? 'room/1/temp' : 'room/2/temp', payload: 20 + i });
      await delay(20);
    }
    await until('the 20 messages', () => (seen.length >= 20 ? true : undefined));
    // The name comes with an announcement: the first may have gone out before the listener joined, and the next one
    // comes about a second after the first message on a new topic.
    const directory = await until(
      'the publisher named in the directory',
      async () => {
        const { body } = await helper.request().get(`/multicast-bus/${b.id}/directory`).expect(200);
        return body.senders[0]?.host ? body : undefined;
      },
      { ms: 3000 },
    );
    assert.equal(directory.presence, true);
    assert.equal(directory.senders.length, 1, JSON.stringify(directory.senders));
    const [publisher] = directory.senders;
    assert.equal(publisher.host, hostname());
    assert.equal(publisher.online, true);
    assert.equal(publisher.messages, 20);
    assert.deepEqual(
      publisher.topics.map((t: { topic: string }) => t.topic),
      ['room/1/temp', 'room/2/temp'],
    );
    for (const topic of publisher.topics) {
      assert.equal(topic.messages, 10);
      assert.ok(topic.rate > 0 && topic.bytesPerSecond > 0, JSON.stringify(topic));
    }
    const { presence } = (await helper.request().get(`/multicast-bus/${b.id}/stats`).expect(200)).body;
    assert.ok(presence.announced >= 1 && presence.heard >= 1, JSON.stringify(presence));
    assert.deepEqual([presence.failed, presence.malformed, presence.senders], [0, 0, 1]);
    await helper.request().get('/multicast-bus/no-such-bus/directory').expect(404);
  });

  it('a publisher announces a new topic about a second after its first message, not at the next 5 s period', async () => {
    const b = bus({ framing: 'lcm', port: nextPort() });
    const out = multicastOut(b.id);
    const got = sink();
    const listener = multicastIn(b.id, got.id);
    await helper.load(wordedNodes, [tab, b, out, listener, got]);
    await waitForStatus(helper.getNode(out.id), isReady);
    await waitForStatus(helper.getNode(listener.id), isReady);
    const announced = async () =>
      ((await helper.request().get(`/multicast-bus/${b.id}/directory`).expect(200)).body.senders[0]?.announcedTopics ?? []).map(
        (t: { topic: string }) => t.topic,
      );
    assert.deepEqual(await announced(), [], 'opened with nothing published yet');
    const sentAt = Date.now();
    helper.getNode(out.id).receive({ topic: 'room/9', payload: 1 });
    await until('room/9 announced', async () => ((await announced()).includes('room/9') ? true : undefined), { ms: 1500, every: 50 });
    console.log(`      (announced ${Date.now() - sentAt} ms after its first message)`);
  });

  it('the last payload of a topic, once asked for, comes with the directory', async () => {
    const b = bus({ framing: 'lcm', port: nextPort() });
    const out = multicastOut(b.id, { topic: 'door' });
    const got = sink();
    const listener = multicastIn(b.id, got.id);
    await helper.load(wordedNodes, [tab, b, out, listener, got]);
    await waitForStatus(helper.getNode(out.id), isReady);
    await waitForStatus(helper.getNode(listener.id), isReady);
    helper.getNode(out.id).receive({ payload: 'closed' });
    await nextMessage(helper.getNode(got.id));
    const { body } = await helper.request().get(`/multicast-bus/${b.id}/directory`).expect(200);
    const sender = body.senders[0];
    assert.equal(sender.topics[0].last, undefined, 'no payload kept before it is asked for');
    await helper.request().post(`/multicast-bus/${b.id}/watch`).send({ sender: sender.id, topic: 'door' }).expect(204);
    helper.getNode(out.id).receive({ payload: { state: 'open' } });
    await nextMessage(helper.getNode(got.id));
    const after = await helper.request().get(`/multicast-bus/${b.id}/directory`).expect(200);
    assert.deepEqual(after.body.senders[0].topics[0].last.preview, '{"state":"open"}');
    await helper.request().post(`/multicast-bus/${b.id}/watch`).send({ topic: 'door' }).expect(400);
  });

  it('on a sealed bus announcements are sealed: a key holder lists the publisher, a bus with another key hears nothing', async () => {
    const port = nextPort();
    const sending = bus({ framing: 'lcm', port, security: 'sealed' });
    const holder = bus({ framing: 'lcm', port, security: 'sealed' });
    const stranger = bus({ framing: 'lcm', port, security: 'sealed' });
    const [holderSink, strangerSink] = [sink('holder'), sink('stranger')];
    const holderIn = multicastIn(holder.id, holderSink.id, { topic: '$bus/presence' });
    const strangerIn = multicastIn(stranger.id, strangerSink.id, { topic: '$bus/presence' });
    const listeners = [tab, sending, holder, stranger, holderIn, strangerIn, holderSink, strangerSink];
    const key = 'the plant key, long enough';
    const credentials = { [sending.id]: { key }, [holder.id]: { key }, [stranger.id]: { key: 'another key, long enough too' } };
    // The listeners join first: a publisher's first announcement goes out as its send side opens, and one that
    // nobody has joined for yet is heard only at the next, 5 s later.
    await helper.load(wordedNodes, listeners, credentials);
    for (const id of [holderIn.id, strangerIn.id]) await waitForStatus(helper.getNode(id), isReady);
    const heardByHolder = collect(helper.getNode(holderSink.id));
    const heardByStranger = collect(helper.getNode(strangerSink.id));
    await helper.setFlows([...listeners, multicastOut(sending.id, { topic: 'vault/door' })], 'nodes', credentials);
    const online = await until('the online event', () => heardByHolder.find((m) => m.payload.event === 'online'));
    assert.equal(online.payload.event, 'online');
    const directory = (id: string) => helper.request().get(`/multicast-bus/${id}/directory`).expect(200);
    assert.equal((await directory(holder.id)).body.senders[0].host, hostname());
    await delay(300);
    assert.deepEqual(heardByStranger, []);
    assert.deepEqual((await directory(stranger.id)).body.senders, [], 'what does not open lists no sender');
  });

  it('with Presence off the bus announces nothing: no online event, and the directory lists it from its traffic, unnamed', async () => {
    const b = bus({ framing: 'lcm', port: nextPort(), announce: false });
    const presence = sink('presence');
    const got = sink();
    const out = multicastOut(b.id, { topic: 'quiet/1' });
    await helper.load(wordedNodes, [
      tab,
      b,
      out,
      multicastIn(b.id, presence.id, { topic: '$bus/presence' }),
      multicastIn(b.id, got.id),
      presence,
      got,
    ]);
    await waitForStatus(helper.getNode(out.id), isReady);
    const events = collect(helper.getNode(presence.id));
    helper.getNode(out.id).receive({ payload: 1 });
    await nextMessage(helper.getNode(got.id));
    await delay(1200);
    assert.deepEqual(events, []);
    const { body } = await helper.request().get(`/multicast-bus/${b.id}/directory`).expect(200);
    assert.deepEqual(
      [body.presence, body.senders[0].announced, body.senders[0].host, body.senders[0].topics[0].topic],
      [false, false, undefined, 'quiet/1'],
    );
  });

  it('a multicast out on a $bus/ topic fails to Catch with what to do', async () => {
    const b = bus({ framing: 'lcm', port: nextPort() });
    const out = multicastOut(b.id);
    const caught = sink('caught');
    await helper.load([...wordedNodes, catchNode], [tab, b, out, caught, catcher(caught.id)]);
    await waitForStatus(helper.getNode(out.id), isReady);
    helper.getNode(out.id).receive({ topic: '$bus/presence', payload: { event: 'online' } });
    const msg = await nextMessage(helper.getNode(caught.id));
    assert.match(msg.error.message, /topics under \$bus\/ are the bus's own \(presence events\): publish on another topic/);
  });
});
