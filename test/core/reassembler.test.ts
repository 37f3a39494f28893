import assert from 'node:assert/strict';
import { decodeDatagram, encodeMessage, type OutgoingDatagram } from '../../src/core/lcm-codec';
import { Reassembler, type FragmentIn } from '../../src/core/reassembler';

function fragmentsOf(payload: Buffer, seq = 1, maxDatagram = 200, channel = 'CH'): FragmentIn[] {
  return encodeMessage(channel, payload, seq, maxDatagram).map(([h, d]: OutgoingDatagram) => {
    const decoded = decodeDatagram(Buffer.concat([h, d]));
    if (decoded.kind !== 'fragment') throw new Error('expected fragments');
    return decoded;
  });
}

const limits = { maxMessage: 1 << 20, maxBytes: 1 << 20, maxCount: 8, timeoutMs: 1000 };

describe('reassembler', () => {
  const payload = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

  it('puts fragments back together in order', () => {
    const r = new Reassembler(limits);
    const parts = fragmentsOf(payload);
    const results = parts.map((f) => r.accept('a:1', f));
    assert.deepEqual(
      results.slice(0, -1).map((x) => x.kind),
      Array(parts.length - 1).fill('pending'),
    );
    assert.deepEqual(results.at(-1), { kind: 'complete', seq: 1, channel: 'CH', payload });
    assert.equal(r.pending, 0);
    assert.equal(r.bytesHeld, 0);
  });

  it('puts fragments back together in any order', () => {
    const r = new Reassembler(limits);
    const parts = fragmentsOf(payload).reverse();
    const last = parts.map((f) => r.accept('a:1', f)).at(-1)!;
    assert.ok(last.kind === 'complete');
    assert.deepEqual(last.payload, payload);
  });

  it('does not let a repeated fragment complete a message with a hole', () => {
    const r = new Reassembler(limits);
    const parts = fragmentsOf(payload);
    for (const f of parts.slice(0, -1)) r.accept('a:1', f);
    assert.deepEqual(r.accept('a:1', parts[0]), { kind: 'duplicate' });
    assert.deepEqual(r.accept('a:1', parts[1]), { kind: 'duplicate' });
    assert.equal(r.pending, 1);
    assert.equal(r.counts.duplicateFragments, 2);
    assert.equal(r.accept('a:1', parts.at(-1)!).kind, 'complete');
  });

  it('keeps senders and sequence numbers apart', () => {
    const r = new Reassembler(limits);
    const a = fragmentsOf(Buffer.alloc(600, 1), 5);
    const b = fragmentsOf(Buffer.alloc(600, 2), 5);
    const c = fragmentsOf(Buffer.alloc(600, 3), 6);
    const done: Buffer[] = [];
    for (let i = 0; i < a.length; i++) {
      for (const [sender, f] of [
        ['a:1', a[i]],
        ['b:1', b[i]],
        ['a:1', c[i]],
      ] as const) {
        const result = r.accept(sender, f);
        if (result.kind === 'complete') done.push(result.payload);
      }
    }
    assert.deepEqual(
      done.map((p) => p[0]),
      [1, 2, 3],
    );
  });

  it('discards a message whose fragment lies about offset or size, and starts over when size or count change', () => {
    const r = new Reassembler(limits);
    const parts = fragmentsOf(payload);
    r.accept('a:1', parts[0]);
    // Same sequence number, another size: the old message cannot complete; this fragment starts a new one.
    assert.deepEqual(r.accept('a:1', { ...parts[1], size: 999 }), { kind: 'pending' });
    assert.equal(r.counts.discarded, 1);
    assert.equal(r.pending, 1);
    assert.deepEqual(r.accept('a:1', { ...parts[1], size: 999, offset: 990 }), { kind: 'discarded', reason: 'offset' });
    assert.equal(r.pending, 0, 'the whole message went');
    assert.deepEqual(r.accept('a:1', { ...parts[0], size: (1 << 20) + 1 }), { kind: 'discarded', reason: 'too-large' });
    assert.equal(r.counts.discarded, 3);
    assert.equal(r.bytesHeld, 0);
  });

  it('ignores a late copy of a fragment of a message it already completed', () => {
    const r = new Reassembler(limits);
    const parts = fragmentsOf(payload, 20);
    for (const f of parts) r.accept('a:1', f);
    assert.deepEqual(r.accept('a:1', parts[1]), { kind: 'duplicate' });
    assert.equal(r.pending, 0, 'no partial message left behind');
  });

  it('puts a message numbered at the start of a count together again, for the sequence tracker to tell a restart from a copy', () => {
    const r = new Reassembler(limits);
    for (const seq of [0, 9]) {
      const parts = fragmentsOf(payload, seq);
      assert.equal(parts.map((f) => r.accept('a:1', f)).at(-1)!.kind, 'complete');
      assert.deepEqual(parts.map((f) => r.accept('a:1', f)).at(-1), { kind: 'complete', seq, channel: 'CH', payload }, `seq ${seq} again`);
    }
    const tenth = fragmentsOf(payload, 10);
    for (const f of tenth) r.accept('a:1', f);
    assert.deepEqual(r.accept('a:1', tenth[0]), { kind: 'duplicate' }, 'from 10 on, a completed message is not put together again');
  });

  it('does not take a message for a copy of a completed one with its number but another size or count (a forged one came first)', () => {
    const r = new Reassembler(limits);
    // One forged single-fragment message numbered 40 completes before the honest one of 1,000 bytes in 6 fragments.
    const forged = { seq: 40, size: 5, offset: 0, index: 0, count: 1, channel: 'CH', data: Buffer.from('forge') };
    assert.equal(r.accept('a:1', forged).kind, 'complete');
    const honest = fragmentsOf(payload, 40);
    assert.deepEqual(honest.map((f) => r.accept('a:1', f)).at(-1), { kind: 'complete', seq: 40, channel: 'CH', payload });
    assert.deepEqual(r.accept('a:1', honest[2]), { kind: 'duplicate' }, 'a late copy of the honest message is still a duplicate');
    assert.equal(r.counts.duplicateFragments, 1);
  });

  it('forgets what a sender completed when told its numbering started over, and only that sender', () => {
    const r = new Reassembler(limits);
    const parts = fragmentsOf(payload, 30);
    for (const sender of ['a:1', 'a:10']) for (const f of parts) r.accept(sender, f);
    r.forget('a:1');
    assert.deepEqual(parts.map((f) => r.accept('a:1', f)).at(-1), { kind: 'complete', seq: 30, channel: 'CH', payload });
    assert.deepEqual(r.accept('a:10', parts[0]), { kind: 'duplicate' });
  });

  it('drops fragments no real message has, without touching the message they name', () => {
    const r = new Reassembler({ ...limits, maxBytes: 100_000, maxCount: 1000 });
    const parts = fragmentsOf(payload);
    r.accept('a:1', parts[0]);
    const lies: Partial<FragmentIn>[] = [
      { data: Buffer.alloc(0) }, // no data in a message of 1,000 bytes
      { count: 0 },
      { index: parts.length },
      { offset: 0 }, // fragment 1 at byte 0
      { index: 0, offset: 5 },
      { offset: 0, index: 0, count: 1001 }, // more fragments than bytes
    ];
    for (const lie of lies) assert.deepEqual(r.accept('a:1', { ...parts[1], ...lie }), { kind: 'discarded', reason: 'header' }, JSON.stringify(lie));
    assert.equal(r.pending, 1, 'the honest message is still being put together');
    const last = parts
      .slice(1)
      .map((f) => r.accept('a:1', f))
      .at(-1)!;
    assert.equal(last.kind, 'complete');
    for (let seq = 0; seq < 1000; seq++)
      r.accept('a:1', { seq, size: 1 << 20, offset: 0, index: 0, count: 65535, channel: 'X', data: Buffer.alloc(0) });
    assert.equal(r.bytesHeld, 0, 'empty fragments claiming 65,535 parts take nothing');
  });

  it('completes an empty message sent as a single empty LC03 fragment', () => {
    const r = new Reassembler(limits);
    assert.deepEqual(r.accept('a:1', { seq: 3, size: 0, offset: 0, index: 0, count: 1, channel: 'E', data: Buffer.alloc(0) }), {
      kind: 'complete',
      seq: 3,
      channel: 'E',
      payload: Buffer.alloc(0),
    });
  });

  it('discards a message whose fragments overlap or leave a gap, even when every index arrived', () => {
    const r = new Reassembler(limits);
    const parts = fragmentsOf(payload);
    for (const f of parts.slice(0, -1)) r.accept('a:1', f);
    assert.deepEqual(r.accept('a:1', { ...parts.at(-1)!, offset: parts.at(-1)!.offset - 1 }), { kind: 'discarded', reason: 'gaps' });
  });

  it('expires an incomplete message after the timeout', () => {
    let now = 0;
    const r = new Reassembler(limits, () => now);
    const parts = fragmentsOf(payload);
    r.accept('a:1', parts[0]);
    now = 999;
    assert.equal(r.expire(), 0);
    now = 1000;
    assert.equal(r.expire(), 1);
    assert.equal(r.counts.expired, 1);
    assert.equal(r.pending, 0);
    assert.equal(r.bytesHeld, 0);
  });

  it('caps how many messages it holds, evicting the oldest', () => {
    const r = new Reassembler(limits);
    for (let seq = 0; seq < 20; seq++) r.accept('a:1', fragmentsOf(payload, seq)[0]);
    assert.equal(r.pending, 8);
    assert.equal(r.counts.evicted, 12);
    // The newest survived: completing seq 19 works, seq 0 was evicted.
    const last = fragmentsOf(payload, 19)
      .slice(1)
      .map((f) => r.accept('a:1', f))
      .at(-1)!;
    assert.equal(last.kind, 'complete');
  });

  it('caps the bytes it holds, counting what arrived and what holding it costs rather than what headers claim', () => {
    const r = new Reassembler({ ...limits, maxBytes: 10_000, maxCount: 1000 });
    // Each claims 1 MiB but brings 100 bytes in a buffer of its own: it costs those and its bookkeeping, under 1 kB.
    for (let seq = 0; seq < 50; seq++)
      r.accept('a:1', { seq, size: 1 << 20, offset: 0, index: 0, count: 1000, channel: 'X', data: Buffer.alloc(100) });
    assert.ok(r.bytesHeld <= 10_000, `held ${r.bytesHeld}`);
    assert.equal(r.pending, 10);
  });

  it('charges the whole buffer a fragment keeps alive, and copies a view out of a buffer bigger than its datagram', () => {
    const r = new Reassembler({ ...limits, maxCount: 1000 });
    const datagram = Buffer.alloc(65_000);
    const cost = (seq: number, data: Buffer) => {
      const before = r.bytesHeld;
      r.accept('a:1', { seq, size: 1 << 20, offset: 0, index: 0, count: 100, channel: 'X', data });
      return r.bytesHeld - before;
    };
    // Behind a header of 20 bytes and a channel of 63 and its NUL: the datagram is kept, and charged whole.
    const view = cost(1, datagram.subarray(84));
    assert.ok(view >= 65_000, `a view of 64,916 bytes keeps the 65,000-byte datagram: charged ${view}`);
    // One byte more than a datagram's header and channel: copied, so 64,915 bytes are charged, not 65,000.
    assert.equal(cost(2, datagram.subarray(85)), view - 85);
    const copy = cost(3, datagram.subarray(0, 10));
    assert.ok(copy < 2000, `10 bytes of a 65,000-byte buffer are copied out, not charged as the whole: ${copy}`);
  });
});
