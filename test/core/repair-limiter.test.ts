import assert from 'node:assert/strict';
import { MAX_LINGERING, RepairLimiter, type RepairLimiterOptions } from '../../src/core/repair-limiter';

describe('a repair limiter', () => {
  /** A limiter on a clock the test moves. */
  function limiterAt(options: Partial<RepairLimiterOptions> = {}) {
    let now = 0;
    const limiter = new RepairLimiter(options, () => now);
    return { limiter, tick: (ms: number) => (now += ms) };
  }

  it('repairs a datagram once per linger: asked again within 30 ms it lingers, at 30 ms it is repaired again', () => {
    const { limiter, tick } = limiterAt();
    assert.equal(limiter.allow('7:0'), true);
    tick(10);
    assert.equal(limiter.allow('7:0'), false);
    assert.equal(limiter.allow('7:1'), true, 'another fragment of the same message is another datagram');
    tick(19);
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

  it('lets an idle sender repair up to burst datagrams, however many distinct ones are asked for', () => {
    const { limiter, tick } = limiterAt();
    let allowed = 0;
    for (let i = 0; i < 100_000; i++) {
      if (limiter.allow(`${i}:0`)) allowed++;
      if (i % 100 === 0) tick(1);
    }
    assert.equal(allowed, 64);
    assert.deepEqual(limiter.counts(), { repaired: 64, lingered: 0, rateLimited: 100_000 - 64 });
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

  it('lets a sender of 1,000 datagrams/s repair about 1,000/s plus burst under a NAK flood, not more', () => {
    const { limiter, tick } = limiterAt();
    // A second of sending first, so the rate is known; the budget is full (burst) when the flood starts.
    for (let ms = 0; ms < 1000; ms++) {
      limiter.noteSent(1);
      tick(1);
    }
    let allowed = 0;
    let key = 0;
    for (let ms = 0; ms < 1000; ms++) {
      limiter.noteSent(1);
      for (let i = 0; i < 20; i++) if (limiter.allow(`${key++}:0`)) allowed++;
      tick(1);
    }
    assert.ok(allowed >= 1000 + 64 - 5 && allowed <= 1000 + 64, `${allowed} repairs in a second`);
  });

  it('refills at the rate of the last second only: a sender gone quiet earns nothing more', () => {
    const { limiter, tick } = limiterAt({ burst: 10 });
    limiter.noteSent(1000);
    for (let i = 0; i < 10; i++) limiter.allow(`a${i}`);
    // 500 ms at 1,000/s would earn 500, but the bucket holds 10.
    tick(500);
    let allowed = 0;
    for (let i = 0; i < 100; i++) if (limiter.allow(`b${i}`)) allowed++;
    assert.equal(allowed, 10);
    // More than a second after the last send, the rate is 0 and nothing comes back.
    tick(1100);
    for (let i = 0; i < 100; i++) if (limiter.allow(`c${i}`)) allowed++;
    tick(5000);
    for (let i = 0; i < 100; i++) if (limiter.allow(`d${i}`)) allowed++;
    assert.ok(allowed <= 10 + 10, `${allowed}`);
  });

  it('counts a send into the rate for one second, not longer', () => {
    const { limiter, tick } = limiterAt({ burst: 1000 });
    for (let i = 0; i < 1000; i++) limiter.allow(`spent${i}`);
    limiter.noteSent(100);
    tick(950);
    let allowed = 0;
    for (let i = 0; i < 1000; i++) if (limiter.allow(`a${i}`)) allowed++;
    assert.equal(allowed, 95, '950 ms at 100/s');
    tick(1050);
    for (let i = 0; i < 1000; i++) if (limiter.allow(`b${i}`)) allowed++;
    // 5 more up to 1000 ms; then, as the rate is kept per 100 ms, the send leaves the window over 1000-1100 ms,
    // worth 5 more; then nothing.
    assert.equal(allowed, 95 + 5 + 5);
  });
});
