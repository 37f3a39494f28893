import assert from 'node:assert/strict';
import { MAX_ADDRESSES, NAK_ALLOWANCE, NakBudget } from '../../src/core/nak-budget';

describe('the NAK budget', () => {
  it('lets an address that sent nothing get only the allowance of NAKs a second (a forged heartbeat cannot aim a flood)', () => {
    let now = 0;
    const budget = new NakBudget(() => now);
    let allowed = 0;
    for (let i = 0; i < 10_000; i++) if (budget.allow('198.51.100.9')) allowed++;
    assert.equal(allowed, NAK_ALLOWANCE);
    now = 1000;
    assert.equal(budget.allow('198.51.100.9'), true, 'a new second, a new allowance');
    assert.equal(budget.refused, 10_000 - NAK_ALLOWANCE);
  });

  it('lets a real sender get as many NAKs as the messages heard from it, plus the allowance', () => {
    let now = 0;
    const budget = new NakBudget(() => now);
    for (let i = 0; i < 1000; i++) budget.heard('198.51.100.7');
    let allowed = 0;
    for (let i = 0; i < 5000; i++) if (budget.allow('198.51.100.7')) allowed++;
    assert.equal(allowed, 1000 + NAK_ALLOWANCE);
    now = 500;
    assert.equal(budget.allow('198.51.100.7'), false, 'still the same second');
  });

  it('tracks a bounded number of addresses', () => {
    const budget = new NakBudget(() => 0);
    for (let i = 0; i < 5 * MAX_ADDRESSES; i++) budget.heard(`forged-${i}`);
    assert.ok((budget as unknown as { tallies: Map<string, unknown> }).tallies.size <= MAX_ADDRESSES);
  });
});
