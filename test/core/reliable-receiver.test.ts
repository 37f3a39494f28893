import assert from 'node:assert/strict';
import { decodeControlFrame, type NakEntry } from '../../src/core/control-frame';
import { ReliableReceiver, type ReliableReceiverOptions } from '../../src/core/reliable-receiver';
import { seeded } from '../support/seeded-random';

const SENDER = '192.0.2.1:40000';
const STREAM = '0123456789abcdef';
const RESTARTED = 'fedcba9876543210';

/** An LC02 datagram of message seq, as a repair carries it: the test's "decoding" reads the number back at offset 4. */
function lc02(seq: number): Buffer {
  const datagram = Buffer.alloc(12);
  datagram.writeUInt32BE(0x4c433032, 0);
  datagram.writeUInt32BE(seq >>> 0, 4);
  return datagram;
}

/** A receiver of numbers (each message is its own sequence number) on a clock the test moves, with a seeded random. */
function receiverAt(options: ReliableReceiverOptions = {}, random: () => number = seeded(14)) {
  let now = 0;
  // The mechanics are tested on fixed NAK timing (asks 60 ms apart, four in all), not on the defaults.
  const rx = new ReliableReceiver<number>({ ...options, nak: { retryMs: 60, maxRetries: 4, ...options.nak } }, () => now, random);
  const delivered: number[] = [];
  const naks: { to: string; stream: string; entries: NakEntry[] }[] = [];
  let lost = 0;
  const take = <Out extends { deliver: number[]; lost: number }>(out: Out): Out => {
    delivered.push(...out.deliver);
    lost += out.lost;
    return out;
  };
  /** Runs due() at every deadline up to `ms` (the caller's one timer), collecting what it returns. */
  const until = (ms: number) => {
    for (let at = rx.nextDeadline(); at !== undefined && at <= ms; at = rx.nextDeadline()) {
      now = Math.max(now, at);
      const due = take(rx.due());
      for (const { to, frame } of due.naks) {
        const decoded = decodeControlFrame(frame);
        assert.ok('frame' in decoded && decoded.frame.type === 'nak', 'a due NAK decodes as a NAK');
        naks.push({ to, stream: decoded.frame.stream, entries: decoded.frame.entries });
      }
    }
    now = Math.max(now, ms);
  };
  return {
    rx,
    delivered,
    naks,
    lost: () => lost,
    at: (ms: number) => (now = ms),
    until,
    data: (seq: number, source = SENDER) => take(rx.data(source, seq, seq >>> 0, 100)),
    heartbeat: (newest: number, source = SENDER, stream = STREAM) =>
      rx.control(source, { type: 'heartbeat', stream, oldest: 0, newest, intervalMs: 50, nakPort: 0 }),
    /** A repair heard from the group, decoded by the caller and handed back through data(). */
    repair: (seq: number, source = SENDER, stream = STREAM) => {
      const { redecode } = rx.control(source, { type: 'repair', stream, datagram: lc02(seq) });
      return redecode ? take(rx.data(source, redecode.readUInt32BE(4), redecode.readUInt32BE(4), 100)) : undefined;
    },
    asked: () => naks.flatMap((nak) => nak.entries.map((entry) => entry.seq)),
  };
}

const whole = (seq: number): NakEntry => ({ seq, first: 0, last: 0xffff });
const source = (rx: ReliableReceiver<number>, name = SENDER) => (rx.counts().sources as Record<string, Record<string, unknown>>)[name];

