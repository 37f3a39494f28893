import assert from 'node:assert/strict';
import { decodeControlFrame, encodeControlFrame, type ControlFrame, type NakEntry } from '../../src/core/control-frame';
import { ReliableSender, type ReliableSenderOptions } from '../../src/core/reliable-sender';

const STREAM = '0123456789abcdef';
const OTHER = 'fedcba9876543210';
const WHOLE = { first: 0, last: 0xffff };

describe('a reliable sender', () => {
  /** A sender on a clock the test moves. */
  function senderAt(options: ReliableSenderOptions = {}) {
    let now = 0;
    const sender = new ReliableSender(options, () => now, STREAM);
    return { sender, tick: (ms: number) => (now += ms), now: () => now };
  }

  /** A datagram whose bytes say which message and fragment it is. */
  function datagram(seq: number, fragment = 0, size = 40): Buffer {
    return Buffer.alloc(size, `${seq}:${fragment};`);
  }

  function decoded(bytes: Buffer): ControlFrame {
    const result = decodeControlFrame(bytes);
    assert.ok('frame' in result, `malformed: ${JSON.stringify(result)}`);
    return result.frame;
  }

  /** The datagrams a sender's repair frames carry, checking that each is a repair of its stream. */
  function repaired(frames: Buffer[]): Buffer[] {
    return frames.map((bytes) => {
      const frame = decoded(bytes);
      assert.equal(frame.type, 'repair');
      assert.equal(frame.stream, STREAM);
      return Buffer.from(frame.type === 'repair' ? frame.datagram : []);
    });
  }

  function nak(entries: NakEntry[], stream = STREAM): ControlFrame {
    // Through the wire format, as a NAK reaches the sender.
    return decoded(encodeControlFrame({ type: 'nak', stream, entries }));
  }

  function request(filter: string, nonce = 7, stream = STREAM): ControlFrame {
    return decoded(encodeControlFrame({ type: 'retained-request', stream, nonce, filter }));
  }

  /** The retained-value frames' nonces and datagrams. */
  function values(frames: Buffer[]): { nonce: number; datagram: Buffer }[] {
    return frames.map((bytes) => {
      const frame = decoded(bytes);
      assert.ok(frame.type === 'retained-value' && frame.stream === STREAM, `not a retained value of the stream: ${frame.type}`);
      return { nonce: frame.nonce, datagram: Buffer.from(frame.datagram) };
    });
  }

  describe('repairs', () => {
    it('answers a NAK for kept messages with one repair per datagram, each the original bytes', () => {
      const { sender, tick } = senderAt();
      for (let seq = 1; seq <= 5; seq++) {
        sender.sent(seq, [datagram(seq)]);
        tick(1);
      }
      const frames = sender.answer(
        nak([
          { seq: 2, ...WHOLE },
          { seq: 4, ...WHOLE },
        ]),
      );
      assert.deepEqual(repaired(frames), [datagram(2), datagram(4)]);
      assert.equal(sender.counts().repairs, 2);
    });

    it('repairs every fragment of a fragmented message NAKed whole, and just the fragments of a range', () => {
      const { sender } = senderAt();
      const fragments = [0, 1, 2, 3, 4].map((i) => datagram(9, i, 1400));
      sender.sent(9, fragments);
      assert.deepEqual(repaired(sender.answer(nak([{ seq: 9, first: 1, last: 2 }]))), [fragments[1], fragments[2]]);
      // Fragments 1 and 2 linger; 0, 3 and 4 are repaired.
      assert.deepEqual(repaired(sender.answer(nak([{ seq: 9, ...WHOLE }]))), [fragments[0], fragments[3], fragments[4]]);
    });

    it('answers a NAK for a message gone from the window with nothing, and counts it', () => {
      const { sender, tick } = senderAt({ window: { maxMessages: 3 } });
      for (let seq = 1; seq <= 5; seq++) sender.sent(seq, [datagram(seq)]);
      assert.deepEqual(
        sender.answer(
          nak([
            { seq: 1, ...WHOLE },
            { seq: 2, ...WHOLE },
          ]),
        ),
        [],
      );
      assert.equal(sender.counts().gone, 2);
      // And by age: 2 s later all of it is gone.
      tick(2000);
      assert.deepEqual(sender.answer(nak([{ seq: 5, ...WHOLE }])), []);
      assert.equal(sender.counts().gone, 3);
      assert.equal(sender.counts().repairs, 0);
    });

    it('repairs the same NAK twice within 10 ms once, and again after 10 ms', () => {
      const { sender, tick } = senderAt();
      sender.sent(1, [datagram(1)]);
      assert.equal(sender.answer(nak([{ seq: 1, ...WHOLE }])).length, 1);
      tick(9);
      assert.deepEqual(sender.answer(nak([{ seq: 1, ...WHOLE }])), []);
      assert.equal(sender.counts().lingered, 1);
      tick(1);
      assert.equal(sender.answer(nak([{ seq: 1, ...WHOLE }])).length, 1);
      assert.equal(sender.counts().repairs, 2);
    });

    it('answers a NAK naming another stream with nothing', () => {
      const { sender } = senderAt();
      sender.sent(1, [datagram(1)]);
      assert.deepEqual(sender.answer(nak([{ seq: 1, ...WHOLE }], OTHER)), []);
      assert.deepEqual(sender.counts(), {
        repairs: 0,
        lingered: 0,
        rateLimited: 0,
        naksHeard: 0,
        gone: 0,
        retainedAnswers: 0,
        retainedLingered: 0,
        retainedEvicted: 0,
        heartbeats: 0,
        windowMessages: 1,
        windowBytes: datagram(1).length,
      });
    });

    it('answers heartbeats, repairs and retained values with nothing', () => {
      const { sender } = senderAt();
      sender.sent(1, [datagram(1)]);
      sender.retain('t', [datagram(1)]);
      for (const frame of [
        { type: 'heartbeat', stream: STREAM, oldest: 1, newest: 1, intervalMs: 100, nakPort: 0 },
        { type: 'repair', stream: STREAM, datagram: datagram(1) },
        { type: 'retained-value', stream: STREAM, nonce: 1, datagram: datagram(1) },
      ] as const)
        assert.deepEqual(sender.answer(frame), []);
    });

    it('repairs what was sent, not what the caller later wrote into its buffers', () => {
      const { sender } = senderAt();
      const buffer = datagram(1);
      sender.sent(1, [buffer]);
      buffer.fill(0xee);
      assert.deepEqual(repaired(sender.answer(nak([{ seq: 1, ...WHOLE }]))), [datagram(1)]);
    });

    it('stays within its repair budget under a NAK flood: burst for an idle sender', () => {
      const { sender, tick } = senderAt({ limiter: { burst: 10 } });
      for (let seq = 0; seq < 100; seq++) sender.sent(seq, [datagram(seq)]);
      tick(1000); // the sends have left the budget
      const entries = Array.from({ length: 64 }, (_, seq) => ({ seq, ...WHOLE }));
      assert.equal(sender.answer(nak(entries)).length, 10);
      assert.equal(sender.counts().rateLimited, 54);
    });
  });

  describe('heartbeats', () => {
    it('has none before the first send: no heartbeat and no deadline', () => {
      const { sender, tick } = senderAt();
      assert.equal(sender.nextDeadline(), undefined);
      tick(5000);
      assert.equal(sender.heartbeat(), undefined);
      assert.equal(sender.nextDeadline(), undefined);
    });

    it('beats at once after the first send, then 50 ms after the last send, then doubling, announcing the window and the interval', () => {
      const { sender, tick, now } = senderAt();
      tick(1000);
      sender.sent(10, [datagram(10)]);
      assert.equal(sender.nextDeadline(), 1000, 'the stream announces itself with its first message');
      const opening = sender.heartbeat();
      assert.ok(opening);
      assert.deepEqual(decoded(opening), { type: 'heartbeat', stream: STREAM, oldest: 10, newest: 10, intervalMs: 100, nakPort: 0 });
      for (let seq = 11; seq <= 12; seq++) sender.sent(seq, [datagram(seq)]);
      assert.equal(sender.nextDeadline(), 1050);
      tick(49);
      assert.equal(sender.heartbeat(), undefined);
      tick(1);
      const beats: ControlFrame[] = [];
      const at: number[] = [];
      for (let i = 0; i < 4; i++) {
        tick((sender.nextDeadline() as number) - now());
        const beat = sender.heartbeat();
        assert.ok(beat, `no heartbeat at ${now()}`);
        assert.equal(sender.heartbeat(), undefined, 'marked sent');
        beats.push(decoded(beat));
        at.push(now());
      }
      assert.deepEqual(at, [1050, 1150, 1350, 1750]);
      assert.deepEqual(beats[0], { type: 'heartbeat', stream: STREAM, oldest: 10, newest: 12, intervalMs: 100, nakPort: 0 });
      assert.deepEqual(
        beats.map((beat) => (beat.type === 'heartbeat' ? beat.intervalMs : -1)),
        [100, 200, 400, 800],
      );
      assert.equal(sender.counts().heartbeats, 5);
    });

    it('announces the oldest message still kept, and an empty range once the window has aged out', () => {
      const { sender, tick } = senderAt({ window: { maxMessages: 2 } });
      for (let seq = 1; seq <= 5; seq++) sender.sent(seq, [datagram(seq)]);
      tick(50);
      assert.deepEqual(decoded(sender.heartbeat() as Buffer), {
        type: 'heartbeat',
        stream: STREAM,
        oldest: 4,
        newest: 5,
        intervalMs: 100,
        nakPort: 0,
      });
      tick(2000);
      assert.deepEqual(decoded(sender.heartbeat() as Buffer), {
        type: 'heartbeat',
        stream: STREAM,
        oldest: 6,
        newest: 5,
        intervalMs: 200,
        nakPort: 0,
      });
    });

    it('goes back to 50 ms after a send while idle', () => {
      const { sender, tick } = senderAt();
      sender.sent(1, [datagram(1)]);
      tick(50);
      assert.ok(sender.heartbeat());
      tick(30);
      sender.sent(2, [datagram(2)]);
      assert.equal(sender.nextDeadline(), 130);
    });
  });

  describe('retained values', () => {
    it('answers a request for sensors/# with both retained sensors, nonce echoed, and one for other with nothing', () => {
      const { sender } = senderAt();
      sender.retain('sensors/a', [datagram(1)]);
      sender.retain('sensors/b', [datagram(2)]);
      sender.retain('actuators/c', [datagram(3)]);
      assert.deepEqual(values(sender.answer(request('sensors/#', 42))), [
        { nonce: 42, datagram: datagram(1) },
        { nonce: 42, datagram: datagram(2) },
      ]);
      assert.deepEqual(sender.answer(request('other')), []);
      assert.equal(sender.counts().retainedAnswers, 2);
    });

    it('answers 50 requests within 500 ms once per topic, and again after 500 ms', () => {
      const { sender, tick } = senderAt();
      sender.retain('sensors/a', [datagram(1)]);
      sender.retain('sensors/b', [datagram(2)]);
      let answers = 0;
      for (let i = 0; i < 50; i++) {
        tick(i === 0 ? 0 : 10);
        answers += sender.answer(request('sensors/#', i)).length;
      }
      assert.equal(answers, 2, 'requests at 0…490 ms');
      assert.equal(sender.counts().retainedAnswers, 2);
      assert.equal(sender.counts().retainedLingered, 98);
      tick(9);
      assert.deepEqual(sender.answer(request('sensors/#')), [], 'at 499 ms');
      tick(1);
      assert.equal(sender.answer(request('sensors/#')).length, 2);
    });

    it('lingers per topic: a request for one topic does not hold back another', () => {
      const { sender } = senderAt();
      sender.retain('sensors/a', [datagram(1)]);
      sender.retain('sensors/b', [datagram(2)]);
      assert.deepEqual(values(sender.answer(request('sensors/a'))).length, 1);
      assert.deepEqual(
        values(sender.answer(request('sensors/#'))).map((value) => value.datagram),
        [datagram(2)],
      );
    });

    it('keeps the newest value of a topic, answered at once even within the last answer linger', () => {
      const { sender, tick } = senderAt();
      sender.retain('t', [datagram(1)]);
      assert.equal(sender.answer(request('t')).length, 1);
      tick(100);
      sender.retain('t', [datagram(2)]);
      assert.deepEqual(
        values(sender.answer(request('t'))).map((value) => value.datagram),
        [datagram(2)],
      );
    });

    it('answers a value of several fragments with one retained-value frame per fragment, in order', () => {
      const { sender } = senderAt();
      const fragments = [0, 1, 2].map((i) => datagram(5, i, 1400));
      sender.retain('big', fragments);
      assert.deepEqual(values(sender.answer(request('big', 3))), [
        { nonce: 3, datagram: fragments[0] },
        { nonce: 3, datagram: fragments[1] },
        { nonce: 3, datagram: fragments[2] },
      ]);
    });

    it('keeps at most maxTopics, dropping the least recently published', () => {
      const { sender } = senderAt({ retained: { maxTopics: 3 } });
      for (const topic of ['a', 'b', 'c']) sender.retain(topic, [datagram(topic.charCodeAt(0))]);
      sender.retain('a', [datagram(1)]); // a is now the most recently published
      sender.retain('d', [datagram(4)]);
      const answered = values(sender.answer(request('#'))).map((value) => value.datagram);
      assert.deepEqual(answered, [datagram('c'.charCodeAt(0)), datagram(1), datagram(4)]);
      assert.equal(sender.counts().retainedEvicted, 1);
    });

    it('keeps at most maxBytes, dropping the least recently published, and no value larger than that alone', () => {
      const { sender } = senderAt({ retained: { maxBytes: 1000 } });
      for (let i = 0; i < 5; i++) sender.retain(`t${i}`, [datagram(i, 0, 300)]);
      assert.deepEqual(
        values(sender.answer(request('#'))).map((value) => value.datagram),
        [2, 3, 4].map((i) => datagram(i, 0, 300)),
      );
      sender.retain('huge', [datagram(9, 0, 600), datagram(9, 1, 600)]);
      assert.equal(sender.counts().retainedEvicted, 2 + 3 + 1);
      assert.deepEqual(sender.answer(request('#')), []);
    });

    it('holds at most maxBytes however many values are published (bounded memory)', () => {
      const { sender, tick } = senderAt({ retained: { maxTopics: 1_000_000, maxBytes: 64 * 1024 } });
      for (let i = 0; i < 20_000; i++) sender.retain(`topic/${i}`, [datagram(i, 0, 1000)]);
      tick(1000);
      const answered = values(sender.answer(request('#')));
      assert.equal(answered.length, 65);
      assert.deepEqual(answered.at(-1)?.datagram, datagram(19_999, 0, 1000));
    });

    it('answers a request naming another stream with nothing, and keeps copies of what it retains', () => {
      const { sender } = senderAt();
      const buffer = datagram(1);
      sender.retain('t', [buffer]);
      buffer.fill(0);
      assert.deepEqual(sender.answer(request('t', 1, OTHER)), []);
      assert.deepEqual(
        values(sender.answer(request('t'))).map((value) => value.datagram),
        [datagram(1)],
      );
    });

    it('forgets a topic retained with no datagrams', () => {
      const { sender } = senderAt();
      sender.retain('t', [datagram(1)]);
      sender.retain('t', []);
      assert.deepEqual(sender.answer(request('t')), []);
    });
  });

  it('chooses a stream id of its own when given none', () => {
    const a = new ReliableSender();
    const b = new ReliableSender();
    assert.match(a.stream, /^[0-9a-f]{16}$/);
    assert.notEqual(a.stream, b.stream);
  });

  it('announces the port its NAKs go to in every heartbeat', () => {
    let now = 0;
    const sender = new ReliableSender({ nakPort: 41000 }, () => now, STREAM);
    sender.sent(0, [Buffer.from('LC02')]);
    now = 50;
    const beat = decodeControlFrame(sender.heartbeat() as Buffer);
    assert.ok('frame' in beat && beat.frame.type === 'heartbeat' && beat.frame.nakPort === 41000, JSON.stringify(beat));
  });
});
