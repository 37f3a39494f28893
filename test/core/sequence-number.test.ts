import assert from 'node:assert/strict';
import { seqAfter } from '../../src/core/sequence-number';

describe('sequence number order', () => {
  it('tells later from earlier, also across the wrap at 2^32', () => {
    assert.ok(seqAfter(2, 1));
    assert.ok(!seqAfter(1, 2));
    assert.ok(!seqAfter(7, 7));
    assert.ok(seqAfter(0, 4294967295));
    assert.ok(seqAfter(1, 4294967294));
    assert.ok(!seqAfter(4294967295, 0));
  });

  it('takes a number ahead by less than half the space as later, and by half or more as earlier', () => {
    assert.ok(seqAfter(0x7fffffff, 0));
    assert.ok(!seqAfter(0x80000000, 0));
    assert.ok(seqAfter(0, 0x80000001));
  });
});