describe('a reliable receiver', () => {
  it('delivers a source at once, gaps and all, until its heartbeat is heard (best effort)', () => {
    const { rx, data, until, delivered, naks } = receiverAt();
    assert.deepEqual(data(1), { deliver: [1], lost: 0 });
    assert.deepEqual(data(5), { deliver: [5], lost: 0 });
    assert.deepEqual(data(3), { deliver: [3], lost: 0 });
    assert.deepEqual(data(3), { deliver: [3], lost: 0 }, 'untouched: not even a duplicate is dropped');
    assert.equal(rx.nextDeadline(), undefined);
    until(1000);
    assert.deepEqual(delivered, [1, 5, 3, 3]);
    assert.deepEqual(naks, []);
    assert.deepEqual(rx.counts(), { streams: 0, evicted: 0, sources: {} });
  });

  it('on its default timing, a process that stalls for a second after a loss still asks for it on waking, and loses nothing', () => {
    // Asks count attempts, the hold's backstop counts time: a long garbage collection or a starved CPU must not turn
    // into a loss that a NAK could still repair (the sender keeps 2 s).
    let now = 0;
    const rx = new ReliableReceiver<number>({}, () => now, seeded(3));
    rx.control(SENDER, { type: 'heartbeat', stream: STREAM, oldest: 0, newest: 0, intervalMs: 50, nakPort: 0 });
    assert.deepEqual(rx.data(SENDER, 1, 1, 100), { deliver: [1], lost: 0 });
    assert.deepEqual(rx.data(SENDER, 3, 3, 100), { deliver: [], lost: 0 }, '3 waits for 2');
    now = 1000; // the event loop was blocked: the first due() comes a second late
    const woke = rx.due();
    assert.deepEqual([woke.deliver, woke.lost], [[], 0], 'nothing given up on waking');
    const asked = woke.naks
      .map(({ frame }) => decodeControlFrame(frame))
      .flatMap((d) => ('frame' in d && d.frame.type === 'nak' ? d.frame.entries : []));
    assert.deepEqual(asked, [whole(2)]);
    now = 1010;
    const { redecode } = rx.control(SENDER, { type: 'repair', stream: STREAM, datagram: lc02(2) });
    assert.ok(redecode);
    assert.deepEqual(rx.data(SENDER, 2, 2, 100), { deliver: [2, 3], lost: 0 });
  });

  it('after a heartbeat holds what follows a gap, NAKs the sender for it after the back-off, and delivers in order once the repair comes', () => {
    const { rx, data, heartbeat, repair, until, at, naks } = receiverAt();
    heartbeat(0);
    assert.deepEqual(data(1), { deliver: [1], lost: 0 });
    assert.deepEqual(data(3), { deliver: [], lost: 0 });
    assert.deepEqual(data(4), { deliver: [], lost: 0 });
    assert.equal(source(rx).held, 2);
    const deadline = rx.nextDeadline();
    assert.ok(deadline !== undefined && deadline >= 0 && deadline < 20, `the back-off is within 0–20 ms, not ${deadline}`);
    at(deadline - 0.01);
    assert.deepEqual(rx.due().naks, [], 'nothing before the back-off');
    until(deadline);
    assert.deepEqual(naks, [{ to: SENDER, stream: STREAM, entries: [whole(2)] }]);
    assert.deepEqual(repair(2), { deliver: [2, 3, 4], lost: 0 });
    assert.equal(rx.nextDeadline(), undefined, 'nothing left to ask for or hold');
    assert.deepEqual(source(rx), { stream: STREAM, naks: 1, repairs: 1, givenUp: 0, held: 0 });
  });

  it('sends no NAK when a repair (another receiver asked) is heard before its back-off', () => {
    const { rx, data, heartbeat, repair, until, at, naks, delivered } = receiverAt();
    heartbeat(0);
    data(1);
    data(3);
    const deadline = rx.nextDeadline() as number;
    at(deadline / 2);
    assert.deepEqual(repair(2), { deliver: [2, 3], lost: 0 });
    until(2000);
    assert.deepEqual(naks, []);
    assert.deepEqual(delivered, [1, 2, 3]);
    assert.equal(source(rx).naks, 0);
  });

  it('stops asking for a message that arrived while an earlier gap still holds it', () => {
    const { data, heartbeat, repair, until, asked, delivered } = receiverAt();
    heartbeat(0);
    data(1);
    data(4); // 2 and 3 missing
    assert.deepEqual(repair(3), { deliver: [], lost: 0 });
    until(1000);
    assert.ok(asked().includes(2));
    assert.ok(!asked().includes(3), `asked for ${asked().join(', ')}`);
    assert.deepEqual(delivered, [1, 3, 4]);
  });

  it('holds its NAK back for a repair heard that it could not use yet (a fragment of the message)', () => {
    const { rx, data, heartbeat, at } = receiverAt({}, () => 0.5);
    heartbeat(0);
    data(2);
    assert.equal(rx.nextDeadline(), 10);
    at(5);
    const fragment = Buffer.alloc(12);
    fragment.writeUInt32BE(0x4c433033, 0); // LC03: one fragment of message 1; the caller's reassembly waits for the rest
    fragment.writeUInt32BE(1, 4);
    assert.deepEqual(rx.control(SENDER, { type: 'repair', stream: STREAM, datagram: fragment }), { redecode: fragment });
    assert.equal(rx.nextDeadline(), 65, 'the wait restarts: retryMs after the repair heard');
  });

  it('ignores a repair of a stream it does not follow, and other control frames', () => {
    const { rx, heartbeat } = receiverAt();
    assert.deepEqual(rx.control(SENDER, { type: 'repair', stream: STREAM, datagram: lc02(1) }), {}, 'no heartbeat heard');
    heartbeat(0);
    assert.deepEqual(rx.control(SENDER, { type: 'repair', stream: RESTARTED, datagram: lc02(1) }), {}, 'another stream');
    assert.deepEqual(rx.control(SENDER, { type: 'nak', stream: STREAM, entries: [whole(1)] }), {});
    assert.deepEqual(rx.control(SENDER, { type: 'retained-request', stream: STREAM, nonce: 1, filter: '#' }), {});
  });

  it('finds tail loss in a heartbeat: newest 10 after receiving up to 8 asks for 9 and 10', () => {
    const { rx, data, heartbeat, repair, until, naks, delivered } = receiverAt();
    heartbeat(0);
    for (let seq = 1; seq <= 8; seq++) data(seq);
    assert.equal(rx.nextDeadline(), undefined);
    heartbeat(8);
    assert.equal(rx.nextDeadline(), undefined, 'a heartbeat that says what was heard reveals nothing');
    heartbeat(10);
    until(20);
    assert.deepEqual(
      naks.map((nak) => [nak.to, nak.stream]).flat(),
      naks.flatMap(() => [SENDER, STREAM]),
    );
    assert.deepEqual(
      naks.flatMap((nak) => nak.entries).sort((a, b) => a.seq - b.seq),
      [whole(9), whole(10)],
    );
    heartbeat(10);
    until(40);
    assert.equal(naks.length <= 2, true, 'the same heartbeat again asks nothing new before the retry');
    assert.deepEqual(repair(10), { deliver: [], lost: 0 });
    assert.deepEqual(repair(9), { deliver: [9, 10], lost: 0 });
    assert.deepEqual(delivered, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(rx.nextDeadline(), undefined);
  });

  it('follows a new stream from where it is told: the first message lost before the heartbeat is asked for', () => {
    const { rx, data, repair, until, delivered, asked } = receiverAt();
    // The stream's opening heartbeat announced message 5; 5 was lost and 6 is the first data heard.
    rx.control(SENDER, { type: 'heartbeat', stream: STREAM, oldest: 5, newest: 5, intervalMs: 100, nakPort: 0 }, { startAfter: 4 });
    data(6);
    assert.deepEqual(delivered, [], '6 waits for 5');
    until(30);
    assert.deepEqual(asked(), [5]);
    repair(5);
    assert.deepEqual(delivered, [5, 6]);
  });

  it('gives a gap up after its retries, releasing what it held and counting it lost; a late repair is dropped', () => {
    const { rx, data, heartbeat, repair, until, naks, delivered, lost } = receiverAt();
    heartbeat(0);
    data(1);
    data(3);
    data(4);
    until(20 + 4 * 60); // the back-off and four asks: given up by the NAK scheduler, well before the hold's 400 ms
    assert.deepEqual(
      naks.map((nak) => nak.entries),
      [[whole(2)], [whole(2)], [whole(2)], [whole(2)]],
      'four asks in all',
    );
    assert.deepEqual(delivered, [1, 3, 4]);
    assert.equal(lost(), 1);
    until(1000);
    assert.equal(naks.length, 4);
    assert.deepEqual(repair(2), { deliver: [], lost: 0 });
    assert.deepEqual(data(5), { deliver: [5], lost: 0 });
    assert.deepEqual(source(rx), { stream: STREAM, naks: 4, repairs: 1, givenUp: 1, held: 0 });
    assert.equal(rx.nextDeadline(), undefined);
  });

  it('gives a tail loss up after its retries; the next message is delivered at once', () => {
    const { rx, data, heartbeat, until, naks, delivered, lost } = receiverAt();
    heartbeat(0);
    data(1);
    heartbeat(3);
    until(1000);
    assert.deepEqual(naks.flatMap((nak) => nak.entries.map((entry) => entry.seq)).sort(), [2, 2, 2, 2, 3, 3, 3, 3]);
    assert.equal(lost(), 2);
    assert.deepEqual(data(4), { deliver: [4], lost: 0 });
    assert.deepEqual(data(3), { deliver: [], lost: 0 }, 'a repair after the give-up is a duplicate');
    assert.deepEqual(delivered, [1, 4]);
    assert.deepEqual(source(rx), { stream: STREAM, naks: 8, repairs: 0, givenUp: 2, held: 0 });
    assert.equal(rx.nextDeadline(), undefined);
  });

  it('counts a tail loss given up once, in its place, when the hold still waits for a gap before it', () => {
    // The scheduler gives 4 up while the hold still waits for 2 (asked later): 4 waits as a placeholder behind 2.
    const { rx, data, heartbeat, until, at, delivered, lost } = receiverAt(
      {},
      (() => {
        const draws = [0.9, 0.0];
        let i = 0;
        return () => draws[i++ % draws.length];
      })(),
    );
    heartbeat(0);
    data(1);
    data(3); // 2 missing: back-off 18 ms
    heartbeat(4); // 4 missing (tail): back-off 0 ms
    until(250); // 4 given up at 240 ms; 2 not before 258 ms
    assert.equal(lost(), 0, 'counted when the hold gets to it');
    assert.equal(source(rx).held, 1, 'the placeholder is not a message held');
    data(5);
    assert.deepEqual(delivered, [1], '5 waits behind 2, after the placeholder of 4');
    at(300);
    until(1000);
    assert.deepEqual(delivered, [1, 3, 5]);
    assert.equal(lost(), 2);
    assert.deepEqual(source(rx), { stream: STREAM, naks: 8, repairs: 0, givenUp: 2, held: 0 });
  });

  it('stops asking for a gap the hold gave up on its own (held too long)', () => {
    const { rx, data, heartbeat, until, naks, delivered, lost } = receiverAt({ hold: { maxHoldMs: 100 } });
    heartbeat(0);
    data(1);
    data(3);
    until(1000);
    assert.deepEqual(delivered, [1, 3]);
    assert.equal(lost(), 1);
    assert.ok(naks.length <= 2, `asked ${naks.length} times: the asks stop with the hold's give-up at 100 ms`);
    assert.equal(rx.nextDeadline(), undefined);
  });

  it('stops asking for gaps the hold gave up to stay within its limits', () => {
    const { rx, data, heartbeat, until, naks, delivered, lost } = receiverAt({ hold: { maxMessages: 3 } });
    heartbeat(0);
    data(2);
    data(4);
    data(6);
    data(8); // 4 held: the oldest gap (1) goes, 2 comes out, and so on until 3 are held
    assert.deepEqual(delivered, [2]);
    assert.equal(lost(), 1);
    until(1000);
    assert.ok(!naks.some((nak) => nak.entries.some((entry) => entry.seq === 1)), 'never asks for 1');
    assert.deepEqual(delivered, [2, 4, 6, 8]);
    assert.equal(lost(), 4);
    assert.equal(rx.nextDeadline(), undefined);
  });

  it('starts over when the heartbeat brings a new stream id (a restart), releasing what the old stream held', () => {
    const { rx, data, heartbeat, until, naks, delivered, lost } = receiverAt();
    heartbeat(0);
    data(1);
    data(3);
    heartbeat(500, SENDER, RESTARTED);
    assert.equal(rx.nextDeadline(), 0, 'the old stream’s messages are due now');
    assert.deepEqual(data(501), { deliver: [3, 501], lost: 1 });
    data(503);
    until(1000);
    assert.deepEqual(delivered, [1, 3, 501, 503]);
    assert.equal(lost(), 2);
    assert.ok(naks.length > 0);
    assert.deepEqual(new Set(naks.map((nak) => nak.stream)), new Set([RESTARTED]), 'never asks the old stream');
    assert.deepEqual(new Set(naks.flatMap((nak) => nak.entries.map((entry) => entry.seq))), new Set([502]));
    assert.equal((rx.counts() as { streams: number }).streams, 1);
    assert.equal(source(rx).stream, RESTARTED);
  });

  it('continues across the wrap of sequence numbers at 2^32', () => {
    const { data, heartbeat, repair, until, naks, delivered } = receiverAt();
    heartbeat(0xfffffffe);
    data(0xffffffff);
    data(1);
    until(20);
    assert.deepEqual(
      naks.flatMap((nak) => nak.entries),
      [whole(0)],
    );
    repair(0);
    assert.deepEqual(delivered, [0xffffffff, 0, 1]);
  });

  it('splits more than 64 missing messages over several NAK frames', () => {
    const { data, heartbeat, until, naks } = receiverAt({ nak: { backoffMs: 0 } });
    heartbeat(0);
    data(1);
    data(200);
    until(0);
    assert.deepEqual(
      naks.map((nak) => nak.entries.length),
      [64, 64, 64, 6],
    );
    assert.ok(naks.every((nak) => nak.to === SENDER && nak.stream === STREAM));
    assert.deepEqual(
      naks.flatMap((nak) => nak.entries.map((entry) => entry.seq)),
      Array.from({ length: 198 }, (_, i) => i + 2),
    );
  });

  it('bounds its table of streams under 100,000 forged sources, evicting the least recently heard', () => {
    const { rx, data, heartbeat, until, delivered } = receiverAt();
    heartbeat(0);
    data(2); // held behind the gap at 1
    heartbeat(0, '198.51.100.1:1'); // a real, quiet sender: evicted, its held message released
    data(2, '198.51.100.1:1');
    const started = performance.now();
    for (let i = 0; i < 100_000; i++) {
      const forged = `203.0.113.${i % 256}:${1024 + (i >> 8)}`;
      rx.control(forged, { type: 'heartbeat', stream: STREAM, oldest: 0, newest: i, intervalMs: 50, nakPort: 0 });
      if (i % 100 === 0) heartbeat(0); // the busy sender is heard all along
    }
    const ms = performance.now() - started;
    const counts = rx.counts() as { streams: number; evicted: number; sources: Record<string, unknown> };
    assert.equal(counts.streams, 1024);
    assert.equal(counts.evicted, 100_000 + 2 - 1024);
    assert.ok(SENDER in counts.sources, 'the sender heard recently stays');
    assert.ok(!('198.51.100.1:1' in counts.sources));
    assert.ok(ms < 2000, `100,000 sources took ${ms.toFixed(0)} ms`);
    until(10);
    assert.ok(delivered.includes(2), 'the evicted stream’s held message is released');
  });

  it('sends its NAKs to the port the heartbeats announce, on the address they come from (a connected send socket hears no NAK)', () => {
    let now = 0;
    const rx = new ReliableReceiver<number>(
      {},
      () => now,
      () => 0.5,
    );
    rx.control('198.51.100.7:40000', { type: 'heartbeat', stream: STREAM, oldest: 0, newest: 0, intervalMs: 50, nakPort: 41000 });
    rx.data('198.51.100.7:40000', 2, 2, 100);
    now = 100;
    const { naks } = rx.due();
    assert.deepEqual(
      naks.map((nak) => nak.to),
      ['198.51.100.7:41000'],
    );
    const quiet = new ReliableReceiver<number>(
      {},
      () => now,
      () => 0.5,
    );
    quiet.control('[2001:db8::7]:40000', { type: 'heartbeat', stream: STREAM, oldest: 0, newest: 0, intervalMs: 50, nakPort: 0 });
    quiet.data('[2001:db8::7]:40000', 2, 2, 100);
    now = 200;
    assert.deepEqual(
      quiet.due().naks.map((nak) => nak.to),
      ['[2001:db8::7]:40000'],
      'port 0: the source itself',
    );
  });
});
