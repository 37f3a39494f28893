import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InOrderHold, MAX_JUMP, type HoldLimits } from '../../src/core/in-order-hold';

/** A hold of numbers (each message is its own sequence number) on a clock the test moves. */
function holdAt(limits: Partial<HoldLimits> = {}) {
  let now = 0;
  // The mechanics are tested on a fixed hold time (400 ms), not on the default backstop.
  const hold = new InOrderHold<number>({ maxHoldMs: 400, ...limits }, () => now);
  return { hold, at: (ms: number) => (now = ms), offer: (seq: number, bytes = 10) => hold.offer(seq, seq, bytes) };
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => (from + i) >>> 0);

describe('an in-order hold', () => {
  it('delivers a stream in order as it comes, starting where the first message is', () => {
    const { hold, offer } = holdAt();
    assert.deepEqual(offer(7), { deliver: [7], missing: [], lost: 0 });
    assert.deepEqual(offer(8), { deliver: [8], missing: [], lost: 0 });
    assert.equal(hold.nextDeadline(), undefined);
    assert.deepEqual(hold.counts(), { held: 0, bytes: 0, duplicates: 0, lost: 0 });
  });

  it('holds what comes after a gap, says what is missing, and delivers it all once the gap is filled', () => {
    const { hold, offer } = holdAt();
    hold.start(1);
    assert.deepEqual(offer(4, 100), { deliver: [], missing: [1, 2, 3], lost: 0 });
    assert.deepEqual(offer(2), { deliver: [], missing: [], lost: 0 });
    assert.deepEqual(hold.counts(), { held: 2, bytes: 110, duplicates: 0, lost: 0 });
    assert.deepEqual(offer(1), { deliver: [1, 2], missing: [], lost: 0 });
    assert.deepEqual(offer(3), { deliver: [3, 4], missing: [], lost: 0 });
    assert.deepEqual(hold.counts(), { held: 0, bytes: 0, duplicates: 0, lost: 0 });
  });

  it('drops and counts duplicates, held or already delivered', () => {
    const { hold, offer } = holdAt();
    offer(1);
    offer(3);
    assert.deepEqual(offer(3).deliver, []);
    assert.deepEqual(offer(1).deliver, []);
    assert.deepEqual(offer(0).deliver, []);
    assert.equal(hold.counts().duplicates, 3);
    assert.deepEqual(offer(2).deliver, [2, 3]);
  });

  it('delivers any arrival order of a stream, with copies, exactly once and in order, also across 2^32', () => {
    const start = fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 2 ** 32 - 60, max: 2 ** 32 - 1 }));
    fc.assert(
      fc.property(
        start,
        fc
          .integer({ min: 1, max: 60 })
          .chain((n) => fc.tuple(fc.constant(n), fc.shuffledSubarray(range(0, 3 * n), { minLength: 3 * n, maxLength: 3 * n }), fc.nat(n))),
        (first, [n, order, copies]) => {
          const { hold, offer } = holdAt();
          hold.start(first);
          // Each of 0…n-1 once, plus `copies` second copies, in the shuffled order.
          const arrivals = order.filter((i) => i < n || i - n < copies).map((i) => (first + (i % n)) >>> 0);
          const delivered: number[] = [];
          const missing: number[] = [];
          for (const seq of arrivals) {
            const out = offer(seq);
            delivered.push(...out.deliver);
            missing.push(...out.missing);
            assert.equal(out.lost, 0);
          }
          assert.deepEqual(delivered, range(first, n));
          assert.equal(new Set(missing).size, missing.length, 'each number is reported missing once');
          assert.ok(missing.every((seq) => (seq - first) >>> 0 < n));
          assert.deepEqual(hold.counts(), { held: 0, bytes: 0, duplicates: arrivals.length - n, lost: 0 });
        },
      ),
    );
  });

  it('releases what follows a gap given up, and counts it lost', () => {
    const { hold, offer } = holdAt();
    offer(1);
    assert.deepEqual(offer(3).missing, [2]);
    offer(4);
    assert.deepEqual(hold.giveUp(2), { deliver: [3, 4], lost: 1 });
    assert.deepEqual(hold.counts(), { held: 0, bytes: 0, duplicates: 0, lost: 1 });
    // Its repair, too late, is dropped.
    assert.deepEqual(offer(2).deliver, []);
  });

  it('remembers a later gap given up until the earlier one is filled', () => {
    const { hold, offer } = holdAt();
    offer(1);
    offer(3);
    assert.deepEqual(offer(5).missing, [4]);
    assert.deepEqual(hold.giveUp(4), { deliver: [], lost: 1 });
    assert.deepEqual(hold.giveUp(4), { deliver: [], lost: 0 }, 'once');
    assert.deepEqual(hold.giveUp(3), { deliver: [], lost: 0 }, 'held, not a gap');
    assert.deepEqual(hold.giveUp(9), { deliver: [], lost: 0 }, 'not heard of yet');
    assert.deepEqual(hold.giveUp(1), { deliver: [], lost: 0 }, 'delivered');
    assert.deepEqual(offer(4).deliver, [], 'a repair after the gap was given up');
    assert.deepEqual(offer(2).deliver, [2, 3, 5]);
    assert.deepEqual(hold.counts(), { held: 0, bytes: 0, duplicates: 1, lost: 1 });
  });

  it('gives up a gap when a message behind it has waited maxHoldMs, not before', () => {
    const { hold, offer, at } = holdAt();
    offer(1);
    offer(3);
    assert.equal(hold.nextDeadline(), 400);
    at(399);
    assert.deepEqual(hold.expire(), { deliver: [], lost: 0 });
    at(400);
    assert.deepEqual(hold.expire(), { deliver: [3], lost: 1 });
    assert.equal(hold.nextDeadline(), undefined);
  });

  it('gives up every gap before the furthest message held too long, though repairs came later', () => {
    const { hold, offer, at } = holdAt();
    offer(1);
    offer(5);
    at(300);
    offer(3);
    offer(8);
    assert.equal(hold.nextDeadline(), 400);
    at(400);
    assert.deepEqual(hold.expire(), { deliver: [3, 5], lost: 2 });
    assert.equal(hold.nextDeadline(), 700);
    at(700);
    assert.deepEqual(hold.expire(), { deliver: [8], lost: 2 });
    assert.deepEqual(hold.counts(), { held: 0, bytes: 0, duplicates: 0, lost: 4 });
  });

  it('gives up the gaps before every message held too long when expire() comes late', () => {
    const { hold, offer, at } = holdAt();
    offer(1);
    offer(3);
    at(10);
    offer(6);
    at(410);
    assert.deepEqual(hold.expire(), { deliver: [3, 6], lost: 3 });
  });

  it('gives up the oldest gap early when more messages wait than maxMessages', () => {
    const { hold, offer } = holdAt({ maxMessages: 3 });
    offer(1);
    offer(3);
    offer(4);
    offer(6);
    assert.equal(hold.counts().held, 3);
    assert.deepEqual(offer(8), { deliver: [3, 4], missing: [7], lost: 1 });
    assert.deepEqual(hold.counts(), { held: 2, bytes: 20, duplicates: 0, lost: 1 });
  });

  it('gives up the oldest gap early when more bytes wait than maxBytes', () => {
    const { hold, offer } = holdAt({ maxBytes: 100 });
    offer(1);
    offer(3, 60);
    assert.deepEqual(offer(5, 60), { deliver: [3], missing: [4], lost: 1 });
    assert.deepEqual(hold.counts(), { held: 1, bytes: 60, duplicates: 0, lost: 1 });
  });

  it('counts gaps given up behind the oldest as held memory', () => {
    const { hold, offer } = holdAt({ maxMessages: 4 });
    offer(1);
    offer(10);
    for (const seq of [3, 4, 5]) assert.deepEqual(hold.giveUp(seq), { deliver: [], lost: 1 });
    assert.deepEqual(hold.giveUp(6), { deliver: [], lost: 1 + 1 }, 'past the limit: 2 is given up too, and 3…6 go with it');
    assert.deepEqual(hold.counts(), { held: 1, bytes: 10, duplicates: 0, lost: 5 });
    assert.deepEqual(offer(7).deliver, [7]);
    assert.deepEqual(hold.giveUp(9), { deliver: [], lost: 1 });
    assert.deepEqual(offer(8).deliver, [8, 10]);
  });

  it('keeps order across the wrap at 2^32', () => {
    const { hold, offer, at } = holdAt();
    assert.deepEqual(offer(0xfffffffe).deliver, [0xfffffffe]);
    assert.deepEqual(offer(1), { deliver: [], missing: [0xffffffff, 0], lost: 0 });
    assert.deepEqual(offer(0).deliver, []);
    assert.deepEqual(offer(0xfffffffd).deliver, [], 'before the start: old');
    assert.deepEqual(offer(0xffffffff).deliver, [0xffffffff, 0, 1]);
    offer(3);
    at(400);
    assert.deepEqual(hold.expire(), { deliver: [3], lost: 1 });
    assert.deepEqual(offer(4).deliver, [4]);
  });

  it('reports at most MAX_JUMP numbers missing for a huge jump, giving up those before at once', () => {
    const { hold, offer } = holdAt();
    offer(1);
    offer(3);
    const out = offer(1_000_002);
    assert.deepEqual(out.deliver, [3]);
    assert.deepEqual(out.missing, range(1_000_002 - MAX_JUMP, MAX_JUMP));
    assert.equal(out.lost, 1_000_002 - MAX_JUMP - 2 - 1);
    assert.deepEqual(hold.counts(), { held: 1, bytes: 10, duplicates: 0, lost: out.lost });
    let delivered: number[] = [];
    for (const seq of out.missing) delivered = delivered.concat(hold.giveUp(seq).deliver);
    assert.deepEqual(delivered, [1_000_002]);
    assert.equal(hold.counts().lost, 1_000_002 - 3);
  });

  it('stays bounded when every message jumps far ahead, across 2^32', () => {
    const { hold, offer } = holdAt({ maxMessages: 1000 });
    let seq = 2 ** 32 - 1_000_000;
    offer(seq);
    let delivered = 0;
    for (let i = 0; i < 5000; i++) {
      seq = (seq + MAX_JUMP + 1 - (i % 3) * 10) >>> 0;
      const out = offer(seq);
      assert.ok(out.missing.length <= MAX_JUMP);
      delivered += out.deliver.length;
      assert.ok(hold.counts().held <= 1000);
    }
    assert.equal(delivered, 4000, 'the oldest released, in order, as the newest came');
  });
});
