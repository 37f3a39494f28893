import assert from 'node:assert/strict';
import { NakScheduler, type MissingRange } from '../../src/core/nak-scheduler';
import { seeded } from '../support/seeded-random';

const whole = (seq: number): MissingRange => ({ seq, first: 0, last: 0xffff });

// The mechanics are tested on fixed timing (20 ms back-off, asks 60 ms apart, four in all), not on the defaults.
const TIMING = { backoffMs: 20, retryMs: 60, maxRetries: 4 };

/** A scheduler on a clock the test moves, drawing `draw` (a fixed back-off fraction, or a sequence of them). */
function schedulerAt(draw: number | number[] = 0.5, timing = {}) {
  let now = 0;
  const draws = [draw].flat();
  let i = 0;
  const nak = new NakScheduler(
    { ...TIMING, ...timing },
    () => now,
    () => draws[i++ % draws.length],
  );
  return { nak, at: (ms: number) => (now = ms) };
}

describe('a NAK scheduler', () => {
  it('asks for a gap once after its random back-off, not before', () => {
    const { nak, at } = schedulerAt(0.5);
    nak.missing([whole(42)]);
    assert.equal(nak.nextDeadline(), 10);
    at(9.9);
    assert.deepEqual(nak.due(), { ask: [], givenUp: [] });
    at(10);
    assert.deepEqual(nak.due(), { ask: [whole(42)], givenUp: [] });
    assert.deepEqual(nak.due(), { ask: [], givenUp: [] });
    assert.equal(nak.nextDeadline(), 70);
  });

  it('keeps the timer of a range it already knows', () => {
    const { nak, at } = schedulerAt([0.5, 0.99]);
    nak.missing([whole(42)]);
    at(8);
    nak.missing([whole(42), { seq: 42, first: 3, last: 4 }]);
    assert.equal(nak.pending(), 1);
    assert.equal(nak.nextDeadline(), 10);
  });

  it('asks again every retryMs, at most maxRetries times, then gives the range up', () => {
    const { nak, at } = schedulerAt(0.5);
    nak.missing([whole(42)]);
    const asked: number[] = [];
    let givenUp: { ms: number; ranges: MissingRange[] } | undefined;
    for (let ms = 0; ms <= 1000 && !givenUp; ms++) {
      at(ms);
      const due = nak.due();
      if (due.ask.length > 0) asked.push(ms);
      if (due.givenUp.length > 0) givenUp = { ms, ranges: due.givenUp };
    }
    assert.deepEqual(asked, [10, 70, 130, 190]);
    assert.deepEqual(givenUp, { ms: 250, ranges: [whole(42)] });
    assert.equal(nak.pending(), 0);
    assert.equal(nak.nextDeadline(), undefined);
  });

  it('stops asking for what arrived, and asks only for the fragments still missing', () => {
    const { nak, at } = schedulerAt(0.5);
    nak.missing([whole(42), { seq: 43, first: 0, last: 9 }]);
    nak.arrived(42);
    nak.arrived(43, 3, 5);
    assert.equal(nak.pending(), 2);
    at(10);
    assert.deepEqual(nak.due().ask, [
      { seq: 43, first: 0, last: 2 },
      { seq: 43, first: 6, last: 9 },
    ]);
    nak.arrived(43, 0, 2);
    nak.arrived(43, 6, 9);
    assert.equal(nak.pending(), 0);
    assert.equal(nak.nextDeadline(), undefined);
    at(1000);
    assert.deepEqual(nak.due(), { ask: [], givenUp: [] });
  });

  it('holds its NAK back when it hears another for the same range, without counting a retry', () => {
    const { nak, at } = schedulerAt(0.5);
    nak.missing([whole(42)]);
    at(5);
    nak.heard([whole(42)]);
    assert.equal(nak.nextDeadline(), 65);
    at(10);
    assert.deepEqual(nak.due().ask, []);
    // No repair came: it asks itself, still four times in all.
    const asked: number[] = [];
    for (let ms = 11; ms <= 1000; ms++) {
      at(ms);
      if (nak.due().ask.length > 0) asked.push(ms);
    }
    assert.deepEqual(asked, [65, 125, 185, 245]);
  });

  it('holds back only the part of its range that someone else asked for', () => {
    const { nak, at } = schedulerAt(0.5);
    nak.missing([{ seq: 42, first: 0, last: 9 }]);
    at(5);
    nak.heard([{ seq: 42, first: 4, last: 5 }]);
    at(10);
    assert.deepEqual(nak.due().ask, [
      { seq: 42, first: 0, last: 3 },
      { seq: 42, first: 6, last: 9 },
    ]);
    at(65);
    assert.deepEqual(nak.due().ask, [{ seq: 42, first: 4, last: 5 }]);
    // Asked at 10 and 65, the parts come due together at 125: one range again.
    at(125);
    assert.deepEqual(nak.due().ask, [{ seq: 42, first: 0, last: 9 }]);
  });

  it('merges adjacent and overlapping fragment ranges of one message into one entry', () => {
    const { nak, at } = schedulerAt(0);
    nak.missing([
      { seq: 42, first: 0, last: 3 },
      { seq: 42, first: 4, last: 7 },
      { seq: 42, first: 6, last: 12 },
      { seq: 42, first: 20, last: 21 },
      { seq: 43, first: 8, last: 9 },
      whole(0xffffffff),
      whole(0),
    ]);
    at(0);
    assert.deepEqual(nak.due().ask, [
      { seq: 42, first: 0, last: 12 },
      { seq: 42, first: 20, last: 21 },
      { seq: 43, first: 8, last: 9 },
      whole(0xffffffff),
      whole(0),
    ]);
  });

  it('forgets everything on clear', () => {
    const { nak, at } = schedulerAt(0.5);
    nak.missing([whole(1), whole(2)]);
    nak.clear();
    assert.equal(nak.pending(), 0);
    assert.equal(nak.nextDeadline(), undefined);
    at(1000);
    assert.deepEqual(nak.due(), { ask: [], givenUp: [] });
  });

  it('stays bounded under a flood of a million missing messages, giving up the oldest at once', () => {
    const { nak, at } = schedulerAt(0.5);
    let givenUp = 0;
    let lastGivenUp: number | undefined;
    for (let seq = 0; seq < 1_000_000; seq++) {
      nak.missing([whole(seq)]);
      assert.ok(nak.pending() <= 10_000);
      if (seq % 100_000 === 99_999) {
        const due = nak.due();
        givenUp += due.givenUp.length;
        lastGivenUp ??= due.givenUp.at(-1)?.seq;
        assert.ok(due.givenUp.length <= 20_000, `${due.givenUp.length} given up in one go`);
      }
    }
    assert.equal(nak.pending(), 10_000);
    assert.equal(lastGivenUp, 100_000 - 10_000 - 1, 'the newest of those given up are reported, the rest counted');
    assert.equal(givenUp + nak.unreported(), 990_000);
    // The overflow is something to do now.
    nak.missing([whole(1_000_000)]);
    assert.equal(nak.nextDeadline(), 0);
    at(10);
    assert.deepEqual(
      nak.due().ask.map((r) => r.seq),
      Array.from({ length: 10_000 }, (_, i) => 990_001 + i),
    );
  });

  it('stays bounded when a million losses come and are repaired', () => {
    const { nak } = schedulerAt(0.5);
    for (let seq = 0; seq < 1_000_000; seq++) {
      nak.missing([whole(seq), whole(seq + 1)]);
      nak.arrived(seq);
    }
    assert.equal(nak.pending(), 1);
    assert.ok((nak as unknown as { queue: unknown[] }).queue.length <= 2048);
  });

  it('stays bounded when heard NAKs split its ranges into many', () => {
    const { nak } = schedulerAt(0.5, { maxPending: 100 });
    nak.missing([whole(1), whole(2)]);
    for (let f = 0; f < 1000; f += 2) nak.heard([{ seq: 1, first: f, last: f }]);
    assert.ok(nak.pending() <= 100);
    assert.deepEqual(nak.due().givenUp[0]?.seq, 1);
  });

  describe('eight receivers that lost the same datagram', () => {
    /** NAKs sent for one loss: each receiver hears another's NAK 0.5 ms after it is sent; the repair comes 25 ms after the first. */
    function naksForOneLoss(receivers: number, suppress: boolean, random: () => number): number {
      let now = 0;
      const group = Array.from({ length: receivers }, () => new NakScheduler(TIMING, () => now, random));
      for (const nak of group) nak.missing([whole(42)]);
      const events: { at: number; run: () => void }[] = [];
      let naks = 0;
      for (;;) {
        const deadlines = [...group.map((nak) => nak.nextDeadline()), ...events.map((e) => e.at)].filter((t) => t !== undefined);
        if (deadlines.length === 0) return naks;
        now = Math.min(...deadlines);
        for (const event of events.filter((e) => e.at <= now)) {
          events.splice(events.indexOf(event), 1);
          event.run();
        }
        for (const asker of group) {
          const { ask } = asker.due();
          if (ask.length === 0) continue;
          naks++;
          if (suppress) events.push({ at: now + 0.5, run: () => group.filter((nak) => nak !== asker).forEach((nak) => nak.heard(ask)) });
          if (naks === 1) events.push({ at: now + 25, run: () => group.forEach((nak) => nak.arrived(42)) });
        }
      }
    }

    it('send about one NAK in all when they hear each other, eight when they do not', () => {
      const random = seeded(14);
      const withSuppression = Array.from({ length: 1000 }, () => naksForOneLoss(8, true, random));
      const without = Array.from({ length: 1000 }, () => naksForOneLoss(8, false, random));
      const average = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      assert.ok(average(withSuppression) <= 1.5, `average ${average(withSuppression)}`);
      assert.ok(withSuppression.filter((n) => n <= 2).length >= 950, 'at most 2 NAKs in most draws');
      assert.equal(average(without), 8);
    });
  });
});
