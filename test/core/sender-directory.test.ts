import assert from 'node:assert/strict';
import { decodeAnnouncement, encodeAnnouncement, type Announcement } from '../../src/core/presence-announcement';
import { SenderDirectory, type PresenceEvent } from '../../src/core/sender-directory';

const SENSOR = '198.51.100.7:40000';

function announcement(fields: Partial<Announcement> = {}): Announcement {
  return {
    host: 'greenhouse',
    instance: 'Node-RED :1880',
    bus: 'plant',
    periodMs: 5000,
    topics: [{ topic: 'temp', rate: 0.5, bytesPerSecond: 2 }],
    more: 0,
    ...fields,
  };
}

/** A directory on a clock the test moves, with the presence events it made. */
function directoryAt(limits = {}) {
  let now = 0;
  const events: PresenceEvent[] = [];
  const directory = new SenderDirectory(limits, (event) => events.push(event), { now: () => now, wall: () => 1_800_000_000_000 + now });
  return { directory, events, at: (ms: number) => (now = ms) };
}

describe('the sender directory', () => {
  it('lists a passive sender from its messages alone, per topic, with no presence', () => {
    const { directory } = directoryAt();
    directory.heard(SENSOR, SENSOR, 'temp', Buffer.from('21.5'), 0);
    directory.heard(SENSOR, SENSOR, 'temp', Buffer.from('21.6'), 2);
    directory.heard(SENSOR, SENSOR, '', Buffer.alloc(10), 0);
    const [sender] = directory.listing().senders;
    assert.equal(sender.address, '198.51.100.7');
    assert.equal(sender.port, 40000);
    assert.equal(sender.announced, false);
    assert.equal(sender.online, null, 'nothing says when a passive sender is gone');
    assert.equal(sender.messages, 3);
    assert.equal(sender.lost, 2);
    assert.deepEqual(
      sender.topics.map((t) => [t.topic, t.messages, t.bytes, t.lost]),
      [
        ['', 1, 10, 0],
        ['temp', 2, 8, 2],
      ],
    );
  });

  it('an announcement makes a sender online once; a goodbye offline at once; a restart (new id) online again', () => {
    const { directory, events } = directoryAt();
    directory.announced(SENSOR, SENSOR, 'aaaaaaaaaaaaaaaa', announcement());
    directory.announced(SENSOR, SENSOR, 'aaaaaaaaaaaaaaaa', announcement());
    assert.deepEqual(
      events.map((e) => [e.event, e.host, e.address, e.port, e.topics]),
      [['online', 'greenhouse', '198.51.100.7', 40000, ['temp']]],
    );
    directory.goodbye(SENSOR, 'bbbbbbbbbbbbbbbb');
    assert.equal(events.length, 1, "a goodbye of another presence id is not this one's");
    directory.goodbye(SENSOR, 'aaaaaaaaaaaaaaaa');
    assert.deepEqual([events[1].event, events[1].reason], ['offline', 'goodbye']);
    directory.goodbye(SENSOR, 'aaaaaaaaaaaaaaaa');
    assert.equal(events.length, 2, 'offline once');
    directory.announced(SENSOR, SENSOR, 'cccccccccccccccc', announcement());
    assert.equal(events[2].event, 'online');
    assert.equal(directory.listing().senders[0].online, true);
  });

  it('a sender silent for three of its periods goes offline (silent), not before', () => {
    const { directory, events, at } = directoryAt();
    directory.announced(SENSOR, SENSOR, 'aaaaaaaaaaaaaaaa', announcement({ periodMs: 2000 }));
    at(5999);
    directory.expire();
    assert.equal(events.length, 1);
    at(6001);
    directory.expire();
    assert.deepEqual([events[1].event, events[1].reason], ['offline', 'silent']);
    directory.expire();
    assert.equal(events.length, 2);
  });

  it('holds at most maxSenders, evicting the least recently heard (counted, offline when it was online), keeping one heard all along', () => {
    const { directory, events } = directoryAt({ maxSenders: 100 });
    directory.announced(SENSOR, SENSOR, 'aaaaaaaaaaaaaaaa', announcement());
    const real = '203.0.113.5:41000';
    for (let i = 0; i < 10_000; i++) {
      const fake = `198.51.100.${i % 250}:${10000 + i}`;
      directory.announced(fake, fake, 'dddddddddddddddd', announcement({ host: `fake${i}` }));
      directory.heard(real, real, 'speed', Buffer.from('1'), 0);
    }
    const listing = directory.listing();
    assert.equal(listing.senders.length, 100);
    assert.equal(listing.evicted, 10_000 + 2 - 100);
    assert.ok(
      listing.senders.some((s) => s.address === '203.0.113.5' && s.messages === 10_000),
      'the sender heard all along stays',
    );
    const sensorGone = events.find((e) => e.host === 'greenhouse' && e.event === 'offline');
    assert.equal(sensorGone?.reason, 'evicted');
  });

  it('counts topics past maxTopics without listing them', () => {
    const { directory } = directoryAt({ maxTopics: 2 });
    for (const topic of ['a', 'b', 'c', 'd']) directory.heard(SENSOR, SENSOR, topic, Buffer.from('x'), 0);
    const [sender] = directory.listing().senders;
    assert.deepEqual(
      sender.topics.map((t) => t.topic),
      ['a', 'b'],
    );
    assert.equal(sender.otherTopics, 2);
    assert.equal(sender.messages, 4);
  });

  it('keeps the last payload of a topic only once asked for, as text or hex, cut at 1 KiB, for a minute', () => {
    const { directory, at } = directoryAt();
    directory.heard(SENSOR, SENSOR, 'temp', Buffer.from('21.5'), 0);
    assert.equal(directory.listing().senders[0].topics[0].last, undefined);
    directory.watch(SENSOR, 'temp');
    directory.heard(SENSOR, SENSOR, 'temp', Buffer.from('{"t":21.7}'), 0);
    assert.deepEqual(
      (({ encoding, preview, size, truncated }) => ({ encoding, preview, size, truncated }))(directory.listing().senders[0].topics[0].last!),
      { encoding: 'utf8', preview: '{"t":21.7}', size: 10, truncated: false },
    );
    directory.heard(SENSOR, SENSOR, 'temp', Buffer.from([0, 1, 0xff]), 0);
    assert.deepEqual(
      [directory.listing().senders[0].topics[0].last!.encoding, directory.listing().senders[0].topics[0].last!.preview],
      ['hex', '0001ff'],
    );
    directory.heard(SENSOR, SENSOR, 'temp', Buffer.alloc(5000, 'a'), 0);
    const big = directory.listing().senders[0].topics[0].last!;
    assert.deepEqual([big.preview.length, big.size, big.truncated], [1024, 5000, true]);
    at(61_000);
    directory.expire();
    assert.equal(directory.listing().senders[0].topics[0].last, undefined, 'the watch ended');
  });
});

