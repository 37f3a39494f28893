import fc from 'fast-check';
import assert from 'node:assert/strict';
import { SequenceTracker } from '../../src/core/sequence-tracker';

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

  it('takes a late message back out of the lost count', () => {
    const t = new SequenceTracker();
    t.record('a', 1);
    t.record('a', 3);
    assert.equal(t.totalLost(), 1);
    assert.deepEqual(t.record('a', 2), { lostBefore: 0, deliver: true });
    assert.deepEqual(t.snapshot().a, { messages: 3, lost: 0, duplicates: 0, outOfOrder: 1, lastSeq: 3 });
    assert.equal(t.record('a', 2).deliver, false, 'and a second copy of it is a duplicate');
  });

  it('drops a message older than the last 64 as a duplicate: a replay cannot be told from a late one', () => {
    const t = new SequenceTracker();
    for (let seq = 1; seq <= 101; seq++) t.record('a', seq);
    assert.equal(t.record('a', 1).deliver, false);
    assert.equal(t.record('a', 1).deliver, false);
    assert.deepEqual(t.snapshot().a, { messages: 101, lost: 0, duplicates: 2, outOfOrder: 0, lastSeq: 101 });
  });

  it('counts across the 2^32 wrap', () => {
    const t = new SequenceTracker();
    t.record('a', 0xfffffffe);
    assert.deepEqual(t.record('a', 0xffffffff), { lostBefore: 0, deliver: true });
    assert.deepEqual(t.record('a', 1), { lostBefore: 1, deliver: true });
  });

  it('treats a jump of 100,000 or more as a restarted sender, not as losses', () => {
    const edge = new SequenceTracker();
    edge.record('a', 0);
    assert.deepEqual(edge.record('a', 99_999), { lostBefore: 99_998, deliver: true });
    edge.record('b', 0);
    assert.deepEqual(edge.record('b', 100_000), { lostBefore: 0, deliver: true });
    const t = new SequenceTracker();
    t.record('a', 5_000_000);
    assert.deepEqual(t.record('a', 0), { lostBefore: 0, deliver: true });
    assert.deepEqual(t.record('a', 1), { lostBefore: 0, deliver: true });
    assert.equal(t.totalLost(), 0);
  });

  it('keeps senders apart and holds a bounded number of them', () => {
    const t = new SequenceTracker(3);
    for (const sender of ['a', 'b', 'c', 'd']) t.record(sender, 1);
    assert.deepEqual(Object.keys(t.snapshot()), ['b', 'c', 'd']);
  });

  it('agrees with a plain set of seen sequence numbers for any order of arrivals within the window', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 300 }), (arrivals) => {
        const tracker = new SequenceTracker();
        const delivered = new Set<number>();
        let newest = -1;
        for (const seq of arrivals) {
          // The model: deliver what was not delivered before and is within 64 of the newest seen.
          const expected = !delivered.has(seq) && (newest < 0 || seq > newest || newest - seq < 64);
          assert.equal(tracker.record('a', seq).deliver, expected, `seq ${seq} after ${[...delivered].join(',')}`);
          if (expected) delivered.add(seq);
          newest = Math.max(newest, seq);
        }
      }),
    );
  });
});
