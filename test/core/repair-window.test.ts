import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RepairWindow, type RepairWindowLimits } from '../../src/core/repair-window';
import { seqAfter } from '../../src/core/sequence-number';

describe('a repair window', () => {
  /** A window on a clock the test moves, with roomy limits unless told otherwise. */
  function windowAt(limits: Partial<RepairWindowLimits> = {}) {
    let now = 0;
    const window = new RepairWindow({ maxAgeMs: 2000, maxBytes: 1 << 20, maxMessages: 100, ...limits }, () => now);
    return { window, tick: (ms: number) => (now += ms) };
  }

  /** `count` datagrams of `bytes` bytes each, filled with "seq:fragment" so that equal ones are the same datagram. */
  function datagrams(seq: number, count = 1, bytes = 10): Buffer[] {
    return Array.from({ length: count }, (_, fragment) => Buffer.alloc(bytes, `${seq}:${fragment},`));
  }

  it('is empty at first', () => {
    const { window } = windowAt();
    assert.equal(window.oldest(), undefined);
    assert.equal(window.newest(), undefined);
    assert.equal(window.lookup(0, 0, 0xffff), undefined);
    assert.deepEqual(window.size(), { messages: 0, bytes: 0 });
  });

  it('gives back a whole message, small or fragmented, for 0…0xFFFF', () => {
    const { window } = windowAt();
    const small = datagrams(1);
    const large = datagrams(2, 5);
    window.record(1, small);
    window.record(2, large);
    assert.deepEqual(window.lookup(1, 0, 0xffff), small);
    assert.deepEqual(window.lookup(2, 0, 0xffff), large);
    assert.deepEqual(window.size(), { messages: 2, bytes: 60 });
  });

  it('gives back a range of fragments, clipped to the fragments the message has', () => {
    const { window } = windowAt();
    const large = datagrams(7, 5);
    window.record(7, large);
    assert.deepEqual(window.lookup(7, 1, 3), large.slice(1, 4));
    assert.deepEqual(window.lookup(7, 4, 4), [large[4]]);
    assert.deepEqual(window.lookup(7, 3, 100), large.slice(3));
    assert.deepEqual(window.lookup(7, 5, 9), [], 'a range that starts past the last fragment is none of them');
    assert.deepEqual(window.lookup(7, 3, 2), [], 'first after last is none');
  });

  it('does not let a caller change what it keeps through the array it got', () => {
    const { window } = windowAt();
    window.record(1, datagrams(1, 3));
    window.lookup(1, 0, 0xffff)?.pop();
    assert.equal(window.lookup(1, 0, 0xffff)?.length, 3);
  });

  it('answers undefined for a message it never had', () => {
    const { window } = windowAt();
    window.record(5, datagrams(5));
    assert.equal(window.lookup(4, 0, 0xffff), undefined);
    assert.equal(window.lookup(6, 0, 0), undefined);
  });

  it('evicts by age: a message is kept for maxAgeMs, then gone, the newest too', () => {
    const { window, tick } = windowAt({ maxAgeMs: 2000 });
    window.record(1, datagrams(1));
    tick(1000);
    window.record(2, datagrams(2));
    tick(999);
    assert.equal(window.oldest(), 1);
    tick(1);
    assert.equal(window.lookup(1, 0, 0xffff), undefined);
    assert.equal(window.oldest(), 2);
    assert.deepEqual(window.size(), { messages: 1, bytes: 10 });
    tick(1000);
    assert.equal(window.newest(), undefined);
    assert.equal(window.lookup(2, 0, 0xffff), undefined);
    assert.deepEqual(window.size(), { messages: 0, bytes: 0 });
  });

  it('evicts by message count, oldest first', () => {
    const { window } = windowAt({ maxMessages: 3 });
    for (let seq = 1; seq <= 5; seq++) window.record(seq, datagrams(seq));
    assert.equal(window.oldest(), 3);
    assert.equal(window.newest(), 5);
    assert.equal(window.lookup(2, 0, 0xffff), undefined);
    assert.ok(window.lookup(3, 0, 0xffff));
    assert.deepEqual(window.size(), { messages: 3, bytes: 30 });
  });

  it('evicts by bytes, the sum of the datagrams kept, oldest first', () => {
    const { window } = windowAt({ maxBytes: 100 });
    window.record(1, datagrams(1, 4, 20)); // 80 bytes
    window.record(2, datagrams(2, 1, 20)); // 100 in all: still within
    assert.equal(window.oldest(), 1);
    window.record(3, datagrams(3, 1, 1)); // 101: the oldest goes
    assert.equal(window.oldest(), 2);
    assert.equal(window.lookup(1, 0, 0xffff), undefined);
    assert.deepEqual(window.size(), { messages: 2, bytes: 21 });
  });

  it('keeps a message larger than maxBytes alone, so the newest is always repairable', () => {
    const { window } = windowAt({ maxBytes: 100 });
    window.record(1, datagrams(1, 1, 50));
    window.record(2, datagrams(2, 3, 100));
    assert.deepEqual(window.size(), { messages: 1, bytes: 300 });
    assert.equal(window.lookup(2, 0, 0xffff)?.length, 3);
    window.record(3, datagrams(3, 1, 10));
    assert.deepEqual(window.size(), { messages: 1, bytes: 10 }, 'the large one goes as soon as it is not the newest');
  });

  it('keeps sequence numbers that wrap past 2^32 in order', () => {
    const { window } = windowAt();
    const seqs = [4294967294, 4294967295, 0, 1];
    for (const seq of seqs) window.record(seq, datagrams(seq, 2));
    for (const seq of seqs) assert.deepEqual(window.lookup(seq, 0, 0xffff), datagrams(seq, 2), `message ${seq}`);
    assert.equal(window.oldest(), 4294967294);
    assert.equal(window.newest(), 1);
  });

  it('evicts across the wrap in sending order', () => {
    const { window } = windowAt({ maxMessages: 2 });
    for (const seq of [4294967294, 4294967295, 0, 1]) window.record(seq, datagrams(seq));
    assert.equal(window.oldest(), 0);
    assert.equal(window.newest(), 1);
    assert.equal(window.lookup(4294967295, 0, 0xffff), undefined);
  });

  it('keeps finding what it holds after thousands of evictions', () => {
    const { window } = windowAt({ maxMessages: 100 });
    for (let seq = 0; seq < 5000; seq++) window.record(seq, datagrams(seq));
    assert.equal(window.oldest(), 4900);
    assert.equal(window.newest(), 4999);
    for (let seq = 4900; seq < 5000; seq++) assert.deepEqual(window.lookup(seq, 0, 0), datagrams(seq), `message ${seq}`);
    assert.equal(window.lookup(4899, 0, 0), undefined);
    assert.deepEqual(window.size(), { messages: 100, bytes: 1000 });
  });

  it('starts over when the numbering does, rather than mix two messages under one number', () => {
    const { window } = windowAt();
    for (let seq = 10; seq < 20; seq++) window.record(seq, datagrams(seq));
    window.record(0, datagrams(0));
    assert.equal(window.oldest(), 0);
    assert.deepEqual(window.size(), { messages: 1, bytes: 10 });
    assert.equal(window.lookup(15, 0, 0xffff), undefined);
  });

  it('stays within every limit and answers for exactly what it keeps, whatever is sent when', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.array(
          fc.record({
            gap: fc.integer({ min: 0, max: 700 }),
            step: fc.integer({ min: 1, max: 3 }),
            count: fc.integer({ min: 1, max: 4 }),
            bytes: fc.integer({ min: 1, max: 60 }),
          }),
          {
            maxLength: 200,
          },
        ),
        (start, sends) => {
          const limits = { maxAgeMs: 2000, maxBytes: 500, maxMessages: 8 };
          const { window, tick } = windowAt(limits);
          const sent: { seq: number; at: number; bytes: number }[] = [];
          let seq = start;
          let at = 0;
          for (const { gap, step, count, bytes } of sends) {
            at += gap;
            tick(gap);
            seq = (seq + step) >>> 0;
            window.record(seq, datagrams(seq, count, bytes));
            sent.push({ seq, at, bytes: count * bytes });
            const { messages, bytes: held } = window.size();
            assert.ok(messages <= limits.maxMessages);
            assert.ok(messages <= 1 || held <= limits.maxBytes);
            // What is kept is the newest few, all young enough, and all of them.
            const kept = sent.slice(sent.length - messages);
            assert.ok(kept.every((each) => at - each.at < limits.maxAgeMs));
            assert.equal(
              kept.reduce((sum, each) => sum + each.bytes, 0),
              held,
            );
            if (messages > 0) {
              assert.equal(window.oldest(), kept[0].seq);
              assert.equal(window.newest(), seq);
              assert.ok(!seqAfter(kept[0].seq, seq));
            }
            for (const each of sent.slice(-messages - 2)) assert.equal(window.lookup(each.seq, 0, 0xffff) !== undefined, kept.includes(each));
          }
        },
      ),
    );
  });
});
