import assert from 'node:assert/strict';
import { byteAmount, elapsed, shortNumber } from '../../src/editor/readable-numbers';

describe('numbers as the bus sidebar and the Statistics tab show them', () => {
  it('writes a rate with one decimal at most, none from 100, and never shows a rare topic as 0', () => {
    assert.deepEqual([0, 0.004, 0.05, 0.25, 3.33, 3.04, 12.34, 99.96, 123.4].map(shortNumber), [
      '0',
      '0.01',
      '0.05',
      '0.3',
      '3.3',
      '3',
      '12.3',
      '100',
      '123',
    ]);
  });

  it('writes bytes in binary units: bytes whole, larger units short', () => {
    assert.deepEqual(byteAmount(900), { value: '900', unit: 'B' });
    assert.deepEqual(byteAmount(1023), { value: '1023', unit: 'B' });
    assert.deepEqual(byteAmount(1536), { value: '1.5', unit: 'KiB' });
    assert.deepEqual(byteAmount(8 * 1024 * 1024), { value: '8', unit: 'MiB' });
    assert.deepEqual(byteAmount(0), { value: '0', unit: 'B' });
  });

  it('says how long ago in the largest whole unit, under a second as now, and a clock ahead as now', () => {
    assert.deepEqual([-500, 999, 1000, 59_999, 60_000, 3_599_999, 3_600_000, 86_400_000 * 2].map(elapsed), [
      { unit: 'now', n: 0 },
      { unit: 'now', n: 0 },
      { unit: 'seconds', n: 1 },
      { unit: 'seconds', n: 59 },
      { unit: 'minutes', n: 1 },
      { unit: 'minutes', n: 59 },
      { unit: 'hours', n: 1 },
      { unit: 'days', n: 2 },
    ]);
  });
});
