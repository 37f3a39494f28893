import fc from 'fast-check';
import assert from 'node:assert/strict';
import { SenderDirectory } from '../../src/core/sender-directory';
import { SequenceTracker } from '../../src/core/sequence-tracker';

/** Feeds `seqs` from sender 'a' and returns how many were delivered. */
function deliveredOf(t: SequenceTracker, seqs: number[], sender = 'a'): number {
  return seqs.filter((seq) => t.record(sender, seq).deliver).length;
}

const run = (from: number, count: number) => Array.from({ length: count }, (_, i) => (from + i) >>> 0);

describe('sequence tracker', () => {
  it('counts a gap as lost, and tells the next message how many went before it', () => {
    const t = new SequenceTracker();
    assert.deepEqual(t.record('a', 10), { lostBefore: 0, deliver: true });
    assert.deepEqual(t.record('a', 11), { lostBefore: 0, deliver: true });
    assert.deepEqual(t.record('a', 15), { lostBefore: 3, deliver: true });
    assert.deepEqual(t.snapshot().a, { messages: 3, lost: 3, duplicates: 0, outOfOrder: 0, lastSeq: 15 });
  });

  it('drops duplicates, recent or not the latest', () => {
    const t = new SequenceTracker();
    t.record('a', 1);
    t.record('a', 2);
    t.record('a', 3);
    assert.equal(t.record('a', 3).deliver, false);
    assert.equal(t.record('a', 1).deliver, false);
    assert.equal(t.snapshot().a.duplicates, 2);
  });

  it('drops every second copy when each message arrives twice, late or at once (two network paths)', () => {
    const t = new SequenceTracker();
    const arrivals: number[] = [];
    // Bursts of 32 on one path, the same 32 on the other path after them; the stream starts at 100.
    for (let burst = 0; burst < 10; burst++) {
      const seqs = run(100 + burst * 32, 32);
      arrivals.push(...seqs, ...seqs);
    }
    assert.equal(deliveredOf(t, arrivals), 320);
    assert.deepEqual(t.snapshot().a, { messages: 320, lost: 0, duplicates: 320, outOfOrder: 0, lastSeq: 419 });
  });

  it('takes a late message back out of the lost count', () => {
    const t = new SequenceTracker();
    t.record('a', 1);
    t.record('a', 3);
    assert.equal(t.totalLost(), 1);
    assert.deepEqual(t.record('a', 2), { lostBefore: 0, deliver: true });
    assert.deepEqual(t.snapshot().a, { messages: 3, lost: 0, duplicates: 0, outOfOrder: 1, lastSeq: 3 });
    assert.equal(t.record('a', 2).deliver, false, 'and a second copy of it is a duplicate');
  });

  it('drops a lone message older than the last 64 as a duplicate: a replay cannot be told from a late one', () => {
    const t = new SequenceTracker();
    for (let seq = 1; seq <= 101; seq++) t.record('a', seq);
    assert.equal(t.record('a', 1).deliver, false);
    assert.equal(t.record('a', 1).deliver, false);
    assert.equal(t.record('a', 102).deliver, true);
    assert.deepEqual(t.snapshot().a, { messages: 102, lost: 0, duplicates: 2, outOfOrder: 0, lastSeq: 102 });
  });

  it('counts across the 2^32 wrap', () => {
    const t = new SequenceTracker();
    t.record('a', 0xfffffffe);
    assert.deepEqual(t.record('a', 0xffffffff), { lostBefore: 0, deliver: true });
    assert.deepEqual(t.record('a', 1), { lostBefore: 1, deliver: true });
    assert.deepEqual(t.record('a', 0), { lostBefore: 0, deliver: true }, 'late across the wrap');
    assert.equal(t.record('a', 0xffffffff).deliver, false, 'a duplicate across the wrap');
    assert.equal(deliveredOf(t, run(2, 100)), 100);
    assert.equal(t.totalLost(), 0);
  });

  it('does not let one forged datagram far ahead mute the sender or add to its losses', () => {
    const t = new SequenceTracker();
    assert.equal(deliveredOf(t, run(5000, 10)), 10);
    // From the sender's address and port, 99,999 ahead: delivered like any message LCM would deliver, but not believed.
    t.record('a', 5009 + 99_999);
    const honest = deliveredOf(t, run(5010, 1000));
    assert.ok(honest >= 998, `${honest} of 1000 honest messages delivered`);
    assert.equal(t.totalLost(), 0);
    assert.equal(t.snapshot().a.lastSeq, 6009);
    assert.equal(t.counts.strays, 1, 'the stray datagram is counted');
  });

  it('takes the honest stream back after a forged pair far ahead or far behind, and gives back the losses it claimed', () => {
    for (const forged of [5009 + 99_999, 5009 + 70_000, 5009 - 3000]) {
      const t = new SequenceTracker();
      deliveredOf(t, run(5000, 10));
      deliveredOf(t, [forged, forged + 1]);
      const honest = deliveredOf(t, run(5010, 1000));
      assert.ok(honest >= 998, `${honest} of 1000 honest messages delivered after a pair at ${forged}`);
      assert.ok(t.totalLost() <= 2, `lost ${t.totalLost()} after a pair at ${forged}`);
      assert.equal(t.snapshot().a.lastSeq, 6009);
    }
  });

  for (const last of [5000, 50]) {
    it(`follows a sender that restarts from 0 after sequence ${last}, losing at most its first message`, () => {
      const t = new SequenceTracker();
      assert.equal(deliveredOf(t, run(0, last + 1)), last + 1);
      const delivered = deliveredOf(t, run(0, 500));
      assert.ok(delivered >= 498, `${delivered} of 500 delivered after the restart`);
      const { lost, lastSeq } = t.snapshot().a;
      assert.equal(lastSeq, 499);
      assert.ok(lost <= 2, `lost ${lost}`);
      assert.equal(t.counts.resyncs, 1);
    });
  }

  it('after a restart, still drops a copy of a message of the new stream, even one numbered just after the old stream', () => {
    const t = new SequenceTracker();
    deliveredOf(t, run(0, 51));
    deliveredOf(t, run(0, 60));
    assert.equal(t.record('a', 51).deliver, false);
    assert.equal(t.record('a', 60).deliver, true);
    assert.deepEqual(t.snapshot().a, { messages: 51 + 59 + 1, lost: 1, duplicates: 1, outOfOrder: 0, lastSeq: 60 });
  });

  it('counts a genuine outage of 5,000 messages as lost once the next message confirms it, delivering throughout', () => {
    const t = new SequenceTracker();
    deliveredOf(t, run(1, 100));
    assert.deepEqual(t.record('a', 5101), { lostBefore: 0, deliver: true }, 'the first message after the outage');
    assert.deepEqual(t.record('a', 5102), { lostBefore: 5000, deliver: true, resynced: true }, 'the second confirms it');
    assert.equal(deliveredOf(t, run(5103, 100)), 100);
    assert.deepEqual(t.snapshot().a, { messages: 202, lost: 5000, duplicates: 0, outOfOrder: 0, lastSeq: 5202 });
    assert.equal(t.record('a', 5101).deliver, false, 'a copy of the first one is a duplicate');
  });

  it('after a jump of 64 or more, takes a message that overtook the one before it as the new stream going on', () => {
    const t = new SequenceTracker();
    deliveredOf(t, [100, 101, 203]);
    assert.deepEqual(t.record('a', 202), { lostBefore: 100, deliver: true, resynced: true }, '102 to 201 went');
    assert.deepEqual(t.record('a', 204), { lostBefore: 0, deliver: true });
    assert.equal(t.record('a', 203).deliver, false, 'a copy of the first message after the jump is a duplicate');
    assert.deepEqual(t.snapshot().a, { messages: 5, lost: 100, duplicates: 1, outOfOrder: 0, lastSeq: 204 });
    assert.deepEqual(t.counts, { resyncs: 1, strays: 0 });
    // A forged pair the wrong way round is undone like one the right way round.
    deliveredOf(t, [90_001, 90_000]);
    assert.equal(deliveredOf(t, run(205, 100)), 100);
    assert.equal(t.totalLost(), 100);
  });

  it('takes a confirmed jump of 100,000 or more for a sender that restarted its count, not for losses', () => {
    const t = new SequenceTracker();
    t.record('a', 0);
    t.record('a', 100_000);
    assert.deepEqual(t.record('a', 100_001), { lostBefore: 0, deliver: true, resynced: true });
    assert.equal(t.totalLost(), 0);
  });

  it('keeps senders apart and holds a bounded number of them, forgetting the one heard least recently', () => {
    const t = new SequenceTracker(new SenderDirectory({ maxSenders: 3 }));
    for (const sender of ['a', 'b', 'c']) t.record(sender, 1);
    t.record('a', 2);
    t.record('d', 1);
    assert.deepEqual(Object.keys(t.snapshot()).sort(), ['a', 'c', 'd']);
    const big = new SequenceTracker(new SenderDirectory({ maxSenders: 1024 }));
    for (let i = 0; i < 5000; i++) {
      big.record(`s${i}`, 1);
      big.record('chatty', i);
    }
    assert.equal(Object.keys(big.snapshot()).length, 1024);
    assert.equal(big.snapshot().chatty.messages, 5000, 'a sender heard all along is never forgotten');
  });

  it('takes back the loss of a repaired message, however late, once, and records a repaired tail as it comes', () => {
    const t = new SequenceTracker();
    t.record('a', 0);
    t.record('a', 2); // 1 lost
    for (let seq = 3; seq <= 300; seq++) t.record('a', seq);
    t.record('a', 302); // 301 lost
    assert.equal(t.totalLost(), 2);
    // 300 numbers behind: record() would drop it, repaired() takes the loss back when the caller's hold took it as new.
    t.repaired('a', 1, false);
    assert.equal(t.totalLost(), 2, 'a copy the hold already had changes nothing');
    t.repaired('a', 1, true);
    assert.equal(t.totalLost(), 1);
    // Within the window the tracker knows itself: a second repair of 301 is no second return.
    t.repaired('a', 301, true);
    t.repaired('a', 301, true);
    assert.equal(t.totalLost(), 0);
    assert.equal(t.record('a', 301).deliver, false, 'the original, late, is a duplicate now');
    // Ahead (a lost last message repaired before anything after it): recorded in order, nothing lost.
    t.repaired('a', 303, true);
    assert.deepEqual(t.record('a', 304), { lostBefore: 0, deliver: true });
    assert.equal(t.totalLost(), 0);
  });

  it('lists a stream keyed by a session under its address and port', () => {
    const t = new SequenceTracker();
    t.record('c0ffee01', 1, '198.51.100.7:4000');
    t.record('c0ffee02', 9, '198.51.100.7:4000');
    t.record('198.51.100.8:4000', 3);
    assert.deepEqual(Object.keys(t.snapshot()), ['198.51.100.7:4000', '198.51.100.7:4000 (c0ffee02)', '198.51.100.8:4000']);
  });

  it('delivers every message exactly once under reordering and lone copies within the window, from any start of 100 or more', () => {
    const arrivals = fc
      .record({
        start: fc.oneof(fc.integer({ min: 100, max: 2 ** 32 - 1 }), fc.integer({ min: 2 ** 32 - 200, max: 2 ** 32 - 1 })),
        shuffles: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 100 }),
        copies: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 60 })), { maxLength: 30 }),
      })
      .map(({ start, shuffles, copies }) => {
        const order = run(start, 300);
        // Swaps within 24 places: a message never arrives more than 48 behind its successors.
        for (const [at, by] of shuffles) {
          const i = at % order.length;
          const j = Math.min(order.length - 1, i + (by % 24));
          [order[i], order[j]] = [order[j], order[i]];
        }
        // A copy of a message shortly after it, never next to another copy: two copies of consecutive numbers in a
        // row near the start of a count look exactly like a restart.
        const copy = order.map(() => false);
        for (const [at, later] of copies.sort((x, y) => y[0] - x[0])) {
          const i = at % order.length;
          const j = Math.min(order.length, i + later);
          if (copy[i] || copy[j - 1] || copy[j]) continue;
          order.splice(j, 0, order[i]);
          copy.splice(j, 0, true);
        }
        return { start, order };
      });
    fc.assert(
      fc.property(arrivals, ({ order }) => {
        const t = new SequenceTracker();
        const delivered = new Set<number>();
        for (const seq of order) {
          const { deliver } = t.record('a', seq);
          assert.equal(deliver, !delivered.has(seq), `seq ${seq}`);
          delivered.add(seq);
        }
        assert.equal(delivered.size, 300);
        assert.equal(t.totalLost(), 0);
      }),
    );
  });

  it('never lets one or two forged datagrams, of any number, suppress more than two honest messages', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.oneof(fc.integer({ min: -200_000, max: 200_000 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
        fc.integer({ min: 1, max: 299 }),
        fc.boolean(),
        (start, offset, at, pair) => {
          // Near the stream (where a forgery does harm) as often as anywhere.
          const forged = (start + at + offset) >>> 0;
          const t = new SequenceTracker();
          const honest = run(start, 300);
          let delivered = 0;
          honest.forEach((seq, i) => {
            if (i === at) {
              t.record('a', forged);
              if (pair) t.record('a', (forged + 1) >>> 0);
            }
            if (t.record('a', seq).deliver) delivered++;
          });
          assert.ok(delivered >= 298, `${delivered} of 300 delivered`);
          assert.ok(t.totalLost() <= 2 * 64, `lost ${t.totalLost()}`);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
