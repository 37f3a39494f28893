import assert from 'node:assert/strict';
import { RateMeter } from '../../src/core/rate-meter';

describe('a rate meter', () => {
  /** A meter on a clock the test moves, read every 2 s as a status is. */
  function meterAt(windowMs = 10_000) {
    let now = 0;
    const meter = new RateMeter(windowMs, () => now);
    return { meter, tick: (ms: number) => (now += ms) };
  }

  it('is 0 before anything happens', () => {
    const { meter, tick } = meterAt();
    assert.equal(meter.rate(), 0);
    tick(2000);
    assert.equal(meter.rate(), 0);
  });

  it('gives events per second since it started while that is shorter than its window', () => {
    const { meter, tick } = meterAt();
    tick(2000);
    meter.add(4);
    assert.equal(meter.rate(), 2);
  });

  it('holds steady for a slow, regular flow that a 2 s refresh alone would show as on, off, on', () => {
    const { meter, tick } = meterAt();
    const shown: number[] = [];
    // One message every 5 s, read every 2 s for a minute.
    for (let ms = 2000; ms <= 60_000; ms += 2000) {
      if (ms % 5000 < 2000) meter.add();
      tick(2000);
      shown.push(meter.rate());
    }
    const later = shown.slice(6);
    assert.ok(
      later.every((rate) => rate >= 0.1 && rate <= 0.35),
      later.join(', '),
    );
  });

  it('falls to 0 a window after the last event', () => {
    const { meter, tick } = meterAt();
    for (let i = 0; i < 10; i++) {
      meter.add(10);
      tick(1000);
      meter.rate();
    }
    assert.ok(Math.abs(meter.rate() - 10) < 1.5);
    // The last events came in the second before the last reading, at 10 s.
    tick(8000);
    assert.ok(meter.rate() > 0, 'still within the window');
    tick(2000);
    assert.equal(meter.rate(), 0);
  });

  it('keeps at most one mark a second however often it is read', () => {
    const { meter, tick } = meterAt();
    for (let i = 0; i < 10_000; i++) {
      meter.add();
      tick(1);
      meter.rate();
    }
    assert.ok((meter as unknown as { marks: unknown[] }).marks.length <= 12);
    assert.ok(Math.abs(meter.rate() - 1000) < 1);
  });
});
