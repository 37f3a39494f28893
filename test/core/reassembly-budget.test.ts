// The reassembly budget must hold the largest message a bus accepts, with everything holding it costs, or that
// message would evict itself while it is being put together and never arrive.
import assert from 'node:assert/strict';
import { reassemblyBudget } from '../../src/core/lcm-framing';
import { maxHoldingCost, Reassembler } from '../../src/core/reassembler';

const MIB = 1024 * 1024;

/** One LC03 fragment of a message of `size` bytes, in a buffer of its own as the receive socket hands it over. */
function fragment(seq: number, size: number, offset: number, index: number, count: number, length: number) {
  const channel = index === 0 ? 'CAMERA_IMAGE_WITH_A_CHANNEL_NAME_AS_LONG_AS_LCM_ALLOWS_IT_TO_BE\0' : '';
  const datagram = Buffer.allocUnsafeSlow(20 + channel.length + length);
  datagram.fill(seq & 0xff);
  return { seq, size, offset, index, count, ...(index === 0 ? { channel } : {}), data: datagram.subarray(20 + channel.length) };
}

/** Feeds a message of `size` bytes split into `count` fragments (the first `count - 1` of equal length) and returns the last result. */
function feed(r: Reassembler, sender: string, seq: number, size: number, count: number) {
  const length = Math.floor(size / count);
  let result;
  for (let index = 0; index < count; index++) {
    const offset = index * length;
    result = r.accept(sender, fragment(seq, size, offset, index, count, index === count - 1 ? size - offset : length));
  }
  return result;
}

describe('reassembly budget', () => {
  it('completes a message of maxMessage bytes in 65,535 fragments within a budget of what holding it may cost (1/256 scale)', () => {
    // 1 MiB is 256 MiB at 1/256 scale; 65,535 fragments is the most LC03 has, so each costs the most bookkeeping.
    const maxMessage = MIB;
    const r = new Reassembler({ maxMessage, maxBytes: maxHoldingCost(maxMessage), maxCount: 256, timeoutMs: 60_000 });
    const sender = '[2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:65535';
    const last = feed(r, sender, 0xffffffff, maxMessage, 65_535);
    assert.equal(last?.kind, 'complete');
    assert.deepEqual(r.counts, { completed: 1, duplicateFragments: 0, expired: 0, evicted: 0, discarded: 0 });
    // And at a datagram size LCM itself uses, too.
    assert.equal(feed(r, sender, 1, maxMessage, Math.ceil(maxMessage / 1423))?.kind, 'complete');
  });

  it('defaults to a budget that holds a message of the Largest message setting however it is split, up to the largest limit', () => {
    for (const maxMessage of [1, 16 * MIB, 64 * MIB, 200 * MIB, 240 * MIB, 256 * MIB, 512 * MIB, 1024 * MIB]) {
      const budget = reassemblyBudget(maxMessage);
      assert.ok(
        budget >= maxHoldingCost(maxMessage),
        `${maxMessage / MIB} MiB: budget ${budget}, one message may cost ${maxHoldingCost(maxMessage)}`,
      );
      assert.ok(budget >= 64 * MIB && budget >= Math.min(4 * maxMessage, 256 * MIB), `${maxMessage / MIB} MiB: room for several smaller messages`);
    }
    assert.equal(reassemblyBudget(16 * MIB), 64 * MIB, 'unchanged below the limits where one message fills it');
    assert.equal(reassemblyBudget(128 * MIB), 256 * MIB);
  });
});
