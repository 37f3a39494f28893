import assert from 'node:assert/strict';
import { MAX_LINGERING, RepairLimiter, type RepairLimiterOptions } from '../../src/core/repair-limiter';

describe('a repair limiter', () => {
  /** A limiter on a clock the test moves. */
  function limiterAt(options: Partial<RepairLimiterOptions> = {}) {
    let now = 0;
    // The budget's bounds are tested at a rate factor of 1 (repairs ≤ data sent + burst); the default's 2 separately.
    const limiter = new RepairLimiter({ rateFactor: 1, ...options }, () => now);
    return { limiter, tick: (ms: number) => (now += ms) };
  }

  it('repairs a datagram once per linger: asked again within 10 ms it lingers, at 10 ms it is repaired again', () => {
    const { limiter, tick } = limiterAt();
    assert.equal(limiter.allow('7:0'), true);
    tick(3);
    assert.equal(limiter.allow('7:0'), false);
    assert.equal(limiter.allow('7:1'), true, 'another fragment of the same message is another datagram');
    tick(6);
    assert.equal(limiter.allow('7:0'), false);
    tick(1);
    assert.equal(limiter.allow('7:0'), true);
    assert.deepEqual(limiter.counts(), { repaired: 3, lingered: 2, rateLimited: 0 });
  });

  it('keeps the linger it is given', () => {
    const { limiter, tick } = limiterAt({ lingerMs: 100 });
    limiter.allow('1:0');
    tick(99);
    assert.equal(limiter.allow('1:0'), false);
    tick(1);
    assert.equal(limiter.allow('1:0'), true);
  });

  it('lets an idle sender repair up to burst datagrams a second, however many distinct ones are asked for', () => {
    const { limiter, tick } = limiterAt();
    const repairs: number[] = [];
    let now = 0;
    for (let i = 0; i < 100_000; i++) {
      if (limiter.allow(`${i}:0`)) repairs.push(now);
      if (i % 20 === 0) now = tick(1);
    }
    // 5 s of asking: 64 at once, then 64 again each time the last ones have left the count (1 to 1.1 s later).
    assert.equal(repairs.length, 64 * 5);
    assertWithinBudget(repairs, [], 64);
    assert.deepEqual(limiter.counts(), { repaired: 64 * 5, lingered: 0, rateLimited: 100_000 - 64 * 5 });
    assert.ok(limiter.remembered() <= 64, `${limiter.remembered()} remembered`);
  });

  it('remembers at most MAX_LINGERING repaired datagrams, however large its budget', () => {
    const { limiter } = limiterAt({ burst: 1_000_000 });
    for (let i = 0; i < 100_000; i++) assert.equal(limiter.allow(`${i}:0`), true);
    assert.equal(limiter.remembered(), MAX_LINGERING);
    // The newest are the ones it remembers.
    assert.equal(limiter.allow('99999:0'), false);
    assert.equal(limiter.allow('0:0'), true);
  });

  it('forgets repaired datagrams once their linger is over', () => {
    const { limiter, tick } = limiterAt();
    for (let i = 0; i < 50; i++) limiter.allow(`${i}:0`);
    assert.equal(limiter.remembered(), 50);
    tick(30);
    assert.equal(limiter.remembered(), 0);
  });

  it('does not spend the budget on a datagram that lingers', () => {
    const { limiter } = limiterAt({ burst: 2 });
    assert.equal(limiter.allow('1:0'), true);
    for (let i = 0; i < 10; i++) assert.equal(limiter.allow('1:0'), false);
    assert.equal(limiter.allow('2:0'), true);
    assert.equal(limiter.allow('3:0'), false);
    assert.deepEqual(limiter.counts(), { repaired: 2, lingered: 10, rateLimited: 1 });
  });

  it('keeps a sender of 1,000 datagrams/s under a NAK flood to its data rate plus burst in every second, and near it', () => {
    const { limiter, tick } = limiterAt();
    const sends: number[] = [];
    const repairs: number[] = [];
    let now = 0;
    let key = 0;
    // A second of sending first, then 5 s of sending with 20 distinct NAKed datagrams every millisecond.
    for (let ms = 0; ms < 6000; ms++) {
      limiter.noteSent(1);
      sends.push(now);
      if (ms >= 1000) for (let i = 0; i < 20; i++) if (limiter.allow(`${key++}:0`)) repairs.push(now);
      now = tick(1);
    }
    assertWithinBudget(repairs, sends, 64);
    // Not starved either: about the data rate over the 5 s (the counts' 100 ms rounding costs up to 10 %).
    assert.ok(repairs.length >= 0.85 * 5000 && repairs.length <= 5 * (1000 + 64), `${repairs.length} repairs in 5 s`);
  });

  it('repairs a burst loss of 300 datagrams at 10,000 datagrams/s at once', () => {
    const { limiter, tick } = limiterAt();
    for (let ms = 0; ms < 1000; ms++) {
      limiter.noteSent(10);
      tick(1);
    }
    let allowed = 0;
    for (let seq = 0; seq < 300; seq++) if (limiter.allow(`${seq}:0`)) allowed++;
    assert.equal(allowed, 300);
  });

  it('counts a send into the budget for at most a second', () => {
    const { limiter, tick } = limiterAt({ burst: 10 });
    limiter.noteSent(100);
    tick(950);
    let allowed = 0;
    for (let i = 0; i < 1000; i++) if (limiter.allow(`a${i}`)) allowed++;
    assert.equal(allowed, 110, 'the 100 sent 950 ms ago, plus burst');
    // At 1000 ms the send has left the budget; the repairs made at 950 ms still count until their bucket
    // (900-1000 ms) leaves, at 2000 ms.
    tick(50);
    for (let i = 0; i < 1000; i++) if (limiter.allow(`b${i}`)) allowed++;
    tick(999);
    for (let i = 0; i < 1000; i++) if (limiter.allow(`c${i}`)) allowed++;
    assert.equal(allowed, 110);
    // Then those repairs are out of the count: an idle sender's burst again, not the old send's budget.
    tick(1);
    for (let i = 0; i < 1000; i++) if (limiter.allow(`d${i}`)) allowed++;
    assert.equal(allowed, 110 + 10);
  });

  it('lets repairs reach twice the data rate plus burst by default, and no more', () => {
    let now = 0;
    const limiter = new RepairLimiter({}, () => now);
    let allowed = 0;
    // 1,000 data datagrams a second and a NAK for a new datagram every 0.1 ms, for 3 s; repairs counted in the last.
    for (let step = 0; step < 30_000; step++) {
      now = step / 10;
      if (step % 10 === 0) limiter.noteSent(1);
      if (limiter.allow(`k${step}`) && now >= 2000) allowed++;
    }
    assert.ok(allowed <= 2 * 1000 + 64, `${allowed} repairs in the last second`);
    assert.ok(allowed >= 1.7 * 1000, `${allowed} repairs in the last second: near twice the data rate`);
  });
});

/**
 * Asserts the limiter's bound: in every second (every span (t - 1000, t] that ends at a repair), the repairs are at
 * most the sends of that span plus burst. Times in ms, ascending.
 */
function assertWithinBudget(repairs: number[], sends: number[], burst: number): void {
  let repairFrom = 0;
  let sendFrom = 0;
  let sendTo = 0;
  repairs.forEach((t, i) => {
    while (repairs[repairFrom] <= t - 1000) repairFrom++;
    while (sendFrom < sends.length && sends[sendFrom] <= t - 1000) sendFrom++;
    while (sendTo < sends.length && sends[sendTo] <= t) sendTo++;
    const repaired = i + 1 - repairFrom;
    const sent = sendTo - sendFrom;
    assert.ok(repaired <= sent + burst, `${repaired} repairs but ${sent} sends in the second up to ${t} ms`);
  });
}