describe('presence announcements', () => {
  it('go through JSON and back, cut to fit one datagram with the rest counted', () => {
    const topics = Array.from({ length: 64 }, (_, i) => ({ topic: `plant/line${i}/a-rather-long-topic-name`, rate: 10.123, bytesPerSecond: 1024 }));
    const text = encodeAnnouncement({ host: 'h', instance: 'Node-RED :1880', bus: 'b', periodMs: 5000, topics });
    assert.ok(Buffer.byteLength(text) <= 1000);
    const decoded = decodeAnnouncement(text)!;
    assert.ok(decoded.topics.length > 5 && decoded.topics.length < 64);
    assert.equal(decoded.topics.length + decoded.more, 64);
    assert.deepEqual(decoded.topics[0], { topic: 'plant/line0/a-rather-long-topic-name', rate: 10.12, bytesPerSecond: 1024 });
  });

  it('refuse anything missing, of the wrong kind or out of bounds', () => {
    const good = { v: 1, host: 'h', instance: 'i', bus: '', period: 5000, topics: [['t', 1, 2]], more: 0 };
    assert.ok(decodeAnnouncement(JSON.stringify(good)));
    const bad: [Record<string, unknown> | string, string][] = [
      ['not json', 'not JSON'],
      ['null', 'null'],
      [{ ...good, v: 2 }, 'another version'],
      [{ ...good, host: 'x'.repeat(65) }, 'a host name past 64'],
      [{ ...good, host: 7 }, 'a host that is a number'],
      [{ ...good, period: 999 }, 'a period under 1 s'],
      [{ ...good, period: 60_001 }, 'a period over 60 s'],
      [{ ...good, topics: [['t', -1, 2]] }, 'a negative rate'],
      [{ ...good, topics: [['t', 'fast', 2]] }, 'a rate that is text'],
      [{ ...good, topics: [['', 1, 2]] }, 'an empty topic'],
      [{ ...good, topics: [['x'.repeat(64), 1, 2]] }, 'a topic past 63'],
      [{ ...good, topics: Array.from({ length: 65 }, () => ['t', 1, 1]) }, '65 topics'],
      [{ ...good, topics: {} }, 'topics that are no list'],
      [{ ...good, more: -1 }, 'a negative count of more'],
    ];
    for (const [input, what] of bad) assert.equal(decodeAnnouncement(typeof input === 'string' ? input : JSON.stringify(input)), undefined, what);
  });
});
