// Who is on the bus, across namespace hosts with a Node-RED each: two publishers of different topics and a watcher
// whose directory lists both, with the seed's Ruby sender (which announces nothing) heard passively on a raw bus; and
// presence events as a publisher's Node-RED stops cleanly, is killed, and starts again.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { deployFlow, startRuntimes } from '../../testnet/host-runtimes';
import { createTopology } from '../../testnet/topology';
import { busNode, type Flow, lines, listener, ticker } from '../net/host-flows';
import { networkPerSuite } from '../net/network-per-suite';
import { namespaceMode, requireRootNamespaces } from '../support/private-network';
import { until } from '../support/until';

const RUNTIMES = ['p1', 'p2', 'w'];

/** A bus and an inject that publishes a number on `topic` every 200 ms through a multicast out. */
function publisher(topic: string): Flow {
  return [busNode('bus', { name: 'plant bus' }), ...ticker('bus', topic, 0.2)];
}

describe('who is on the bus, across hosts', function () {
  this.timeout(90000);
  const lan = networkPerSuite(
    namespaceMode === 'root',
    () => createTopology('mcbp', ['p1', 'p2', 'w', 'r'], [], { routerAndMultiHomed: false }),
    RUNTIMES,
  );
  const red = lan.red;
  beforeEach(function () {
    requireRootNamespaces(this);
  });

  const address = (name: string) => lan.net.hosts[name].address;
  /** What the watcher's multicast in on $bus/presence output so far, as payloads. */
  const events = () => lines(red.w.userDir, 'presence.jsonl').map((m) => m.payload);
  const directoryOf = (bus: string) => red.w.api(`/multicast-bus/${bus}/directory`);
  const senderAt = async (bus: string, host: string) =>
    (await directoryOf(bus)).senders.find((s: { address: string }) => s.address === address(host));
  /** Waits for the watcher's presence event `event` about `host` after the first `after` events; returns it and when. */
  async function nextEvent(event: 'online' | 'offline', host: string, after: number, ms: number) {
    const found = await until(
      () => `${event} of ${host}; events so far: ${JSON.stringify(events().slice(after))}`,
      () =>
        events()
          .slice(after)
          .find((e) => e.event === event && e.address === address(host)),
      { ms, every: 100 },
    );
    return { found, at: Date.now() };
  }

  it('the watcher lists both publishers with their topics and rates within 10 s, and the Ruby sender passively on a raw bus', async () => {
    const deployedAt = Date.now();
    await Promise.all([
      deployFlow(red.w, [
        busNode('bus', {}),
        ...listener('presence', 'bus', red.w.userDir, { topic: '$bus/presence' }),
        busNode('rawbus', { framing: 'raw', port: '5000' }),
        ...listener('raw-heard', 'rawbus', red.w.userDir),
      ]),
      deployFlow(red.p1, publisher('line/1/speed')),
      deployFlow(red.p2, publisher('line/2/temp')),
    ]);
    const ruby = lan.net.spawn(lan.net.hosts.r, 'ruby', [join(__dirname, '..', 'peers', 'seed-sender.rb')], { PORT: '5000', COUNT: '100' });
    try {
      const listed = await until(
        'both publishers listed with a rate',
        async () => {
          const [one, two] = [await senderAt('bus', 'p1'), await senderAt('bus', 'p2')];
          return one?.topics[0]?.rate > 0 && two?.topics[0]?.rate > 0 && one.host && two.host ? [one, two] : undefined;
        },
        { ms: 10000, every: 250 },
      );
      const tookMs = Date.now() - deployedAt;
      console.log(`      (both publishers listed with rates ${listed.map((s) => s.topics[0].rate).join(' and ')}/s, ${tookMs} ms after deploying)`);
      for (const [sender, topic] of [
        [listed[0], 'line/1/speed'],
        [listed[1], 'line/2/temp'],
      ] as const) {
        assert.deepEqual(
          sender.topics.map((t: { topic: string }) => t.topic),
          [topic],
        );
        assert.equal(sender.host, hostname());
        assert.equal(sender.instance, 'Node-RED :1880');
        assert.equal(sender.bus, 'plant bus');
        assert.equal(sender.online, true);
        assert.ok(sender.topics[0].bytesPerSecond > 0);
      }
      const passive = await until(
        'the Ruby sender on the raw bus',
        async () => {
          const found = await senderAt('rawbus', 'r');
          return found?.topics[0]?.rate > 0 ? found : undefined;
        },
        { ms: 10000, every: 250 },
      );
      assert.deepEqual([passive.announced, passive.online, passive.host], [false, null, undefined], 'heard, not announced');
      assert.equal(passive.topics[0].topic, '', 'raw framing carries no topic');
      const presence = events();
      for (const host of ['p1', 'p2'])
        assert.ok(
          presence.some((e) => e.event === 'online' && e.address === address(host)),
          JSON.stringify(presence),
        );
    } finally {
      ruby.kill();
    }
  });

  it('a publisher stopped cleanly is offline within 2 s (goodbye); killed, within 20 s (silent); each online again when restarted', async () => {
    let after = events().length;
    const stoppedAt = Date.now();
    await red.p1.stop();
    const clean = await nextEvent('offline', 'p1', after, 2000);
    console.log(`      (clean stop: offline ${clean.at - stoppedAt} ms after the stop began)`);
    assert.equal(clean.found.reason, 'goodbye');
    assert.deepEqual(clean.found.topics, ['line/1/speed']);

    after = events().length;
    process.kill(red.p2.pid, 'SIGKILL');
    const killedAt = Date.now();
    const killed = await nextEvent('offline', 'p2', after, 20000);
    console.log(`      (SIGKILL: offline ${killed.at - killedAt} ms after the kill)`);
    assert.equal(killed.found.reason, 'silent');
    assert.ok(killed.at - killedAt >= 9000, 'not before two periods of silence have passed');

    after = events().length;
    await red.p2.stop();
    Object.assign(red, await startRuntimes(lan.net, ['p1', 'p2']));
    await Promise.all([deployFlow(red.p1, publisher('line/1/speed')), deployFlow(red.p2, publisher('line/2/temp'))]);
    await nextEvent('online', 'p1', after, 10000);
    await nextEvent('online', 'p2', after, 10000);
    // A restarted Node-RED sends from a new port: a new sender, online, beside the old one, offline.
    const atP1 = (await directoryOf('bus')).senders.filter((s: { address: string }) => s.address === address('p1'));
    assert.deepEqual(atP1.map((s: { online: boolean }) => s.online).sort(), [false, true]);
  });
});
